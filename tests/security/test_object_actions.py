""""May view" is not "may act": jobs, staff reads, idempotency keys, lists, administrators."""

from decimal import Decimal

from sqlalchemy import func, select

from core.extensions import db
from corp.models import BillingAccount
from corp.operations.models import Job, Operation
from tests.factories import make_line, make_user
from tests.operations.conftest import advance_account, reload


def _job(api, lines, dry_run=False):
    return api.post("/api/v1/jobs", json={
        "type": "block", "params": {"kind": "voluntary"}, "line_ids": [x.id for x in lines],
        "dry_run": dry_run}, status=202).get_json()


def test_job_control_needs_the_type_permission_or_authorship(admin_api, accountant_api,
                                                             sales_api, line_in_sales):
    # A pending job (its worker not started): the accountant may view lines company-wide
    # but may not block lines, so cannot cancel, resume or read the results of it.
    job_id = _job(admin_api, [line_in_sales])["id"]
    job = db.session.get(Job, job_id)
    job.status, job.cancel_requested = "pending", False
    db.session.commit()
    accountant_api.get(f"/api/v1/jobs/{job_id}")  # viewing is fine
    for url in (f"/api/v1/jobs/{job_id}/cancel", f"/api/v1/jobs/{job_id}/resume"):
        assert accountant_api.post(url).status_code == 403
    accountant_api.get(f"/api/v1/jobs/{job_id}/results.csv", status=403)
    assert reload(job).status == "pending" and not job.cancel_requested
    # A scoped user who did not start it does not even see it.
    assert sales_api.post(f"/api/v1/jobs/{job_id}/cancel").status_code == 404
    # The author may.
    assert admin_api.post(f"/api/v1/jobs/{job_id}/cancel").status_code == 200
    assert reload(job).status == "cancelled"


def test_job_page_controls_follow_the_same_rule(login_as, admin_api, line_in_sales):
    job_id = _job(admin_api, [line_in_sales])["id"]
    job = db.session.get(Job, job_id)
    job.status = "pending"
    db.session.commit()
    client = login_as("accountant@romashka.example")
    assert client.post(f"/operations/jobs/{job_id}/cancel").status_code in (302, 403)
    assert reload(job).status == "pending" and not job.cancel_requested


def test_staff_see_only_operations_queued_for_them(admin_api, staff_api, line_in_sales):
    sms = admin_api.op(line_in_sales, "sms_send", {"text": "secret"}, status=202).get_json()
    staff_api.get(f"/api/v1/operations/{sms['id']}", status=404)
    # Deciding on it answers like an unknown id too (not "it is not waiting": an oracle).
    staff_api.post(f"/api/v1/operations/{sms['id']}/approve", json={"reason": ""}, status=404)
    queued = admin_api.account_op(advance_account(), "settlement_method_set",
                                  {"method": "credit"}, status=202).get_json()
    staff_api.get(f"/api/v1/operations/{queued['id']}")
    staff_api.post(f"/api/v1/operations/{queued['id']}/reject", json={"reason": "no"},
                   status=200)
    staff_api.get(f"/api/v1/operations/{queued['id']}")  # decided by them: still theirs
    other = db.session.get(Operation, queued["id"])
    other.decided_by = None
    db.session.commit()
    staff_api.get(f"/api/v1/operations/{queued['id']}", status=404)


def test_idempotency_keys_belong_to_their_requester(admin_api, sales_api, line_in_sales,
                                                    line_elsewhere):
    theirs = admin_api.op(line_elsewhere, "sms_send", {"text": "private"}, key="k1",
                          status=202).get_json()
    # The scoped user's own request with the same key is their own operation.
    mine = sales_api.op(line_in_sales, "sms_send", {"text": "mine"}, key="k1",
                        status=202).get_json()
    assert mine["id"] != theirs["id"]
    assert mine.get("params", {}).get("text") != "private"
    # Out-of-scope line with the key: 404 like any such line, never the earlier operation.
    assert sales_api.op(line_elsewhere, "sms_send", {"text": "x"}, key="k1").status_code == 404


