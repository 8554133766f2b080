"""In a real headless Chromium: the accountant opens a line card, picks a period in its
call-detail section, reads the table and its totals, turns a page, downloads the CSV and
sends the detail to their e-mail; the section passes axe-core (WCAG 2.1 AA), the keyboard
checks and the phone width."""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.a11y.crawl import CrawlReport, axe_source, check_page
from tests.conftest import browser_login

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def busy_line(live_server):
    """A line of the demo company with 55 outgoing calls in a month of its own (March 2025,
    before the demo's usage), 2 ₽ each."""
    from core.extensions import db
    from corp.models import Line, UsageRecord

    with live_server.app.app_context():
        line = db.session.scalar(select(Line).where(Line.company_id == 1,
                                                    Line.status == "active")
                                 .order_by(Line.id.desc()))
        start = datetime(2025, 3, 3, 9, tzinfo=UTC)
        for i in range(55):
            db.session.add(UsageRecord(line_id=line.id, occurred_at=start + timedelta(hours=i),
                                       kind="call", quantity=61, direction="out",
                                       counterpart=f"91600001{i:02d}", amount=Decimal("2.00")))
        db.session.commit()
        return line.id


def test_accountant_uses_the_call_detail_section_of_the_line_card(page, live_server,
                                                                   busy_line):
    browser_login(page, "accountant@romashka.example")
    page.goto(f"/lines/{busy_line}")
    section = page.get_by_test_id("call-detail-section")
    expect(section).to_be_visible()
    page.fill("#cd-from", date(2025, 3, 1).isoformat())
    page.fill("#cd-to", date(2025, 3, 31).isoformat())
    page.get_by_test_id("call-detail-open").click()
    expect(page.get_by_test_id("usage-count")).to_have_text("55")
    expect(page.get_by_test_id("usage-records").locator("tbody tr")).to_have_count(50)
    amount = page.get_by_test_id("usage-total-amount").inner_text()
    assert re.sub(r"[^\d,]", "", amount) == "110,00"

    # The section passes the accessibility checks, filled in.
    report = CrawlReport("accountant")
    check_page(page, report, page.url, axe_source())
    assert report.problems == []

    page.get_by_test_id("call-detail-pager").get_by_role("link", name="2").click()
    expect(page.get_by_test_id("usage-records").locator("tbody tr")).to_have_count(5)

    with page.expect_download() as download:
        page.get_by_test_id("call-detail-csv").click()
    with open(download.value.path(), encoding="utf-8-sig") as file:
        rows = list(csv.reader(io.StringIO(file.read())))
    assert len(rows) == 1 + 55 + 1
    assert Decimal(rows[-1][-1]) == Decimal("110.00")

    page.get_by_test_id("send-call-detail").click()
    expect(page.locator(".alert-success")).to_contain_text("accountant@romashka.example")
    expect(page.get_by_test_id("call-detail-section")).to_be_visible()
    assert "#call-detail" in page.url
