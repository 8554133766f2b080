"""What runs on a schedule: Celery beat (``Procfile`` ``beat``) sends these background kinds
(``core.background``) and a Celery worker runs them; each is also a ``flask --app app``
command for cron.

- ``schedule.run_due``: scheduled tariff changes, ends of voluntary blocks, expiry of promised
  payments, approved terminations and portings out dated today (``operations run-due``), at
  ``SCHEDULE_RUN_DUE`` (default 00:05 daily).
- ``schedule.cleanup``: generated report files older than ``REPORT_FILES_MAX_AGE_DAYS`` and
  sign-in throttle rows no longer locking anything, at ``SCHEDULE_CLEANUP`` (03:30 daily).
- ``schedule.close_month``: the previous month's close (``billing close-month``) at
  ``SCHEDULE_CLOSE_MONTH`` (01:10 on the 1st), scheduled only when the billing package that
  provides ``corp.billing.close.close_month`` is installed.

Every task is idempotent (run twice, the second run finds nothing to do), so beat running
late or twice after a restart does no harm.
"""

import importlib
import importlib.util
import time
from datetime import date, timedelta

import click
from celery.schedules import crontab, schedule
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import delete, or_

from auth.models import LoginThrottle
from core import background
from core.db import utcnow
from core.extensions import db
from corp.operations.service import run_due
from corp.reports.jobs import storage_dir
from corp.requests.service import carry_out_due

RUN_DUE = "schedule.run_due"
CLEANUP = "schedule.cleanup"
CLOSE_MONTH = "schedule.close_month"
MONTH_CLOSE_MODULE = "corp.billing.close"


def month_close_available() -> bool:
    """Whether this build has the billing month close to schedule."""
    try:
        return importlib.util.find_spec(MONTH_CLOSE_MODULE) is not None
    except ModuleNotFoundError:
        return False


def close_previous_month() -> dict:
    """Close the month that ended (idempotent: a closed account month is skipped)."""
    close_month = importlib.import_module(MONTH_CLOSE_MODULE).close_month
    last = date.today().replace(day=1) - timedelta(days=1)
    period = f"{last.year:04d}-{last.month:02d}"
    try:
        counts = close_month(period)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    current_app.logger.info("close-month %s: %s", period, counts, extra={"counts": counts})
    return counts


def run_due_work() -> dict:
    """Apply what is due today, in one transaction: operations (``run_due``) and the approved
    terminations and portings out dated today (``carry_out_due``)."""
    try:
        counts = run_due()
        counts.update(carry_out_due())
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    current_app.logger.info("run-due: %s", counts, extra={"counts": counts})
    return counts


def cleanup() -> dict:
    """Remove old report files and throttle rows that no longer lock an e-mail."""
    folder = storage_dir()  # the very folder report jobs write to
    cutoff = time.time() - int(current_app.config["REPORT_FILES_MAX_AGE_DAYS"]) * 86400
    files = 0
    if folder.is_dir():
        for path in folder.rglob("*"):
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                files += 1
    # A throttle row counts consecutive failures; once no lock is running, forgetting it at
    # night only restarts that count.
    throttles = db.session.execute(delete(LoginThrottle).where(or_(
        LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < utcnow()))).rowcount
    db.session.commit()
    counts = {"report_files": files, "login_throttles": throttles}
    current_app.logger.info("cleanup: %s", counts, extra={"counts": counts})
    return counts


def when(value):
    """A beat schedule from a setting: a number of seconds, or a 5-field crontab."""
    text = str(value).strip()
    try:
        return schedule(run_every=float(text))
    except ValueError:
        pass
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(f"not a crontab (m h dom mon dow) nor seconds: {value!r}")
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    # Read in the Celery app's time zone, which ``register`` sets to the portal's.
    return crontab(minute=minute, hour=hour, day_of_month=day_of_month,
                   month_of_year=month_of_year, day_of_week=day_of_week)


@background.job_kind(RUN_DUE)
def _run_due_task(_unused_id: int) -> None:
    run_due_work()


@background.job_kind(CLEANUP)
def _cleanup_task(_unused_id: int) -> None:
    cleanup()


@background.job_kind(CLOSE_MONTH)
def _close_month_task(_unused_id: int) -> None:
    close_previous_month()


def init_app(app) -> None:
    """Give the app's Celery (``core.background``) its beat schedule from the settings.

    Beat sends the registry's one task with the kind to run, like any background work.
    """
    celery = app.extensions["celery"]
    celery.conf.timezone = app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC"
    celery.conf.beat_schedule = {
        "run-due": {"task": background.TASK_NAME, "args": (RUN_DUE, 0),
                    "schedule": when(app.config["SCHEDULE_RUN_DUE"])},
        "cleanup": {"task": background.TASK_NAME, "args": (CLEANUP, 0),
                    "schedule": when(app.config["SCHEDULE_CLEANUP"])},
    }
    if month_close_available():
        celery.conf.beat_schedule["close-month"] = {
            "task": background.TASK_NAME, "args": (CLOSE_MONTH, 0),
            "schedule": when(app.config["SCHEDULE_CLOSE_MONTH"])}


@click.command("cleanup")
@with_appcontext
def cleanup_command():
    """Remove old report files and sign-in throttle rows that lock nothing any more."""
    counts = cleanup()
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))