def test_same_key_with_another_body_is_422(admin_api, line_in_sales):
    first = admin_api.op(line_in_sales, "sms_send", {"text": "one"}, key="k2",
                         status=202).get_json()
    again = admin_api.op(line_in_sales, "sms_send", {"text": "one"}, key="k2",
                         status=202).get_json()
    assert again["id"] == first["id"]
    refused = admin_api.op(line_in_sales, "sms_send", {"text": "two"}, key="k2", status=422)
    assert "Idempotency-Key" in refused.get_json()["errors"]
    assert db.session.scalar(select(func.count()).select_from(Operation).where(
        Operation.line_id == line_in_sales.id)) == 1


def test_billing_accounts_api_is_filtered_by_scope(admin_api, sales_api, kazan_it):
    first = advance_account()
    hidden = BillingAccount(company_id=1, contract_id=first.contract_id, number="999999000001",
                            settlement_method="advance", balance=Decimal("123.45"),
                            bill_delivery_email="hidden@romashka.example")
    db.session.add(hidden)
    db.session.flush()
    make_line(1, kazan_it, billing_account=hidden)  # outside the sales head's scope
    db.session.commit()
    every = admin_api.get("/api/v1/billing-accounts")
    assert hidden.id in {a["id"] for a in every}
    assert any(a.get("balance") == "123.45" for a in every)
    visible = sales_api.get("/api/v1/billing-accounts")
    assert visible and hidden.id not in {a["id"] for a in visible}
    assert all("balance" not in a and "bill_delivery_email" not in a for a in visible)


def test_only_a_global_admin_changes_a_global_admin(client, api_token, users):
    admin = users["admin"]
    token = api_token("admin@romashka.example")
    role_id = client.post("/api/v1/roles", headers=token, json={
        "name": "Кадры", "permissions": ["users.manage", "lines.view"]}).json["id"]
    hr = make_user(1, email="hr@romashka.example")
    db.session.commit()
    client.post(f"/api/v1/users/{hr.id}/assignments", headers=token,
                json={"role_id": role_id, "node_id": None})
    db.session.commit()
    hr_token = api_token("hr@romashka.example")
    for body in ({"email": "taken@evil.example"}, {"name": "Mallory"}):
        response = client.patch(f"/api/v1/users/{admin.id}", headers=hr_token, json=body)
        assert response.status_code == 403, response.json
    db.session.expire_all()
    assert reload(admin).email == "admin@romashka.example" and admin.name != "Mallory"
    assignments = client.get(f"/api/v1/users/{admin.id}/assignments", headers=token).json
    response = client.delete(
        f"/api/v1/users/{admin.id}/assignments/{assignments[0]['id']}", headers=hr_token)
    assert response.status_code == 403
    # A global administrator still may.
    assert client.patch(f"/api/v1/users/{admin.id}", headers=token,
                        json={"name": "Админ"}).status_code == 200


def test_scheduled_change_asks_again_whether_its_author_may_act(client, api_token, sales,
                                                                line_in_sales):
    from corp.operations.rules import next_period_start
    from corp.operations.service import run_due
    from roles.access import bump_policy_version

    operator = make_user(1, role="line_operator", node=sales, email="op@romashka.example")
    db.session.commit()
    headers = api_token("op@romashka.example")
    body = client.post(f"/api/v1/lines/{line_in_sales.id}/operations", headers=headers, json={
        "type": "tariff_change", "params": {"tariff_code": "biz_start",
                                            "effective": "next_period"}}).get_json()
    assert body["status"] == "pending" and body["scheduled_for"]
    # The operator's role is taken away before the period starts.
    from roles.models import Assignment

    for assignment in db.session.scalars(select(Assignment).where(
            Assignment.user_id == operator.id)):
        db.session.delete(assignment)
    bump_policy_version(1)
    db.session.commit()
    tariff_before = reload(line_in_sales).tariff_id
    run_due(next_period_start())
    operation = db.session.get(Operation, body["id"])
    assert operation.status == "failed" and "may no longer" in operation.error
    assert reload(line_in_sales).tariff_id == tariff_before
