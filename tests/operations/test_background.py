"""The background registry: a job kind names its function; the runner finds it by kind, and
the top-level ``worker`` module is a Celery app that knows the one task."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core import background

ROOT = Path(__file__).resolve().parents[2]


def test_every_background_kind_of_the_portal_is_registered(app):
    from corp.operations import jobs, service

    kinds = background.kinds()
    assert kinds["job"] is jobs.run_job
    assert kinds["operation"] is service.run_operation


def test_an_unknown_kind_is_refused_before_anything_is_queued(app):
    with pytest.raises(ValueError, match="unknown background kind"):
        background.submit("no-such-kind", 1)


def test_a_kind_cannot_be_taken_by_a_second_function():
    with pytest.raises(ValueError, match="already"):
        background.register("job", lambda object_id: None)


def test_eager_runner_calls_the_registered_function(app, monkeypatch):
    calls = []
    monkeypatch.setitem(background._KINDS, "test-kind", calls.append)
    app.config["OPERATIONS_EXECUTOR"] = "eager"
    background.submit("test-kind", 7)
    assert calls == [7]


def test_the_factory_initialises_celery_with_the_configured_queue(make_app):
    app = make_app(CELERY_BROKER_URL="redis://127.0.0.1:6379/2", CELERY_TASK_QUEUE="q-test")
    celery = app.extensions["celery"]
    assert background.TASK_NAME in celery.tasks
    assert celery.conf.task_default_queue == "q-test"
    assert background.mode(app) == "celery"


def test_celery_a_worker_loads_the_top_level_worker_module(tmp_path):
    code = ("import worker; from core.background import TASK_NAME; "
            "assert TASK_NAME in worker.celery.tasks; print(worker.celery.main)")
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'w.sqlite'}",
             "SECRET_KEY": "worker-test-secret", "CELERY_BROKER_URL": "redis://127.0.0.1:6379/2"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "app"
