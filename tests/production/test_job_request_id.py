"""The request id goes with the work a request starts, whichever runner does it: the log
lines of a job run by the in-process thread pool, and of a task run by a Celery worker, carry
the id of the request that submitted it (``core.background``, ``core.logs``)."""

import io
import json
import logging
import threading
import time

import pytest
from pythonjsonlogger.json import JsonFormatter

from core import background, logs
from core.background import celery_init_app
from core.marks import public

KIND = "test.request_id"


@pytest.fixture
def job(monkeypatch):
    """A job kind of this test: it notes the id it runs under and logs one line."""
    seen, done = [], threading.Event()

    def work(object_id):
        seen.append(logs.current_request_id())
        logging.getLogger("vm.test.job").info("working on %s", object_id)
        done.set()

    monkeypatch.setitem(background._KINDS, KIND, work)
    return seen, done


@pytest.fixture
def json_lines():
    """What the production handler writes (JSON, request id filter) for the job's loggers,
    as parsed lines. On those loggers, not the root: a Celery worker starting in this
    process installs its own root handler (``core.logs._celery_logging``); the root's
    handlers and level are put back afterwards."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.RequestIdFilter())
    handler.setFormatter(JsonFormatter("{levelname}{name}{message}", style="{"))
    loggers = [logging.getLogger("vm.test.job"), logs.task_log]
    root = logging.getLogger()
    saved = [(logger, logger.level) for logger in (*loggers, root)], list(root.handlers)
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line]
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
        levels, handlers = saved
        for logger, level in levels:
            logger.setLevel(level)
        for extra in set(root.handlers) - set(handlers):
            root.removeHandler(extra)
        for missing in handlers:
            if missing not in root.handlers:
                root.addHandler(missing)


def _submitting_route(app):
    """A page that hands the test job over, as a service does after its commit."""

    @app.get("/test/submit-job")
    @public
    def submit_job():
        background.submit(KIND, 7)
        return "submitted"


def _wait_for(predicate, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _finished(json_lines):
    return any(e["name"] == "vm.task" and e.get("state") == "SUCCESS" for e in json_lines())


def _job_lines(lines):
    return [e for e in lines if e["name"] in ("vm.test.job", "vm.task")]


def test_the_thread_runner_carries_the_request_id_into_the_job(app, job, json_lines):
    seen, done = job
    app.config["OPERATIONS_EXECUTOR"] = "thread"
    _submitting_route(app)
    response = app.test_client().get("/test/submit-job",
                                      headers={"X-Request-ID": "thread-run-0001"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "thread-run-0001"
    assert done.wait(20)
    assert _wait_for(lambda: _finished(json_lines))
    assert seen == ["thread-run-0001"]
    lines = _job_lines(json_lines())
    assert [e["message"] for e in lines] == [
        f"job {KIND} started", "working on 7", f"job {KIND} succeeded"]
    assert {e["request_id"] for e in lines} == {"thread-run-0001"}
    # The pool thread keeps nothing: later work submitted outside a request has no id.
    done.clear()
    with app.app_context():
        background.submit(KIND, 8)
    assert done.wait(20) and seen[-1] is None


def test_a_celery_worker_carries_the_request_id_into_the_task(app, job, json_lines):
    from celery.contrib.testing.worker import start_worker

    seen, done = job
    app.config.update(OPERATIONS_EXECUTOR="celery", CELERY_BROKER_URL="memory://",
                      CELERY_TASK_QUEUE="test-request-id")
    celery = celery_init_app(app)  # an in-memory broker and a worker thread in this process
    _submitting_route(app)
    with start_worker(celery, pool="solo", perform_ping_check=False, shutdown_timeout=10,
                      queues=["test-request-id"]):
        response = app.test_client().get("/test/submit-job",
                                         headers={"X-Request-ID": "celery-run-0001"})
        assert response.status_code == 200
        assert done.wait(20)
        assert _wait_for(lambda: _finished(json_lines))
    assert seen == ["celery-run-0001"]
    lines = _job_lines(json_lines())
    assert [e["message"] for e in lines] == [
        "task background.run started", "working on 7", "task background.run success"]
    assert {e["request_id"] for e in lines} == {"celery-run-0001"}
