"""The Procfile set really agrees with itself: 2 gunicorn workers, 1 Celery worker and beat on
PostgreSQL and Redis, driven over HTTP only (loopback, ports of its own).

- a role revoked through one request is refused by every following request, whichever web
  worker serves it (20 rounds of grant → allowed → revoke → refused);
- a bulk job started over HTTP runs on the Celery worker and its progress is read over HTTP;
  the worker is SIGKILLed mid-job and a new one finishes it, no line done twice;
- a scheduled item (a voluntary block ending today) comes due and beat has it run.

Run by CI (``.ci/run``): ``RUN_MULTIPROCESS=1 pytest -m multiprocess``; skipped otherwise.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import create_app
from core.extensions import db
from tests.conftest import PASSWORD, TEST_CONFIG, build_database, fresh_database_url

pytestmark = [
    pytest.mark.multiprocess,
    pytest.mark.skipif(not os.environ.get("RUN_MULTIPROCESS"),
                       reason="multi-process scenario: RUN_MULTIPROCESS=1 (CI runs it)"),
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                       reason="the multi-process scenario runs on PostgreSQL"),
]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REDIS = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/6")
WAIT = 90


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """The processes of the Procfile, started with its commands, on one database and queue."""

    def __init__(self, database_url, tmp_path):
        self.tmp = tmp_path
        self.port = free_port()
        self.queue = f"vm-mp-{uuid.uuid4().hex[:8]}"
        self.env = {**os.environ, "DATABASE_URL": database_url, "CELERY_BROKER_URL": REDIS,
                    "RATELIMIT_STORAGE_URI": REDIS, "CELERY_TASK_QUEUE": self.queue,
                    "SECRET_KEY": "multiprocess-test-secret", "PORT": str(self.port),
                    "BIND_ADDRESS": "127.0.0.1", "WEB_CONCURRENCY": "2", "WEB_THREADS": "1",
                    "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
                    "SCHEDULE_RUN_DUE": "2", "LOG_FORMAT": "json",
                    "OPERATOR_GATEWAY_DELAY": "0.3", "OPERATIONS_JOB_CHUNK": "2",
                    # A killed worker's task is handed out again after this many seconds.
                    "CELERY_VISIBILITY_TIMEOUT": "5"}
        self.processes = {}

    def start(self, name, *command):
        log = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115 - closed in stop()
        process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        process.log_file = log
        self.processes[name] = process
        return process

    def start_web(self):
        return self.start("web", str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app")

    def start_worker(self, name="worker"):
        return self.start(name, str(BIN / "celery"), "-A", "worker",
                          "worker", "--pool=solo", "-Q", self.queue, "--without-gossip",
                          "--without-mingle", "-l", "INFO")

    def start_beat(self):
        return self.start("beat", str(BIN / "celery"), "-A", "worker",
                          "beat", "-l", "INFO", "--schedule", str(self.tmp / "beat-schedule"))

    def stop(self, name, sig=signal.SIGTERM):
        process = self.processes.pop(name)
        if process.poll() is None:
            os.killpg(process.pid, sig)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        process.log_file.close()

    def stop_all(self):
        for name in list(self.processes):
            self.stop(name)

    def logs(self, name) -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def all_logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}"
                         for p in sorted(self.tmp.glob("*.log")))

    def call(self, method, path, token=None, body=None):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json",
                     **({"Authorization": f"Bearer {token}"} if token else {})})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                raw = answer.read()
                return answer.status, (json.loads(raw) if raw else None), answer.headers
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                data = json.loads(raw)
            except ValueError:
                data = raw[:300]
            return error.code, data, error.headers

    def token(self, email):
        status, data, _ = self.call("POST", "/api/v1/auth/token",
                                    body={"email": email, "password": PASSWORD})
        assert status == 201, data
        return data["token"]

    def wait_until(self, predicate, what, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}\n{self.all_logs()}")


@pytest.fixture(scope="module")
def database_url_mp(tmp_path_factory):
    url = fresh_database_url(tmp_path_factory, "vm_multiprocess")
    build_database(url)
    return url


@pytest.fixture(scope="module")
def stack(database_url_mp, tmp_path_factory):
    stack = Stack(database_url_mp, tmp_path_factory.mktemp("multiprocess"))
    stack.start_web()
    stack.start_worker()
    stack.start_beat()
    try:
        stack.wait_until(lambda: _ready(stack), "the web processes to be ready", timeout=60)
        yield stack
    finally:
        stack.stop_all()


def _ready(stack):
    try:
        status, data, _ = stack.call("GET", "/readyz")
    except OSError:
        return False
    return status == 200 and data["checks"] == {"database": "ok", "redis": "ok", "broker": "ok"}


@pytest.fixture(scope="module")
def direct(database_url_mp):
    """The test's own view of the database, for set-up and for checks after the fact."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url_mp})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _json_lines(text):
    for line in text.splitlines():
        start = line.find("{")
        if start < 0:
            continue
        try:
            yield json.loads(line[start:])
        except ValueError:
            continue


def _served_by(stack, request_ids) -> set:
    """The web worker pids whose JSON request lines carry these request ids."""
    return {entry["pid"] for entry in _json_lines(stack.logs("web"))
            if entry.get("logger") == "vm.request" and entry.get("request_id") in request_ids}


