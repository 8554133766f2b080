"""Bad input at the edge: a clear 4xx, never a 500, nothing changed."""

import os
import stat

import pytest

from core.config import _instance_secret_key

BIG = 2**31


@pytest.mark.parametrize("url", [f"/api/v1/lines/{BIG}", f"/api/v1/jobs/{BIG * 10**12}",
                                 f"/api/v1/operations/{BIG}", f"/api/v1/users/{BIG}",
                                 f"/lines/{BIG}", f"/hierarchy/nodes/{BIG}"])
def test_ids_past_the_column_answer_404(admin_api, login_as, url):
    client = admin_api.client if url.startswith("/api/") else login_as("admin@romashka.example")
    response = client.get(url, headers=admin_api.headers if url.startswith("/api/") else {})
    assert response.status_code == 404


@pytest.mark.parametrize("query", [f"node_id={BIG}", "q=%00", "node_id=abc", "node_id=7.9",
                                   "per_page=100000"])
def test_bad_query_values_are_422(admin_api, query):
    response = admin_api.client.get(f"/api/v1/lines?{query}", headers=admin_api.headers)
    assert response.status_code == 422, response.get_json()


@pytest.mark.parametrize("line_ids", [[7.9], [True], ["7.5"], [BIG], [0],
                                      list(range(1, 20_002))])
def test_bad_line_id_lists_are_refused(admin_api, line_ids):
    response = admin_api.post("/api/v1/jobs", json={
        "type": "unblock", "params": {}, "line_ids": line_ids, "dry_run": True})
    assert response.status_code == 422, response.get_json()
    assert "line_ids" in response.get_json()["errors"]


def test_nul_in_a_body_string_is_422_and_nothing_is_created(admin_api):
    response = admin_api.post("/api/v1/roles", json={"name": "Bad\u0000name",
                                                    "permissions": ["lines.view"]})
    assert response.status_code == 422
    names = [r["name"] for r in admin_api.get("/api/v1/roles")]
    assert not any("Bad" in n for n in names)


def test_empty_patch_is_refused(admin_api, line_in_sales):
    client, headers = admin_api.client, admin_api.headers
    for kwargs in ({"json": {}}, {}):
        response = client.patch(f"/api/v1/lines/{line_in_sales.id}", headers=headers, **kwargs)
        assert response.status_code == 422, response.get_json()


def test_405_names_the_allowed_methods(admin_api, line_in_sales):
    response = admin_api.client.delete(f"/api/v1/lines/{line_in_sales.id}",
                                       headers=admin_api.headers)
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} >= {"GET", "PATCH"}


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    secure = client.get("/healthz", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_behind_a_tls_proxy_hsts_and_secure_cookie(make_app):
    app = make_app(TRUSTED_PROXIES=1, SESSION_COOKIE_SECURE=True)
    response = app.test_client().get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in response.headers


def test_secret_key_file_is_private_from_the_start(tmp_path, monkeypatch):
    opened = []
    real_open = os.open

    def spy(path, flags, mode=0o777, *args, **kwargs):
        opened.append((str(path), mode))
        return real_open(path, flags, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    old = os.umask(0)
    try:
        key = _instance_secret_key(tmp_path)
    finally:
        os.umask(old)
    # Created with 0600 in the same call that creates it: never readable by others.
    assert (str(tmp_path / "secret_key"), 0o600) in opened
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600 and len(key) == 64
    assert _instance_secret_key(tmp_path) == key


@pytest.mark.parametrize("email", ['=hyperlink("http://x")&"@x.ru"', "a@b", "two@@x.ru",
                                   "x@y.ru\u0000"])
def test_one_email_rule_refuses_formulas_and_junk(admin_api, email):
    response = admin_api.post("/api/v1/users", json={"email": email, "name": "Формула"})
    assert response.status_code == 422
    users = admin_api.get("/api/v1/users")
    assert not any("hyperlink" in u["email"] for u in users)
