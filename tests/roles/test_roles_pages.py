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


def test_role_page_shows_ticked_categories_and_edits(login_as):
    client = login_as(ADMIN)
    made = client.post("/admin/roles/new", data={"name": "Pages role",
                                                 "permissions": ["lines.view", "lines.sms"]})
    assert made.status_code == 302
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert 'value="lines.sms" id="perm-5"\n               checked' in page or \
        page.count("checked") == 2


def test_user_created_on_page_shows_password_once(login_as):
    client = login_as(ADMIN)
    page = client.post("/admin/users/new", data={"email": "page.user@romashka.example",
                                                 "name": "Страничный"}).get_data(as_text=True)
    assert 'data-testid="temporary-password"' in page
    bad = client.post("/admin/users/new", data={"email": "page.user@romashka.example",
                                                "name": "Again"})
    assert "already in use" in bad.get_data(as_text=True)


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
