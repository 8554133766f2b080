"""Browser: a global administrator delegates one department to a new employee."""

import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from core.extensions import db
from corp.models import Line
from tests.conftest import browser_login
from tests.factories import node_named


def test_custom_role_on_one_department_shows_only_its_lines(page, live_server):
    with live_server.app.app_context():
        department = node_named(1, "Казань", "ИТ")
        node_id = department.id
        expected = db.session.scalar(select(func.count()).select_from(Line)
                                     .where(Line.node_id == node_id))
        db.session.remove()
    browser_login(page, "admin@romashka.example")
    page.goto("/admin/roles/new")
    page.fill("[data-testid=role-name]", "Казанский ИТ")
    page.check("[data-permission='lines.view']")
    page.check("[data-permission='lines.block']")
    page.click("[data-testid=role-save]")
    page.wait_for_url(re.compile(r".*/admin/roles/\d+$"))
    checked = page.locator("[data-testid=role-permissions] input:checked")
    assert sorted(checked.evaluate_all("els => els.map(e => e.value)")) == [
        "lines.block", "lines.view"]

    page.goto("/admin/users/new")
    page.fill("input[name=email]", "kazan.it@romashka.example")
    page.fill("input[name=name]", "Ильин Марат")
    page.click("[data-testid=user-create]")
    temporary = page.text_content("[data-testid=temporary-password]").strip()
    page.click("[data-testid=user-open]")
    page.select_option("[data-testid=assign-role]", label="Казанский ИТ")
    page.select_option("[data-testid=assign-node]", value=str(node_id))
    page.click("[data-testid=assign-submit]")
    row = page.locator("[data-testid=assignment-row]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Казань / ИТ")
    page.click("[data-testid=logout]")

    browser_login(page, "kazan.it@romashka.example", temporary)
    page.wait_for_url("**/account/password")
    page.fill("input[name=current_password]", temporary)
    page.fill("input[name=new_password]", "Kazan-IT-pass-2026")
    page.fill("input[name=confirm]", "Kazan-IT-pass-2026")
    page.click("main button[type=submit]")
    page.wait_for_url("**/dashboard")
    page.goto("/lines?per_page=200")
    assert page.text_content("[data-testid=lines-total]").split()[-1] == str(expected)
    departments = page.locator("[data-testid=lines-table] tbody tr td:nth-child(3)")
    assert {" ".join(t.split()) for t in departments.all_text_contents()} == {"Казань / ИТ"}
    # The administration is not theirs.
    assert page.goto("/admin/users").status == 403
