"""Sign-in, lockout, sessions and API tokens as a user meets them."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from auth.models import User, UserSession
from auth.passwords import hash_password
from core.audit import AuditEvent
from core.db import utcnow
from core.extensions import db

ADMIN = "admin@romashka.example"


def test_login_page_has_the_form(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'name="email"' in page and 'name="password"' in page


def test_anonymous_pages_redirect_to_login_and_api_answers_401(client):
    response = client.get("/lines")
    assert response.status_code == 302 and "/login" in response.location
    response = client.get("/api/v1/lines")
    assert response.status_code == 401
    assert response.json["code"] == "unauthorized"


def test_successful_login_opens_dashboard(auth, client):
    response = auth.login(ADMIN)
    assert response.status_code == 302 and response.location.endswith("/dashboard")
    assert client.get("/dashboard").status_code == 200


def test_a_slow_parallel_request_cannot_undo_a_language_switch(auth, client):
    """Pages that change nothing in the session send no session cookie: a request started
    before the switch (a dashboard chart) and answered after it would otherwise put back
    the cookie it started with, and the next page came back in Russian."""
    auth.login(ADMIN)
    client.get("/dashboard")  # the first page after sign-in may still take a message out
    before = client.get_cookie("vm_session").value
    assert "Set-Cookie" not in client.get("/dashboard").headers
    assert client.post("/language", data={"locale": "en"}).status_code == 302
    after = client.get_cookie("vm_session").value
    assert after != before
    # The slow request carries the old cookie; its answer must not bring it back.
    client.set_cookie("vm_session", before)
    stale = client.get("/lines")
    assert not any(h.startswith("vm_session=") for h in stale.headers.getlist("Set-Cookie"))
    client.set_cookie("vm_session", after)
    assert '<html lang="en"' in client.get("/dashboard").get_data(as_text=True)


def test_open_redirect_through_next_is_refused(client):
    response = client.post(
        "/login?next=//evil.example/x", data={"email": ADMIN, "password": "Demo-pass-2026"}
    )
    assert response.location.endswith("/dashboard")


@pytest.mark.parametrize("email", [ADMIN, "nobody@nowhere.example"])
def test_five_wrong_passwords_lock_for_15_minutes_whether_or_not_the_email_exists(auth, email):
    messages = []
    for _ in range(5):
        response = auth.login(email, "wrong-password-123")
        assert response.status_code == 401
        messages.append(response.get_data(as_text=True))
    assert "15" in messages[-1]
    # Now even the right password is refused while the lock lasts.
    response = auth.login(email, "Demo-pass-2026")
    assert response.status_code == 401
    assert "15" in response.get_data(as_text=True) or "мин" in response.get_data(as_text=True)


def test_successful_login_resets_the_failure_count(auth):
    for _ in range(4):
        auth.login(ADMIN, "wrong-password-123")
    assert auth.login(ADMIN).status_code == 302
    auth.logout()
    for _ in range(4):
        assert auth.login(ADMIN, "wrong-password-123").status_code == 401
    assert auth.login(ADMIN).status_code == 302


def test_failed_login_is_audited(auth):
    auth.login(ADMIN, "wrong-password-123")
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "auth.login_failed").order_by(
            AuditEvent.id.desc())
    )
    assert event is not None and event.detail == ADMIN and event.outcome == "denied"


def test_logout_ends_the_session_on_the_server(auth, client):
    auth.login(ADMIN)
    with client.session_transaction() as session:
        stolen = dict(session)
    auth.logout()
    # Replaying the old cookie contents does not bring the session back.
    with client.session_transaction() as session:
        session.update(stolen)
    response = client.get("/lines")
    assert response.status_code == 302 and "/login" in response.location


def test_session_expires_after_20_idle_minutes(auth, client):
    auth.login(ADMIN)
    with client.session_transaction() as session:
        sid = session["sid"]
    row = db.session.get(UserSession, sid)
    row.last_seen_at = utcnow() - timedelta(minutes=21)
    db.session.commit()
    response = client.get("/lines")
    assert response.status_code == 302 and "/login" in response.location


def test_session_cookie_is_httponly_and_samesite(auth):
    response = auth.login(ADMIN)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_temporary_password_must_be_changed_before_anything_else(app, client, auth):
    user = User(email="temp@romashka.example", name="Temp", company_id=1,
                password_hash=hash_password("Issued-temp-pass-1"), must_change_password=True)
    db.session.add(user)
    db.session.commit()
    response = auth.login("temp@romashka.example", "Issued-temp-pass-1")
    assert response.location.endswith("/account/password")
    assert client.get("/lines").location.endswith("/account/password")
    # A common password is refused with a message, nothing changes.
    response = client.post("/account/password", data={
        "current_password": "Issued-temp-pass-1", "new_password": "password123",
        "confirm": "password123"})
    assert response.status_code == 200
    assert db.session.get(User, user.id).must_change_password
    response = client.post("/account/password", data={
        "current_password": "Issued-temp-pass-1", "new_password": "a long new phrase 2026",
        "confirm": "a long new phrase 2026"})
    assert response.status_code == 302
    # Free to go on now (no role yet: the dashboard shows nothing, lines are forbidden).
    assert client.get("/dashboard").status_code == 200
    assert client.get("/lines").status_code == 403


def test_api_token_flow(client, api_token):
    headers = api_token(ADMIN)
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json["company"]["name"] == "ООО «Ромашка»"
    assert "lines.view" in me.json["permissions"]
    assert me.json["assignments"][0]["role"]["key"] == "global_admin"


def test_api_token_wrong_password_and_lockout(client):
    for _ in range(5):
        response = client.post("/api/v1/auth/token", json={"email": ADMIN, "password": "nope-nope"})
        assert response.status_code == 401
    assert response.json["code"] == "locked"
    response = client.post("/api/v1/auth/token", json={"email": ADMIN,
                                                       "password": "Demo-pass-2026"})
    assert response.status_code == 401 and response.json["code"] == "locked"


def test_api_token_missing_fields_is_422(client):
    response = client.post("/api/v1/auth/token", json={"email": ADMIN})
    assert response.status_code == 422
    assert "password" in response.json["errors"]


def test_bad_and_expired_tokens_are_401(client):
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer forged"}).status_code == 401


def test_temporary_password_token_only_allows_password_change(client):
    user = User(email="temp2@romashka.example", name="Temp", company_id=1,
                password_hash=hash_password("Issued-temp-pass-2"), must_change_password=True)
    db.session.add(user)
    db.session.commit()
    token = client.post("/api/v1/auth/token", json={
        "email": "temp2@romashka.example", "password": "Issued-temp-pass-2"}).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    response = client.get("/api/v1/lines", headers=headers)
    assert response.status_code == 403 and response.json["code"] == "password_change_required"
    response = client.post("/api/v1/me/password", headers=headers, json={
        "current_password": "Issued-temp-pass-2", "new_password": "my own long phrase 42"})
    assert response.status_code == 204
    # The password change ended every token, this one too.
    assert client.get("/api/v1/lines", headers=headers).status_code == 401


def test_login_is_rate_limited_per_ip(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    codes = [client.post("/login", data={"email": f"x{i}@y.example", "password": "whatever1"}
                         ).status_code for i in range(4)]
    assert codes[:3] == [401, 401, 401] and codes[3] == 429
