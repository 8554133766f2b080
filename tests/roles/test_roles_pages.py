"""The administration pages render and act for a global administrator."""

from sqlalchemy import select

from core.extensions import db
from roles.models import Role

ADMIN = "admin@romashka.example"


def test_admin_pages_render(login_as, users):
    client = login_as(ADMIN)
    ga = db.session.scalar(select(Role.id).where(Role.key == "global_admin"))
    for url in ("/admin/users", "/admin/users/new", f"/admin/users/{users['sales_head'].id}",
                "/admin/roles", "/admin/roles/new", f"/admin/roles/{ga}", "/admin/access",
                f"/admin/access/users/{users['sales_head'].id}", "/admin/access/lines/1",
                "/admin/audit", "/admin/audit.csv"):
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.data[-800:])


def test_predefined_role_names_are_translated(login_as):
    client = login_as(ADMIN)
    client.post("/language", data={"locale": "en"})
    page = client.get("/admin/roles").get_data(as_text=True)
    assert "Global administrator" in page and "Line operator" in page


def _ticked(page: str) -> set[str]:
    """The permission names whose checkbox is checked on a role page."""
    import re

    return {m.group(2) for m in re.finditer(
        r'<input[^>]*?(checked)?[^>]*data-permission="([^"]+)"', page, re.S) if
        "checked" in m.group(0)}


def test_role_page_shows_ticked_categories_and_edits(login_as):
    client = login_as(ADMIN)
    made = client.post("/admin/roles/new", data={"name": "Pages role",
                                                 "permissions": ["lines.view", "lines.sms"]})
    assert made.status_code == 302
    url = made.headers["Location"]
    assert _ticked(client.get(url).get_data(as_text=True)) == {"lines.view", "lines.sms"}
    client.post(url, data={"name": "Pages role", "permissions": ["lines.view", "reports.view"]})
    assert _ticked(client.get(url).get_data(as_text=True)) == {"lines.view", "reports.view"}
    line_operator = db.session.scalar(select(Role.id).where(Role.key == "line_operator"))
    page = client.get(f"/admin/roles/{line_operator}").get_data(as_text=True)
    assert "lines.block" in _ticked(page) and "users.manage" not in _ticked(page)
    assert 'data-testid="role-save"' not in page  # predefined: read-only


def test_user_created_on_page_shows_password_once(login_as):
    client = login_as(ADMIN)
    page = client.post("/admin/users/new", data={"email": "page.user@romashka.example",
                                                 "name": "Страничный"}).get_data(as_text=True)
    assert 'data-testid="temporary-password"' in page
    bad = client.post("/admin/users/new", data={"email": "page.user@romashka.example",
                                                "name": "Again"})
    assert "уже используется" in bad.get_data(as_text=True)  # default locale: ru


def test_operator_staff_onboard_on_the_page(login_as):
    client = login_as("staff@operator.example")
    assert client.get("/operator/companies").status_code == 200
    bad = client.post("/operator/companies/new", data={"name": "X", "inn": "123"})
    assert bad.status_code == 422
    good = client.post("/operator/companies/new", data={
        "name": "ООО «Страница»", "inn": "7707083893", "kpp": "773601001",
        "ogrn": "1027700132195", "contract_number": "PG-1",
        "admin_email": "boss@page.example", "admin_name": "Босс"})
    assert good.status_code == 200 and "temporary-password" in good.get_data(as_text=True)
    assert client.get("/admin/users").status_code == 403


def test_disabling_on_the_page_ends_the_users_session(app, login_as, users):
    victim = app.test_client()
    assert victim.post("/login", data={"email": "sales.head@romashka.example",
                                       "password": "Demo-pass-2026"}).status_code == 302
    assert victim.get("/lines").status_code == 200
    admin = login_as(ADMIN)
    answer = admin.post(f"/admin/users/{users['sales_head'].id}/active", data={"active": "0"})
    assert answer.status_code == 302
    assert victim.get("/lines").status_code == 302  # back to the sign-in page
    page = admin.get(f"/admin/users/{users['sales_head'].id}").get_data(as_text=True)
    assert 'data-testid="user-enable"' in page


def test_refusal_on_the_page_is_explained_and_audited(login_as, users):
    client = login_as(ADMIN)
    answer = client.post(f"/admin/users/{users['admin'].id}/active", data={"active": "0"},
                         follow_redirects=True)
    assert "Нельзя отключить собственную учётную запись" in answer.get_data(as_text=True)
    csv = client.get("/admin/audit.csv?action=user.disable").get_data(as_text=True)
    assert csv.splitlines()[0].lstrip("\ufeff").startswith("created_at,actor_email,ip,action")
    assert "user.disable,denied" in csv


def test_audit_filters_by_line_and_period(client, api_token):
    from datetime import date

    from core.audit import record
    from corp.models import Line

    line = db.session.scalar(select(Line).where(Line.company_id == 1).limit(1))
    record("line.test_event", company_id=1, line_id=line.id, object_type="line",
           object_id=line.id, after={"x": 1})
    db.session.commit()
    h = api_token(ADMIN)
    today = date.today().isoformat()
    found = client.get(f"/api/v1/audit?line=%2B7{line.msisdn}&date_from={today}"
                       f"&date_to={today}", headers=h).json
    assert [e["action"] for e in found["items"]] == ["line.test_event"]
    assert client.get("/api/v1/audit?line=abc", headers=h).status_code == 422
    assert client.get("/api/v1/audit?line=%2B7" + line.msisdn + "&date_from=2000-01-01"
                      "&date_to=2000-01-02", headers=h).json["total"] == 0
