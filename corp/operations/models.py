"""Operations, bulk jobs and the per-line state the operations manage."""

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
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import JSONType, UTCDateTime, utcnow
from core.extensions import db

OPERATION_STATUSES = ("pending", "in_progress", "awaiting_operator", "done", "failed", "cancelled")
FINAL_STATUSES = ("done", "failed", "cancelled")
JOB_STATUSES = ("pending", "running", "done", "cancelled", "failed")
JOB_ITEM_STATUSES = ("pending", "done", "failed", "refused", "cancelled")


class Operation(db.Model):
    """One requested change of a line or a billing account, as the operator processes it."""

    __tablename__ = "operations"
    __table_args__ = (
        UniqueConstraint("company_id", "idempotency_key", name="uq_operations_company_key"),
        Index("ix_operations_company_created", "company_id", "created_at"),
        Index("ix_operations_status_scheduled", "status", "scheduled_for"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    type: Mapped[str] = mapped_column(String(40), index=True)
    params: Mapped[dict] = mapped_column(JSONType, default=dict)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("lines.id"), index=True)
    billing_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("billing_accounts.id"), index=True
    )
    job_id: Mapped[int | None] = mapped_column(ForeignKey("operation_jobs.id"), index=True)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    # A tariff change "from the next period" waits until this date.
    scheduled_for: Mapped[date | None] = mapped_column(Date)
    created_at = mapped_column(UTCDateTime, default=utcnow)
    started_at = mapped_column(UTCDateTime)
    finished_at = mapped_column(UTCDateTime)
    result: Mapped[dict | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(String(500))
    before: Mapped[dict | None] = mapped_column(JSONType)
    after: Mapped[dict | None] = mapped_column(JSONType)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Job(db.Model):
    """A bulk operation: one type and parameters applied line by line in the background."""

    __tablename__ = "operation_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    type: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSONType, default=dict)
    selection: Mapped[dict] = mapped_column(JSONType, default=dict)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    created_at = mapped_column(UTCDateTime, default=utcnow)
    started_at = mapped_column(UTCDateTime)
    # Written with every chunk: a running job without a recent heartbeat has lost its worker.
    heartbeat_at = mapped_column(UTCDateTime)
    finished_at = mapped_column(UTCDateTime)


class JobItem(db.Model):
    """One line of a job, with its own outcome (so a crashed job knows what was done)."""

    __tablename__ = "operation_job_items"
    __table_args__ = (Index("ix_operation_job_items_job_status", "job_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("operation_jobs.id"))
    line_id: Mapped[int | None] = mapped_column(ForeignKey("lines.id"))
    msisdn: Mapped[str] = mapped_column(String(20), default="")
    status: Mapped[str] = mapped_column(String(12), default="pending")
    reason: Mapped[str | None] = mapped_column(String(500))
    operation_id: Mapped[int | None] = mapped_column(ForeignKey("operations.id"))


class ForwardingRule(db.Model):
    """Call forwarding of a line for one condition."""

    __tablename__ = "line_forwarding_rules"

    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"), primary_key=True)
    condition: Mapped[str] = mapped_column(String(20), primary_key=True)
    target: Mapped[str] = mapped_column(String(10))
    delay_seconds: Mapped[int | None] = mapped_column(Integer)


class LineLimit(db.Model):
    """A monthly spend (RUB) or data (MB) limit of a line and what happens when reached."""

    __tablename__ = "line_limits"

    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    action: Mapped[str] = mapped_column(String(20))


class PromisedPayment(db.Model):
    """Temporary credit on an advance-settled billing account."""

    __tablename__ = "promised_payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    billing_account_id: Mapped[int] = mapped_column(ForeignKey("billing_accounts.id"), index=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("lines.id"))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    created_at = mapped_column(UTCDateTime, default=utcnow)
    expires_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | expired


class SmsMessage(db.Model):
    """An SMS sent to an employee's line, with its delivery status."""

    __tablename__ = "sms_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    operation_id: Mapped[int | None] = mapped_column(ForeignKey("operations.id"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"), index=True)
    msisdn: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(String(1000))
    encoding: Mapped[str] = mapped_column(String(10))
    segments: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="queued")  # delivered | undelivered
    created_at = mapped_column(UTCDateTime, default=utcnow)


class FreeNumber(db.Model):
    """The operator's pool of numbers: free ones are offered, released ones sit in quarantine."""

    __tablename__ = "free_numbers"

    msisdn: Mapped[str] = mapped_column(String(10), primary_key=True)
    status: Mapped[str] = mapped_column(String(12), default="free")  # free | quarantine
    quarantine_until: Mapped[date | None] = mapped_column(Date)
    released_by_line_id: Mapped[int | None] = mapped_column(ForeignKey("lines.id"))
