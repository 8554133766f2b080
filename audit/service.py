"""Reading the audit log: filters (user, action, line, period), pages and CSV export.

The log is the company's: ``audit.view`` on the whole company shows every event of the
company; on a part of the tree only the events about lines in that part.
"""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from core.audit import AuditEvent
from core.errors import InvalidInput
from core.extensions import db
from corp.lines import scoped_lines
from corp.models import Line
from corp.validators import ValidationError, normalize_msisdn
from roles import access
from roles.permissions import COMPANY_SCOPE

EXPORT_LIMIT = 100_000


@dataclass
class AuditFilter:
    """What the audit page is asked for; every field optional (strings as typed)."""

    user: str = ""
    action: str = ""
    line: str = ""
    date_from: str = ""
    date_to: str = ""

    @classmethod
    def from_args(cls, args) -> "AuditFilter":
        return cls(**{k: (args.get(k) or "").strip()[:200] for k in
                      ("user", "action", "line", "date_from", "date_to")})


def _parse_date(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput({field: _("Enter a date as YYYY-MM-DD.")}) from None


def _line_ids(actor, text: str):
    """Line ids of the actor's company matching a typed number (MSISDN) or a line id."""

    if text.isdigit() and len(text) < 10:
        return select(Line.id).where(Line.company_id == actor.company_id, Line.id == int(text))
    try:
        msisdn = normalize_msisdn(text)
    except ValidationError as error:
        raise InvalidInput({"line": _(error.message)}) from None
    return select(Line.id).where(Line.company_id == actor.company_id, Line.msisdn == msisdn)


def audit_query(actor, flt: AuditFilter):
    """The SELECT of the events the actor may read, filtered (no order, no paging)."""

    query = select(AuditEvent).where(AuditEvent.company_id == actor.company_id)
    if COMPANY_SCOPE not in access.scopes(actor, "audit.view"):
        in_scope = scoped_lines(actor, "audit.view").with_only_columns(Line.id)
        query = query.where(AuditEvent.line_id.in_(in_scope))
    if flt.user:
        needle = flt.user.lower()
        if needle.isdigit():
            query = query.where(AuditEvent.actor_id == int(needle))
        else:
            query = query.where(func.lower(AuditEvent.actor_email).contains(needle,
                                                                            autoescape=True))
    if flt.action:
        query = query.where(or_(AuditEvent.action == flt.action,
                                AuditEvent.action.startswith(flt.action.rstrip(".") + ".",
                                                             autoescape=True)))
    if flt.line:
        query = query.where(AuditEvent.line_id.in_(_line_ids(actor, flt.line)))
    start = _parse_date(flt.date_from, "date_from")
    end = _parse_date(flt.date_to, "date_to")
    if start and end and end < start:
        raise InvalidInput({"date_to": _("The end of the period is before its start.")})
    if start:
        query = query.where(AuditEvent.created_at >= datetime.combine(start, time(), UTC))
    if end:
        query = query.where(AuditEvent.created_at < datetime.combine(end + timedelta(days=1),
                                                                     time(), UTC))
    return query


def list_events(actor, flt: AuditFilter, page: int = 1, per_page: int = 50):
    """One page of events, newest first, and the total."""
    if page < 1 or not 1 <= per_page <= 500:
        raise InvalidInput({"page": _("page ≥ 1 and 1 ≤ per_page ≤ 500.")})
    query = audit_query(actor, flt)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    items = db.session.scalars(
        query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return items, total


def actions(actor) -> list[str]:
    """The distinct actions logged for the actor's company (for the filter's list)."""
    return db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.company_id == actor.company_id)
        .distinct().order_by(AuditEvent.action)
    ).all()


def event_dict(event: AuditEvent) -> dict:
    """An event as the API and the export show it."""
    return {
        "id": event.id,
        "created_at": event.created_at.isoformat() if event.created_at else None,
        "actor_id": event.actor_id,
        "actor_email": event.actor_email,
        "ip": event.ip,
        "action": event.action,
        "outcome": event.outcome,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "line_id": event.line_id,
        "before": event.before,
        "after": event.after,
        "detail": event.detail,
    }


CSV_COLUMNS = ("created_at", "actor_email", "ip", "action", "outcome", "object_type",
               "object_id", "line_id", "before", "after", "detail")


def export_rows(actor, flt: AuditFilter):
    """The filtered events as CSV rows (``CSV_COLUMNS`` order), newest first."""
    query = audit_query(actor, flt).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    events = db.session.scalars(query.limit(EXPORT_LIMIT)).all()
    for event in events:
        data = event_dict(event)
        yield [json.dumps(data[c], ensure_ascii=False) if c in ("before", "after")
               and data[c] is not None else data[c] for c in CSV_COLUMNS]
