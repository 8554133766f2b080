"""Every report: totals are the sums of their rows and reconcile with the invoices; scope
filtering; formats checked by reading them (openpyxl, pypdf, csv, zip)."""

import csv
import io
import zipfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from core.errors import InvalidInput, NotFound, PermissionDenied
from core.extensions import db
from corp.billing.charges import rate_line_month
from corp.billing.close import close_month
from corp.billing.models import FinancialDocument, LineCharge, MonthClose
from corp.billing.service import parse_period
from corp.models import Line, UsageRecord
from corp.reports import builders, formats
from hierarchy.models import Node
from tests.billing.conftest import pdf_text
from tests.factories import make_user, node_named

ACCOUNTANT = "accountant@romashka.example"


def closed_months(company_id=1):
    return sorted(db.session.scalars(select(MonthClose.period).distinct().where(
        MonthClose.company_id == company_id)))


def whole_period(company_id=1):
    from datetime import timedelta

    from corp.billing import rating

    months = closed_months(company_id)
    return parse_period(f"{months[0]}-01",
                        rating.parse_period(months[-1])[1] - timedelta(days=1))


def as_file(report, fmt) -> bytes:
    out = io.BytesIO()
    formats.write(report, fmt, out)
    return out.getvalue()


def test_expenses_totals_are_sums_and_equal_the_invoices(users):
    period = whole_period()
    report = builders.expenses(users["accountant"], period, {})
    by_node, by_centre, by_kind = report.summary
    rows = list(by_node.rows)
    assert by_node.total[-1] == sum(r[-1] for r in rows)
    assert by_centre.total[-1] == sum(r[-1] for r in by_centre.rows) == by_node.total[-1]
    assert by_kind.total[-1] == sum(r[-1] for r in by_kind.rows) == by_node.total[-1]
    invoices = db.session.scalar(select(func.sum(FinancialDocument.total)).where(
        FinancialDocument.company_id == 1, FinancialDocument.kind == "invoice",
        FinancialDocument.period.in_(period.months())))
    assert by_node.total[-1] == invoices
    detail = list(report.detail.rows)
    assert sum(r[-1] for r in detail) == invoices == report.detail.total[-1]
    assert report.scope_note is None


def test_expenses_xlsx_cell_by_cell_on_a_small_company(small_company):
    company = small_company["company"]
    first, second = small_company["lines"]
    db.session.add(UsageRecord(line_id=first.id, occurred_at=datetime(2025, 12, 3, tzinfo=UTC),
                               kind="call", quantity=301 * 60, direction="out",
                               counterpart="9160000000"))
    db.session.flush()
    rate_line_month(first, "2025-12")
    close_month("2025-12", company_id=company.id)
    admin = make_user(company.id, role="global_admin")
    report = builders.expenses(admin, parse_period("2025-12-01", "2025-12-31"), {})
    book = load_workbook(io.BytesIO(as_file(report, "xlsx")))
    sheet = book.active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(values) == 4  # header, two lines, total
    assert values[0] == [c.label for c in report.detail.columns]
    assert values[1][:6] == ["9880000000", "Сотрудник 0", "ООО «Тест»", None, "2025-12",
                             "Бизнес Старт"]
    # tariff fee, services, one-off, calls, SMS, data, roaming, total
    assert values[1][6:] == ["350.00", "0.00", "0.00", "2.50", "0.00", "0.00", "0.00", "352.50"]
    assert values[2][:5] == ["9880000001", "Сотрудник 1", "Отдел", "CC-1", "2025-12"]
    assert values[2][6:] == ["350.00", "190.00", "0.00", "0.00", "0.00", "0.00", "0.00",
                             "540.00"]
    assert values[3][6:] == ["700.00", "190.00", "0.00", "2.50", "0.00", "0.00", "0.00",
                             "892.50"]
    invoice = db.session.scalar(select(FinancialDocument).where(
        FinancialDocument.company_id == company.id, FinancialDocument.kind == "invoice"))
    assert invoice.total == D("892.50")


def test_scoped_manager_sees_their_subtree_and_the_report_says_so(client, login_as):
    moscow = node_named(1, "Москва")
    user = make_user(1, role="viewer", node=moscow, email="moscow.viewer@test.example")
    period = whole_period()
    report = builders.expenses(user, period, {})
    assert report.scope_note and "Москва" in report.scope_note
    node_ids = set(db.session.scalars(select(Node.id).where(
        Node.path.startswith(moscow.path))))
    expected = db.session.scalar(select(func.sum(LineCharge.total)).where(
        LineCharge.node_id.in_(node_ids), LineCharge.period.in_(period.months())))
    assert report.summary[0].total[-1] == expected
    assert all(r[0].startswith("Москва") for r in report.summary[0].rows)
    text, pages = pdf_text(as_file(report, "pdf"))
    first_page = text.split("Москва")[0]
    assert "ООО «Ромашка»" in first_page or "ООО «Ромашка»" in text
    assert report.scope_note.replace("\u00a0", " ") in text
    # Inventory and idle lines are scoped too; another branch is a 404.
    inventory = list(builders.inventory(user, None, {}).detail.rows)
    assert len(inventory) == db.session.scalar(select(func.count()).select_from(Line).join(
        Node, Node.id == Line.node_id).where(Node.path.startswith(moscow.path)))
    with pytest.raises(NotFound):
        builders.expenses(user, period, {"node_id": node_named(1, "Казань").id})
    with pytest.raises(PermissionDenied):
        builders.payments(user, period, {})


