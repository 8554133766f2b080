"""Jobs (one operation type on many lines): select lines, preview (dry run), run in the
background, follow, cancel, resume, export the per-line results.

A job works through its ``JobItem`` rows in chunks; each chunk is one transaction in which
every line is applied completely (its own savepoint) together with its item's outcome and
the job's counters. A crash loses at most the chunk in flight, which rolls back as a whole:
no line is ever half-changed, and the items still ``pending`` are exactly the lines not done.
"""

from datetime import timedelta

from flask import current_app, g
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import contains_eager, lazyload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from auth.models import User
from core import audit, background, downloads, sqlite, uploads
from core.db import utcnow
from core.errors import InvalidInput, NotFound, PermissionDenied
from core.extensions import db
from corp import validators
from corp.lines import scoped_lines
from corp.models import BillingAccount, Line, LineEvent, LineService
from corp.operations import rules
from corp.operations.gateway import GatewayError, get_gateway, new_account_number
from corp.operations.models import Job, JobItem, Operation
from corp.operations.rules import ChangedMeanwhile, Refused
from corp.operations.service import _apply
from corp.service import LineFilter, filtered_lines, line_filter
from hierarchy.models import Node
from roles import access
from roles.permissions import COMPANY_SCOPE, within_scopes

CHUNK = 500
MAX_LINES = 20_000
SELECTION_KEYS = ("line_ids", "node_id", "filter", "msisdns")
# Types whose rules read the line's services.
NEEDS_SERVICES = {"service_add", "service_remove", "tariff_change"}


def _job_type(type_name):
    spec = rules.operation_type(type_name, "line")
    if not spec.in_jobs:
        raise InvalidInput({"type": _("%(t)s is done one line at a time.", t=spec.name)})
    return spec


def _job_params(spec, params, actor) -> dict:
    loaded = rules.validate_params(spec.name, params)
    if spec.name == "block" and loaded["kind"] == "permanent":
        raise InvalidInput({"kind": _("A permanent block is confirmed line by line, not in bulk.")})
    # Catalogue look-ups once for the whole selection (a bad code is a 422, not N refusals).
    if spec.name in ("service_add", "service_remove"):
        rules._service(loaded["service_code"])
    if spec.name == "tariff_change":
        rules._tariff(loaded["tariff_code"])
    # Another company's account answers exactly like an unknown number (no oracle).
    if spec.name == "number_transfer" and loaded.get("billing_account_number") and not (
            db.session.scalar(select(BillingAccount.id).where(
                BillingAccount.number == loaded["billing_account_number"],
                BillingAccount.company_id == actor.company_id))):
        raise InvalidInput({"billing_account_number": _("No such billing account.")})
    if spec.name == "sms_send":
        rules.check_sms_send(Line(status="active"), loaded)
    return loaded


def select_lines(actor, selection: dict, with_services=False):
    """The selected lines in the actor's view scope and the refusals of what was asked for
    but is not there (unknown, another company's, out of scope, unreadable numbers)."""
    given = [k for k in SELECTION_KEYS if selection.get(k) not in (None, [], {})]
    if len(given) != 1:
        raise InvalidInput({"selection": _(
            "Select lines one way: line_ids, node_id, filter or a list of numbers.")})
    key = given[0]
    refusals = []
    query = scoped_lines(actor)
    if key == "line_ids":
        ids = {int(i) for i in selection["line_ids"]}
        query = query.where(Line.id.in_(ids))
    elif key == "node_id":
        query = filtered_lines(actor, LineFilter(node_id=int(selection["node_id"])))
    elif key == "filter":
        query = filtered_lines(actor, line_filter(selection["filter"]))
    else:
        numbers = {}
        for raw in selection["msisdns"]:
            try:
                numbers[validators.normalize_msisdn(str(raw))] = str(raw)
            except validators.ValidationError as error:
                refusals.append({"line_id": None, "msisdn": str(raw)[:20], "outcome": "refused",
                                 "reason": _(error.message), "change": None})
        query = query.where(Line.msisdn.in_(list(numbers)))
    # The scoped query joins the node already; tariffs and accounts are few (identity map).
    query = query.options(contains_eager(Line.node), lazyload(Line.tariff),
                          lazyload(Line.billing_account))
    if with_services:
        query = query.options(selectinload(Line.services).joinedload(LineService.service))
    lines = db.session.scalars(query.order_by(Line.id)).unique().all()
    if len(lines) > MAX_LINES:
        raise InvalidInput({"selection": _("At most %(n)s lines per job.", n=MAX_LINES)})
    not_there = _("Not found, or outside your scope.")
    if key == "line_ids":
        found = {line.id for line in lines}
        refusals += [{"line_id": i, "msisdn": "", "outcome": "refused", "reason": not_there,
                      "change": None} for i in sorted(ids - found)]
    elif key == "msisdns":
        found = {line.msisdn for line in lines}
        refusals += [{"line_id": None, "msisdn": m, "outcome": "refused", "reason": not_there,
                      "change": None} for m in sorted(set(numbers) - found)]
    return lines, refusals


