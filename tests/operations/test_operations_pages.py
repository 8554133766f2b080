"""The line card's operation sections, the Operations page and the approval queue."""

import re
from decimal import Decimal

from sqlalchemy import select

from core.extensions import db
from corp.models import LineEvent
from corp.operations.models import Operation
from tests.operations.conftest import advance_account, reload


def card(client, line):
    db.session.commit()
    response = client.get(f"/lines/{line.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def post_card(client, line, data):
    db.session.commit()
    return client.post(f"/lines/{line.id}/operations", data={"version": line.version, **data},
                       follow_redirects=True)


def test_admin_sees_every_section(login_as, line_in_sales):
    html = card(login_as("admin@romashka.example"), line_in_sales)
    for section in ("op-block", "op-service_add", "op-sms_send", "op-forwarding_set",
                    "op-limit_set", "op-tariff_change", "op-tariff_configure", "op-sim_replace",
                    "op-number_change", "op-number_transfer", "op-bill_delivery_set",
                    "op-settlement_method_set", "op-promised_payment"):
        assert f'id="{section}"' in html, section


def test_sections_follow_permissions(login_as, line_in_sales):
    html = card(login_as("accountant@romashka.example"), line_in_sales)
    assert 'id="op-promised_payment"' in html and 'id="op-bill_delivery_set"' in html
    assert 'id="op-block"' not in html and 'id="op-sim_replace"' not in html
    assert 'id="op-settlement_method_set"' not in html


def test_block_from_the_card(login_as, line_in_sales):
    client = login_as("sales.head@romashka.example")
    html = post_card(client, line_in_sales, {"type": "block", "kind": "loss"}).get_data(
        as_text=True)
    assert reload(line_in_sales).status == "blocked"
    assert 'data-status="blocked"' in html
    events = db.session.scalars(select(LineEvent).where(
        LineEvent.line_id == line_in_sales.id)).all()
    assert [e.kind for e in events] == ["block"]


def test_refusal_on_the_card_is_explained(login_as, line_in_sales):
    client = login_as("admin@romashka.example")
    html = post_card(client, line_in_sales, {"type": "unblock"}).get_data(as_text=True)
    assert "The line is not blocked." in html or "не заблокирован" in html
    html = post_card(client, line_in_sales, {"type": "block", "kind": "permanent",
                                             "confirm": "9999999999"}).get_data(as_text=True)
    assert reload(line_in_sales).status == "active"
    assert "alert-danger" in html


def test_permanent_block_with_the_typed_number(login_as, line_in_sales):
    client = login_as("admin@romashka.example")
    post_card(client, line_in_sales, {"type": "block", "kind": "permanent",
                                      "confirm": line_in_sales.msisdn})
    assert reload(line_in_sales).status == "terminated"


def test_double_submit_runs_once(login_as, line_in_sales):
    client = login_as("admin@romashka.example")
    form = {"type": "sms_send", "text": "hello", "idempotency_key": "card-abc"}
    post_card(client, line_in_sales, form)
    post_card(client, line_in_sales, form)
    assert len(db.session.scalars(select(Operation).where(
        Operation.line_id == line_in_sales.id)).all()) == 1


def test_stale_card_form_is_told_to_reload(login_as, line_in_sales):
    client = login_as("admin@romashka.example")
    old = line_in_sales.version
    post_card(client, line_in_sales, {"type": "block", "kind": "loss"})
    html = client.post(f"/lines/{line_in_sales.id}/operations",
                       data={"type": "limit_set", "kind": "spend", "amount": "100",
                             "action": "notify", "version": old},
                       follow_redirects=True).get_data(as_text=True)
    assert "alert-danger" in html and ("reload" in html or "обновите" in html.lower())


def test_card_forms_for_other_types(login_as, line_in_sales):
    client = login_as("admin@romashka.example")
    post_card(client, line_in_sales, {"type": "service_add", "service_code": "voicemail"})
    post_card(client, line_in_sales, {"type": "forwarding_set", "condition": "busy",
                                      "target": "+7 916 000-11-22"})
    post_card(client, line_in_sales, {"type": "tariff_configure",
                                      "option.favourite_numbers": "9160001122, 9160001123",
                                      "kind.favourite_numbers": "msisdn_list",
                                      "option.data_package_mb": "40000"})
    post_card(client, line_in_sales, {"type": "number_transfer", "billing_account_number": ""})
    line = reload(line_in_sales)
    assert [s.service.code for s in line.services] == ["voicemail"]
    assert line.tariff_options["favourite_numbers"] == ["9160001122", "9160001123"]
    assert line.billing_account_id != advance_account().id
    html = card(client, line)
    assert "+7 916 000-11-22" in html and "voicemail" not in html.split('id="op-service_add"')[0]


def test_account_form_on_the_card(login_as, line_in_sales):
    client = login_as("admin@romashka.example")
    db.session.commit()
    html = client.post(f"/billing-accounts/{line_in_sales.billing_account_id}/operations",
                       data={"type": "settlement_method_set", "method": "credit",
                             "line_id": line_in_sales.id}, follow_redirects=True)
    assert html.status_code == 200
    operation = db.session.scalar(select(Operation).where(
        Operation.billing_account_id == line_in_sales.billing_account_id))
    assert operation.status == "awaiting_operator"


def test_operations_page_lists_and_filters(login_as, admin_api, line_in_sales):
    admin_api.op(line_in_sales, "sms_send", {"text": "hi"}, status=202)
    admin_api.op(line_in_sales, "block", {"kind": "loss"}, status=202)
    client = login_as("admin@romashka.example")
    html = client.get("/operations?type=block").get_data(as_text=True)
    table = html.split('data-testid="operations-table"')[1]
    assert len(re.findall(r"data-operation-id", table)) == 1
    assert client.get("/operations?status=nonsense").status_code == 200


def test_approval_page_for_staff(login_as, admin_api, client):
    account = advance_account()
    body = admin_api.account_op(account, "settlement_method_set", {"method": "credit"},
                                status=202).get_json()
    staff = login_as("staff@operator.example")
    # The queue moved into the staff workspace's requests: the page leads there.
    assert str(advance_account().number) in staff.get(
        "/operations/approvals", follow_redirects=True).get_data(as_text=True)
    # Approving the credit settlement method grants a credit limit: never a default.
    staff.post(f"/operations/approvals/{body['id']}", data={"decision": "approve"})
    assert db.session.get(Operation, body["id"]).status == "awaiting_operator"
    staff.post(f"/operations/approvals/{body['id']}",
               data={"decision": "approve", "credit_limit": "120 000,50"})
    assert db.session.get(Operation, body["id"]).status == "done"
    assert (reload(account).settlement_method, reload(account).credit_limit) == (
        "credit", Decimal("120000.50"))


def test_approval_page_is_staff_only(login_as):
    assert login_as("admin@romashka.example").get("/operations/approvals").status_code == 403
