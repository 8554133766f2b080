"""While a bulk job runs in the background, everybody else keeps writing: sign-ins (API and
login page), single operations, role changes and an export's audit record, in both
companies, succeed and are applied.

The job and the requests use separate connections to one real database (a SQLite file by
default, where writers must wait their turn instead of failing with "database is locked").
"""

import threading
import time
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from app import create_app
from core.audit import AuditEvent
from core.extensions import db
from tests.conftest import PASSWORD, TEST_CONFIG, build_database, fresh_database_url

ROMASHKA_ADMIN = "admin@romashka.example"
VECTOR_ADMIN = "admin@vector.example"


@pytest.fixture(scope="module")
def shared_database(tmp_path_factory):
    """A database of this module's own, committed to for real by the job and the requests."""
    url = fresh_database_url(tmp_path_factory, "vm_writes")
    build_database(url)
    return url


@pytest.fixture
def live_app(shared_database):
    # Not TESTING: a failure must be the 500 page a user gets, not an exception in the test.
    app = create_app({**TEST_CONFIG, "TESTING": False, "SQLALCHEMY_DATABASE_URI": shared_database,
                      "OPERATIONS_EXECUTOR": "thread", "OPERATOR_GATEWAY_DELAY": 0,
                      "OPERATIONS_JOB_CHUNK": 100})
    # No app context stays open: each request has its own session and connection, as in
    # production, and the test reads the database in short contexts of its own.
    yield app
    with app.app_context():
        db.engine.dispose()


def _token(client, email):
    response = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.data[:300]
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def _job_status(client, headers, job_id):
    response = client.get(f"/api/v1/jobs/{job_id}", headers=headers)
    assert response.status_code == 200, response.data[:300]
    return response.get_json()["status"]


@pytest.fixture
def slow_operator(monkeypatch):
    """The operator answers each SMS of the job in 10 ms (a real operator is slower) until
    the test has made its rounds, then at full speed: the job cannot finish before the writes
    it must overlap, however fast the machine, and the test does not wait longer than needed."""
    from corp.operations.gateway import SimulatedOperator

    rounds_done = threading.Event()
    apply = SimulatedOperator.apply

    def slow_apply(self, operation, target, params):
        if operation.type == "sms_send" and not rounds_done.is_set():
            time.sleep(0.01)
        return apply(self, operation, target, params)

    monkeypatch.setattr(SimulatedOperator, "apply", slow_apply)
    yield rounds_done
    rounds_done.set()


def test_every_write_succeeds_while_a_bulk_job_runs(live_app, slow_operator):
    from corp.models import Line
    from corp.operations.models import Job, LineLimit

    client = live_app.test_client()
    romashka = _token(client, ROMASHKA_ADMIN)
    vector = _token(client, VECTOR_ADMIN)
    with live_app.app_context():
        vector_lines = db.session.scalars(select(Line.id).where(
            Line.company_id == 2, Line.status == "active").order_by(Line.id).limit(200)).all()
    role = client.post("/api/v1/roles", headers=romashka,
                       json={"name": "Связист на время", "permissions": ["lines.view"]})
    assert role.status_code == 201, role.data[:300]
    role_id = role.get_json()["id"]

    started = client.post("/api/v1/jobs", headers=romashka, json={
        "type": "sms_send", "params": {"text": "Собрание в 10"}, "filter": {"q": ""},
        "dry_run": False})
    assert started.status_code == 202, started.data[:300]
    job_id = started.get_json()["id"]

    failures, applied_limits, rounds_while_running = [], {}, 0
    permissions = ["lines.view"]
    for round_number in range(len(vector_lines)):
        running_before = _job_status(client, romashka, job_id) in ("pending", "running")
        answers = []
        # Sign-in through the API and through the login page.
        answers.append(client.post("/api/v1/auth/token", json={
            "email": VECTOR_ADMIN, "password": PASSWORD}))
        browser = live_app.test_client()
        answers.append(browser.post("/login", data={"email": "accountant@romashka.example",
                                                    "password": PASSWORD}))
        # A single operation in the other company.
        line_id = vector_lines[round_number]
        amount = 100 + round_number
        answers.append(client.post(f"/api/v1/lines/{line_id}/operations", headers=vector, json={
            "type": "limit_set", "params": {"kind": "spend", "amount": str(amount),
                                            "action": "notify"}}))
        applied_limits[line_id] = amount
        # A role change in the job's own company.
        permissions = (["lines.view", "lines.sms"] if round_number % 2 == 0
                       else ["lines.view", "lines.block"])
        answers.append(client.patch(f"/api/v1/roles/{role_id}", headers=romashka,
                                    json={"permissions": permissions}))
        # A reading request that writes after all: the export records who exported.
        answers.append(client.get("/api/v1/hierarchy/export?format=csv", headers=romashka))
        for answer in answers:
            answer.close()  # a streamed download keeps its request context until closed
        failures += [(round_number, a.status_code, a.data[:200]) for a in answers
                     if a.status_code >= 500]
        assert [a.status_code for a in answers] == [201, 302, 202, 200, 200], answers[-1].data[:300]
        running_after = _job_status(client, romashka, job_id) in ("pending", "running")
        if running_before and running_after:
            rounds_while_running += 1
        if not running_after or rounds_while_running == 4:
            break
    slow_operator.set()
    for _poll in range(1_000_000):  # the job's own progress ends this loop
        if _job_status(client, romashka, job_id) not in ("pending", "running"):
            break
        time.sleep(0.05)  # leave the job the interpreter instead of polling it down

    assert failures == []
    # The writes really overlapped the job (a job too quick to overlap proves nothing).
    assert rounds_while_running == 4
    with live_app.app_context():
        job = db.session.get(Job, job_id)
        assert job.status == "done" and job.done + job.failed + job.refused == job.total
        assert job.done > 1000
        for line_id, amount in applied_limits.items():
            assert db.session.get(LineLimit, (line_id, "spend")).amount == Decimal(amount)
        exports = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "download.hierarchy"))
        assert exports == round_number + 1
    role = client.get(f"/api/v1/roles/{role_id}", headers=romashka).get_json()
    assert role["permissions"] == permissions


def test_a_reading_request_keeps_the_table_it_created_when_it_starts_writing(tmp_path):
    """On SQLite a GET request's transaction begins deferred and is restarted as a writer at
    its first write: a table it created before (the migrations a benchmark runs in a request
    context) must be part of what it writes, not rolled back with the reading snapshot."""
    url = f"sqlite:///{tmp_path / 'ddl.sqlite'}"
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.test_request_context("/lines", method="GET"):
        db.session.execute(text("CREATE TABLE probe (id INTEGER PRIMARY KEY)"))
        db.session.execute(text("INSERT INTO probe (id) VALUES (1)"))
        db.session.commit()
        assert db.session.scalar(text("SELECT count(*) FROM probe")) == 1
        db.engine.dispose()
