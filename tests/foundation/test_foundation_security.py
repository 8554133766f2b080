"""CSRF on forms and on cookie-authenticated API writes; secure cookies over HTTPS."""

import pytest


@pytest.fixture
def csrf_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


def test_login_form_without_csrf_token_is_refused(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/login", data={"email": "admin@romashka.example",
                                           "password": "Demo-pass-2026"})
    assert response.status_code == 400


def test_logout_without_csrf_token_is_refused(csrf_app):
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/login", data={"email": "admin@romashka.example",
                                           "password": "Demo-pass-2026", "csrf_token": token})
    assert response.status_code == 302
    assert client.post("/logout").status_code == 400
    assert client.get("/dashboard").status_code == 200  # still signed in


def test_cookie_authenticated_api_write_needs_the_csrf_header(csrf_app):
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"email": "admin@romashka.example",
                                "password": "Demo-pass-2026", "csrf_token": token})
    response = client.post("/api/v1/me/password", json={"current_password": "x",
                                                         "new_password": "y"})
    assert response.status_code == 400
    assert "CSRF" in response.json["message"]


def test_cookie_is_secure_when_configured(make_app):
    app = make_app(SESSION_COOKIE_SECURE=True)
    response = app.test_client().post("/login", data={"email": "admin@romashka.example",
                                                      "password": "Demo-pass-2026"})
    assert "Secure" in response.headers["Set-Cookie"]
