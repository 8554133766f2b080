"""Jobs (one operation type on many lines): selection, dry run, the job, its results, cancel
and crash recovery."""

import csv
import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from core.extensions import db
from corp.models import Line
from corp.operations import jobs
from corp.operations.models import Job, JobItem, Operation
from tests.factories import make_line
from tests.operations.conftest import reload


def bulk(api, status=None, **body):
    body.setdefault("params", {})
    return api.post("/api/v1/jobs", json=body, status=status).get_json()


@pytest.fixture
def dept_lines(sales):
    """Five lines in Москва / Продажи: three active, one voluntarily blocked, one terminated."""
    lines = [make_line(1, sales) for _ in range(3)]
    lines.append(make_line(1, sales, status="blocked", block_kind="voluntary"))
    lines.append(make_line(1, sales, status="terminated", block_kind="permanent"))
    db.session.commit()
    return lines


def test_dry_run_lists_changes_and_refusals_and_changes_nothing(admin_api, dept_lines,
                                                                vector_line):
    ids = [line.id for line in dept_lines] + [vector_line.id, 99_999_999]
    preview = bulk(admin_api, status=200, type="block", params={"kind": "voluntary"},
                   line_ids=ids, dry_run=True)
    assert preview["total"] == 7 and preview["will_change"] == 3 and preview["refused"] == 4
    reasons = {i["line_id"]: i["reason"] for i in preview["items"] if i["outcome"] == "refused"}
    assert "already blocked" in reasons[dept_lines[3].id]
    assert "terminated" in reasons[dept_lines[4].id]
    assert "outside your scope" in reasons[vector_line.id]
    assert "outside your scope" in reasons[99_999_999]
    assert all(reload(line).status == "active" for line in dept_lines[:3])
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_dry_run_equals_the_real_run(admin_api, dept_lines):
    ids = [line.id for line in dept_lines]
    preview = bulk(admin_api, status=200, type="block", params={"kind": "voluntary"},
                   line_ids=ids, dry_run=True)
    job = bulk(admin_api, status=202, type="block", params={"kind": "voluntary"}, line_ids=ids,
               dry_run=False)
    done = admin_api.get(f"/api/v1/jobs/{job['id']}")
    assert done["status"] == "done"
    outcome = {i.line_id: ("change" if i.status == "done" else "refused")
               for i in db.session.scalars(select(JobItem).where(JobItem.job_id == job["id"]))}
    assert outcome == {i["line_id"]: i["outcome"] for i in preview["items"]}
    assert done["progress"] == {"done": 3, "failed": 2, "refused": 2, "cancelled": 0,
                                "remaining": 0, "total": 5, "percent": 100}
    assert [reload(line).status for line in dept_lines] == [
        "blocked", "blocked", "blocked", "blocked", "terminated"]
    assert db.session.scalar(select(func.count()).select_from(Operation).where(
        Operation.job_id == job["id"], Operation.status == "done")) == 3


def test_sales_head_bulk_on_the_whole_company_touches_only_the_scope(sales_api, sales):
    preview = bulk(sales_api, status=200, type="sms_send", params={"text": "Собрание в 10"},
                   filter={"q": ""}, node_id=None, dry_run=True)
    assert preview["total"] > 0
    in_scope = db.session.scalar(select(func.count()).select_from(Line).where(
        Line.node_id == sales.id))
    assert preview["total"] == in_scope


def test_node_selection_and_permission_refusal(accountant_api, sales, dept_lines):
    # The accountant sees the department but may not block: every line refused, with why.
    preview = bulk(accountant_api, status=200, type="block", params={"kind": "loss"},
                   node_id=sales.id, dry_run=True)
    assert preview["will_change"] == 0
    assert {i["reason"] for i in preview["items"]} == {
        "You do not have the permission for this line."}


def test_bulk_bad_requests(admin_api, dept_lines, vector_api, sales):
    ids = [dept_lines[0].id]
    admin_api.post("/api/v1/jobs", json={"type": "block", "params": {"kind": "x"},
                                                    "line_ids": ids}, status=422)
    admin_api.post("/api/v1/jobs", json={"type": "block", "params": {
        "kind": "permanent", "confirm": "9161234567"}, "line_ids": ids}, status=422)
    admin_api.post("/api/v1/jobs", json={"type": "sim_replace", "params": {
        "iccid": "1"}, "line_ids": ids}, status=422)
    admin_api.post("/api/v1/jobs", json={"type": "service_add", "params": {
        "service_code": "nope"}, "line_ids": ids}, status=422)
    admin_api.post("/api/v1/jobs", json={"type": "unblock", "params": {}},
                   status=422)
    admin_api.post("/api/v1/jobs", json={"type": "unblock", "params": {},
                                                    "line_ids": ids, "node_id": sales.id},
                   status=422)
    vector_api.post("/api/v1/jobs", json={"type": "unblock", "node_id": sales.id},
                    status=404)


