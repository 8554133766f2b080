"""The platform's security-events log: refusals, lock hits, sensitive downloads.

Separate from each company's audit log (``core.audit``): these events concern the platform
(probing ids of other companies, staff-only routes, sign-in attempts during a lock, who
downloaded an audit log or job results) and are read by operator staff only. In a request
the events are kept aside and written after the request's own work, even when that work
was rolled back (``flush``).
"""

from flask import g, has_request_context, request
from sqlalchemy import Index, Integer, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, utcnow
from core.extensions import db

KINDS = ("refused.not_found", "refused.forbidden", "refused.staff_only", "auth.locked",
         "auth.account_locked",
         "auth.attempt_during_lock", "auth.password_change_failed", "download.audit",
         "download.job_results")


class SecurityEvent(db.Model):
    """One security-relevant event of the platform."""

    __tablename__ = "security_events"
    __table_args__ = (Index("ix_security_events_time", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(60), index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_email: Mapped[str] = mapped_column(String(254), default="")
    company_id: Mapped[int | None] = mapped_column(Integer)
    ip: Mapped[str] = mapped_column(String(64), default="")
    method: Mapped[str] = mapped_column(String(10), default="")
    path: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(String(500), default="")


def record(kind: str, *, actor=None, status: int | None = None, detail: str = "",
           email: str | None = None) -> None:
    """Keep a security event; in a request it is written by ``flush`` at the request's end."""
    if actor is not None and not getattr(actor, "is_authenticated", True):
        actor = None
    values = dict(
        kind=kind, status=status, detail=(detail or "")[:500], created_at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_email=(email if email is not None else getattr(actor, "email", "")) or "",
        company_id=getattr(actor, "company_id", None),
    )
    if has_request_context():
        values.update(ip=(request.remote_addr or "")[:64], method=request.method[:10],
                      path=request.path[:300])
        g.setdefault("security_events", []).append(values)
    else:
        db.session.add(SecurityEvent(**values))


def flush() -> None:
    """Write (and commit) the events this request kept aside."""
    pending = g.pop("security_events", []) if has_request_context() else []
    if pending:
        db.session.add_all(SecurityEvent(**values) for values in pending)
        db.session.commit()


def list_events(*, kind: str | None = None, page: int = 1, per_page: int = 50):
    """Newest first, optionally of one kind: (events, total)."""
    query = select(SecurityEvent)
    if kind:
        query = query.where(SecurityEvent.kind == kind)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.order_by(SecurityEvent.id.desc()).limit(per_page)
                              .offset((max(page, 1) - 1) * per_page)).all()
    return rows, total
