"""Reports as background jobs of the existing job system (``operation_jobs`` rows of type
``report``, run by ``core.background``), downloadable by their owner for
``REPORT_RETENTION_HOURS`` (a setting), then removed.
"""

import os
from datetime import timedelta
from pathlib import Path

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from auth.models import User
from core import audit, background
from core.db import utcnow
from core.errors import InvalidInput, NotFound
from core.extensions import db
from corp.billing.service import Period, line_for_usage, parse_period
from corp.operations import jobs as operation_jobs
from corp.operations.models import Job
from corp.reports import builders, formats
from corp.reports.models import ReportFile

JOB_TYPE = "report"


def validate_request(actor, report_type: str, fmt: str, params: dict) -> tuple[Period, dict]:
    """422 for an unknown type/format or a bad period; 404/403 for a node or line outside
    the actor's scope — checked before anything is queued."""
    if report_type not in builders.REPORT_TYPES:
        raise InvalidInput({"type": _("Choose one of: %(t)s.",
                                      t=", ".join(builders.REPORT_TYPES))})
    allowed = builders.REPORT_TYPES[report_type][1]
    if fmt not in allowed:
        raise InvalidInput({"format": _("This report comes as: %(f)s.", f=", ".join(allowed))})
    params = dict(params or {})
    period = parse_period(params.get("from"), params.get("to"))
    clean = {"from": period.first.isoformat(), "to": period.last.isoformat()}
    for key in ("node_id", "line_id", "days"):
        value = params.get(key)
        if value in (None, ""):
            continue
        try:
            clean[key] = int(value)
        except (TypeError, ValueError):
            raise InvalidInput({key: _("Enter a whole number.")}) from None
    if report_type in builders.COMPANY_WIDE:
        builders._require_company_wide(actor, report_type)
    if clean.get("node_id"):
        builders.report_scope(actor, clean)
    if report_type == "call_detail":
        if not clean.get("line_id"):
            raise InvalidInput({"line_id": _("Choose the line.")})
        line_for_usage(actor, clean["line_id"])
    return period, clean


def build_report(actor, report_type: str, params: dict) -> builders.Report:
    period = parse_period(params.get("from"), params.get("to"))
    return builders.build(actor, report_type, period, params)


def start(actor, report_type: str, fmt: str, params: dict) -> Job:
    """Queue a report for the actor (flush; the caller commits, then ``dispatch``)."""
    _period, clean = validate_request(actor, report_type, fmt, params)
    remove_expired()
    job = Job(company_id=actor.company_id, type=JOB_TYPE, requested_by=actor.id,
              params={"report": report_type, "format": fmt, "params": clean},
              selection={}, status="pending", total=100, done=0)
    db.session.add(job)
    db.session.flush()
    audit.record("report.request", actor=actor, object_type="job", object_id=str(job.id),
                 after={"report": report_type, "format": fmt, **clean})
    db.session.flush()
    return job


def dispatch(job: Job) -> None:
    """After the commit: run it in the background."""
    background.submit(JOB_TYPE, job.id)