def _permitted(actor, permission):
    paths = access.scopes(actor, permission)
    return lambda line: within_scopes(line.node.path, paths)


def preview(actor, type_name, params, selection: dict) -> dict:
    """The dry run: what would change on each selected line and what would be refused, why."""
    spec = _job_type(type_name)
    loaded = _job_params(spec, params, actor)
    lines, refusals = select_lines(actor, selection, spec.name in NEEDS_SERVICES)
    allowed = _permitted(actor, spec.permission)
    items = []
    no_permission = _("You do not have the permission for this line.")
    for line in lines:
        item = {"line_id": line.id, "msisdn": line.msisdn, "outcome": "change", "reason": None,
                "change": None}
        if not allowed(line):
            item.update(outcome="refused", reason=no_permission)
        else:
            try:
                item["change"] = rules.check(spec.name, line, dict(loaded))
            except (Refused, InvalidInput) as error:
                item.update(outcome="refused", reason=str(error.message))
        items.append(item)
    items += refusals
    will_change = sum(1 for i in items if i["outcome"] == "change")
    return {"type": spec.name, "params": rules.to_json(loaded), "total": len(items),
            "will_change": will_change, "refused": len(items) - will_change, "items": items}


def start_job(actor, type_name, params, selection: dict) -> Job:
    """Create the job with one item per line (refused ones already decided); the caller
    commits and then calls ``dispatch``."""
    result = preview(actor, type_name, params, selection)
    if not result["items"]:
        raise InvalidInput({"selection": _("No lines are selected.")})
    if result["type"] == "number_transfer" and result["params"].get("new_account"):
        result["params"] = _open_shared_account(actor, result)
    job = Job(company_id=actor.company_id, type=result["type"], params=result["params"],
              selection=_storable(selection), requested_by=actor.id, status="pending",
              total=result["total"], refused=result["refused"])
    db.session.add(job)
    db.session.flush()
    rows = [{"job_id": job.id, "line_id": i["line_id"], "msisdn": i["msisdn"],
             "status": "pending" if i["outcome"] == "change" else "refused",
             "reason": (i["reason"] or "")[:500] or None} for i in result["items"]]
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(JobItem), rows[start:start + 5000])
    audit.record("job.start", actor=actor, object_type="job", object_id=str(job.id),
                 after={"type": job.type, "params": job.params, "total": job.total,
                        "refused": job.refused})
    db.session.flush()
    return job


