"""In a real headless Chromium: drag a department to another branch; scoped users feel it."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.extensions import db
from hierarchy.models import Node
from tests.conftest import browser_login
from tests.factories import make_user, node_named

pytestmark = pytest.mark.browser


def _lines_total(page) -> int:
    page.goto("/lines")
    text = page.get_by_test_id("lines-total").inner_text()
    return int(re.search(r"\d+", text.replace("\xa0", "")).group())


def test_drag_a_department_to_another_branch(browser, live_server):
    with live_server.app.app_context():
        moscow, kazan = node_named(1, "Москва"), node_named(1, "Казань")
        viewer_msk = make_user(1, role="viewer", node=moscow).email
        viewer_kzn = make_user(1, role="viewer", node=kazan).email
        board = node_named(1, "Москва", "Руководство")
        board_id, moscow_id = board.id, moscow.id
        db.session.commit()

    def totals():
        out = []
        for email in (viewer_msk, viewer_kzn):
            context = browser.new_context(base_url=live_server.url, locale="ru-RU")
            page = context.new_page()
            browser_login(page, email)
            expect(page).to_have_url(re.compile(r"/dashboard$"))
            out.append(_lines_total(page))
            context.close()
        return out

    msk_before, kzn_before = totals()
    context = browser.new_context(base_url=live_server.url, locale="ru-RU")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        browser_login(page, "admin@romashka.example")
        page.goto("/hierarchy")
        page.get_by_test_id("expand-all").click()
        source = page.locator(f"li[data-node-id='{board_id}'] > details > summary")
        target = page.locator("li[data-name='Казань'] > details > summary")
        source.drag_to(target)
        kazan_item = page.locator("li[data-name='Казань']")
        expect(kazan_item.locator(f"li[data-node-id='{board_id}']")).to_have_count(1)
        with live_server.app.app_context():
            moved = db.session.scalar(select(Node).where(Node.id == board_id))
            assert moved.parent_id == node_named(1, "Казань").id
        msk_after, kzn_after = totals()
        assert msk_after < msk_before
        assert kzn_after - kzn_before == msk_before - msk_after

        # A move into its own sub-node is refused with a message, nothing changes.
        page.goto("/hierarchy")
        page.get_by_test_id("expand-all").click()
        page.locator("li[data-name='Казань'] > details > summary").drag_to(
            page.locator(f"li[data-node-id='{board_id}'] > details > summary"))
        expect(page.get_by_test_id("tree-message")).to_contain_text("Казань")
    finally:
        # Put the department back for the other browser tests sharing this server.
        page.goto("/hierarchy")
        page.get_by_test_id("expand-all").click()
        page.locator(f"li[data-node-id='{board_id}'] > details > summary").drag_to(
            page.locator(f"li[data-node-id='{moscow_id}'] > details > summary"))
        expect(page.locator(f"li[data-node-id='{moscow_id}'] li[data-node-id='{board_id}']")
               ).to_have_count(1)
        context.close()
