"""Scheduled work (what beat sends) and the request id carried into background jobs."""

import logging
import os
import time
from datetime import timedelta

from celery.schedules import crontab, schedule
from sqlalchemy import select

from auth.models import LoginThrottle
from core.audit import AuditEvent
from core.db import utcnow
from core.extensions import db
from corp import schedule as portal_schedule
from corp.models import Line
from tests.factories import make_line, node_named


def test_schedule_settings_read_as_crontab_or_seconds():
    nightly = portal_schedule.when("5 0 * * *")
    assert isinstance(nightly, crontab) and nightly.hour == {0} and nightly.minute == {5}
    often = portal_schedule.when("2")
    assert isinstance(often, schedule) and often.run_every == timedelta(seconds=2)


def test_beat_schedule_names_run_due_and_cleanup(app):
    from core import background

    celery = app.extensions["celery"]
    kinds = {entry["args"][0] for entry in celery.conf.beat_schedule.values()}
    expected = {portal_schedule.RUN_DUE, portal_schedule.CLEANUP}
    if portal_schedule.month_close_available():  # the billing package is in this build
        expected.add(portal_schedule.CLOSE_MONTH)
    assert kinds == expected
    assert {entry["task"] for entry in celery.conf.beat_schedule.values()} == {
        background.TASK_NAME}
    assert background.TASK_NAME in celery.tasks
    assert {portal_schedule.RUN_DUE, portal_schedule.CLEANUP} <= set(background.kinds())


def test_cleanup_removes_old_report_files_and_idle_throttles(app, runner, tmp_path):
    app.config["REPORT_FILES_DIR"] = str(tmp_path)
    old, recent = tmp_path / "old.xlsx", tmp_path / "recent.xlsx"
    old.write_bytes(b"x")
    recent.write_bytes(b"y")
    long_ago = time.time() - 40 * 86400
    os.utime(old, (long_ago, long_ago))
    db.session.add_all([
        LoginThrottle(email="idle@example.com", failures=2),
        LoginThrottle(email="expired@example.com", failures=0,
                      locked_until=utcnow() - timedelta(hours=1)),
        LoginThrottle(email="locked@example.com", failures=0,
                      locked_until=utcnow() + timedelta(minutes=10)),
    ])
    db.session.commit()
    result = runner.invoke(args=["cleanup"])
    assert result.exit_code == 0, result.output
    assert not old.exists() and recent.exists()
    left = set(db.session.scalars(select(LoginThrottle.email)))
    assert "locked@example.com" in left
    assert not {"idle@example.com", "expired@example.com"} & left


def test_scheduled_run_due_task_ends_a_voluntary_block(app):
    line = make_line(1, node_named(1, "Казань", "ИТ"), status="blocked",
                     block_kind="voluntary")
    line.blocked_until = utcnow().date()
    db.session.commit()
    counts = portal_schedule.run_due_work()
    assert counts["unblocked"] >= 1
    assert db.session.get(Line, line.id).status == "active"


def test_a_job_started_over_http_runs_under_the_request_id(app, client, api_token, caplog):
    app.config["OPERATIONS_EXECUTOR"] = "eager"
    app.config["OPERATOR_GATEWAY_DELAY"] = 0
    sales = node_named(1, "Москва", "Продажи")
    ids = [make_line(1, sales).id for _ in range(2)]
    db.session.commit()
    with caplog.at_level(logging.INFO):
        response = client.post("/api/v1/jobs", headers=api_token(
            "admin@romashka.example"), json={"type": "block", "params": {"kind": "voluntary"},
                                             "line_ids": ids, "dry_run": False})
    assert response.status_code == 202, response.json
    request_id = response.headers["X-Request-ID"]
    audited = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "operation.block", AuditEvent.line_id.in_(ids))).all()
    assert len(audited) == 2 and {e.request_id for e in audited} == {request_id}


def test_the_month_close_is_scheduled_when_the_billing_package_provides_it(app, monkeypatch):
    import importlib.machinery
    import sys
    import types
    from datetime import date

    from core import background

    closed = []
    fake = types.ModuleType("fake_billing_close")
    fake.__spec__ = importlib.machinery.ModuleSpec("fake_billing_close", None)
    fake.close_month = lambda period: closed.append(period) or {"accounts": 0}
    monkeypatch.setitem(sys.modules, "fake_billing_close", fake)
    monkeypatch.setattr(portal_schedule, "MONTH_CLOSE_MODULE", "fake_billing_close")
    portal_schedule.init_app(app)
    entry = app.extensions["celery"].conf.beat_schedule["close-month"]
    assert entry["args"] == (portal_schedule.CLOSE_MONTH, 0)
    assert entry["schedule"].day_of_month == {1}
    background.run(portal_schedule.CLOSE_MONTH, 0)
    last_month = date.today().replace(day=1) - timedelta(days=1)
    assert closed == [f"{last_month.year:04d}-{last_month.month:02d}"]
