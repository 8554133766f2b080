"""Lockout per account and source (ASVS V6.3), the password-change door, the security log."""

from datetime import timedelta

from sqlalchemy import func, select

from auth.models import LoginThrottle
from core.audit import AuditEvent
from core.db import utcnow
from core.extensions import db
from core.security_log import SecurityEvent

ADMIN = "admin@romashka.example"
PASSWORD = "Demo-pass-2026"


def _token(client, ip, password):
    return client.post("/api/v1/auth/token", json={"email": ADMIN, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def _events(kind):
    db.session.expire_all()
    return db.session.scalars(select(SecurityEvent).where(SecurityEvent.kind == kind)).all()


def test_a_stranger_cannot_lock_the_real_user_out(client):
    for _ in range(5):
        response = _token(client, "203.0.113.9", "wrong-password")
    assert response.json["code"] == "locked"
    assert _token(client, "203.0.113.9", PASSWORD).json["code"] == "locked"
    # The real user, from their own address, still signs in.
    assert _token(client, "198.51.100.7", PASSWORD).status_code == 201
    assert _events("auth.attempt_during_lock") and _events("auth.locked")


def test_locks_grow_longer_for_whoever_keeps_trying(client):
    for _ in range(5):
        _token(client, "203.0.113.10", "wrong-password")
    throttle = db.session.get(LoginThrottle, (ADMIN, "203.0.113.10"))
    first = throttle.locked_until - utcnow()
    throttle.locked_until = utcnow() - timedelta(seconds=1)  # the first lock has passed
    db.session.commit()
    for _ in range(5):
        response = _token(client, "203.0.113.10", "wrong-password")
    assert response.json["code"] == "locked" and "30" in response.json["message"]
    db.session.expire_all()
    second = db.session.get(LoginThrottle, (ADMIN, "203.0.113.10")).locked_until - utcnow()
    assert second > first + timedelta(minutes=10)


def test_quiet_throttle_rows_are_removed(client):
    old = utcnow() - timedelta(days=2)
    db.session.add_all(LoginThrottle(email=f"typo{i}@x.example", source="192.0.2.1",
                                     failures=1, locks=0, updated_at=old) for i in range(50))
    db.session.commit()
    _token(client, "192.0.2.2", "wrong-password")
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(LoginThrottle)) == 1


def test_password_change_is_throttled_and_audited(client, api_token):
    headers = api_token(ADMIN)
    for _ in range(4):
        response = client.post("/api/v1/me/password", headers=headers,
                               json={"current_password": "guess", "new_password": "x"})
        assert response.status_code == 422
    response = client.post("/api/v1/me/password", headers=headers,
                           json={"current_password": "guess", "new_password": "x"})
    assert response.status_code == 429
    # Locked: even the right current password is refused now.
    response = client.post("/api/v1/me/password", headers=headers, json={
        "current_password": PASSWORD, "new_password": "Another-pass-2026!"})
    assert response.status_code == 429
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "auth.password_change_failed")) == 5
    assert len(_events("auth.password_change_failed")) == 5


def test_refusals_and_downloads_reach_the_security_log(client, api_token, users):
    vector = api_token("admin@vector.example")
    from sqlalchemy import select as sel

    from corp.models import Line

    romashka_line = db.session.scalar(sel(Line.id).where(Line.company_id == 1))
    assert client.get(f"/api/v1/lines/{romashka_line}", headers=vector).status_code == 404
    probe = _events("refused.not_found")
    assert probe and probe[-1].actor_email == "admin@vector.example"
    assert probe[-1].path == f"/api/v1/lines/{romashka_line}"
    admin = api_token(ADMIN)
    assert client.get("/api/v1/approvals", headers=admin).status_code == 403
    assert _events("refused.staff_only")[-1].actor_email == ADMIN
    assert client.get("/api/v1/audit", headers=admin).status_code == 200
    from tests.conftest import PASSWORD as pw

    client.post("/login", data={"email": ADMIN, "password": pw})
    assert client.get("/admin/audit.csv").status_code == 200
    assert _events("download.audit")[-1].actor_email == ADMIN


def test_only_staff_read_the_security_log(client, api_token):
    admin = api_token(ADMIN)
    client.get("/api/v1/lines/999999999", headers=admin)
    assert client.get("/api/v1/security-events", headers=admin).status_code == 403
    staff = api_token("staff@operator.example")
    body = client.get("/api/v1/security-events?kind=refused.not_found", headers=staff).json
    assert body["total"] >= 1 and body["items"][0]["kind"] == "refused.not_found"
    assert client.get("/api/v1/security-events?kind=nonsense", headers=staff).status_code == 422
    client.post("/login", data={"email": "staff@operator.example", "password": PASSWORD})
    page = client.get("/operator/security-events").get_data(as_text=True)
    assert 'data-testid="security-events"' in page and "/api/v1/lines/999999999" in page
