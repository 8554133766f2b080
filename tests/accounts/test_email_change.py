"""E-mail change: a code goes to the new address; nothing changes until it is confirmed."""

from auth.models import User
from core.extensions import db
from tests.accounts.conftest import code_from
from tests.conftest import PASSWORD


def test_code_to_the_new_address_then_the_change(client, fresh_user, api_token, outbox):
    headers = api_token(fresh_user.email)
    old_email = fresh_user.email
    new_email = "new." + old_email
    response = client.post("/api/v1/me/email", json={"new_email": new_email.upper()},
                           headers=headers)
    assert response.status_code == 202
    assert response.json == {"email": old_email, "pending_email": new_email}
    assert db.session.get(User, fresh_user.id).email == old_email
    code = code_from(outbox.last(new_email))
    assert outbox.messages(old_email) == []
    wrong = client.post("/api/v1/me/email/confirm", json={"code": "000000"}, headers=headers)
    assert wrong.status_code == 422
    done = client.post("/api/v1/me/email/confirm", json={"code": code}, headers=headers)
    assert done.status_code == 200 and done.json["email"] == new_email
    assert client.post("/api/v1/auth/token", json={"email": new_email,
                                                   "password": PASSWORD}).status_code == 201


def test_taken_or_invalid_addresses_are_refused(client, fresh_user, users, api_token, outbox):
    headers = api_token(fresh_user.email)
    taken = client.post("/api/v1/me/email", json={"new_email": users["admin"].email},
                        headers=headers)
    assert taken.status_code == 409
    invalid = client.post("/api/v1/me/email", json={"new_email": "not an address"},
                          headers=headers)
    assert invalid.status_code == 422 and "new_email" in invalid.json["errors"]
    assert outbox.messages() == []


def test_email_page_two_steps(client, fresh_user, login_as, outbox):
    login_as(fresh_user.email)
    new_email = "page." + fresh_user.email
    response = client.post("/account/email", data={"step": "request", "new-new_email": new_email})
    assert response.status_code == 302
    page = client.get("/account/email").get_data(as_text=True)
    assert new_email in page
    code = code_from(outbox.last(new_email))
    done = client.post("/account/email", data={"step": "confirm", "confirm-code": code})
    assert done.status_code == 302
    assert db.session.get(User, fresh_user.id).email == new_email