def test_numbers_list_selection(admin_api, dept_lines):
    numbers = [f"+7 {line.msisdn}" for line in dept_lines[:2]] + ["hello", "9000000000"]
    preview = bulk(admin_api, status=200, type="sms_send", params={"text": "hi"},
                   msisdns=numbers, dry_run=True)
    assert preview["will_change"] == 2 and preview["refused"] == 2


def test_results_csv_and_xlsx(admin_api, dept_lines):
    job = bulk(admin_api, status=202, type="limit_set",
               params={"kind": "data", "amount": "1000", "action": "block_data"},
               line_ids=[line.id for line in dept_lines], dry_run=False)
    response = admin_api.client.get(job["results_url"], headers=admin_api.headers)
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["msisdn", "line_id", "status", "reason", "operation_id"]
    assert sorted(r[2] for r in rows[1:]) == ["done"] * 4 + ["refused"]
    response = admin_api.client.get(job["results_xlsx_url"], headers=admin_api.headers)
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.max_row == 6


def test_upload_numbers_and_run_from_the_page(login_as, dept_lines):
    book = Workbook()
    book.active.append(["Номер"])
    for line in dept_lines[:3]:
        book.active.append([line.msisdn])
    out = io.BytesIO()
    book.save(out)
    client = login_as("admin@romashka.example")
    html = client.post("/operations/jobs/new", data={
        "type": "service_add", "service_code": "voicemail", "action": "preview",
        "file": (io.BytesIO(out.getvalue()), "numbers.xlsx")},
        content_type="multipart/form-data").get_data(as_text=True)
    assert "data-testid=\"preview-summary\"" in html and ">3<" not in html
    response = client.post("/operations/jobs/new", data={
        "type": "service_add", "service_code": "voicemail", "action": "run",
        "msisdns_text": "\n".join(line.msisdn for line in dept_lines[:3])})
    assert response.status_code == 302 and "/operations/jobs/" in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert 'data-status="done"' in page
    assert all(reload(line).services for line in dept_lines[:3])


def test_bulk_page_from_ticked_lines(login_as, dept_lines):
    client = login_as("admin@romashka.example")
    query = "&".join(f"line_ids={line.id}" for line in dept_lines)
    html = client.get(f"/operations/jobs/new?{query}").get_data(as_text=True)
    assert "5" in html.split('data-testid="job-selection"')[1][:80]


def test_the_former_bulk_page_address_redirects_to_the_new_job_page(login_as, dept_lines):
    client = login_as("admin@romashka.example")
    query = "&".join(f"line_ids={line.id}" for line in dept_lines)
    response = client.get(f"/operations/bulk?{query}")
    assert response.status_code == 308
    assert response.location.endswith(f"/operations/jobs/new?{query}")
    posted = client.post("/operations/bulk", data={"type": "block", "action": "preview"})
    assert posted.status_code == 308 and posted.location.endswith("/operations/jobs/new")


def test_the_former_bulk_api_address_answers_like_post_jobs(admin_api, dept_lines):
    ids = [line.id for line in dept_lines]
    body = {"type": "block", "params": {"kind": "voluntary"}, "line_ids": ids}
    old = admin_api.post("/api/v1/bulk-operations", json=body, status=200).get_json()
    assert old == bulk(admin_api, status=200, **body)
    job = admin_api.post("/api/v1/bulk-operations", json={**body, "dry_run": False},
                         status=202).get_json()
    assert admin_api.get(f"/api/v1/jobs/{job['id']}")["status"] == "done"


def test_numbers_from_upload_refuses_garbage():
    from core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        jobs.numbers_from_upload("x.xlsx", b"not a workbook")
    with pytest.raises(InvalidInput):
        jobs.numbers_from_upload("x.pdf", b"%PDF")
    assert jobs.numbers_from_upload("x.csv", b"msisdn\n9161234567\n") == ["9161234567"]


def test_cancel_a_pending_job(app, admin_api, dept_lines):
    app.config["OPERATIONS_EXECUTOR"] = "thread-never"  # nothing picks the job up
    from core import background

    submitted = []
    original = background.submit
    background.submit = lambda kind, object_id: submitted.append((kind, object_id))
    try:
        job = bulk(admin_api, status=202, type="block", params={"kind": "voluntary"},
                   line_ids=[line.id for line in dept_lines], dry_run=False)
    finally:
        background.submit = original
    assert job["status"] == "pending" and submitted == [("job", job["id"])]
    cancelled = admin_api.post(f"/api/v1/jobs/{job['id']}/cancel", status=200).get_json()
    assert cancelled["status"] == "cancelled" and cancelled["progress"]["cancelled"] == 3
    assert [reload(line).status for line in dept_lines[:3]] == ["active"] * 3
    admin_api.post(f"/api/v1/jobs/{job['id']}/cancel", status=409)


