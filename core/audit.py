"""The audit log: who did what, to what, from where, with the state before and after.

Tamper-evident: each company's events form a hash chain. An event stores its position in
the company's chain (``chain_seq``), the previous event's hash and its own hash, computed
over every field and that previous hash; ``flask --app app audit verify`` recomputes the
chains and reports the first broken link (an edited, deleted or inserted row).

Rows are inserted unchained as the work goes and chained just before the transaction
commits. Two writers never fork a chain: the chain head (``audit_chain_heads``, one row per
company) is advanced with an ``UPDATE ... RETURNING``, so a second transaction waits on the
row lock (PostgreSQL) or the write lock (SQLite) until the first commits, and continues from
the head the first one left; the lock is held only for the commit, not during the work.
"""

import hashlib
import json
from collections import defaultdict
from datetime import UTC

import click
from flask import g, has_request_context, request
from flask.cli import AppGroup
from sqlalchemy import ForeignKey, Index, Integer, String, bindparam, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import metrics
from core.db import JSONType, UTCDateTime, utcnow
from core.extensions import db
from core.logs import current_request_id

GENESIS = "0" * 64
# Events without a company (platform staff, unknown e-mails) chain under this key.
PLATFORM_KEY = 0


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
    request_id: Mapped[str | None] = mapped_column(String(128), default="")
    chain_seq: Mapped[int | None] = mapped_column(Integer)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditChainHead(db.Model):
    """The last link of one company's audit chain; its row lock orders concurrent writers."""

    __tablename__ = "audit_chain_heads"

    company_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS)


HASHED_FIELDS = ("company_id", "chain_seq", "created_at", "actor_id", "actor_email", "action",
                 "outcome", "object_type", "object_id", "line_id", "before", "after", "detail",
                 "ip", "request_id")


def event_hash(values: dict, prev_hash: str) -> str:
    """SHA-256 over the previous hash and every recorded field, canonically serialised.

    Computed from the values as the database gives them back (in ``_chain_pending`` and in
    ``verify_chains`` alike), so the column types' round trips cannot make them differ.
    """
    fields = {name: values.get(name) for name in HASHED_FIELDS}
    created = fields["created_at"]
    fields["created_at"] = created.astimezone(UTC).isoformat() if created else None
    fields["prev_hash"] = prev_hash
    payload = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                         default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _request_id() -> str:
    return current_request_id() or ""


def _advance_head(connection, company_key: int, count: int) -> tuple[int, str]:
    """Reserve ``count`` positions of a company's chain: (first position, previous hash).

    One upsert: the company's first events create the head at ``count`` (after the
    genesis hash), later ones move it on by ``count``. Either way the statement takes the
    row's lock for the rest of the transaction: a concurrent writer waits here and then
    reads the head this transaction leaves.
    """
    table = AuditChainHead.__table__
    dialect_insert = postgresql.insert if connection.dialect.name == "postgresql" else \
        sqlite.insert
    upsert = dialect_insert(table).values(company_key=company_key, seq=count, last_hash=GENESIS)
    seq, last_hash = connection.execute(
        upsert.on_conflict_do_update(index_elements=[table.c.company_key],
                                     set_={"seq": table.c.seq + count})
        .returning(table.c.seq, table.c.last_hash)).one()
    return seq - count + 1, last_hash


def _set_head(connection, company_key: int, last_hash: str) -> None:
    table = AuditChainHead.__table__
    connection.execute(table.update().where(table.c.company_key == company_key)
                       .values(last_hash=last_hash))


def _pending(session) -> list[int]:
    return session.info.setdefault("audit_unchained", [])


def insert_rows(rows: list[dict]) -> None:
    """Insert many audit rows at once (bulk jobs); they join the chain at commit like any."""
    if not rows:
        return
    request_id = _request_id()
    for row in rows:
        row.setdefault("created_at", utcnow())
        row.setdefault("request_id", request_id)
    ids = db.session.execute(AuditEvent.__table__.insert().returning(
        AuditEvent.__table__.c.id), rows).scalars().all()
    _pending(db.session).extend(ids)


@event.listens_for(AuditEvent, "init")
def _stamp_request_id(target, _args, kwargs):
    if not kwargs.get("request_id"):
        target.request_id = _request_id()


@event.listens_for(Session, "after_flush")
def _remember_new_events(session, _flush_context):
    """Note the audit rows this flush wrote; they are chained just before the commit."""
    ids = [obj.id for obj in session.new if isinstance(obj, AuditEvent) and obj.hash is None]
    if ids:
        _pending(session).extend(ids)


@event.listens_for(Session, "after_rollback")
def _forget_pending(session):
    session.info.pop("audit_unchained", None)


