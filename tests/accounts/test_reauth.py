"""Re-authentication: sensitive changes need the password (and code) in the last 10 minutes."""

import hashlib
from datetime import timedelta

from sqlalchemy import select

from auth.models import ApiToken, UserSession
from core.db import utcnow
from core.extensions import db
from corp.models import BillingAccount
from roles.models import Role
from tests.accounts.conftest import enrol_totp, totp_code
from tests.conftest import PASSWORD


def _age_token(headers, minutes=11):
    digest = hashlib.sha256(headers["Authorization"][7:].encode()).hexdigest()
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    row.reauth_at = utcnow() - timedelta(minutes=minutes)
    db.session.commit()


def _age_browser_sessions(user, minutes=11):
    for row in db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)):
        row.reauth_at = utcnow() - timedelta(minutes=minutes)
    db.session.commit()


def test_signing_in_counts_for_ten_minutes_then_reauth_renews_it(client, fresh_user, api_token):
    headers = api_token(fresh_user.email)
    _age_token(headers, minutes=9)
    assert client.post("/api/v1/me/totp", headers=headers).status_code == 201
    _age_token(headers, minutes=11)
    refused = client.post("/api/v1/me/totp", headers=headers)
    assert refused.status_code == 401 and refused.json["code"] == "reauth_required"
    wrong = client.post("/api/v1/me/reauth", json={"password": "not-it"}, headers=headers)
    assert wrong.status_code == 422 and "password" in wrong.json["errors"]
    assert client.post("/api/v1/me/reauth", json={"password": PASSWORD},
                       headers=headers).status_code == 204
    assert client.post("/api/v1/me/totp", headers=headers).status_code == 201


def test_reauth_with_two_factor_needs_the_code(client, fresh_user, api_token):
    headers = api_token(fresh_user.email)
    secret, _codes = enrol_totp(client, headers)
    _age_token(headers)
    no_code = client.post("/api/v1/me/reauth", json={"password": PASSWORD}, headers=headers)
    assert no_code.status_code == 401 and no_code.json["code"] == "otp_required"
    done = client.post("/api/v1/me/reauth", json={"password": PASSWORD,
                                                  "otp": totp_code(secret, 1)}, headers=headers)
    assert done.status_code == 204


def test_disabling_two_factor_needs_recent_auth(client, fresh_user, api_token):
    headers = api_token(fresh_user.email)
    secret, _codes = enrol_totp(client, headers)
    _age_token(headers)
    refused = client.delete("/api/v1/me/totp", json={"password": PASSWORD,
                                                     "code": totp_code(secret, 1)},
                            headers=headers)
    assert refused.status_code == 401 and refused.json["code"] == "reauth_required"


def test_email_change_needs_recent_auth(client, fresh_user, api_token):
    headers = api_token(fresh_user.email)
    _age_token(headers)
    refused = client.post("/api/v1/me/email", json={"new_email": "new.me@romashka.example"},
                          headers=headers)
    assert refused.status_code == 401 and refused.json["code"] == "reauth_required"


def test_granting_global_administrator_needs_recent_auth(client, users, fresh_user, api_token):
    headers = api_token(users["admin"].email)
    role = db.session.scalar(select(Role).where(Role.key == "global_admin"))
    _age_token(headers)
    url = f"/api/v1/users/{fresh_user.id}/assignments"
    refused = client.post(url, json={"role_id": role.id}, headers=headers)
    assert refused.status_code == 401 and refused.json["code"] == "reauth_required"
    client.post("/api/v1/me/reauth", json={"password": PASSWORD}, headers=headers)
    assert client.post(url, json={"role_id": role.id}, headers=headers).status_code == 201


def test_changing_the_settlement_method_needs_recent_auth(client, users, api_token):
    headers = api_token(users["admin"].email)
    account = db.session.scalar(select(BillingAccount).where(
        BillingAccount.company_id == 1, BillingAccount.settlement_method == "advance")
        .order_by(BillingAccount.id))
    _age_token(headers)
    url = f"/api/v1/billing-accounts/{account.id}/operations"
    body = {"type": "settlement_method_set", "params": {"method": "credit"}}
    refused = client.post(url, json=body, headers=headers)
    assert refused.status_code == 401 and refused.json["code"] == "reauth_required"
    client.post("/api/v1/me/reauth", json={"password": PASSWORD}, headers=headers)
    assert client.post(url, json=body, headers=headers).status_code == 202


def test_pages_ask_for_the_password_and_return_to_the_action(client, fresh_user, login_as):
    login_as(fresh_user.email)
    _age_browser_sessions(fresh_user)
    response = client.post("/account/two-factor", data={"action": "start"},
                           headers={"Referer": "http://localhost/account/two-factor"})
    assert response.status_code == 302
    assert "/account/confirm" in response.headers["Location"]
    form = client.get(response.headers["Location"])
    assert 'name="password"' in form.get_data(as_text=True)
    wrong = client.post(response.headers["Location"], data={"password": "nope-nope"})
    assert wrong.status_code == 200 and "invalid-feedback" in wrong.get_data(as_text=True)
    done = client.post(response.headers["Location"], data={"password": PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].endswith("/account/two-factor")
    assert client.post("/account/two-factor", data={"action": "start"}).status_code == 302
    assert "<svg" in client.get("/account/two-factor").get_data(as_text=True)


def test_granting_global_administrator_on_the_page_asks_for_the_password(
    client, users, fresh_user, login_as
):
    login_as(users["admin"].email)
    _age_browser_sessions(users["admin"])
    role = db.session.scalar(select(Role).where(Role.key == "global_admin"))
    user_page = f"http://localhost/admin/users/{fresh_user.id}"
    response = client.post(f"/admin/users/{fresh_user.id}/assignments",
                           data={"role_id": role.id, "node_id": ""},
                           headers={"Referer": user_page})
    assert response.status_code == 302
    assert "/account/confirm" in response.headers["Location"]
    done = client.post(response.headers["Location"], data={"password": PASSWORD})
    assert done.headers["Location"].endswith(f"/admin/users/{fresh_user.id}")
    again = client.post(f"/admin/users/{fresh_user.id}/assignments",
                        data={"role_id": role.id, "node_id": ""})
    assert again.status_code == 302 and "/account/confirm" not in again.headers["Location"]
    from roles.users import is_global_admin

    assert is_global_admin(fresh_user)