def _open_shared_account(actor, result) -> dict:
    """A bulk move "to a new account" moves every line to one new account, opened now."""

    ids = [i["line_id"] for i in result["items"] if i["outcome"] == "change"]
    if not ids:
        return result["params"]
    accounts = db.session.scalars(select(BillingAccount).join(
        Line, Line.billing_account_id == BillingAccount.id).where(Line.id.in_(ids))
        .distinct()).all()
    if len({a.contract_id for a in accounts}) > 1:
        raise InvalidInput({"new_account": _(
            "The lines belong to different contracts: move them one contract at a time.")})
    model = accounts[0]
    account = BillingAccount(
        company_id=actor.company_id, contract_id=model.contract_id, number=new_account_number(),
        settlement_method=model.settlement_method, credit_limit=model.credit_limit,
        bill_delivery_email=model.bill_delivery_email,
        bill_delivery_address=model.bill_delivery_address)
    db.session.add(account)
    db.session.flush()
    audit.record("billing_account.open", actor=actor, object_type="billing_account",
                 object_id=str(account.id), after={"number": account.number})
    return {"billing_account_number": account.number, "new_account": False}


def _storable(selection: dict) -> dict:
    out = {k: selection[k] for k in SELECTION_KEYS if selection.get(k) not in (None, [], {})}
    if "msisdns" in out:
        out["msisdns"] = [str(x)[:20] for x in out["msisdns"]][:MAX_LINES]
    return out


def dispatch(job: Job) -> None:
    """After the commit: run the job in the background."""
    background.submit("job", job.id)


@background.job_kind("job")
def run_job(job_id: int) -> None:
    """Work through the job's pending items, one transaction per chunk (commits)."""
    job = db.session.get(Job, job_id)
    if job is None or job.status in ("done", "cancelled", "failed"):
        return
    job.status = "running"
    job.started_at = job.started_at or utcnow()
    job.heartbeat_at = utcnow()
    db.session.commit()
    actor = db.session.get(User, job.requested_by)
    params = rules.validate_params(job.type, job.params)
    chunk = int(current_app.config.get("OPERATIONS_JOB_CHUNK") or CHUNK)
    with_services = job.type in NEEDS_SERVICES
    while True:
        if db.session.scalar(select(Job.cancel_requested).where(Job.id == job_id)):
            _finish_cancelled(job_id)
            return
        items = db.session.execute(select(JobItem.id, JobItem.line_id).where(
            JobItem.job_id == job_id, JobItem.status == "pending")
            .order_by(JobItem.id).limit(chunk)).all()
        if not items:
            break
        # Tariffs and accounts are few: lazy many-to-one loads come from the identity map,
        # where three joins per line would cost more than the change itself.
        query = select(Line).where(Line.id.in_([i.line_id for i in items])).options(
            lazyload(Line.tariff), lazyload(Line.billing_account), lazyload(Line.node))
        if with_services:
            query = query.options(selectinload(Line.services).joinedload(LineService.service))
        lines = {line.id: line for line in db.session.scalars(query).unique()}
        items = _refuse_no_longer_permitted(job, actor, items, lines)
        if not items:
            db.session.commit()
            sqlite.let_writers_in(db.session)
            continue
        if job.type in get_gateway().batch_types:
            done, failed = _run_chunk_batched(job, items, lines, params, actor)
        else:
            done, failed = _run_chunk_per_line(job, _item_objects(items), lines, params, actor)
        db.session.execute(update(Job).where(Job.id == job_id).values(
            done=Job.done + done, failed=Job.failed + failed, heartbeat_at=utcnow()))
        db.session.commit()
        # Between chunks the job holds no lock: other users' writes go in here.
        sqlite.let_writers_in(db.session)
    job = db.session.get(Job, job_id)
    job.status, job.finished_at = "done", utcnow()
    db.session.commit()


def _refuse_no_longer_permitted(job, actor, items, lines) -> list:
    """Ask again, per chunk, whether the job's author may still act on each line: a role
    revoked, a node moved or an account disabled while the job runs stops it there."""
    g.pop("policy_versions", None)  # read the company's current policy version
    permitted = _permitted(actor, _job_type(job.type).permission) if actor else None
    kept, denied = [], []
    for item in items:
        line = lines.get(item.line_id)
        if line is not None and (permitted is None or not permitted(line)):
            denied.append({"item_id": item.id, "reason": _(
                "You do not have the permission for this line.")})
        else:
            kept.append(item)
    if denied:
        table = JobItem.__table__
        db.session.connection().execute(
            table.update().where(table.c.id == bindparam("item_id"))
            .values(status="failed", reason=bindparam("reason")), denied)
        db.session.execute(update(Job).where(Job.id == job.id).values(
            failed=Job.failed + len(denied), heartbeat_at=utcnow()))
    return kept


