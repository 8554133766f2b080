"""Who may run which operation on which line: a table of role × type × where the line is."""

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.extensions import db
from tests.operations.conftest import advance_account, reload

# type, params, (sales head: own line, line elsewhere), accountant (company-wide view).
CASES = [
    ("block", {"kind": "voluntary"}, 202, 404, 403),
    ("unblock", {}, 409, 404, 403),  # allowed, but the line is not blocked
    ("service_remove", {"service_code": "voicemail"}, 409, 404, 403),
    ("forwarding_clear", {"condition": "all"}, 409, 404, 403),
    ("limit_clear", {"kind": "spend"}, 409, 404, 403),
    ("tariff_configure", {"options": {"data_package_mb": 40000}}, 202, 404, 403),
    ("sim_replace", {"iccid": "8970199000000000007"}, 202, 404, 403),
    ("number_change", {"msisdn": "9161234567"}, 422, 404, 403),  # not an offered number
    ("service_add", {"service_code": "voicemail"}, 202, 404, 403),
    ("sms_send", {"text": "hi"}, 202, 404, 403),
    ("forwarding_set", {"condition": "busy", "target": "9165554433"}, 202, 404, 403),
    ("limit_set", {"kind": "spend", "amount": "100", "action": "notify"}, 202, 404, 403),
    ("tariff_change", {"tariff_code": "biz_start"}, 202, 404, 403),
    ("number_transfer", {"new_account": True}, 403, 404, 403),
]


@pytest.mark.parametrize(("type_name", "params", "own", "elsewhere", "accountant"), CASES)
def test_permission_table(sales_api, accountant_api, vector_api, admin_api, line_in_sales,
                          line_elsewhere, vector_line, type_name, params, own, elsewhere,
                          accountant):
    sales_api.op(line_in_sales, type_name, params, status=own)
    sales_api.op(line_elsewhere, type_name, params, status=elsewhere)
    accountant_api.op(line_elsewhere, type_name, params, status=accountant)
    # Another company's line is a 404 even for that company's... other admin.
    vector_api.op(line_in_sales, type_name, params, status=404)
    admin_api.op(vector_line, type_name, params, status=404)


def test_refusal_without_permission_is_audited_and_changes_nothing(accountant_api, line_elsewhere):
    accountant_api.op(line_elsewhere, "block", {"kind": "loss"}, status=403)
    assert reload(line_elsewhere).status == "active"
    denied = db.session.scalar(select(AuditEvent).where(
        AuditEvent.outcome == "denied", AuditEvent.line_id == line_elsewhere.id))
    assert denied is not None and "lines.block" in denied.detail


def test_promised_payment_is_the_accountants(accountant_api, sales_api, line_in_sales):
    line_in_sales.billing_account.balance = 10
    sales_api.op(line_in_sales, "promised_payment", {"amount": "100"}, status=403)
    accountant_api.op(line_in_sales, "promised_payment", {"amount": "100"}, status=202)


def test_account_operations_need_company_wide_permission(sales_api, accountant_api,
                                                         vector_api):
    account = advance_account()
    sales_api.account_op(account, "bill_delivery_set", {"email": "a@b.example"}, status=403)
    vector_api.account_op(account, "bill_delivery_set", {"email": "a@b.example"}, status=404)
    accountant_api.account_op(account, "settlement_method_set", {"method": "credit"}, status=403)
    accountant_api.account_op(account, "bill_delivery_set", {"email": "a@b.example"}, status=202)


def test_operation_visibility(admin_api, sales_api, vector_api, line_elsewhere, line_in_sales):
    mine = admin_api.op(line_elsewhere, "block", {"kind": "loss"}, status=202).get_json()
    sales_api.get(f"/api/v1/operations/{mine['id']}", status=404)
    vector_api.get(f"/api/v1/operations/{mine['id']}", status=404)
    assert admin_api.get(f"/api/v1/operations/{mine['id']}")["status"] == "done"
    own = sales_api.op(line_in_sales, "block", {"kind": "loss"}, status=202).get_json()
    listed = sales_api.get("/api/v1/operations?type=block")["items"]
    assert own["id"] in [o["id"] for o in listed] and mine["id"] not in [o["id"] for o in listed]
    by_line = admin_api.get(f"/api/v1/operations?line_id={line_elsewhere.id}&status=done")
    assert [o["id"] for o in by_line["items"]] == [mine["id"]]
    admin_api.get("/api/v1/operations?status=weird", status=422)


def test_unauthenticated_api_is_refused(client, line_in_sales):
    db.session.commit()
    response = client.post(f"/api/v1/lines/{line_in_sales.id}/operations",
                           json={"type": "unblock", "params": {}})
    assert response.status_code == 401


def test_staff_only_approval_queue(admin_api, staff_api):
    admin_api.get("/api/v1/approvals", status=403)
    assert isinstance(staff_api.get("/api/v1/approvals"), list)


def test_free_numbers_need_number_change(accountant_api, line_in_sales, sales_api):
    accountant_api.get(f"/api/v1/lines/{line_in_sales.id}/free-numbers", status=403)
    assert len(sales_api.get(f"/api/v1/lines/{line_in_sales.id}/free-numbers")["items"]) == 10