def test_other_company_node_and_line_are_404(users):
    vector_node = db.session.scalar(select(Node.id).where(Node.company_id == 2))
    vector_line = db.session.scalar(select(Line.id).where(Line.company_id == 2))
    period = whole_period()
    with pytest.raises(NotFound):
        builders.expenses(users["accountant"], period, {"node_id": vector_node})
    with pytest.raises(NotFound):
        builders.call_detail(users["accountant"], period, {"line_id": vector_line})


def test_call_detail_pdf_text_and_csv(users):
    line_id, count = db.session.execute(
        select(UsageRecord.line_id, func.count()).join(Line).where(Line.company_id == 1)
        .group_by(UsageRecord.line_id).order_by(func.count().desc())).first()
    period = whole_period()
    report = builders.call_detail(users["accountant"], period, {"line_id": line_id})
    total = report.summary[0].total[-1]
    rows = list(csv.reader(io.StringIO(as_file(report, "csv").decode("utf-8-sig"))))
    records = rows[1:-1]
    in_period = db.session.scalar(select(func.count()).select_from(UsageRecord).where(
        UsageRecord.line_id == line_id, UsageRecord.occurred_at >= period.start,
        UsageRecord.occurred_at < period.end))
    assert len(records) == in_period
    assert sum(D(r[-1]) for r in records) == total == D(rows[-1][-1])
    report = builders.call_detail(users["accountant"], period, {"line_id": line_id})
    text, pages = pdf_text(as_file(report, "pdf"))
    assert "ООО «Ромашка»" in text
    assert period.label() in text
    assert formats.screen_cell(total, "money").replace("\u00a0", " ") in text
    assert pages >= 1 and (f"1 из {pages}" in text or f"1 of {pages}" in text)


def test_inventory_csv_has_every_line_and_safe_cells(users):
    report = builders.inventory(users["accountant"], None, {})
    rows = list(csv.reader(io.StringIO(as_file(report, "csv").decode("utf-8-sig"))))
    assert len(rows) - 1 == db.session.scalar(select(func.count()).select_from(Line).where(
        Line.company_id == 1))


def test_financial_documents_zip_holds_every_pdf(users):
    from datetime import timedelta

    from corp.billing import rating

    last = closed_months()[-1]
    period = parse_period(f"{last}-01", rating.parse_period(last)[1] - timedelta(days=1))
    report = builders.financial_documents(users["accountant"], period, {})
    archive = zipfile.ZipFile(io.BytesIO(as_file(report, "zip")))
    names = archive.namelist()
    assert len(names) == len(report.documents) == db.session.scalar(
        select(func.count()).select_from(FinancialDocument).where(
            FinancialDocument.company_id == 1, FinancialDocument.period == last))
    assert all(archive.read(n).startswith(b"%PDF") for n in names[:3])
    rows = list(report.detail.rows)
    invoices = [r for r in rows if r[3].startswith("СЧ-")]
    assert report.detail.total[-1] == sum(r[-1] for r in invoices)


def test_payments_report_reconciles_per_account(users):
    period = whole_period()
    report = builders.payments(users["accountant"], period, {})
    summary = report.summary[0]
    for _account, opening, charges, paid, closing in summary.rows:
        assert opening - charges + paid == closing
    invoiced = db.session.scalar(select(func.sum(FinancialDocument.total)).where(
        FinancialDocument.company_id == 1, FinancialDocument.kind == "invoice"))
    assert summary.total[2] == invoiced
    book = load_workbook(io.BytesIO(as_file(report, "xlsx")))
    assert book.active.max_row - 1 == len(report.detail.rows)


def test_idle_lines_cost_meanwhile(users):
    report = builders.idle_lines(users["accountant"], None, {"days": 30})
    rows = report.detail.rows
    assert rows, "the demo has idle lines"
    assert report.detail.total[-1] == sum(r[-1] for r in rows)
    msisdns = [r[0] for r in rows]
    since = datetime.combine(date.today() - timedelta(days=30), datetime.min.time(), UTC)
    used = db.session.scalar(select(func.count()).select_from(UsageRecord).join(Line).where(
        Line.msisdn.in_(msisdns), UsageRecord.occurred_at >= since))
    assert used == 0
    # Every active line without usage in that window is listed.
    recent = select(UsageRecord.line_id).where(UsageRecord.occurred_at >= since)
    idle = db.session.scalar(select(func.count()).select_from(Line).where(
        Line.company_id == 1, Line.status != "terminated", Line.id.notin_(recent)))
    assert len(rows) == idle
    with pytest.raises(InvalidInput):
        builders.idle_lines(users["accountant"], None, {"days": "many"})