def _new_operation(job, line_id) -> Operation:
    return Operation(company_id=job.company_id, type=job.type, params=job.params,
                     line_id=line_id, job_id=job.id, requested_by=job.requested_by,
                     status="pending")


def _item_objects(rows) -> list[JobItem]:
    found = {i.id: i for i in db.session.scalars(
        select(JobItem).where(JobItem.id.in_([r.id for r in rows])))}
    return [found[r.id] for r in rows]


def _run_chunk_per_line(job, items, lines, params, actor) -> tuple[int, int]:
    """Each line in its own savepoint: a refused or failed line does not stop the others."""
    done = failed = 0
    for item in items:
        line = lines.get(item.line_id)
        operation = _new_operation(job, item.line_id)
        try:
            with db.session.begin_nested():
                if line is None:
                    raise Refused(_("The line no longer exists."))
                rules.check(job.type, line, dict(params))
                db.session.add(operation)
                db.session.flush()
                _apply(operation, actor, line, dict(params))
            item.operation_id = operation.id
            item.status = "done" if operation.status == "done" else "failed"
            item.reason = operation.error
        except (Refused, InvalidInput, ChangedMeanwhile) as error:
            item.status, item.reason = "failed", str(error.message)[:500]
        if item.status == "done":
            done += 1
        else:
            failed += 1
    return done, failed


def _run_chunk_batched(job, items, lines, params, actor) -> tuple[int, int]:
    """Rules line by line, then one gateway batch for the lines that pass; if the batch
    fails as a whole (a concurrent change, an operator error) the chunk goes line by line."""
    accepted, refusals = [], []
    for item in items:
        line = lines.get(item.line_id)
        try:
            if line is None:
                raise Refused(_("The line no longer exists."))
            rules.check(job.type, line, dict(params))
            accepted.append((item, line))
        except (Refused, InvalidInput) as error:
            refusals.append({"item_id": item.id, "reason": str(error.message)[:500]})
    failed = len(refusals)
    if refusals:
        table = JobItem.__table__
        db.session.connection().execute(
            table.update().where(table.c.id == bindparam("item_id"))
            .values(status="failed", reason=bindparam("reason")), refusals)
    if not accepted:
        return 0, failed
    now = utcnow()
    targets = [line for _item, line in accepted]
    try:
        with db.session.begin_nested():
            applied = get_gateway().apply_batch(job.type, targets, params)
            _record_batch(job, actor, accepted, applied, now)
    except (StaleDataError, GatewayError):
        db.session.expire_all()
        pending = _item_objects([item for item, _line in accepted])
        reloaded = {line.id: line for line in db.session.scalars(
            select(Line).where(Line.id.in_([i.line_id for i in pending])))}
        done, more_failed = _run_chunk_per_line(job, pending, reloaded, params, actor)
        return done, failed + more_failed
    return len(accepted), failed


def _record_batch(job, actor, accepted, applied, now) -> None:
    """Operations, history and audit of a batch, written as executemany rows."""
    connection = db.session.connection()
    operation_ids = connection.execute(
        insert(Operation).returning(Operation.id, sort_by_parameter_order=True),
        [{"company_id": job.company_id, "type": job.type, "params": job.params,
          "line_id": line.id, "job_id": job.id, "requested_by": job.requested_by,
          "status": "done", "created_at": now, "started_at": now, "finished_at": now,
          "before": result.before, "after": result.after,
          "result": {"summary": result.summary}}
         for (_item, line), result in zip(accepted, applied, strict=True)]).scalars().all()
    connection.execute(insert(LineEvent), [
        {"line_id": line.id, "created_at": now, "kind": job.type,
         "summary": str(result.summary)[:300]}
        for (_item, line), result in zip(accepted, applied, strict=True)])
    audit.insert_rows([
        {"created_at": now, "company_id": job.company_id, "actor_id": actor.id if actor else None,
         "actor_email": actor.email if actor else "", "action": f"operation.{job.type}",
         "outcome": "ok", "object_type": "line", "object_id": str(line.id), "line_id": line.id,
         "before": result.before, "after": result.after, "ip": "",
         "detail": f"operation {operation_id}: {result.summary}"[:500]}
        for (_item, line), result, operation_id in zip(accepted, applied, operation_ids,
                                                       strict=True)])
    items = JobItem.__table__
    connection.execute(
        items.update().where(items.c.id == bindparam("item_id"))
        .values(status="done", operation_id=bindparam("operation_id"), reason=None),
        [{"item_id": item.id, "operation_id": operation_id}
         for (item, _line), operation_id in zip(accepted, operation_ids, strict=True)])


