"""In Chromium: block a line from its card; run a bulk service change on a department and
watch the progress bar finish."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import browser_login

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True, scope="module")
def _close_background_connections(live_server):
    """The background runner's pooled connections are closed when these tests end."""
    yield
    from core.extensions import db

    with live_server.app.app_context():
        db.engine.dispose()


def _first_active_line(live_server, *path):
    from core.extensions import db
    from corp.models import Line
    from tests.factories import node_named

    with live_server.app.app_context():
        node = node_named(1, *path)
        line_id = db.session.scalar(select(Line.id).where(
            Line.node_id == node.id, Line.status == "active").order_by(Line.id))
        db.session.remove()
        return node.id, line_id


def test_block_a_line_from_its_card(page, live_server):
    _, line_id = _first_active_line(live_server, "Казань", "Логистика")
    browser_login(page, "admin@romashka.example")
    page.goto(f"/lines/{line_id}")
    expect(page.get_by_test_id("line-status").locator("[data-status]")).to_have_attribute(
        "data-status", "active")
    block = page.get_by_test_id("op-block")
    block.get_by_test_id("block-kind").select_option("loss")
    block.get_by_test_id("block-submit").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.get_by_test_id("line-status").locator("[data-status]")).to_have_attribute(
        "data-status", "blocked")
    expect(page.get_by_test_id("line-history")).to_contain_text(re.compile("Blocked|Заблок"))
    page.get_by_test_id("unblock").click()
    expect(page.get_by_test_id("line-status").locator("[data-status]")).to_have_attribute(
        "data-status", "active")


def test_bulk_service_change_on_a_department_with_progress(page, live_server):
    node_id, _ = _first_active_line(live_server, "Санкт-Петербург", "Бухгалтерия")
    live_server.app.config["OPERATOR_GATEWAY_DELAY"] = 0.03  # asynchrony made visible
    # The in-process executor, even where CELERY_BROKER_URL is set for the Celery tests.
    live_server.app.config["OPERATIONS_EXECUTOR"] = "thread"
    try:
        browser_login(page, "admin@romashka.example")
        page.goto(f"/lines?node_id={node_id}")
        page.get_by_test_id("job-all").click()
        page.get_by_test_id("job-type").select_option("service_add")
        page.get_by_test_id("job-service-service_add").select_option("conference")
        page.get_by_test_id("job-preview").click()
        expect(page.get_by_test_id("preview-summary")).to_be_visible()
        page.get_by_test_id("job-run").click()
        expect(page).to_have_url(re.compile(r"/operations/jobs/\d+$"))
        bar = page.get_by_test_id("job-progress")
        expect(bar).to_be_visible()
        expect(bar).to_have_attribute("data-status", "done", timeout=60_000)
        expect(bar).to_have_attribute("aria-valuenow", "100")
        expect(page.locator("[data-count=remaining]")).to_have_text("0")
    finally:
        live_server.app.config["OPERATOR_GATEWAY_DELAY"] = 0


def test_tick_lines_on_the_list_and_preview(page, live_server):
    node_id, _ = _first_active_line(live_server, "Казань", "ИТ")
    browser_login(page, "admin@romashka.example")
    page.goto(f"/lines?node_id={node_id}")
    boxes = page.locator("input[data-line-select]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_test_id("job-ticked").click()
    expect(page.get_by_test_id("job-selection")).to_contain_text("2")
    page.get_by_test_id("job-type").select_option("sms_send")
    page.locator("fieldset[data-type=sms_send] textarea").fill("Совещание в 15:00")
    page.get_by_test_id("job-preview").click()
    expect(page.get_by_test_id("preview-summary")).to_contain_text("2")