def test_a_revoked_role_is_refused_by_every_worker_at_once(stack, direct):
    from auth.models import User
    from roles.models import Assignment

    sales_head = db.session.scalar(
        select(User).where(User.email == "sales.head@romashka.example"))
    assignment = db.session.scalar(select(Assignment).where(Assignment.user_id == sales_head.id))
    role_id, node_id = assignment.role_id, assignment.node_id
    db.session.rollback()
    admin = stack.token("admin@romashka.example")
    head = stack.token("sales.head@romashka.example")
    base = f"/api/v1/users/{sales_head.id}/assignments"
    refused_ids = []
    current = assignment.id
    for round_ in range(20):
        # Both workers answer (and cache the policy) while the role is held.
        for _ in range(4):
            status, _data, _h = stack.call("GET", "/api/v1/lines?per_page=1", head)
            assert status == 200, f"round {round_}: allowed request refused"
        status, data, _ = stack.call("DELETE", f"{base}/{current}", admin)
        assert status == 204, data
        for _ in range(4):
            status, data, headers = stack.call("GET", "/api/v1/lines?per_page=1", head)
            assert status == 403, f"round {round_}: a revoked role still served: {data}"
            refused_ids.append(headers["X-Request-ID"])
        status, data, _ = stack.call("POST", base, admin, {"role_id": role_id,
                                                            "node_id": node_id})
        assert status == 201, data
        current = data["id"]
    # The refusals came from both web workers, not from one that happened to serve all.
    assert len(_served_by(stack, set(refused_ids))) == 2, stack.logs("web")[-3000:]


def test_a_job_survives_its_worker_being_killed_and_no_line_is_done_twice(stack, direct):
    from corp.models import Line
    from corp.operations.models import Job, JobItem, Operation
    from tests.factories import node_named

    node = node_named(1, "Санкт-Петербург", "Логистика")
    ids = db.session.scalars(select(Line.id).where(Line.node_id == node.id,
                                                   Line.status == "active")
                             .order_by(Line.id).limit(24)).all()
    db.session.rollback()
    assert len(ids) == 24
    admin = stack.token("admin@romashka.example")
    status, job, headers = stack.call("POST", "/api/v1/jobs", admin, {
        "type": "block", "params": {"kind": "voluntary"}, "line_ids": ids, "dry_run": False})
    assert status == 202, job
    request_id = headers["X-Request-ID"]

    def progress():
        status, data, _ = stack.call("GET", f"/api/v1/jobs/{job['id']}", admin)
        assert status == 200, data
        return data

    seen = stack.wait_until(lambda: (p := progress())["progress"]["done"] >= 4 and p,
                            "the Celery worker to do some lines")
    assert seen["status"] == "running"
    stack.stop("worker", signal.SIGKILL)  # dies mid-job, its task unacknowledged
    after_kill = progress()
    assert after_kill["status"] == "running" and after_kill["progress"]["done"] < 24
    stack.start_worker("worker2")
    finished = stack.wait_until(lambda: (p := progress())["status"] == "done" and p,
                                "a new worker to finish the job", timeout=120)
    assert finished["progress"]["done"] == 24 and finished["progress"]["failed"] == 0
    per_line = dict(db.session.execute(
        select(Operation.line_id, func.count()).where(Operation.job_id == job["id"])
        .group_by(Operation.line_id)).all())
    assert per_line == dict.fromkeys(ids, 1)  # every line once, none twice
    assert all(db.session.get(Line, i).status == "blocked" for i in ids)
    assert db.session.scalar(select(func.count()).select_from(JobItem).where(
        JobItem.job_id == job["id"], JobItem.status == "done")) == 24
    assert db.session.get(Job, job["id"]).done == 24
    db.session.rollback()
    # The second worker ran the job under the id of the request that started it.
    task_lines = [entry for entry in _json_lines(stack.logs("worker2"))
                  if entry.get("logger") == "vm.task" and entry.get("work") == "job"
                  and entry.get("object_id") == job["id"]]
    assert task_lines and {e["request_id"] for e in task_lines} == {request_id}


def test_beat_runs_what_comes_due(stack, direct):
    from corp.models import Line
    from tests.factories import node_named

    node = node_named(1, "Казань", "Продажи")
    line = db.session.scalar(select(Line).where(Line.node_id == node.id,
                                                Line.status == "active").order_by(Line.id))
    line.status, line.block_kind, line.blocked_until = "blocked", "voluntary", date.today()
    db.session.commit()
    line_id = line.id
    admin = stack.token("admin@romashka.example")

    def unblocked():
        status, data, _ = stack.call("GET", f"/api/v1/lines/{line_id}", admin)
        return status == 200 and data["status"] == "active"

    stack.wait_until(unblocked, "beat to have the due voluntary block ended")
    assert "Sending due task run-due" in stack.logs("beat")


def test_concurrent_writers_of_one_company_never_fork_its_audit_chain(stack, database_url_mp):
    import threading

    from core import audit
    from core.audit import verify_chains

    barrier = threading.Barrier(4)
    failures = []

    # Built one after the other: the factory registers global extensions (not thread-safe).
    apps = [create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url_mp})
            for _ in range(4)]

    def writer(n):
        with apps[n].app_context():
            try:
                barrier.wait(timeout=30)
                for i in range(10):
                    audit.record("test.concurrent", company_id=1, object_id=f"{n}-{i}")
                    db.session.flush()
                    time.sleep(0.01)  # both transactions hold unchained rows at once
                    db.session.commit()
            except Exception as error:  # reported below, with the thread's number
                failures.append((n, repr(error)))
            finally:
                db.session.remove()
                db.engine.dispose()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url_mp})
    with app.app_context():
        # Everything the web workers, the Celery workers and these writers recorded.
        report = verify_chains()
        db.session.remove()
        db.engine.dispose()
    assert report["broken"] == [] and report["checked"] >= 40
