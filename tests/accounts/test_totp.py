"""Two-factor sign-in: enrolment, sign-in with and without the code, replay, recovery codes."""

import time

import pyotp
from sqlalchemy import select

from auth.models import RecoveryCode, TotpCredential
from core.audit import AuditEvent
from core.extensions import db
from tests.accounts.conftest import enrol_totp, totp_code
from tests.conftest import PASSWORD


def _token(client, email, **extra):
    return client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD, **extra})


def _wait_for_next_step(secret):
    """Codes are single-use per 30-second step: a second sign-in needs the next step's code."""
    return totp_code(secret, 1)


def test_enrol_then_the_token_endpoint_asks_for_the_code(client, fresh_user, api_token):
    headers = api_token(fresh_user.email)
    started = client.post("/api/v1/me/totp", headers=headers)
    assert started.status_code == 201
    secret = started.json["secret"]
    assert started.json["otpauth_uri"].startswith("otpauth://totp/")
    assert secret in started.json["otpauth_uri"]
    # Not on until confirmed: sign-in still works with the password alone.
    assert _token(client, fresh_user.email).status_code == 201
    wrong = client.post("/api/v1/me/totp/confirm", json={"code": "000000"}, headers=headers)
    assert wrong.status_code == 422
    confirmed = client.post("/api/v1/me/totp/confirm", json={"code": totp_code(secret)},
                            headers=headers)
    assert confirmed.status_code == 200
    codes = confirmed.json["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10

    without = _token(client, fresh_user.email)
    assert without.status_code == 401
    assert without.json["code"] == "otp_required"
    wrong = _token(client, fresh_user.email, otp="123456" if totp_code(secret) != "123456"
                   else "654321")
    assert wrong.status_code == 401 and wrong.json["code"] == "invalid_otp"
    good = _token(client, fresh_user.email, otp=_wait_for_next_step(secret))
    assert good.status_code == 201


def test_secret_is_encrypted_and_codes_are_hashed_at_rest(client, fresh_user, api_token):
    headers = api_token(fresh_user.email)
    secret, codes = enrol_totp(client, headers)
    row = db.session.get(TotpCredential, fresh_user.id)
    assert secret not in row.secret_encrypted
    stored = db.session.scalars(select(RecoveryCode.code_hash)
                                .where(RecoveryCode.user_id == fresh_user.id)).all()
    assert len(stored) == 10
    assert not set(codes) & set(stored)


def test_a_used_code_cannot_be_replayed(client, fresh_user, api_token):
    headers = api_token(fresh_user.email)
    secret, _codes = enrol_totp(client, headers)
    code = _wait_for_next_step(secret)
    assert _token(client, fresh_user.email, otp=code).status_code == 201
    replay = _token(client, fresh_user.email, otp=code)
    assert replay.status_code == 401 and replay.json["code"] == "invalid_otp"
    # The enrolment's own code (an earlier step) is refused too.
    assert _token(client, fresh_user.email, otp=totp_code(secret)).status_code == 401


def test_a_recovery_code_works_once(client, fresh_user, api_token):
    headers = api_token(fresh_user.email)
    _secret, codes = enrol_totp(client, headers)
    assert _token(client, fresh_user.email, recovery_code=codes[0].lower()).status_code == 201
    again = _token(client, fresh_user.email, recovery_code=codes[0])
    assert again.status_code == 401
    assert _token(client, fresh_user.email, recovery_code=codes[1]).status_code == 201
    used = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.actor_id == fresh_user.id, AuditEvent.action == "auth.recovery_code_used"
    )).all()
    assert len(used) == 2


def test_five_wrong_codes_lock_the_code_check(client, fresh_user, api_token):
    headers = api_token(fresh_user.email)
    secret, _codes = enrol_totp(client, headers)
    right = _wait_for_next_step(secret)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert _token(client, fresh_user.email, otp=wrong).status_code == 401
    locked = _token(client, fresh_user.email, otp=right)
    assert locked.status_code == 401 and locked.json["code"] == "locked"


