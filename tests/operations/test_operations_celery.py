"""Bulk jobs on real Celery workers (Redis broker, file SQLite database): a job runs to the
end; a worker killed mid-job leaves no line half-changed and the job resumes to the end."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from app import create_app
from core.extensions import db
from tests.conftest import TEST_CONFIG, build_database

pytestmark = pytest.mark.celery

REDIS = os.environ.get("CELERY_TEST_BROKER", "redis://127.0.0.1:6379/9")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def celery_db(tmp_path_factory):
    """A file SQLite database with the demo data, shared by the worker and the test."""
    url = f"sqlite:///{tmp_path_factory.mktemp('celery') / 'celery.sqlite'}"
    build_database(url)
    return url


@pytest.fixture
def queue():
    """A queue of this test's own, so parallel runs on one Redis never meet."""
    return f"vm-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def celery_app(celery_db, queue):
    # The test only watches (its writes are short): its transactions begin deferred, so that
    # one left open between two looks never holds SQLite's write lock (see core/sqlite.py).
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": celery_db,
                      "CELERY_BROKER_URL": REDIS, "CELERY_TASK_QUEUE": queue,
                      "OPERATIONS_JOB_STALE_SECONDS": 0,
                      "SQLALCHEMY_ENGINE_OPTIONS": {
                          "execution_options": {"sqlite_begin": "deferred"}}})
    with app.app_context():
        yield app
        db.session.remove()


def start_worker(database_url, queue, tmp_path, **env):
    """``celery -A worker worker`` as a subprocess."""
    log_path = tmp_path / f"worker-{uuid.uuid4().hex[:6]}.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "worker", "worker",
             "--pool=solo", "-Q", queue, "--without-gossip", "--without-mingle",
             "--without-heartbeat", "-l", "info"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "DATABASE_URL": database_url, "CELERY_BROKER_URL": REDIS,
                 "CELERY_TASK_QUEUE": queue, "SECRET_KEY": "celery-test-secret",
                 **{k: str(v) for k, v in env.items()}},
        )
    process.log_path = str(log_path)
    return process


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(predicate, timeout=90, what="condition", process=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        db.session.rollback()
        if predicate():
            return
        time.sleep(0.2)
    log = Path(process.log_path).read_text()[-3000:] if process else ""
    raise AssertionError(f"timed out waiting for {what}\n{log}")


def _lines(department, n):
    from corp.models import Line
    from tests.factories import node_named

    node = node_named(1, *department)
    return db.session.scalars(select(Line).where(Line.node_id == node.id,
                                                 Line.status == "active")
                              .order_by(Line.id).limit(n)).all()


def _admin():
    from auth.models import User

    return db.session.scalar(select(User).where(User.email == "admin@romashka.example"))


def test_a_bulk_job_runs_on_a_celery_worker(celery_app, celery_db, queue, tmp_path):
    from corp.operations import jobs
    from corp.operations.models import Job

    lines = _lines(("Казань", "Бухгалтерия"), 6)
    ids = [line.id for line in lines]
    job = jobs.start_job(_admin(), "limit_set",
                         {"kind": "spend", "amount": "700", "action": "notify"},
                         {"line_ids": ids})
    db.session.commit()
    jobs.dispatch(job)  # CELERY_BROKER_URL is set: this sends a task
    worker = start_worker(celery_db, queue, tmp_path)
    try:
        wait_for(lambda: db.session.get(Job, job.id).status == "done", what="the job",
                 process=worker)
    finally:
        stop(worker)
    from corp.operations.models import LineLimit

    found = db.session.get(Job, job.id)
    assert (found.done, found.failed) == (6, 0)
    assert all(db.session.get(LineLimit, (i, "spend")).amount == 700 for i in ids)


def test_a_killed_worker_leaves_no_line_half_changed_and_the_job_resumes(
        celery_app, celery_db, queue, tmp_path):
    from corp.models import Line
    from corp.operations import jobs
    from corp.operations.models import Job, JobItem, Operation

    lines = _lines(("Казань", "Логистика"), 16)
    ids = [line.id for line in lines]
    job = jobs.start_job(_admin(), "block", {"kind": "voluntary"}, {"line_ids": ids})
    db.session.commit()
    jobs.dispatch(job)
    worker = start_worker(celery_db, queue, tmp_path, OPERATOR_GATEWAY_DELAY="0.25",
                          OPERATIONS_JOB_CHUNK="2")
    try:
        wait_for(lambda: db.session.get(Job, job.id).done >= 4, what="some lines done",
                 process=worker)
    finally:
        os.kill(worker.pid, signal.SIGKILL)  # the worker dies mid-job
        worker.wait()
    db.session.expire_all()
    found = db.session.get(Job, job.id)
    assert found.status == "running" and 4 <= found.done < 16
    items = {i.line_id: i for i in db.session.scalars(select(JobItem).where(
        JobItem.job_id == job.id))}
    for line_id in ids:
        line = db.session.get(Line, line_id)
        operation = db.session.scalar(select(Operation).where(
            Operation.job_id == job.id, Operation.line_id == line_id))
        if items[line_id].status == "done":
            assert line.status == "blocked" and operation.status == "done"
        else:
            # Not done: untouched, no operation half-recorded.
            assert items[line_id].status == "pending"
            assert line.status == "active" and operation is None
    assert sum(1 for i in items.values() if i.status == "done") == found.done

    jobs.resume_job(_admin(), job.id)
    db.session.commit()
    jobs.dispatch(found)
    worker = start_worker(celery_db, queue, tmp_path)
    try:
        wait_for(lambda: db.session.get(Job, job.id).status == "done", what="the resumed job",
                 process=worker)
    finally:
        stop(worker)
    found = db.session.get(Job, job.id)
    assert (found.done, found.failed) == (16, 0)
    assert all(db.session.get(Line, i).status == "blocked" for i in ids)
    assert len(db.session.scalars(select(Operation).where(Operation.job_id == job.id)).all()) == 16
