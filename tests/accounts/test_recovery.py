"""Password recovery by a one-time code sent by e-mail."""

from datetime import timedelta

from sqlalchemy import select

from auth.models import OneTimeCode, User
from core.audit import AuditEvent
from core.db import utcnow
from core.extensions import db
from tests.accounts.conftest import code_from
from tests.conftest import PASSWORD

NEW_PASSWORD = "Spring-meadow-walk-42"


def _request(client, email):
    return client.post("/api/v1/auth/recovery", json={"email": email})


def _confirm(client, email, code, password=NEW_PASSWORD):
    return client.post("/api/v1/auth/recovery/confirm",
                       json={"email": email, "code": code, "new_password": password})


def test_unknown_address_gets_the_same_answer_and_no_mail(client, outbox, users):
    known = _request(client, users["accountant"].email)
    unknown = _request(client, "nobody-here@romashka.example")
    assert known.status_code == unknown.status_code == 202
    assert known.json == unknown.json
    assert len(outbox.messages("accountant@romashka.example")) == 1
    assert outbox.messages("nobody-here@romashka.example") == []


def test_code_by_mail_sets_the_new_password_and_ends_every_session(
    client, outbox, users, api_token
):
    headers = api_token(users["accountant"].email)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    _request(client, "Accountant@Romashka.example ")
    message = outbox.last("accountant@romashka.example")
    assert message["Subject"].startswith("Код восстановления пароля")
    assert message.get_body(("html",)) is not None
    response = _confirm(client, users["accountant"].email, code_from(message))
    assert response.status_code == 204
    # The old token stopped working; the old password too; the new one signs in.
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    old = client.post("/api/v1/auth/token",
                      json={"email": users["accountant"].email, "password": PASSWORD})
    assert old.status_code == 401
    new = client.post("/api/v1/auth/token",
                      json={"email": users["accountant"].email, "password": NEW_PASSWORD})
    assert new.status_code == 201
    actions = set(db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.actor_id == users["accountant"].id)))
    assert {"auth.recovery_requested", "auth.password_recovered"} <= actions


def test_code_works_once(client, outbox, users):
    _request(client, users["accountant"].email)
    code = code_from(outbox.last("accountant@romashka.example"))
    assert _confirm(client, users["accountant"].email, code).status_code == 204
    again = _confirm(client, users["accountant"].email, code, "Another-long-phrase-7")
    assert again.status_code == 422
    assert "code" in again.json["errors"]


def test_expired_code_is_refused(client, outbox, users):
    _request(client, users["accountant"].email)
    code = code_from(outbox.last("accountant@romashka.example"))
    row = db.session.scalar(select(OneTimeCode).where(OneTimeCode.user_id == users["accountant"].id)
                            .order_by(OneTimeCode.id.desc()))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = _confirm(client, users["accountant"].email, code)
    assert response.status_code == 422
    assert db.session.get(User, users["accountant"].id).password_changed_at < utcnow()
    assert client.post("/api/v1/auth/token", json={
        "email": users["accountant"].email, "password": PASSWORD}).status_code == 201


def test_five_wrong_tries_void_the_code(client, outbox, users):
    _request(client, users["accountant"].email)
    code = code_from(outbox.last("accountant@romashka.example"))
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert _confirm(client, users["accountant"].email, wrong).status_code == 422
    # Even the right code no longer works: the code was voided.
    assert _confirm(client, users["accountant"].email, code).status_code == 422


def test_a_new_request_voids_the_previous_code(client, outbox, users):
    _request(client, users["accountant"].email)
    first = code_from(outbox.last("accountant@romashka.example"))
    _request(client, users["accountant"].email)
    second = code_from(outbox.last("accountant@romashka.example"))
    if first != second:
        assert _confirm(client, users["accountant"].email, first).status_code == 422
    assert _confirm(client, users["accountant"].email, second).status_code == 204


