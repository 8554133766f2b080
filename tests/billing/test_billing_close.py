"""Month close: charges, numbered documents, VAT by the dated rate, idempotence."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from core.extensions import db
from corp.billing import money
from corp.billing.charges import rate_line_month
from corp.billing.close import close_month
from corp.billing.models import FinancialDocument, LineCharge, MonthClose
from corp.models import UsageRecord


def test_vat_is_a_dated_setting(app):
    assert money.vat_rate_on(date(2025, 12, 31)) == D("20")
    assert money.vat_rate_on(date(2026, 1, 1)) == D("22")
    app.config["VAT_RATES"] = [("2019-01-01", "20"), ("2027-01-01", "25")]
    assert money.vat_rate_on(date(2026, 6, 1)) == D("20")
    assert money.vat_rate_on(date(2027, 1, 1)) == D("25")


def test_split_and_words():
    assert money.split_gross(D("540.00"), D("20")) == (D("450.00"), D("90.00"))
    assert money.split_gross(D("122.00"), D("22")) == (D("100.00"), D("22.00"))
    assert money.amount_in_words(D("1234.50")).startswith("Одна тысяча двести тридцать")
    assert "пятьдесят копеек" in money.amount_in_words(D("1234.50"))
    assert money.format_money(D("1234.56")) == "1\u00a0234,56\u00a0₽"


def _usage(line, when, kind, qty, direction="out", country=None):
    db.session.add(UsageRecord(line_id=line.id, occurred_at=when, kind=kind, quantity=qty,
                               direction=direction, country=country, counterpart="9161234567"))


def test_close_of_december_2025_hand_checked(small_company):
    first, second = small_company["lines"]
    # 310 outgoing minutes on the first line: 300 from the package, 10 × 2.50 = 25.00.
    _usage(first, datetime(2025, 12, 5, 10, tzinfo=UTC), "call", 200 * 60)
    _usage(first, datetime(2025, 12, 31, 23, 59, tzinfo=UTC), "call", 110 * 60)
    # Next month's first second is not December's.
    _usage(first, datetime(2026, 1, 1, 0, 0, tzinfo=UTC), "call", 60 * 60)
    # Roaming in Turkey on the second line: 2 minutes × 49.00.
    _usage(second, datetime(2025, 12, 10, tzinfo=UTC), "call", 90, country="TR")
    db.session.flush()
    rate_line_month(first, "2025-12")
    rate_line_month(second, "2025-12")
    company = small_company["company"]
    counts = close_month("2025-12", company_id=company.id)
    assert counts == {"accounts": 1, "lines": 2, "documents": 3}

    charges = {c.line_id: c for c in db.session.scalars(
        select(LineCharge).where(LineCharge.company_id == company.id))}
    assert charges[first.id].calls == D("25.00")
    assert charges[first.id].total == D("375.00")  # 350 fee + 25 calls
    assert charges[second.id].roaming == D("98.00")
    assert charges[second.id].service_fee == D("190.00")
    assert charges[second.id].total == D("638.00")

    docs = db.session.scalars(select(FinancialDocument).where(
        FinancialDocument.company_id == company.id).order_by(FinancialDocument.kind)).all()
    assert [d.kind for d in docs] == ["act", "invoice", "vat_invoice"]
    for doc in docs:
        assert doc.vat_rate == D("20")  # dated 31.12.2025
        assert doc.issued_on == date(2025, 12, 31)
        assert doc.total == D("1013.00")
        assert sum(D(x["gross"]) for x in doc.lines) == doc.total
        assert sum(D(x["net"]) for x in doc.lines) == doc.net_total
        assert sum(D(x["vat"]) for x in doc.lines) == doc.vat_total
        assert doc.net_total + doc.vat_total == doc.total
        assert doc.buyer["inn"] == company.inn and doc.seller["inn"]
    fee_line = next(x for x in docs[0].lines if x["kind"] == "tariff_fee")
    # 700.00 with VAT 20 %: VAT 116.67, net 583.33.
    assert (fee_line["net"], fee_line["vat"]) == ("583.33", "116.67")

    # Running it again changes nothing.
    assert close_month("2025-12", company_id=company.id) == {
        "accounts": 0, "lines": 0, "documents": 0}
    assert db.session.scalar(select(func.count()).select_from(FinancialDocument).where(
        FinancialDocument.company_id == company.id)) == 3


def test_january_2026_uses_22_percent(small_company):
    company = small_company["company"]
    close_month("2026-01", company_id=company.id)
    doc = db.session.scalar(select(FinancialDocument).where(
        FinancialDocument.company_id == company.id, FinancialDocument.kind == "vat_invoice"))
    assert doc.vat_rate == D("22")
    assert doc.total == D("890.00")  # two fees of 350 + the service 190
    assert doc.vat_total == sum(D(x["vat"]) for x in doc.lines)


def test_demo_months_are_closed_and_documents_reconcile_with_line_charges(app):
    periods = db.session.scalars(select(MonthClose.period).distinct()).all()
    assert len(periods) == 2
    for doc in db.session.scalars(select(FinancialDocument).where(
            FinancialDocument.kind == "invoice")):
        charged = db.session.scalar(select(func.sum(LineCharge.total)).where(
            LineCharge.billing_account_id == doc.billing_account_id,
            LineCharge.period == doc.period))
        assert D(charged) == doc.total
    numbers = db.session.scalars(select(FinancialDocument.number).where(
        FinancialDocument.kind == "act")).all()
    assert len(numbers) == len(set(numbers))
    before = db.session.scalar(select(func.count()).select_from(FinancialDocument))
    assert close_month(periods[0])["documents"] == 0
    assert db.session.scalar(select(func.count()).select_from(FinancialDocument)) == before


def test_an_open_month_cannot_be_closed(app):
    with pytest.raises(ValueError):
        close_month(f"{date.today():%Y-%m}")