def storage_dir() -> Path:
    """Where report files are written: ``REPORT_FILES_DIR``, the folder the nightly clean-up
    (``corp.schedule.cleanup``) empties of old files."""
    path = Path(current_app.config.get("REPORT_FILES_DIR")
                or os.path.join(current_app.instance_path, "reports"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _retention() -> timedelta:
    hours = current_app.config["REPORT_RETENTION_HOURS"]
    return timedelta(hours=float(hours))


def _set_progress(job_id: int, done: int) -> None:
    # Its own short transaction: the report's rows are still being read in the session.
    # Best effort: a busy database only delays the figure, never fails the report.
    try:
        with db.engine.begin() as connection:
            connection.execute(update(Job).where(Job.id == job_id)
                               .values(done=min(done, 99), heartbeat_at=utcnow()))
    except OperationalError:
        current_app.logger.info("report job %s: progress not written (busy)", job_id)


@background.job_kind(JOB_TYPE)
def run(job_id: int) -> None:
    """Build the report as its owner (whose scope applies now), store the file."""
    job = db.session.get(Job, job_id)
    if job is None or job.type != JOB_TYPE or job.status not in ("pending", "running"):
        return
    job.status, job.started_at, job.done = "running", utcnow(), 1
    db.session.commit()
    owner = db.session.get(User, job.requested_by)
    spec = job.params
    fmt = spec["format"]
    record = ReportFile(job_id=job.id, company_id=job.company_id, owner_id=owner.id,
                        report=spec["report"], format=fmt, mimetype=formats.MIMETYPES[fmt])
    path = storage_dir() / f"report-{job.id}.{fmt}"
    try:
        report = build_report(owner, spec["report"], spec["params"])
        total = getattr(report, "row_count", None)
        if report.detail is not None and total:
            report.detail.rows = _counting(report.detail.rows, job.id, total)
        with open(path, "wb") as out:
            formats.write(report, fmt, out)
        record.filename = formats.filename(report, fmt)
        record.path, record.size = str(path), path.stat().st_size
        record.expires_at = utcnow() + _retention()
        job = db.session.get(Job, job_id)
        job.status, job.done = "done", 100
    except Exception as error:  # the owner sees that it failed; the log has the trace
        current_app.logger.exception("report job %s failed", job_id)
        db.session.rollback()
        path.unlink(missing_ok=True)
        job = db.session.get(Job, job_id)
        record = ReportFile(job_id=job.id, company_id=job.company_id, owner_id=owner.id,
                            report=spec["report"], format=fmt, mimetype=formats.MIMETYPES[fmt],
                            error=str(getattr(error, "message", None) or error)[:500])
        job.status = "failed"
    job.finished_at = utcnow()
    db.session.merge(record)
    db.session.commit()


def _counting(rows, job_id: int, total: int):
    for count, row in enumerate(rows, start=1):
        if count % 2000 == 0:
            _set_progress(job_id, count * 100 // max(total, 1))
        yield row


def find_job(actor, job_id: int) -> Job | None:
    """The actor's own report job (None when the id is not a report job; another user's
    report job is a 404)."""
    job = db.session.scalar(select(Job).where(Job.id == job_id,
                                              Job.company_id == actor.company_id))
    if job is None or job.type != JOB_TYPE:
        return None
    if job.requested_by != actor.id:
        raise NotFound()
    return job


def get_job(actor, job_id: int) -> Job:
    job = find_job(actor, job_id)
    if job is None:
        raise NotFound()
    return job


def result(job: Job) -> ReportFile | None:
    return db.session.get(ReportFile, job.id)


def job_json(job: Job) -> dict:
    """Status, progress and (when ready and not expired) the download URL."""
    record = result(job)
    ready = (job.status == "done" and record is not None and record.path
             and record.expires_at and record.expires_at > utcnow())
    return {"id": job.id, "type": JOB_TYPE, "params": job.params, "status": job.status,
            "progress": {"percent": 100 if job.status in ("done", "failed") else job.done,
                         "done": job.done, "total": 100},
            "created_at": job.created_at, "finished_at": job.finished_at,
            "download_url": url_for("Reports.download", job_id=job.id) if ready else None,
            "expires_at": record.expires_at if ready else None,
            "error": record.error if record is not None else None}


def download(actor, job_id: int) -> ReportFile:
    """The owner's finished, unexpired file (404 otherwise: unknown, someone else's, gone)."""
    job = get_job(actor, job_id)
    record = result(job)
    if (job.status != "done" or record is None or not record.path
            or record.expires_at is None or record.expires_at <= utcnow()
            or not Path(record.path).is_file()):
        raise NotFound(_("The report is not ready, or it has expired."))
    return record


def remove_expired() -> int:
    """Delete expired report files and forget them (their jobs stay as history)."""
    expired = db.session.scalars(select(ReportFile).where(
        ReportFile.expires_at <= utcnow(), ReportFile.path.isnot(None))).all()
    for record in expired:
        Path(record.path).unlink(missing_ok=True)
        record.path = None
    db.session.flush()
    return len(expired)


# The operations pages list bulk jobs only; ``GET /api/v1/jobs/<id>`` shows report jobs here.
operation_jobs.register_external_type(JOB_TYPE, find_job, job_json)