def _finish_cancelled(job_id: int) -> None:
    db.session.execute(update(JobItem).where(JobItem.job_id == job_id,
                                             JobItem.status == "pending")
                       .values(status="cancelled", reason=_("Cancelled before it ran.")))
    job = db.session.get(Job, job_id)
    job.status, job.finished_at = "cancelled", utcnow()
    db.session.commit()


VIEW, CONTROL = "view", "control"


def get_job(actor, job_id: int, action: str = VIEW) -> Job:
    """A job the actor may see (else 404) and, for ``CONTROL`` (cancel, resume, results),
    may act on (else 403, audited): its author, or who holds the job type's permission on
    every one of its lines. "May view" is not "may act"."""
    job = db.session.scalar(_visible_jobs(actor).where(Job.id == job_id))
    if job is None:
        raise NotFound()
    if action == CONTROL and not may_control(actor, job):
        audit.record_refusal("job.control", actor=actor, object_type="job",
                             object_id=str(job.id), detail=f"missing {job.type} permission")
        raise PermissionDenied(_("Only the job's author or who may run this operation on all "
                                 "of its lines may do this."))
    return job


def may_control(actor, job: Job) -> bool:
    """Whether the actor started the job or holds its type's permission on all its lines."""
    if job.requested_by == actor.id:
        return True
    permission = _job_type(job.type).permission
    paths = access.scopes(actor, permission)
    if not paths:
        return False
    if COMPANY_SCOPE in paths:
        return True
    outside = db.session.scalar(
        select(func.count()).select_from(JobItem)
        .join(Line, Line.id == JobItem.line_id).join(Node, Node.id == Line.node_id)
        .where(JobItem.job_id == job.id,
               ~access.scope_filter(actor, permission, Node.path)))
    return not outside


# Job types other packages run on this table (reports): type → (find(actor, id) → job | None,
# json(job) → dict). They are not bulk operations: the operations pages do not list them.
EXTERNAL_TYPES: dict[str, tuple] = {}


def register_external_type(type_name: str, find, as_json) -> None:
    """Let another package keep its jobs here and show them through ``GET /jobs/<id>``."""
    EXTERNAL_TYPES[type_name] = (find, as_json)


def present_external(actor, job_id: int) -> dict | None:
    """The JSON of another package's job (None when the id is a bulk job or unknown)."""
    for find, as_json in EXTERNAL_TYPES.values():
        job = find(actor, job_id)
        if job is not None:
            return as_json(job)
    return None


def _visible_jobs(actor):
    query = select(Job).where(Job.company_id == actor.company_id)
    if EXTERNAL_TYPES:
        query = query.where(Job.type.notin_(list(EXTERNAL_TYPES)))
    if not access.can(actor, "lines.view", COMPANY_SCOPE):
        query = query.where(Job.requested_by == actor.id)
    return query


def list_jobs(actor, status=None, limit=20) -> list[Job]:
    """Newest first."""
    query = _visible_jobs(actor)
    if status:
        query = query.where(Job.status == status)
    return db.session.scalars(query.order_by(Job.id.desc()).limit(limit)).all()


