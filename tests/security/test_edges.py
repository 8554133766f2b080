"""CSRF follows what authenticated the request; every ``next`` stays on the site."""

import pytest

from core.redirects import is_safe_next


@pytest.fixture
def csrf_client(make_app):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/login", data={"email": "admin@romashka.example",
                                           "password": "Demo-pass-2026", "csrf_token": token})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize("header,status", [
    ("Basic YWRtaW46eA==", 400), ("x", 400),
    ("Bearer not-a-real-token", 401),  # a bad token is no identity at all, not the cookie's
])
def test_cookie_write_with_a_non_token_authorization_header_needs_csrf(csrf_client, header,
                                                                        status):
    response = csrf_client.post("/api/v1/roles", headers={"Authorization": header},
                                json={"name": "CSRF", "permissions": ["lines.view"]})
    assert response.status_code == status
    if status == 400:
        assert "CSRF" in response.json["message"]
    assert csrf_client.get("/api/v1/roles").json  # still signed in, nothing created
    assert "CSRF" not in [r["name"] for r in csrf_client.get("/api/v1/roles").json]


def test_a_real_bearer_token_needs_no_csrf(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"email": "admin@romashka.example",
                                                   "password": "Demo-pass-2026"}).json["token"]
    response = client.post("/api/v1/roles", headers={"Authorization": f"Bearer {token}"},
                           json={"name": "Via token", "permissions": ["lines.view"]})
    assert response.status_code == 201


@pytest.mark.parametrize("target", [
    "/\t/evil.example", "/\n/evil.example", "/\\evil.example", "//evil.example",
    "https://evil.example/", "/ /evil.example", "javascript:alert(1)", "", None, "\\\\evil",
])
def test_unsafe_next_targets_go_to_the_dashboard(client, target):
    assert not is_safe_next(target)
    response = client.post("/language", data={"locale": "en", "next": target or ""})
    assert response.status_code == 302
    assert response.location.endswith("/dashboard")


def test_same_site_next_is_kept(client):
    assert is_safe_next("/lines?q=916")
    response = client.post("/language", data={"locale": "en", "next": "/lines?q=916"})
    assert response.location.endswith("/lines?q=916")
