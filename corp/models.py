"""The billing structure of a company: contract → billing accounts → lines, and the catalogue."""

from datetime import date
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import JSONType, UTCDateTime, utcnow
from core.extensions import db

Money = Numeric(14, 2)

LINE_STATUSES = ("active", "blocked", "terminated")
BLOCK_KINDS = ("voluntary", "loss", "permanent", "financial")
SETTLEMENT_METHODS = ("advance", "credit")


class Company(db.Model):
    """A legal entity, the tenant: nothing of one company is visible from another."""

    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    inn: Mapped[str] = mapped_column(String(12), unique=True)
    kpp: Mapped[str | None] = mapped_column(String(9))
    ogrn: Mapped[str] = mapped_column(String(15))
    legal_address: Mapped[str] = mapped_column(String(300), default="")
    postal_address: Mapped[str] = mapped_column(String(300), default="")
    bank_name: Mapped[str] = mapped_column(String(200), default="")
    bik: Mapped[str | None] = mapped_column(String(9))
    bank_account: Mapped[str | None] = mapped_column(String(20))
    correspondent_account: Mapped[str | None] = mapped_column(String(20))
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="")
    contact_email: Mapped[str] = mapped_column(String(200), default="")
    # Who signs the company's documents (set at onboarding or re-registration).
    signatory_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    signatory_position: Mapped[str] = mapped_column(String(200), default="", server_default="")
    authority_basis: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # Bumped on every change to roles, assignments or the tree: every process rebuilds
    # its cached Casbin enforcer for the company on the next request.
    policy_version: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at = mapped_column(UTCDateTime, default=utcnow)

    contracts = relationship("Contract", back_populates="company")


class Contract(db.Model):
    """The company's service contract with the operator."""

    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    signed_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="active")

    company = relationship("Company", back_populates="contracts")
    billing_accounts = relationship("BillingAccount", back_populates="contract")


# The legal entity's details that a re-registration replaces (the holder of the contract).
HOLDER_FIELDS = ("name", "inn", "kpp", "ogrn", "legal_address", "postal_address", "bank_name",
                 "bik", "bank_account", "correspondent_account", "signatory_name",
                 "signatory_position", "authority_basis")


class HolderChange(db.Model):
    """The contract passed to another legal entity (re-registration): the holder's details
    before and after, and the first day the new ones apply. Documents dated before
    ``effective_on`` carry ``before``; from that day on, the company's current details."""

    __tablename__ = "contract_holder_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    effective_on: Mapped[date] = mapped_column(Date)
    before: Mapped[dict] = mapped_column(JSONType, default=dict)
    after: Mapped[dict] = mapped_column(JSONType, default=dict)
    request_id: Mapped[int | None] = mapped_column(Integer)  # the approved request
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow)


class BillingAccount(db.Model):
    """A 12-digit billing account (лицевой счёт) of a contract; lines are billed to it."""

    __tablename__ = "billing_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    number: Mapped[str] = mapped_column(String(12), unique=True)
    settlement_method: Mapped[str] = mapped_column(String(10), default="advance")
    balance: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    credit_limit: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    bill_delivery_email: Mapped[str | None] = mapped_column(String(300))
    bill_delivery_address: Mapped[str | None] = mapped_column(String(300))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at = mapped_column(UTCDateTime, default=utcnow)

    __mapper_args__ = {"version_id_col": version}

    contract = relationship("Contract", back_populates="billing_accounts")