def cancel_job(actor, job_id: int) -> Job:
    """Ask a job to stop: lines not yet done are left unchanged and marked cancelled."""
    job = get_job(actor, job_id, CONTROL)
    if job.status not in ("pending", "running"):
        raise Refused(_("The job has already finished."))
    job.cancel_requested = True
    if job.status == "pending" or _stale(job):
        db.session.flush()
        _cancel_now(job)
    audit.record("job.cancel", actor=actor, object_type="job", object_id=str(job.id))
    db.session.flush()
    return job


def _cancel_now(job: Job) -> None:
    db.session.execute(update(JobItem).where(JobItem.job_id == job.id,
                                             JobItem.status == "pending")
                       .values(status="cancelled", reason=_("Cancelled before it ran.")))
    job.status, job.finished_at = "cancelled", utcnow()


def _stale(job: Job) -> bool:
    seconds = current_app.config.get("OPERATIONS_JOB_STALE_SECONDS", 60)
    beat = job.heartbeat_at or job.created_at
    return beat is None or utcnow() - beat >= timedelta(seconds=seconds)


def resume_job(actor, job_id: int) -> Job:
    """Restart a job whose worker died: it continues with the lines not done."""
    job = get_job(actor, job_id, CONTROL)
    if job.status not in ("pending", "running"):
        raise Refused(_("The job has already finished."))
    if not _stale(job):
        raise Refused(_("The job is still running."))
    job.heartbeat_at = utcnow()
    audit.record("job.resume", actor=actor, object_type="job", object_id=str(job.id))
    db.session.flush()
    return job


def progress(job: Job) -> dict:
    """done / failed (refusals included) / remaining / total."""
    failed = job.failed + job.refused
    cancelled = 0
    if job.status == "cancelled":
        cancelled = db.session.scalar(select(func.count()).select_from(JobItem).where(
            JobItem.job_id == job.id, JobItem.status == "cancelled"))
    remaining = max(job.total - job.done - failed - cancelled, 0)
    percent = 100 if not job.total else round(100 * (job.total - remaining) / job.total)
    return {"done": job.done, "failed": failed, "refused": job.refused, "cancelled": cancelled,
            "remaining": remaining, "total": job.total, "percent": percent}


RESULT_COLUMNS = ("msisdn", "line_id", "status", "reason", "operation_id")


def results_rows(job: Job):
    """Per-line results in line order."""
    rows = db.session.execute(select(JobItem.msisdn, JobItem.line_id, JobItem.status,
                                     JobItem.reason, JobItem.operation_id)
                              .where(JobItem.job_id == job.id).order_by(JobItem.id)).all()
    return [tuple(r) for r in rows]


def results_csv(job: Job) -> bytes:
    """The results as CSV (UTF-8 with BOM so spreadsheet programs read Cyrillic)."""
    return downloads.csv_bytes(RESULT_COLUMNS, results_rows(job))


def results_xlsx(job: Job) -> bytes:
    """The results as an Excel workbook (text cells, never formulas)."""
    return downloads.xlsx_bytes(RESULT_COLUMNS, results_rows(job), sheet_title=f"job {job.id}")


MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def numbers_from_upload(filename: str, upload) -> list[str]:
    """Phone numbers from the first column of an uploaded CSV or XLSX file.

    ``upload`` is the ``FileStorage`` (or its bytes); its kind is told by its content and it
    is read by the one upload reader (size, zip and row limits before and while parsing).
    """
    rows = uploads.read_table_upload(upload, max_rows=MAX_LINES + 1,
                                     max_bytes=MAX_UPLOAD_BYTES, encodings=("utf-8", "cp1251"))
    values = [row[0].strip() for row in rows if row and row[0].strip()]
    # A header row ("msisdn", "Номер") is not a number.
    if values and not any(ch.isdigit() for ch in values[0]):
        values = values[1:]
    if not values:
        raise InvalidInput({"file": _("The file lists no numbers.")})
    if len(values) > MAX_LINES:
        raise InvalidInput({"file": _("At most %(n)s lines per job.", n=MAX_LINES)})
    return values
