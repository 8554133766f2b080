"""In a real headless Chromium: the accountant downloads the expenses report and a VAT
invoice; the dashboard shows its charts."""

import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def _last_two_months():
    first_of_this = date.today().replace(day=1)
    last = first_of_this - timedelta(days=1)
    before = (last.replace(day=1) - timedelta(days=1)).replace(day=1)
    return before, last


def test_accountant_downloads_expenses_and_a_vat_invoice(page):
    browser_login(page, "accountant@romashka.example")
    page.get_by_role("link", name=re.compile("^(Отчёты|Reports)$")).first.click()
    start, end = _last_two_months()
    page.select_option("#report-type", "expenses")
    page.fill("#report-from", start.isoformat())
    page.fill("#report-to", end.isoformat())
    page.get_by_test_id("report-show").click()
    expect(page.get_by_test_id("report-title")).to_be_visible()
    page_total = page.get_by_test_id("total-row").first.locator("td").last.inner_text()

    with page.expect_download() as download:
        page.get_by_test_id("download-xlsx").click()
    # openpyxl goes by the file name's extension; the download's temporary file has none.
    with open(download.value.path(), "rb") as file:
        sheet = load_workbook(io.BytesIO(file.read())).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    file_total = rows[-1][-1]
    assert sum(float(r[-1]) for r in rows[1:-1]) == pytest.approx(float(file_total))
    # The page shows the same total, formatted for the locale (1 234,56 ₽).
    digits = re.sub(r"[^\d,]", "", page_total).replace(",", ".")
    assert float(digits) == pytest.approx(float(file_total))

    page.get_by_role("link", name=re.compile("^(Финансы|Finance)$")).first.click()
    page.locator("[data-testid^=documents-]").first.click()
    link = page.locator("[data-testid^=pdf-vat_invoice-]").first
    with page.expect_download() as download:
        link.click()
    reader = PdfReader(download.value.path())
    text = reader.pages[0].extract_text()
    assert "Счёт-фактура" in text and "ООО «Ромашка»" in text


def test_dashboard_shows_its_charts(page):
    browser_login(page, "accountant@romashka.example")
    charts = page.get_by_test_id("charts")
    expect(charts).to_be_visible()
    for name in ("spend_by_branch", "trend", "top_lines", "idle_lines", "saving"):
        image = page.get_by_test_id(f"chart-{name}")
        expect(image).to_be_visible()
        page.wait_for_function(
            "el => el.complete && el.naturalWidth > 0", arg=image.element_handle())