class Tariff(db.Model):
    """A corporate tariff plan: monthly fee, included package, configurable options."""

    __tablename__ = "tariffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    monthly_fee: Mapped[Decimal] = mapped_column(Money)
    included_minutes: Mapped[int] = mapped_column(Integer, default=0)
    included_sms: Mapped[int] = mapped_column(Integer, default=0)
    included_mb: Mapped[int] = mapped_column(Integer, default=0)
    # Prices beyond the package (₽ with VAT): per started minute, per SMS, per started MB.
    minute_price: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    sms_price: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    mb_price: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    # Definitions of the options a company may configure, e.g.
    # {"favourite_numbers": {"type": "msisdn_list", "max": 5}, "data_package_mb": {...}}.
    options: Mapped[dict] = mapped_column(JSONType, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Service(db.Model):
    """A service (услуга/опция) of the catalogue, with its fees and compatibility rules."""

    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text, default="")
    monthly_fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    one_off_fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    # Codes of services that cannot be connected together with this one.
    incompatible_with: Mapped[list] = mapped_column(JSONType, default=list)
    # Tariff codes the service is available on; empty means every tariff.
    tariff_codes: Mapped[list] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Line(db.Model):
    """A mobile line (MSISDN) with its SIM (ICCID), tariff, billing account and tree node."""

    __tablename__ = "lines"
    __table_args__ = (
        Index("ix_lines_company_msisdn", "company_id", "msisdn"),
        Index("ix_lines_company_status", "company_id", "status"),
        # Covers the tree's per-node counts: an index-only scan, no table rows read.
        Index("ix_lines_company_node_status", "company_id", "node_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    msisdn: Mapped[str] = mapped_column(String(10), unique=True)
    iccid: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="active")
    block_kind: Mapped[str | None] = mapped_column(String(12))
    blocked_until: Mapped[date | None] = mapped_column(Date)
    tariff_id: Mapped[int] = mapped_column(ForeignKey("tariffs.id"), index=True)
    tariff_options: Mapped[dict] = mapped_column(JSONType, default=dict)
    billing_account_id: Mapped[int] = mapped_column(ForeignKey("billing_accounts.id"), index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("hierarchy_nodes.id"), index=True)
    employee_name: Mapped[str] = mapped_column(String(200), default="")
    employee_position: Mapped[str] = mapped_column(String(200), default="")
    employee_email: Mapped[str] = mapped_column(String(200), default="")
    personnel_number: Mapped[str] = mapped_column(String(40), default="")
    # Lower-cased employee fields for search: SQLite's LIKE folds ASCII case only.
    search_text: Mapped[str] = mapped_column(String(700), default="")
    activated_on: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # Optimistic locking: a stale write raises StaleDataError instead of losing an update.
    __mapper_args__ = {"version_id_col": version}

    tariff = relationship("Tariff", lazy="joined")
    billing_account = relationship("BillingAccount", lazy="joined")
    node = relationship("Node", lazy="joined")
    services = relationship("LineService", back_populates="line", cascade="all, delete-orphan")


def line_search_text(name="", position="", email="", personnel_number="") -> str:
    """The lower-cased search text of a line's employee fields."""
    return " ".join(x for x in (name, position, email, personnel_number) if x).lower()


@event.listens_for(Line, "before_insert")
@event.listens_for(Line, "before_update")
def _refresh_search_text(_mapper, _connection, line) -> None:
    line.search_text = line_search_text(
        line.employee_name, line.employee_position, line.employee_email, line.personnel_number
    )


class LineService(db.Model):
    """A service connected to a line."""

    __tablename__ = "line_services"

    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"), primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), primary_key=True)
    connected_at = mapped_column(UTCDateTime, default=utcnow)

    line = relationship("Line", back_populates="services")
    service = relationship("Service", lazy="joined")


class UsageRecord(db.Model):
    """One itemised usage event of a line (call, SMS, data session) with its charge."""

    __tablename__ = "usage_records"
    __table_args__ = (Index("ix_usage_records_line_time", "line_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"))
    occurred_at = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(10))  # call | sms | data
    # Seconds for calls, messages for SMS, kilobytes for data.
    quantity: Mapped[int] = mapped_column(Integer)
    counterpart: Mapped[str] = mapped_column(String(20), default="")
    amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    direction: Mapped[str] = mapped_column(String(3), default="out")  # out | in
    # ISO country code while roaming; empty at home.
    country: Mapped[str | None] = mapped_column(String(2))


class LineMonthlyUsage(db.Model):
    """Per line and month totals, kept beside the usage records so totals stay cheap."""

    __tablename__ = "line_monthly_usage"

    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True, index=True)  # "YYYY-MM"
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    sms: Mapped[int] = mapped_column(Integer, default=0)
    mb: Mapped[int] = mapped_column(Integer, default=0)
    amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))


class Payment(db.Model):
    """A payment credited to a billing account."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    billing_account_id: Mapped[int] = mapped_column(ForeignKey("billing_accounts.id"), index=True)
    paid_at = mapped_column(UTCDateTime)
    amount: Mapped[Decimal] = mapped_column(Money)
    method: Mapped[str] = mapped_column(String(30), default="bank_transfer")
    reference: Mapped[str] = mapped_column(String(60), default="")


class LineEvent(db.Model):
    """The history of changes of a line as the line card shows it."""

    __tablename__ = "line_events"
    __table_args__ = (Index("ix_line_events_line_time", "line_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(String(300))


__all__ = [
    "HOLDER_FIELDS",
    "BillingAccount",
    "Company",
    "Contract",
    "HolderChange",
    "Line",
    "LineEvent",
    "LineMonthlyUsage",
    "LineService",
    "Payment",
    "Service",
    "Tariff",
    "UsageRecord",
]