@event.listens_for(Session, "before_commit")
def _chain_pending(session):
    """Chain the transaction's audit rows at the last moment before the commit.

    The chain head's row lock is taken here, so it is held only for the commit itself, not
    while the work (an operator call, a job chunk) runs. Rows of a rolled-back savepoint are
    gone from the table and so never take a place in the chain.
    """
    session.flush()
    ids = session.info.pop("audit_unchained", None)
    if not ids:
        return
    table = AuditEvent.__table__
    connection = session.connection()
    rows = []
    unique = sorted(set(ids))
    for start in range(0, len(unique), 5000):  # bounded IN lists (SQLite's parameter limit)
        rows += [dict(row._mapping) for row in connection.execute(
            select(table).where(table.c.id.in_(unique[start:start + 5000]),
                                table.c.hash.is_(None)).order_by(table.c.id))]
    by_company = defaultdict(list)
    for row in rows:
        by_company[row["company_id"] or PLATFORM_KEY].append(row)
    updates = []
    for key in sorted(by_company):
        group = by_company[key]
        seq, prev = _advance_head(connection, key, len(group))
        for offset, row in enumerate(group):
            row["chain_seq"] = seq + offset
            digest = event_hash(row, prev)
            updates.append({"row_id": row["id"], "chain_seq": row["chain_seq"],
                            "prev_hash": prev, "hash": digest})
            prev = digest
        _set_head(connection, key, prev)
    connection.execute(table.update().where(table.c.id == bindparam("row_id")).values(
        chain_seq=bindparam("chain_seq"), prev_hash=bindparam("prev_hash"),
        hash=bindparam("hash")), updates)
    # The ORM copies of these rows are stale now.
    chained = {u["row_id"] for u in updates}
    for obj in list(session.identity_map.values()):
        if isinstance(obj, AuditEvent) and obj.id in chained:
            session.expire(obj, ["chain_seq", "prev_hash", "hash"])


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
    entry = AuditEvent(
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
    db.session.add(entry)
    if action == "auth.login_failed":
        metrics.signin_failed()
    return entry


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


# --- Verification ---------------------------------------------------------------------------


def verify_chains(company_id: int | None = None) -> dict:
    """Recompute every chain (or one company's): the first broken link of each, if any.

    Returns ``{"checked": n, "unchained": n, "broken": [{company, event_id, seq, reason}]}``.
    Events older than the chain (``hash`` empty, written before the migration) are counted,
    not checked; one appearing after a company's chain began is itself a broken link.
    """
    heads = {h.company_key: h for h in db.session.scalars(select(AuditChainHead))}
    keys = sorted(heads) if company_id is None else [company_id]
    report = {"checked": 0, "unchained": 0, "broken": []}
    for key in keys:
        company_filter = (AuditEvent.company_id.is_(None) if key == PLATFORM_KEY
                          else AuditEvent.company_id == key)
        broken = _verify_company(key, company_filter, heads.get(key), report)
        if broken:
            report["broken"].append(broken)
    return report


def _verify_company(key, company_filter, head, report):
    query = (select(AuditEvent).where(company_filter)
             .order_by(AuditEvent.chain_seq.is_(None).desc(), AuditEvent.chain_seq,
                       AuditEvent.id)
             .execution_options(yield_per=2000))
    expected_seq, prev, first_chained_id = 1, GENESIS, None
    for entry in db.session.scalars(query):
        if entry.hash is None and entry.chain_seq is None:
            report["unchained"] += 1
            continue
        report["checked"] += 1
        first_chained_id = first_chained_id or entry.id

        def broken(reason, entry=entry):
            return {"company": key, "event_id": entry.id, "seq": entry.chain_seq,
                    "reason": reason}

        if entry.chain_seq != expected_seq:
            return broken(f"position {entry.chain_seq} where {expected_seq} was expected "
                          f"(an event was deleted or inserted)")
        if entry.prev_hash != prev:
            return broken("does not point to the previous event's hash")
        values = {name: getattr(entry, name) for name in HASHED_FIELDS}
        if event_hash(values, prev) != entry.hash:
            return broken("its content does not match its hash (edited)")
        prev, expected_seq = entry.hash, expected_seq + 1
    if head is not None and (head.seq != expected_seq - 1 or head.last_hash != prev):
        return {"company": key, "event_id": None, "seq": expected_seq,
                "reason": f"the chain ends at {expected_seq - 1} but its head says "
                          f"{head.seq} (events at the end were deleted)"}
    if first_chained_id is not None:
        late = db.session.scalar(select(AuditEvent.id).where(
            company_filter, AuditEvent.hash.is_(None), AuditEvent.id > first_chained_id)
            .order_by(AuditEvent.id).limit(1))
        if late is not None:
            return {"company": key, "event_id": late, "seq": None,
                    "reason": "written outside the chain after the chain began"}
    return None


audit_command = AppGroup("audit", help="The audit log: verify its hash chains.")


@audit_command.command("verify")
@click.option("--company", type=int, default=None, help="Only this company's chain.")
def verify_command(company):
    """Recompute the hash chains; report the first broken link of each company."""
    report = verify_chains(company)
    click.echo(f"checked {report['checked']} events, {report['unchained']} older than the "
               f"chain")
    for item in report["broken"]:
        click.echo(f"BROKEN company {item['company']}: event {item['event_id']} "
                   f"(position {item['seq']}): {item['reason']}")
    if report["broken"]:
        raise SystemExit(1)
    click.echo("every chain is intact")