def test_disable_needs_the_password_and_a_current_code(client, fresh_user, api_token):
    headers = api_token(fresh_user.email)
    secret, _codes = enrol_totp(client, headers)
    no_password = client.delete("/api/v1/me/totp", json={"password": "wrong-password",
                                                         "code": totp_code(secret, 1)},
                                headers=headers)
    assert no_password.status_code == 422 and "password" in no_password.json["errors"]
    no_code = client.delete("/api/v1/me/totp", json={"password": PASSWORD, "code": "000000"},
                            headers=headers)
    assert no_code.status_code == 422
    missing = client.delete("/api/v1/me/totp", json={"password": PASSWORD}, headers=headers)
    assert missing.status_code == 422
    done = client.delete("/api/v1/me/totp", json={"password": PASSWORD,
                                                  "code": totp_code(secret, 1)},
                         headers=headers)
    assert done.status_code == 204
    assert _token(client, fresh_user.email).status_code == 201
    assert db.session.get(TotpCredential, fresh_user.id) is None


def test_sign_in_page_asks_for_the_code_in_a_second_step(client, fresh_user, api_token):
    secret, _codes = enrol_totp(client, api_token(fresh_user.email))
    response = client.post("/login", data={"email": fresh_user.email, "password": PASSWORD})
    assert response.status_code == 302 and "/login/code" in response.headers["Location"]
    # Not signed in yet.
    assert client.get("/api/v1/me").status_code == 401
    wrong = client.post("/login/code", data={"otp": "000000"})
    assert wrong.status_code == 401
    assert "invalid-feedback" in wrong.get_data(as_text=True)
    done = client.post("/login/code", data={"otp": _wait_for_next_step(secret)})
    assert done.status_code == 302
    assert client.get("/api/v1/me").json["email"] == fresh_user.email


def test_setup_page_shows_a_qr_code_and_the_secret(client, fresh_user, login_as):
    login_as(fresh_user.email)
    start = client.post("/account/two-factor", data={"action": "start"})
    assert start.status_code == 302
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "<svg" in page and "<script" not in page.split("<main", 1)[1].split("</main>")[0]
    row = db.session.get(TotpCredential, fresh_user.id)
    from auth.crypto import decrypt_secret

    secret = decrypt_secret(row.secret_encrypted)
    assert secret in page
    done = client.post("/account/two-factor", data={"action": "confirm",
                                                     "code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    assert 'data-testid="recovery-codes"' in done.get_data(as_text=True)
    assert "auth.totp_enabled" in db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.actor_id == fresh_user.id)).all()


def test_company_requirement_leads_administrators_to_enrol(client, users, api_token, login_as):
    admin_headers = api_token(users["admin"].email)
    # Only the global administrator may set the rule.
    refused = client.put("/api/v1/company/security", json={"require_admin_2fa": True},
                         headers=api_token(users["accountant"].email))
    assert refused.status_code == 403
    bad = client.put("/api/v1/company/security", json={"require_admin_2fa": "maybe"},
                     headers=admin_headers)
    assert bad.status_code == 422
    done = client.put("/api/v1/company/security", json={"require_admin_2fa": True},
                      headers=admin_headers)
    assert done.status_code == 200 and done.json == {"require_admin_2fa": True}
    # The administrator is now led to enrolment: pages redirect, the API refuses.
    login_as(users["admin"].email)
    assert client.get("/lines").status_code == 302
    assert "/account/two-factor" in client.get("/lines").headers["Location"]
    lines = client.get("/api/v1/lines", headers=admin_headers)
    assert lines.status_code == 403 and lines.json["code"] == "totp_enrolment_required"
    # A user without users.manage is not concerned.
    accountant = api_token(users["accountant"].email)
    assert client.get("/api/v1/lines", headers=accountant).status_code == 200
    # Once enrolled, the administrator goes on.
    enrol_totp(client, admin_headers)
    assert client.get("/api/v1/lines", headers=admin_headers).status_code == 200


def test_code_step_expires(client, fresh_user, api_token, app):
    enrol_totp(client, api_token(fresh_user.email))
    client.post("/login", data={"email": fresh_user.email, "password": PASSWORD})
    with client.session_transaction() as flask_session:
        flask_session["pending_2fa"] = {**flask_session["pending_2fa"],
                                         "at": int(time.time()) - 3600}
    response = client.get("/login/code")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
