"""Done when (issue 8): the accountant demo user downloads every report in every format and
the financial documents of the demo company, through the API and the pages, and the numbers
reconcile — the expenses with the invoices, the payments report with the statements, the
call detail with the line's usage, every file's total with the sum of its rows."""

import csv
import io
import re
import zipfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from openpyxl import load_workbook
from sqlalchemy import func, select

from core.extensions import db
from corp.billing import rating
from corp.billing.models import MonthClose
from corp.models import BillingAccount, Line, UsageRecord
from corp.reports.builders import REPORT_TYPES
from tests.billing.conftest import pdf_text

ACCOUNTANT = "accountant@romashka.example"
COMPANY = "ООО «Ромашка»"


def _money(text) -> D:
    return D(str(text).lstrip("'"))


def _csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _xlsx(data: bytes) -> list[list]:
    return [list(r) for r in load_workbook(io.BytesIO(data)).active.iter_rows(
        values_only=True)]


def test_the_accountant_downloads_every_report_and_document_and_they_reconcile(
        client, api_token, login_as):
    headers = api_token(ACCOUNTANT)
    months = sorted(db.session.scalars(select(MonthClose.period).distinct().where(
        MonthClose.company_id == 1)))
    first = f"{months[0]}-01"
    last = (rating.parse_period(months[-1])[1] - timedelta(days=1)).isoformat()
    since = rating.parse_period(months[0])[0]
    line_id = db.session.scalar(select(UsageRecord.line_id).join(Line).where(
        Line.company_id == 1,
        UsageRecord.occurred_at >= datetime(since.year, since.month, 1, tzinfo=UTC)
    ).group_by(UsageRecord.line_id).order_by(func.count().desc(), UsageRecord.line_id))
    params = {"from": first, "to": last}
    extra = {"call_detail": {"line_id": line_id}, "idle_lines": {"days": 30}}

    # The financial documents: listed per account through the API, each PDF downloaded.
    invoices = D("0.00")
    documents = 0
    for account in db.session.scalars(select(BillingAccount).where(
            BillingAccount.company_id == 1).order_by(BillingAccount.id)):
        listed = client.get(f"/api/v1/billing-accounts/{account.id}/documents",
                            query_string=params, headers=headers)
        assert listed.status_code == 200
        for doc in listed.json:
            pdf = client.get(doc["url"], headers=headers)
            assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
            text, pages = pdf_text(pdf.data)
            assert doc["number"] in text and COMPANY in text and pages >= 1
            documents += 1
            if doc["kind"] == "invoice":
                invoices += D(doc["total"])
        # The statement of the period reconciles with its own entries.
        s = client.get(f"/api/v1/billing-accounts/{account.id}/statement",
                       query_string=params, headers=headers).json
        assert (D(s["opening_balance"]) - D(s["charges"]) + D(s["payments"])
                == D(s["closing_balance"]))
    assert documents and invoices > 0

    files = {}
    for report_type, (_title, fmts) in REPORT_TYPES.items():
        for fmt in fmts:
            response = client.post("/api/v1/reports", headers=headers, json={
                "type": report_type, "format": fmt,
                "params": {**params, **extra.get(report_type, {})}})
            assert response.status_code == 202, (report_type, fmt, response.json)
            status = client.get(f"/api/v1/jobs/{response.json['id']}", headers=headers).json
            assert status["status"] == "done", (report_type, fmt, status)
            file = client.get(status["download_url"], headers=headers)
            assert file.status_code == 200, (report_type, fmt)
            files[(report_type, fmt)] = file.data
    assert len(files) == sum(len(f) for _t, f in REPORT_TYPES.values()) == 17

    # Every PDF names the company.
    for (report_type, fmt), data in files.items():
        if fmt == "pdf":
            text, pages = pdf_text(data)
            assert COMPANY in text and pages >= 1, report_type

    # Expenses: CSV and XLSX totals are the sums of their rows and equal the invoices.
    # (The files are in the accountant's language: columns are found by position.)
    rows = _csv(files[("expenses", "csv")])
    total = len(rows[0]) - 1
    assert sum(_money(r[total]) for r in rows[1:-1]) == _money(rows[-1][total]) == invoices
    sheet = _xlsx(files[("expenses", "xlsx")])
    assert sum(_money(r[total]) for r in sheet[1:-1]) == _money(sheet[-1][total]) == invoices

    # Payments: the charges of the period are the invoices; each account's entries end at
    # its closing balance.
    # (Columns: account, date, entry, document, amount, balance; charges are the debits.)
    sheet = _xlsx(files[("payments", "xlsx")])
    charged = -sum(_money(r[4]) for r in sheet[1:] if _money(r[4]) < 0)
    assert charged == invoices
    for account in {r[0] for r in sheet[1:]}:
        entries = [r for r in sheet[1:] if r[0] == account]
        for before, after in zip(entries, entries[1:], strict=False):
            assert _money(before[5]) + _money(after[4]) == _money(after[5])

    # Financial documents: the ZIP holds every PDF listed by the API.
    archive = zipfile.ZipFile(io.BytesIO(files[("financial_documents", "zip")]))
    assert len(archive.namelist()) == documents
    assert all(name.endswith(".pdf") for name in archive.namelist())

    # Call detail: the files hold the line's records of the period, with the API's total.
    usage = client.get(f"/api/v1/lines/{line_id}/usage", query_string=params,
                       headers=headers).json
    for fmt, rows in (("csv", _csv(files[("call_detail", "csv")])),
                      ("xlsx", _xlsx(files[("call_detail", "xlsx")]))):
        assert len(rows) == 1 + usage["totals"]["count"] + 1, fmt
        assert sum(_money(r[-1]) for r in rows[1:-1]) == _money(rows[-1][-1]) == D(
            usage["totals"]["amount"]), fmt

    # Inventory: one row per line of the company, in both formats.
    lines = db.session.scalar(select(func.count()).select_from(Line).where(
        Line.company_id == 1))
    assert len(_csv(files[("inventory", "csv")])) - 1 == lines
    assert len(_xlsx(files[("inventory", "xlsx")])) - 1 == lines

    # Operations, idle lines: CSV and XLSX hold the same rows; idle lines' total is the sum.
    for report_type in ("operations", "idle_lines"):
        assert len(_csv(files[(report_type, "csv")])) == len(_xlsx(files[(report_type,
                                                                            "xlsx")]))
    rows = _xlsx(files[("idle_lines", "xlsx")])
    assert sum(_money(r[-1]) for r in rows[1:-1]) == _money(rows[-1][-1])

    # Tariff advice: the saving total is the sum of the lines' savings.
    rows = _xlsx(files[("tariff_advice", "xlsx")])
    assert sum(_money(r[-1]) for r in rows[1:-1]) == _money(rows[-1][-1])

    # The pages give the same: the expenses CSV from the report page, a VAT invoice from
    # the documents page.
    login_as(ACCOUNTANT)
    page = client.get("/reports/download", query_string={"type": "expenses", "format": "csv",
                                                         **params})
    assert page.status_code == 200
    rows = _csv(page.data)
    assert _money(rows[-1][total]) == invoices
    account = db.session.scalar(select(BillingAccount).where(
        BillingAccount.company_id == 1).order_by(BillingAccount.id))
    html = client.get(f"/billing/accounts/{account.id}/documents").get_data(as_text=True)
    href = re.search(r'href="(/billing/documents/\d+\.pdf)" data-testid="pdf-vat_invoice-'
                     + months[-1], html).group(1)
    vat_invoice = client.get(href)
    assert vat_invoice.status_code == 200 and vat_invoice.mimetype == "application/pdf"
    text, _pages = pdf_text(vat_invoice.data)
    assert COMPANY in text and "СФ-" in text