def test_the_password_policy_applies_and_nothing_changes(client, outbox, users):
    _request(client, users["accountant"].email)
    code = code_from(outbox.last("accountant@romashka.example"))
    response = _confirm(client, users["accountant"].email, code, "password")
    assert response.status_code == 422
    assert "new_password" in response.json["errors"]
    # The code was not spent by the refused attempt.
    assert _confirm(client, users["accountant"].email, code).status_code == 204


def test_bad_input_is_a_clear_422(client):
    assert _request(client, "not-an-address").status_code == 422
    response = client.post("/api/v1/auth/recovery/confirm", json={"email": "a@b.example"})
    assert response.status_code == 422
    assert set(response.json["errors"]) >= {"code", "new_password"}
    assert client.post("/api/v1/auth/recovery", data="{oops",
                       content_type="application/json").status_code in (400, 422)


def test_rate_limited_per_address(make_app, tmp_path):
    app = make_app(RATELIMIT_ENABLED=True, RECOVERY_RATE_LIMIT_PER_ADDRESS="2 per hour",
                   RECOVERY_RATE_LIMIT_PER_SOURCE="100 per hour",
                   MAIL_OUTBOX_DIR=str(tmp_path))
    client = app.test_client()
    answers = [_request(client, "accountant@romashka.example").status_code for _ in range(3)]
    assert answers == [202, 202, 429]
    # Another address from the same source is still served.
    assert _request(client, "admin@romashka.example").status_code == 202


def test_rate_limited_per_source(make_app, tmp_path):
    app = make_app(RATELIMIT_ENABLED=True, RECOVERY_RATE_LIMIT_PER_SOURCE="2 per hour",
                   MAIL_OUTBOX_DIR=str(tmp_path))
    client = app.test_client()
    answers = [_request(client, f"user{i}@romashka.example").status_code for i in range(3)]
    assert answers == [202, 202, 429]


def test_recovery_pages_forgot_then_code_then_signed_in(client, outbox, users):
    page = client.get("/login")
    assert "/login/forgot" in page.get_data(as_text=True)
    response = client.post("/login/forgot", data={"email": users["accountant"].email})
    assert response.status_code == 302 and "/login/reset" in response.headers["Location"]
    code = code_from(outbox.last("accountant@romashka.example"))
    mismatch = client.post("/login/reset", data={
        "email": users["accountant"].email, "code": code, "new_password": NEW_PASSWORD,
        "confirm": "different"})
    assert mismatch.status_code == 200
    response = client.post("/login/reset", data={
        "email": users["accountant"].email, "code": code, "new_password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.get("/api/v1/me").json["email"] == users["accountant"].email


def test_reset_page_shows_a_wrong_code_beside_the_field(client, users):
    response = client.post("/login/reset", data={
        "email": users["accountant"].email, "code": "000000", "new_password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD})
    assert response.status_code == 200
    assert "invalid-feedback" in response.get_data(as_text=True)


def test_mail_is_in_the_users_language(client, outbox, fresh_user):
    _request(client, fresh_user.email)
    russian = outbox.last(fresh_user.email)
    assert russian["Subject"].startswith("Код восстановления пароля")
    assert "Ваш код" in russian.get_body(("plain",)).get_content()
    fresh_user.locale = "en"
    db.session.commit()
    _request(client, fresh_user.email)
    english = outbox.last(fresh_user.email)
    assert english["Subject"].startswith("Password recovery code")
    assert "Your code" in english.get_body(("plain",)).get_content()
    assert code_from(english) in english.get_body(("html",)).get_content()


def test_a_json_array_is_a_422_not_a_500(make_app, tmp_path):
    app = make_app(RATELIMIT_ENABLED=True, MAIL_OUTBOX_DIR=str(tmp_path))
    client = app.test_client()
    assert client.post("/api/v1/auth/recovery", json=["a@b.example"]).status_code == 422
    assert client.post("/login/forgot", data={"email": "x"}).status_code == 200
