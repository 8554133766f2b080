"""The audit log: who did what, to what, from where, with the state before and after."""

from flask import g, has_request_context, request
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core import metrics
from core.db import JSONType, UTCDateTime, utcnow
from core.extensions import db


class AuditEvent(db.Model):
    """One audited action, successful, refused or failed."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_company_time", "company_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at = mapped_column(UTCDateTime, default=utcnow)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_email: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(60), index=True)
    outcome: Mapped[str] = mapped_column(String(10), default="ok")  # ok | denied | failed
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[str] = mapped_column(String(40), default="")
    line_id: Mapped[int | None] = mapped_column(index=True)
    before: Mapped[dict | None] = mapped_column(JSONType)
    after: Mapped[dict | None] = mapped_column(JSONType)
    detail: Mapped[str] = mapped_column(String(500), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")


def record(
    action,
    *,
    actor=None,
    company_id=None,
    object_type="",
    object_id="",
    line_id=None,
    before=None,
    after=None,
    outcome="ok",
    detail="",
):
    """Add an audit event to the session; the caller's transaction commits it."""
    event = AuditEvent(
        action=action,
        actor_id=getattr(actor, "id", None),
        actor_email=getattr(actor, "email", "") or "",
        company_id=company_id if company_id is not None else getattr(actor, "company_id", None),
        object_type=object_type,
        object_id=str(object_id) if object_id != "" else "",
        line_id=line_id,
        before=before,
        after=after,
        outcome=outcome,
        detail=detail[:500],
        ip=(request.remote_addr or "") if has_request_context() else "",
    )
    db.session.add(event)
    if action == "auth.login_failed":
        metrics.signin_failed()
    return event


def record_refusal(action, *, actor=None, company_id=None, detail="", **fields):
    """Audit a refused action so that the refusal survives the request's rollback.

    In a request the event is kept aside and written by the error handler after it rolls
    the failed work back (``flush_refusals``); elsewhere (jobs) it joins the session.
    """
    values = dict(
        action=action,
        outcome="denied",
        actor_id=getattr(actor, "id", None),
        actor_email=getattr(actor, "email", "") or "",
        company_id=company_id if company_id is not None else getattr(actor, "company_id", None),
        detail=detail[:500],
        ip=(request.remote_addr or "") if has_request_context() else "",
        created_at=utcnow(),
        **fields,
    )
    if has_request_context():
        g.setdefault("audit_refusals", []).append(values)
    else:
        db.session.add(AuditEvent(**values))


def flush_refusals() -> None:
    """Write the refusals of this request (called after the rollback of the failed work)."""
    pending = g.pop("audit_refusals", []) if has_request_context() else []
    if pending:
        db.session.add_all(AuditEvent(**values) for values in pending)
        db.session.commit()
