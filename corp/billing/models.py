"""What the month close keeps: per line charges, the closed months, the financial documents."""

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import JSONType, UTCDateTime, utcnow
from core.extensions import db

Money = Numeric(14, 2)
DOCUMENT_KINDS = ("invoice", "act", "vat_invoice")


class LineCharge(db.Model):
    """A line's charges of one closed month by kind (₽ with VAT), where the line then was."""

    __tablename__ = "line_charges"
    __table_args__ = (
        Index("ix_line_charges_company_period", "company_id", "period"),
        Index("ix_line_charges_account_period", "billing_account_id", "period"),
    )

    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    billing_account_id: Mapped[int] = mapped_column(ForeignKey("billing_accounts.id"))
    # The node the line was on when the month closed; a node deleted later leaves NULL (the
    # charge then counts at company level, visible to company-wide users only).
    node_id: Mapped[int | None] = mapped_column(
        ForeignKey("hierarchy_nodes.id", ondelete="SET NULL"), index=True)
    tariff_id: Mapped[int] = mapped_column(ForeignKey("tariffs.id"))
    tariff_fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    service_fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    one_off_fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    calls: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    sms: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    data: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    roaming: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    sms_count: Mapped[int] = mapped_column(Integer, default=0)
    mb: Mapped[int] = mapped_column(Integer, default=0)
    usage_count: Mapped[int] = mapped_column(Integer, default=0)


class MonthClose(db.Model):
    """A billing account's month, closed once (running the close again changes nothing)."""

    __tablename__ = "billing_month_closes"
    __table_args__ = (UniqueConstraint("billing_account_id", "period",
                                       name="uq_billing_month_closes_account_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    billing_account_id: Mapped[int] = mapped_column(ForeignKey("billing_accounts.id"))
    period: Mapped[str] = mapped_column(String(7))
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    closed_at = mapped_column(UTCDateTime, default=utcnow)


class FinancialDocument(db.Model):
    """An invoice, act or VAT invoice of a billing account's month, as issued (a snapshot:
    seller, buyer and lines are kept as they were on the document's date)."""

    __tablename__ = "financial_documents"
    __table_args__ = (
        UniqueConstraint("billing_account_id", "period", "kind",
                         name="uq_financial_documents_account_period_kind"),
        UniqueConstraint("kind", "number", name="uq_financial_documents_kind_number"),
        Index("ix_financial_documents_company_period", "company_id", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    billing_account_id: Mapped[int] = mapped_column(ForeignKey("billing_accounts.id"),
                                                    index=True)
    kind: Mapped[str] = mapped_column(String(12))
    number: Mapped[str] = mapped_column(String(30))
    issued_on: Mapped[date] = mapped_column(Date)
    period: Mapped[str] = mapped_column(String(7))
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    net_total: Mapped[Decimal] = mapped_column(Money)
    vat_total: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    seller: Mapped[dict] = mapped_column(JSONType, default=dict)
    buyer: Mapped[dict] = mapped_column(JSONType, default=dict)
    # [{"name", "unit", "quantity", "net", "vat", "gross"}] with amounts as strings.
    lines: Mapped[list] = mapped_column(JSONType, default=list)
    created_at = mapped_column(UTCDateTime, default=utcnow)


class AccountBalance(db.Model):
    """A billing account's balance over one closed month, recorded by the month close:
    ``closing = opening − charges + payments``, and the next closed month opens with this
    month's closing plus the payments in between. Statements are built from these records
    (and the payments of the month still open), never derived from the live balance."""

    __tablename__ = "billing_account_balances"
    __table_args__ = (UniqueConstraint("billing_account_id", "period",
                                       name="uq_billing_account_balances_account_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    billing_account_id: Mapped[int] = mapped_column(ForeignKey("billing_accounts.id"))
    period: Mapped[str] = mapped_column(String(7))
    opening: Mapped[Decimal] = mapped_column(Money)
    charges: Mapped[Decimal] = mapped_column(Money)
    payments: Mapped[Decimal] = mapped_column(Money)
    closing: Mapped[Decimal] = mapped_column(Money)
    recorded_at = mapped_column(UTCDateTime, default=utcnow)
