"""Own sessions: browser sessions and API tokens listed, ended; a notice for a new device."""

from tests.conftest import PASSWORD

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/120.0.0.0 Safari/537.36")


def _token(app, email, user_agent=CHROME):
    response = app.test_client().post("/api/v1/auth/token",
                                      json={"email": email, "password": PASSWORD},
                                      headers={"User-Agent": user_agent})
    assert response.status_code == 201
    return {"Authorization": f"Bearer {response.json['token']}", "User-Agent": user_agent}


def test_list_shows_browser_sessions_and_tokens_with_the_current_marked(app, client, fresh_user,
                                                                         outbox):
    client.post("/login", data={"email": fresh_user.email, "password": PASSWORD},
                headers={"User-Agent": FIREFOX})
    headers = _token(app, fresh_user.email)
    rows = app.test_client().get("/api/v1/me/sessions", headers=headers).json
    assert {r["kind"] for r in rows} == {"browser", "api_token"}
    current = [r for r in rows if r["current"]]
    assert len(current) == 1 and current[0]["kind"] == "api_token"
    browser = next(r for r in rows if r["kind"] == "browser")
    assert browser["device"] == "Firefox 128 · Windows"
    assert browser["ip"] == "127.0.0.1" and browser["started_at"] and browser["last_seen_at"]
    # The browser's own view marks the browser session as current.
    page_rows = client.get("/api/v1/me/sessions").json
    assert next(r for r in page_rows if r["current"])["kind"] == "browser"
    # The session id shown is not the cookie's secret.
    with client.session_transaction() as flask_session:
        assert flask_session["sid"] not in str(rows)


def test_end_one_session(app, client, fresh_user):
    client.post("/login", data={"email": fresh_user.email, "password": PASSWORD})
    headers = _token(app, fresh_user.email)
    api = app.test_client()
    browser = next(r for r in api.get("/api/v1/me/sessions", headers=headers).json
                   if r["kind"] == "browser")
    assert api.delete(f"/api/v1/me/sessions/{browser['id']}", headers=headers).status_code == 204
    assert client.get("/api/v1/me").status_code == 401  # the browser is signed out
    assert [r["kind"] for r in api.get("/api/v1/me/sessions", headers=headers).json] == [
        "api_token"]


def test_another_users_session_is_404_and_stays(app, fresh_user, users):
    mine = _token(app, fresh_user.email)
    theirs = _token(app, users["accountant"].email)
    api = app.test_client()
    their_rows = api.get("/api/v1/me/sessions", headers=theirs).json
    for row in their_rows:
        assert api.delete(f"/api/v1/me/sessions/{row['id']}", headers=mine).status_code == 404
    assert api.delete("/api/v1/me/sessions/nonsense", headers=mine).status_code == 404
    assert api.get("/api/v1/me", headers=theirs).status_code == 200


def test_end_all_others_keeps_the_current_one(app, client, fresh_user):
    client.post("/login", data={"email": fresh_user.email, "password": PASSWORD})
    first = _token(app, fresh_user.email)
    second = _token(app, fresh_user.email, FIREFOX)
    api = app.test_client()
    ended = api.delete("/api/v1/me/sessions", headers=second)
    assert ended.status_code == 200 and ended.json["ended"] == 2
    assert api.get("/api/v1/me", headers=first).status_code == 401
    assert client.get("/api/v1/me").status_code == 401
    assert api.get("/api/v1/me", headers=second).status_code == 200


def test_sessions_page_ends_others(app, client, fresh_user):
    client.post("/login", data={"email": fresh_user.email, "password": PASSWORD})
    other = _token(app, fresh_user.email, FIREFOX)
    page = client.get("/account/sessions").get_data(as_text=True)
    assert "Firefox 128 · Windows" in page and 'data-testid="end-others"' in page
    response = client.post("/account/sessions/end-others")
    assert response.status_code == 302
    assert app.test_client().get("/api/v1/me", headers=other).status_code == 401
    assert client.get("/account/sessions").status_code == 200


def test_sign_in_from_a_new_device_sends_a_notice(app, client, fresh_user, outbox):
    _token(app, fresh_user.email, CHROME)  # the first sign-in ever: nothing to compare with
    assert outbox.messages(fresh_user.email) == []
    _token(app, fresh_user.email, CHROME.replace("120.0.0.0", "121.0.0.0"))  # an update
    assert outbox.messages(fresh_user.email) == []
    client.post("/login", data={"email": fresh_user.email, "password": PASSWORD},
                headers={"User-Agent": FIREFOX})
    notice = outbox.last(fresh_user.email)
    assert "Firefox 128 · Windows" in notice.get_body(("plain",)).get_content()
    assert notice.get_body(("html",)) is not None
