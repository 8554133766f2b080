"""Expenses over a period that includes the month still open: the accrued charges (rated
usage and the fees of the days so far), marked "accrued, not yet invoiced"; every total is
the sum of its rows and the closed months still equal their invoices."""

import calendar
from datetime import UTC, date, datetime
from decimal import Decimal as D

from flask_babel import gettext
from sqlalchemy import func, select

from core.extensions import db
from corp.billing import rating
from corp.billing.charges import rate_line_month
from corp.billing.models import FinancialDocument, MonthClose
from corp.billing.money import kopecks
from corp.billing.service import parse_period, statement
from corp.models import BillingAccount, UsageRecord
from corp.reports import builders
from tests.factories import make_user


def _check_sums(table):
    rows = list(table.rows)
    for i, value in enumerate(table.total):
        if isinstance(value, D):
            assert value == sum((r[i] for r in rows), D("0.00")), (table.title, i)
    return rows


def test_open_month_by_hand_on_a_small_company(small_company):
    company, account = small_company["company"], small_company["account"]
    first, _second = small_company["lines"]
    today = date.today()
    month = rating.period_of(today)
    # One minute in Turkey today: 49 ₽ (roaming never uses the package).
    db.session.add(UsageRecord(line_id=first.id,
                               occurred_at=datetime(today.year, today.month, today.day, 0, 1,
                                                    tzinfo=UTC),
                               kind="call", quantity=60, direction="out", country="TR",
                               counterpart="9160000000"))
    db.session.flush()
    rate_line_month(first, month)
    admin = make_user(company.id, role="global_admin")
    report = builders.expenses(admin, parse_period(today.replace(day=1), today),
                               {"with_charts": False})
    # By node, by cost centre, by charge type (invoiced), then the accrued by node and the
    # period in all.
    assert len(report.summary) == 5
    accrued_table, period_total = report.summary[3], report.summary[4]
    assert accrued_table.title == gettext("Accrued, not yet invoiced: by node (%(m)s)", m=month)
    days, month_days = today.day, calendar.monthrange(today.year, today.month)[1]
    fee = kopecks(D("350") * days / month_days)
    gps = kopecks(D("190") * days / month_days)
    expected = 2 * fee + gps + D("49.00")
    rows = _check_sums(accrued_table)
    assert accrued_table.total[-1] == expected
    assert {r[0] for r in rows} == {"Отдел", "ООО «Тест»"}
    # Nothing is invoiced: the by-node table of closed months is empty.
    assert report.summary[0].total[-1] == 0
    assert period_total.title == gettext("The period in all")
    assert _check_sums(period_total)[1][1] == expected
    detail = _check_sums(report.detail)
    assert report.detail.total[-1] == expected
    assert all(r[4] == gettext("%(m)s (accrued, not yet invoiced)", m=month) for r in detail)
    assert {r[0]: r[-1] for r in detail} == {"9880000000": fee + D("49.00"),
                                             "9880000001": fee + gps}
    assert gettext("Accrued, not yet invoiced: %(m)s (usage rated so far and the fees of the "
                   "days so far; the lines where they are now).", m=month) in report.notes
    # The statement's accrued figure is the same computation.
    assert statement(admin, account, parse_period(today.replace(day=1), today))[
        "accrued"] == expected


def test_demo_period_with_closed_and_open_months(users):
    company_id = 1
    months = sorted(db.session.scalars(select(MonthClose.period).distinct().where(
        MonthClose.company_id == company_id)))
    today = date.today()
    period = parse_period(f"{months[0]}-01", today)
    report = builders.expenses(users["accountant"], period, {"with_charts": False})
    by_node = report.summary[0]
    _check_sums(by_node)
    invoices = db.session.scalar(select(func.sum(FinancialDocument.total)).where(
        FinancialDocument.company_id == company_id, FinancialDocument.kind == "invoice",
        FinancialDocument.period.in_(period.months())))
    assert by_node.total[-1] == invoices  # the closed months reconcile as before
    open_month = rating.period_of(today)
    accrued_table = report.summary[3]
    assert accrued_table.title == gettext("Accrued, not yet invoiced: by node (%(m)s)",
                                          m=open_month)
    _check_sums(accrued_table)
    accrued = sum((statement(users["accountant"], a, parse_period(today.replace(day=1), today))
                   ["accrued"] for a in db.session.scalars(select(BillingAccount).where(
                       BillingAccount.company_id == company_id))), D("0.00"))
    assert accrued_table.total[-1] == accrued > 0
    detail = _check_sums(report.detail)
    assert report.detail.total[-1] == invoices + accrued
    marked = [r for r in detail
              if r[4] == gettext("%(m)s (accrued, not yet invoiced)", m=open_month)]
    assert marked
    assert sum(r[-1] for r in marked) == accrued
    assert sum(r[-1] for r in detail if r not in marked) == invoices