def test_a_crash_mid_job_leaves_no_line_half_changed_and_resume_finishes(
        app, admin, sales, monkeypatch):
    from corp.operations import gateway

    lines = [make_line(1, sales) for _ in range(7)]
    job = jobs.start_job(admin, "block", {"kind": "voluntary"}, {"line_ids": [x.id for x in lines]})
    db.session.commit()
    app.config["OPERATIONS_JOB_CHUNK"] = 2
    real = gateway.SimulatedOperator.apply_batch
    calls = {"n": 0}

    def dies_in_the_third_chunk(self, type_name, targets, params):
        calls["n"] += 1
        if calls["n"] == 3:
            real(self, type_name, targets[:1], params)  # half-way through the chunk...
            raise RuntimeError("worker killed")
        return real(self, type_name, targets, params)

    monkeypatch.setattr(gateway.SimulatedOperator, "apply_batch", dies_in_the_third_chunk)
    with pytest.raises(RuntimeError):
        jobs.run_job(job.id)
    db.session.rollback()
    db.session.expire_all()
    items = {i.line_id: i for i in db.session.scalars(select(JobItem).where(
        JobItem.job_id == job.id))}
    statuses = [items[x.id].status for x in lines]
    assert statuses == ["done"] * 4 + ["pending"] * 3
    assert [db.session.get(Line, x.id).status for x in lines] == ["blocked"] * 4 + ["active"] * 3
    assert db.session.get(Job, job.id).done == 4
    # Resume: refused while the job looks alive, accepted once its heartbeat is stale.
    with pytest.raises(jobs.Refused):
        jobs.resume_job(admin, job.id)
    app.config["OPERATIONS_JOB_STALE_SECONDS"] = 0
    jobs.resume_job(admin, job.id)
    db.session.commit()
    jobs.run_job(job.id)
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == "done"
    assert [db.session.get(Line, x.id).status for x in lines] == ["blocked"] * 7
    assert db.session.scalar(select(func.count()).select_from(Operation).where(
        Operation.job_id == job.id)) == 7


def test_a_line_changed_during_a_batch_falls_back_line_by_line(app, admin, sales,
                                                               monkeypatch):
    from sqlalchemy import update

    from corp.operations import gateway

    lines = [make_line(1, sales) for _ in range(3)]
    job = jobs.start_job(admin, "block", {"kind": "loss"}, {"line_ids": [x.id for x in lines]})
    db.session.commit()
    real = gateway.SimulatedOperator.apply_batch

    def someone_else_edits(self, type_name, targets, params):
        db.session.execute(update(Line).where(Line.id == lines[1].id).values(
            version=Line.version + 1, employee_name="Новое имя")
            .execution_options(synchronize_session=False))
        return real(self, type_name, targets, params)

    monkeypatch.setattr(gateway.SimulatedOperator, "apply_batch", someone_else_edits)
    jobs.run_job(job.id)
    db.session.expire_all()
    found = db.session.get(Job, job.id)
    assert (found.status, found.done, found.failed) == ("done", 3, 0)
    assert [db.session.get(Line, x.id).block_kind for x in lines] == ["loss"] * 3


def test_bulk_move_to_a_new_account_opens_one_account(admin_api, dept_lines):
    ids = [line.id for line in dept_lines[:3]]
    job = bulk(admin_api, status=202, type="number_transfer", params={"new_account": True},
               line_ids=ids, dry_run=False)
    assert admin_api.get(f"/api/v1/jobs/{job['id']}")["progress"]["done"] == 3
    accounts = {reload(line).billing_account_id for line in dept_lines[:3]}
    assert len(accounts) == 1 and accounts != {dept_lines[3].billing_account_id}


@pytest.fixture
def admin(users):
    return users["admin"]


def test_a_role_revoked_while_a_job_waits_stops_it_on_those_lines(sales_api, dept_lines,
                                                                   users, monkeypatch):
    from roles.access import bump_policy_version
    from roles.models import Assignment

    monkeypatch.setattr(jobs, "dispatch", lambda job: None)  # keep the job waiting
    job_id = bulk(sales_api, status=202, type="block", params={"kind": "voluntary"},
                  line_ids=[line.id for line in dept_lines[:3]], dry_run=False)["id"]
    db.session.query(Assignment).filter(Assignment.user_id == users["sales_head"].id).delete()
    bump_policy_version(1)
    db.session.commit()

    jobs.run_job(job_id)

    items = db.session.scalars(select(JobItem).where(JobItem.job_id == job_id)).all()
    assert {i.status for i in items} == {"failed"}
    assert all("permission" in i.reason for i in items)
    assert all(reload(line).status == "active" for line in dept_lines[:3])
    assert db.session.get(Job, job_id).failed == 3
