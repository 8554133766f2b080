"""Slow guessing spread over many addresses (OWASP ASVS 5.0 V6.3): an account-wide guard,
with a known-device cookie that lets the real user's own browser or client through."""

from datetime import timedelta

from sqlalchemy import func, select

from auth.known_device import COOKIE
from auth.models import LoginAccountThrottle
from core.audit import AuditEvent
from core.db import utcnow
from core.extensions import db
from core.security_log import SecurityEvent

ADMIN = "admin@romashka.example"
PASSWORD = "Demo-pass-2026"


def _token(client, ip, password, email=ADMIN):
    return client.post("/api/v1/auth/token", json={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def _spread_guesses(app, count, email=ADMIN):
    """``count`` wrong passwords, two per address, each from a browser of its own."""
    answers = []
    for i in range(count):
        attacker = app.test_client()
        answers.append(_token(attacker, f"203.0.{i // 2}.{10 + i % 2}", "wrong-password",
                              email))
    return answers


def _events(kind):
    db.session.expire_all()
    return db.session.scalars(select(SecurityEvent).where(SecurityEvent.kind == kind)).all()


def test_guesses_from_many_addresses_lock_the_account_for_unknown_devices(app):
    limit = app.config["LOGIN_ACCOUNT_MAX_FAILURES"]
    answers = _spread_guesses(app, limit)
    # No address reached the per-source lock, yet the last guess locked the account.
    assert [a.json["code"] for a in answers[:-1]] == ["invalid_credentials"] * (limit - 1)
    assert answers[-1].json["code"] == "locked"
    # A new address with the right password is refused: the guess cannot even be tested.
    assert _token(app.test_client(), "192.0.2.200", PASSWORD).json["code"] == "locked"
    assert _events("auth.account_locked")[-1].actor_email == ADMIN
    assert _events("auth.attempt_during_lock")
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "auth.account_locked")) == 1


def test_the_real_users_known_device_still_signs_in(app):
    own = app.test_client()
    assert _token(own, "198.51.100.7", PASSWORD).status_code == 201
    assert own.get_cookie(COOKIE) is not None
    _spread_guesses(app, app.config["LOGIN_ACCOUNT_MAX_FAILURES"])
    assert _token(app.test_client(), "198.51.100.7", PASSWORD).json["code"] == "locked"
    # The browser that signed in before passes the account-wide lock ...
    assert _token(own, "198.51.100.7", PASSWORD).status_code == 201
    # ... and so does the sign-in page from it.
    response = own.post("/login", data={"email": ADMIN, "password": PASSWORD},
                        environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert response.status_code == 302


def test_a_known_device_still_meets_the_lock_per_source(app):
    own = app.test_client()
    assert _token(own, "198.51.100.8", PASSWORD).status_code == 201
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        response = _token(own, "198.51.100.8", "wrong-password")
    assert response.json["code"] == "locked"
    assert _token(own, "198.51.100.8", PASSWORD).json["code"] == "locked"


def test_another_users_or_a_forged_cookie_does_not_pass(app):
    other = app.test_client()
    assert _token(other, "198.51.100.9", PASSWORD, "accountant@romashka.example").status_code == 201
    _spread_guesses(app, app.config["LOGIN_ACCOUNT_MAX_FAILURES"])
    assert _token(other, "198.51.100.9", PASSWORD).json["code"] == "locked"
    forged = app.test_client()
    forged.set_cookie(COOKIE, other.get_cookie(COOKIE).value[:-3] + "abc")
    assert _token(forged, "198.51.100.9", PASSWORD).json["code"] == "locked"


def test_the_sign_in_page_meets_the_same_guard(app):
    _spread_guesses(app, app.config["LOGIN_ACCOUNT_MAX_FAILURES"])
    page = app.test_client().post("/login", data={"email": ADMIN, "password": PASSWORD},
                                  environ_base={"REMOTE_ADDR": "192.0.2.201"})
    assert page.status_code == 401 and "locked" in page.get_data(as_text=True)


def test_a_new_password_retires_old_known_devices(app, api_token):
    own = app.test_client()
    assert _token(own, "198.51.100.10", PASSWORD).status_code == 201
    response = app.test_client().post("/api/v1/me/password", headers=api_token(ADMIN), json={
        "current_password": PASSWORD, "new_password": "Another-pass-2026!"})
    assert response.status_code == 204
    _spread_guesses(app, app.config["LOGIN_ACCOUNT_MAX_FAILURES"])
    assert _token(own, "198.51.100.10", "Another-pass-2026!").json["code"] == "locked"


def test_failures_outside_the_window_do_not_count(app):
    limit = app.config["LOGIN_ACCOUNT_MAX_FAILURES"]
    _spread_guesses(app, limit - 1)
    row = db.session.get(LoginAccountThrottle, ADMIN)
    row.window_started_at = utcnow() - app.config["LOGIN_ACCOUNT_WINDOW"] - timedelta(minutes=1)
    db.session.commit()
    assert _spread_guesses(app, 1)[0].json["code"] == "invalid_credentials"
    assert _token(app.test_client(), "192.0.2.202", PASSWORD).status_code == 201


def test_unknown_e_mails_are_answered_alike(app):
    answers = _spread_guesses(app, app.config["LOGIN_ACCOUNT_MAX_FAILURES"],
                              "nobody@romashka.example")
    assert answers[-1].json["code"] == "locked"


def test_password_recovery_by_mail_is_the_way_back_in(app, outbox):
    from tests.accounts.conftest import code_from

    _spread_guesses(app, app.config["LOGIN_ACCOUNT_MAX_FAILURES"])
    new_laptop = app.test_client()
    assert _token(new_laptop, "192.0.2.203", PASSWORD).json["code"] == "locked"
    new_laptop.post("/api/v1/auth/recovery", json={"email": ADMIN},
                    environ_base={"REMOTE_ADDR": "192.0.2.203"})
    response = new_laptop.post("/api/v1/auth/recovery/confirm", json={
        "email": ADMIN, "code": code_from(outbox.last(ADMIN)),
        "new_password": "Spring-meadow-walk-42"}, environ_base={"REMOTE_ADDR": "192.0.2.203"})
    assert response.status_code == 204
    assert _token(new_laptop, "192.0.2.203", "Spring-meadow-walk-42").status_code == 201