def test_tariff_advice_cheapest_and_saving(users):
    report = builders.tariff_advice(users["accountant"], None, {})
    rows = report.detail.rows
    assert rows
    codes = len(report.detail.columns) - 8
    names = [c.label for c in report.detail.columns[5:5 + codes]]
    for row in rows[:200]:
        costs = row[5:5 + codes]
        # Tariffs on which a connected service is not available are named with the reason
        # and not offered.
        excluded = {part.split(":")[0] for part in row[-3].split("; ") if part}
        offered = [c for n, c in zip(names, costs, strict=True) if n not in excluded]
        assert row[-2] not in excluded
        assert row[-1] == max(row[4] - min(offered), D(0))
    summary = report.summary[0]
    assert summary.total[-1] == sum(r[-1] for r in rows) == sum(r[3] for r in summary.rows)
    text, _pages = pdf_text(as_file(report, "pdf"))
    assert "ООО «Ромашка»" in text


def test_tariff_advice_does_not_offer_a_tariff_without_the_line_s_services(small_company):
    """«Пакет SMS 500» is available on «Бизнес Старт» and «Бизнес Оптимум» only: the line
    that has it is not advised «Телеметрия» (90 ₽, the cheapest for a line without usage),
    and the report says why; the other line is."""
    from flask_babel import gettext

    from corp.models import LineService, Service

    company = small_company["company"]
    first, _second = small_company["lines"]
    sms_pack = db.session.scalar(select(Service).where(Service.code == "sms_pack"))
    db.session.add(LineService(line_id=first.id, service_id=sms_pack.id,
                               connected_at=datetime(2025, 12, 1, tzinfo=UTC)))
    db.session.flush()
    close_month("2025-12", company_id=company.id)
    admin = make_user(company.id, role="global_admin")
    report = builders.tariff_advice(admin, None, {})
    rows = {r[0]: r for r in report.detail.rows}
    with_pack, without = rows[first.msisdn], rows[small_company["lines"][1].msisdn]
    assert without[-2] == "Телеметрия" and without[-1] == D("260.00") and without[-3] == ""
    assert with_pack[-2] == "Бизнес Старт" and with_pack[-1] == D("0.00")
    why = {part.split(":")[0]: part for part in with_pack[-3].split("; ")}
    assert set(why) == {"Телеметрия", "Бизнес Интернет", "Бизнес Максимум",
                        "Безлимит для бизнеса"}  # «Бизнес Оптимум» is offered
    assert all("Пакет SMS 500" in reason for reason in why.values())
    assert report.detail.total[-1] == D("260.00")
    assert report.notes[1] == gettext(
        "A tariff on which a line's connected services are not available is not offered as "
        "the cheapest; the column «Not offered» says why (%(n)s lines).", n=1)
    xlsx = load_workbook(io.BytesIO(as_file(report, "xlsx"))).active
    header = [c.value for c in xlsx[1]]
    assert header[-3] == gettext("Not offered (why)")
    row = next(r for r in xlsx.iter_rows(min_row=2, values_only=True) if r[0] == first.msisdn)
    assert row[-3] == with_pack[-3]


def test_operations_report_lists_an_operation(users, app):
    from corp.operations import service

    app.config["OPERATIONS_EXECUTOR"] = "eager"
    line = db.session.scalar(select(Line).where(Line.company_id == 1,
                                                Line.status == "active").order_by(Line.id))
    operation = service.submit_line_operation(users["admin"], line.id, "sms_send",
                                              {"text": "Привет"}, version=line.version)
    db.session.flush()
    today = datetime.now(UTC).date()
    report = builders.operations(users["accountant"], parse_period(today, today), {})
    rows = report.detail.rows
    assert any(r[2] == "sms_send" and r[3] == line.msisdn and r[1] == "admin@romashka.example"
               for r in rows), (operation.id, rows)


def test_a_node_deleted_after_the_close_keeps_its_charges_at_company_level(small_company):
    from sqlalchemy import delete, update

    company, dept = small_company["company"], small_company["dept"]
    close_month("2025-12", company_id=company.id)
    db.session.execute(update(Line).where(Line.node_id == dept.id)
                       .values(node_id=small_company["root"].id))
    db.session.execute(delete(Node).where(Node.id == dept.id))
    db.session.flush()
    assert db.session.scalar(select(func.count()).select_from(LineCharge).where(
        LineCharge.company_id == company.id, LineCharge.node_id.is_(None))) == 1
    admin = make_user(company.id, role="global_admin")
    report = builders.expenses(admin, parse_period("2025-12-01", "2025-12-31"),
                               {"with_charts": False})
    by_node = report.summary[0]
    invoice = db.session.scalar(select(FinancialDocument.total).where(
        FinancialDocument.company_id == company.id, FinancialDocument.kind == "invoice"))
    assert by_node.total[-1] == invoice == D("890.00")
    assert len(by_node.rows) == 2
