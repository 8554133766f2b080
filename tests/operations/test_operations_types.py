"""Each operation type through the API: happy path, business-rule refusals, bad parameters."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.extensions import db
from corp.models import BillingAccount, Line, LineEvent, LineService, Service
from corp.operations.models import (
    ForwardingRule,
    FreeNumber,
    LineLimit,
    Operation,
    PromisedPayment,
    SmsMessage,
)
from corp.validators import luhn_check_digit
from tests.factories import make_line
from tests.operations.conftest import advance_account, credit_account, reload, tariff


def services_of(line):
    db.session.expire_all()
    return set(db.session.scalars(select(Service.code).join(LineService).where(
        LineService.line_id == line.id)))


def connect(line, *codes):
    for code in codes:
        service = db.session.scalar(select(Service).where(Service.code == code))
        db.session.add(LineService(line_id=line.id, service_id=service.id))
    db.session.flush()


def refused(response, fragment):
    assert response.status_code == 409, response.get_json()
    body = response.get_json()
    assert body["code"] == "refused"
    assert fragment in body["message"]


def invalid(response, field):
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"], response.get_json()


# --- block / unblock ---------------------------------------------------------------------------


def test_voluntary_block_with_end_date_records_history_and_audit(admin_api, line_in_sales):
    until = (date.today() + timedelta(days=10)).isoformat()
    body = admin_api.op(line_in_sales, "block", {"kind": "voluntary", "until": until},
                        status=202).get_json()
    line = reload(line_in_sales)
    assert (line.status, line.block_kind) == ("blocked", "voluntary")
    assert str(line.blocked_until) == until
    assert body["before"]["status"] == "active" and body["after"]["status"] == "blocked"
    event = db.session.scalar(select(LineEvent).where(LineEvent.line_id == line.id))
    assert event.kind == "block"
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "operation.block",
                                                       AuditEvent.line_id == line.id))
    assert audit.before["status"] == "active" and audit.after["status"] == "blocked"


def test_loss_block_and_refusals(admin_api, line_in_sales):
    admin_api.op(line_in_sales, "block", {"kind": "loss"}, status=202)
    refused(admin_api.op(line_in_sales, "block", {"kind": "loss"}), "already blocked")
    refused(admin_api.op(line_in_sales, "block", {"kind": "voluntary"}), "already blocked")


def test_end_date_only_for_voluntary_and_in_future(admin_api, line_in_sales):
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    invalid(admin_api.op(line_in_sales, "block", {"kind": "loss", "until": tomorrow}), "until")
    invalid(admin_api.op(line_in_sales, "block", {"kind": "voluntary",
                                                  "until": date.today().isoformat()}), "until")


def test_permanent_block_needs_the_typed_number(admin_api, line_in_sales):
    invalid(admin_api.op(line_in_sales, "block", {"kind": "permanent"}), "confirm")
    invalid(admin_api.op(line_in_sales, "block", {"kind": "permanent", "confirm": "9160000000"}),
            "confirm")
    assert reload(line_in_sales).status == "active"
    n = line_in_sales.msisdn
    typed = f"+7 ({n[:3]}) {n[3:6]}-{n[6:]}"
    admin_api.op(line_in_sales, "block", {"kind": "permanent", "confirm": typed}, status=202)
    assert reload(line_in_sales).status == "terminated"
    refused(admin_api.op(line_in_sales, "unblock"), "terminated")
    refused(admin_api.op(line_in_sales, "service_add", {"service_code": "voicemail"}),
            "terminated")


def test_unblock_refusals(admin_api, sales):
    active = make_line(1, sales)
    refused(admin_api.op(active, "unblock"), "not blocked")
    financial = make_line(1, sales, status="blocked", block_kind="financial")
    refused(admin_api.op(financial, "unblock"), "financial")
    refused(admin_api.op(financial, "block", {"kind": "loss"}), "financial")


def test_block_bad_parameters(admin_api, line_in_sales):
    invalid(admin_api.op(line_in_sales, "block", {"kind": "forever"}), "kind")
    invalid(admin_api.op(line_in_sales, "block", {}), "kind")
    invalid(admin_api.op(line_in_sales, "block", {"kind": "loss", "colour": "red"}), "colour")
    invalid(admin_api.op(line_in_sales, "block", {"kind": "voluntary", "until": "soon"}), "until")
    invalid(admin_api.op(line_in_sales, "teleport", {}), "type")


def test_voluntary_block_ends_by_itself(app, admin_api, line_in_sales):
    from corp.operations.service import run_due

    until = date.today() + timedelta(days=3)
    admin_api.op(line_in_sales, "block", {"kind": "voluntary", "until": until.isoformat()},
                 status=202)
    assert run_due(until - timedelta(days=1))["unblocked"] == 0
    assert run_due(until)["unblocked"] == 1
    assert reload(line_in_sales).status == "active"


# --- services ----------------------------------------------------------------------------------


def test_service_add_and_remove_show_fees(admin_api, line_in_sales):
    body = admin_api.op(line_in_sales, "service_add", {"service_code": "roaming_easy"},
                        status=202).get_json()
    assert body["result"]["monthly_fee"] == "300.00"
    assert services_of(line_in_sales) == {"roaming_easy"}
    admin_api.op(line_in_sales, "service_remove", {"service_code": "roaming_easy"}, status=202)
    assert services_of(line_in_sales) == set()


def test_service_rules(admin_api, line_in_sales):
    connect(line_in_sales, "caller_id")
    refused(admin_api.op(line_in_sales, "service_add", {"service_code": "caller_id"}),
            "already connected")
    refused(admin_api.op(line_in_sales, "service_add", {"service_code": "anti_id"}),
            "incompatible")
    # static_ip is only for the IoT and data tariffs; the line is on biz_max.
    refused(admin_api.op(line_in_sales, "service_add", {"service_code": "static_ip"}),
            "not available on the tariff")
    refused(admin_api.op(line_in_sales, "service_remove", {"service_code": "voicemail"}),
            "not connected")
    invalid(admin_api.op(line_in_sales, "service_add", {"service_code": "no_such"}),
            "service_code")
    invalid(admin_api.op(line_in_sales, "service_add", {}), "service_code")
    assert services_of(line_in_sales) == {"caller_id"}


# --- promised payment -------------------------------------------------------------------------


@pytest.fixture
def poor_line(sales):
    account = advance_account()
    account.balance = Decimal("150")
    db.session.flush()
    return make_line(1, sales, billing_account=account)


def test_promised_payment_credits_and_lifts_a_financial_block(accountant_api, poor_line, sales):
    blocked = make_line(1, sales, billing_account=poor_line.billing_account, status="blocked",
                        block_kind="financial")
    body = accountant_api.op(poor_line, "promised_payment", {"amount": "500"},
                             status=202).get_json()
    assert reload(poor_line).billing_account.balance == Decimal("650")
    assert body["result"]["lifted_financial_blocks"] >= 1
    assert reload(blocked).status == "active"
    promised = db.session.scalar(select(PromisedPayment).where(
        PromisedPayment.billing_account_id == poor_line.billing_account_id))
    assert promised.expires_on == date.today() + timedelta(days=3)
    refused(accountant_api.op(poor_line, "promised_payment", {"amount": "100"}),
            "already has an active")


def test_promised_payment_only_when_the_balance_is_low(accountant_api, poor_line):
    poor_line.billing_account.balance = Decimal("5000")
    refused(accountant_api.op(poor_line, "promised_payment", {"amount": "100"}),
            "balance is not low")


def test_promised_payment_rules(accountant_api, poor_line, sales):
    invalid(accountant_api.op(poor_line, "promised_payment", {"amount": "5000"}), "amount")
    invalid(accountant_api.op(poor_line, "promised_payment", {"amount": "-3"}), "amount")
    invalid(accountant_api.op(poor_line, "promised_payment", {"amount": "lots"}), "amount")
    db.session.add(PromisedPayment(billing_account_id=poor_line.billing_account_id,
                                   amount=Decimal("100"), expires_on=date.today()))
    db.session.flush()
    refused(accountant_api.op(poor_line, "promised_payment", {"amount": "100"}),
            "already has an active")
    on_credit = make_line(1, sales, billing_account=credit_account())
    refused(accountant_api.op(on_credit, "promised_payment", {"amount": "100"}),
            "advance-settled")


def test_promised_payment_expires(accountant_api, poor_line):
    from corp.operations.service import run_due

    accountant_api.op(poor_line, "promised_payment", {"amount": "500"}, status=202)
    assert run_due(date.today() + timedelta(days=3))["expired_promised_payments"] == 1
    assert reload(poor_line).billing_account.balance == Decimal("150")


# --- SMS ----------------------------------------------------------------------------------------


def test_sms_send_counts_segments_and_records_delivery(admin_api, line_in_sales, sales):
    body = admin_api.op(line_in_sales, "sms_send", {"text": "Привет, коллеги!"},
                        status=202).get_json()
    assert body["result"]["encoding"] == "UCS-2" and body["result"]["segments"] == 1
    message = db.session.get(SmsMessage, body["result"]["sms_id"])
    assert message.status == "delivered" and message.msisdn == line_in_sales.msisdn
    blocked = make_line(1, sales, status="blocked", block_kind="voluntary")
    body = admin_api.op(blocked, "sms_send", {"text": "x" * 161}, status=202).get_json()
    assert body["result"]["segments"] == 2 and body["result"]["delivery"] == "undelivered"


def test_sms_too_long_or_empty(admin_api, line_in_sales):
    invalid(admin_api.op(line_in_sales, "sms_send", {"text": "я" * 336}), "text")  # 6 segments
    invalid(admin_api.op(line_in_sales, "sms_send", {"text": ""}), "text")


def test_sms_segments_rules():
    from corp.operations.rules import sms_segments

    assert sms_segments("a" * 160)["segments"] == 1
    assert sms_segments("a" * 161)["segments"] == 2
    assert sms_segments("я" * 70)["segments"] == 1
    assert sms_segments("я" * 71)["segments"] == 2
    assert sms_segments("€" * 80)["length"] == 160


# --- forwarding -------------------------------------------------------------------------------


def test_forwarding_set_and_clear(admin_api, line_in_sales):
    admin_api.op(line_in_sales, "forwarding_set",
                 {"condition": "no_answer", "target": "8 916 555-44-33"}, status=202)
    admin_api.op(line_in_sales, "forwarding_set",
                 {"condition": "busy", "target": "+7 916 555 44 34"}, status=202)
    rules = {r.condition: r for r in db.session.scalars(select(ForwardingRule).where(
        ForwardingRule.line_id == line_in_sales.id))}
    assert rules["no_answer"].target == "9165554433" and rules["no_answer"].delay_seconds == 20
    # Unconditional overrides the others: they are cleared.
    admin_api.op(line_in_sales, "forwarding_set",
                 {"condition": "unconditional", "target": "9165554435"}, status=202)
    db.session.expire_all()
    assert {r.condition for r in db.session.scalars(select(ForwardingRule).where(
        ForwardingRule.line_id == line_in_sales.id))} == {"unconditional"}
    refused(admin_api.op(line_in_sales, "forwarding_set",
                         {"condition": "busy", "target": "9165554436"}), "Unconditional")
    admin_api.op(line_in_sales, "forwarding_clear", {"condition": "all"}, status=202)
    refused(admin_api.op(line_in_sales, "forwarding_clear", {"condition": "busy"}),
            "No such call forwarding")


def test_forwarding_bad_parameters(admin_api, line_in_sales):
    invalid(admin_api.op(line_in_sales, "forwarding_set",
                         {"condition": "busy", "target": "+1 212 555 0000"}), "target")
    invalid(admin_api.op(line_in_sales, "forwarding_set",
                         {"condition": "busy", "target": line_in_sales.msisdn}), "target")
    invalid(admin_api.op(line_in_sales, "forwarding_set",
                         {"condition": "no_answer", "target": "9165554433",
                          "delay_seconds": 45}), "delay_seconds")
    invalid(admin_api.op(line_in_sales, "forwarding_set",
                         {"condition": "busy", "target": "9165554433", "delay_seconds": 10}),
            "delay_seconds")
    invalid(admin_api.op(line_in_sales, "forwarding_clear", {"condition": "sometimes"}),
            "condition")


# --- limits -------------------------------------------------------------------------------------


def test_limits(admin_api, line_in_sales):
    admin_api.op(line_in_sales, "limit_set",
                 {"kind": "spend", "amount": "1500", "action": "block_outgoing"}, status=202)
    limit = db.session.get(LineLimit, (line_in_sales.id, "spend"))
    assert (limit.amount, limit.action) == (Decimal("1500"), "block_outgoing")
    admin_api.op(line_in_sales, "limit_set",
                 {"kind": "spend", "amount": "2000", "action": "notify"}, status=202)
    admin_api.op(line_in_sales, "limit_clear", {"kind": "spend"}, status=202)
    db.session.expire_all()
    assert db.session.get(LineLimit, (line_in_sales.id, "spend")) is None
    refused(admin_api.op(line_in_sales, "limit_clear", {"kind": "data"}), "No data traffic limit")
    invalid(admin_api.op(line_in_sales, "limit_set",
                         {"kind": "spend", "amount": "100", "action": "block_data"}), "action")
    invalid(admin_api.op(line_in_sales, "limit_set",
                         {"kind": "data", "amount": "0", "action": "notify"}), "amount")


# --- tariff -------------------------------------------------------------------------------------


def test_tariff_change_now_disconnects_incompatible_services(admin_api, line_in_sales):
    connect(line_in_sales, "extra_gb", "voicemail")
    body = admin_api.op(line_in_sales, "tariff_change",
                        {"tariff_code": "biz_iot", "effective": "now"}, status=202).get_json()
    assert body["result"]["disconnected_services"] == ["extra_gb"]
    assert reload(line_in_sales).tariff.code == "biz_iot"
    assert services_of(line_in_sales) == {"voicemail"}
    refused(admin_api.op(line_in_sales, "tariff_change", {"tariff_code": "biz_iot"}),
            "already on this tariff")
    invalid(admin_api.op(line_in_sales, "tariff_change", {"tariff_code": "gold"}), "tariff_code")
    invalid(admin_api.op(line_in_sales, "tariff_change",
                         {"tariff_code": "biz_start", "effective": "someday"}), "effective")


def test_tariff_change_from_next_period_waits(admin_api, line_in_sales):
    from corp.operations.rules import next_period_start
    from corp.operations.service import run_due

    body = admin_api.op(line_in_sales, "tariff_change",
                        {"tariff_code": "biz_start", "effective": "next_period"},
                        status=202).get_json()
    assert body["status"] == "pending" and body["scheduled_for"] == str(next_period_start())
    assert reload(line_in_sales).tariff.code == "biz_max"
    run_due(next_period_start())
    assert reload(line_in_sales).tariff.code == "biz_start"
    assert db.session.get(Operation, body["id"]).status == "done"


def test_tariff_configure(admin_api, line_in_sales, sales):
    admin_api.op(line_in_sales, "tariff_configure",
                 {"options": {"favourite_numbers": ["+7 916 111-22-33", "89161112234"],
                              "data_package_mb": 60000}}, status=202)
    assert reload(line_in_sales).tariff_options == {
        "favourite_numbers": ["9161112233", "9161112234"], "data_package_mb": 60000}
    invalid(admin_api.op(line_in_sales, "tariff_configure",
                         {"options": {"data_package_mb": 12345}}), "options.data_package_mb")
    invalid(admin_api.op(line_in_sales, "tariff_configure",
                         {"options": {"favourite_numbers": ["9161112233"] * 2}}),
            "options.favourite_numbers")
    invalid(admin_api.op(line_in_sales, "tariff_configure",
                         {"options": {"favourite_numbers": [f"916111223{i}" for i in range(6)]}}),
            "options.favourite_numbers")
    invalid(admin_api.op(line_in_sales, "tariff_configure", {"options": {"colour": "red"}}),
            "options.colour")
    plain = make_line(1, sales, tariff=tariff("biz_start"))
    refused(admin_api.op(plain, "tariff_configure", {"options": {"data_package_mb": 20000}}),
            "nothing to configure")


# --- SIM, number, transfer ----------------------------------------------------------------------


def new_iccid(n=1):
    base = f"89701999{n:010d}"
    return base + luhn_check_digit(base)


def test_sim_replace_lifts_a_loss_block(admin_api, sales):
    line = make_line(1, sales, status="blocked", block_kind="loss")
    body = admin_api.op(line, "sim_replace", {"iccid": new_iccid(1)}, status=202).get_json()
    assert body["result"]["loss_block_lifted"] is True
    line = reload(line)
    assert (line.iccid, line.status) == (new_iccid(1), "active")


def test_sim_replace_rules(admin_api, line_in_sales, line_elsewhere):
    invalid(admin_api.op(line_in_sales, "sim_replace", {"iccid": new_iccid(2)[:-1] + "0"
                                                        if new_iccid(2)[-1] != "0" else
                                                        new_iccid(2)[:-1] + "1"}), "iccid")
    invalid(admin_api.op(line_in_sales, "sim_replace", {"iccid": "123"}), "iccid")
    invalid(admin_api.op(line_in_sales, "sim_replace", {"iccid": line_elsewhere.iccid}), "iccid")
    invalid(admin_api.op(line_in_sales, "sim_replace", {"iccid": line_in_sales.iccid}), "iccid")


def test_number_change_from_offered_numbers(admin_api, line_in_sales):
    offered = admin_api.get(f"/api/v1/lines/{line_in_sales.id}/free-numbers")["items"]
    assert len(offered) == 10
    old = line_in_sales.msisdn
    admin_api.op(line_in_sales, "number_change", {"msisdn": offered[0]}, status=202)
    assert reload(line_in_sales).msisdn == offered[0]
    quarantined = db.session.get(FreeNumber, old)
    assert quarantined.status == "quarantine" and quarantined.quarantine_until > date.today()
    assert db.session.get(FreeNumber, offered[0]) is None
    invalid(admin_api.op(line_in_sales, "number_change", {"msisdn": old}), "msisdn")
    invalid(admin_api.op(line_in_sales, "number_change", {"msisdn": "9161234567"}), "msisdn")
    invalid(admin_api.op(line_in_sales, "number_change", {"msisdn": "12"}), "msisdn")


def test_number_transfer_to_existing_and_new_account(admin_api, line_in_sales):
    target = db.session.scalar(select(BillingAccount).where(
        BillingAccount.company_id == 1, BillingAccount.id != line_in_sales.billing_account_id)
        .order_by(BillingAccount.id))
    old_account = line_in_sales.billing_account_id
    admin_api.op(line_in_sales, "number_transfer",
                 {"billing_account_number": target.number}, status=202)
    assert reload(line_in_sales).billing_account_id == target.id
    shown = {e.object_id for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "operation.number_transfer",
        AuditEvent.object_type == "billing_account"))}
    assert {str(old_account), str(target.id)} <= shown
    refused(admin_api.op(line_in_sales, "number_transfer",
                         {"billing_account_number": target.number}), "already on this")
    body = admin_api.op(line_in_sales, "number_transfer", {"new_account": True},
                        status=202).get_json()
    new = db.session.scalar(select(BillingAccount).where(
        BillingAccount.number == body["result"]["to_account"]))
    assert new.contract_id == target.contract_id
    assert reload(line_in_sales).billing_account_id == new.id


def test_number_transfer_rules(admin_api, line_in_sales):
    vector_account = db.session.scalar(select(BillingAccount).where(BillingAccount.company_id == 2))
    invalid(admin_api.op(line_in_sales, "number_transfer",
                         {"billing_account_number": vector_account.number}),
            "billing_account_number")
    invalid(admin_api.op(line_in_sales, "number_transfer",
                         {"billing_account_number": "12345"}), "billing_account_number")
    invalid(admin_api.op(line_in_sales, "number_transfer", {}), "billing_account_number")


# --- billing accounts ---------------------------------------------------------------------------


def test_bill_delivery_set(accountant_api):
    account = advance_account()
    body = accountant_api.account_op(account, "bill_delivery_set", {
        "email": "buh@romashka.example, Director@Romashka.example",
        "postal_address": "г. Москва, ул. Тверская, д. 7"}, status=202).get_json()
    assert body["status"] == "done"
    account = reload(account)
    assert account.bill_delivery_email == "buh@romashka.example, Director@romashka.example"
    invalid(accountant_api.account_op(account, "bill_delivery_set", {"email": "not-an-email"}),
            "email")
    invalid(accountant_api.account_op(account, "bill_delivery_set", {}), "email")
    invalid(accountant_api.account_op(account, "bill_delivery_set",
                                      {"postal_address": "Москва"}), "postal_address")
    refused(accountant_api.account_op(account, "bill_delivery_set", {
        "email": account.bill_delivery_email, "postal_address": account.bill_delivery_address}),
        "already")


def test_settlement_to_credit_waits_for_the_operator(admin_api, staff_api):
    account = advance_account()
    body = admin_api.account_op(account, "settlement_method_set", {"method": "credit"},
                                status=202).get_json()
    assert body["status"] == "awaiting_operator"
    assert reload(account).settlement_method == "advance"
    refused(admin_api.account_op(account, "settlement_method_set", {"method": "credit"}),
            "already waiting")
    queue = staff_api.get("/api/v1/approvals")
    assert body["id"] in [o["id"] for o in queue]
    # A company user cannot decide.
    admin_api.post(f"/api/v1/operations/{body['id']}/approve", status=403)
    # Approving credit needs the limit the operator grants (no default), positive and capped.
    for bad in ({}, {"credit_limit": "0"}, {"credit_limit": "10000000.01"}):
        staff_api.post(f"/api/v1/operations/{body['id']}/approve", json=bad, status=422)
    assert reload(account).settlement_method == "advance"
    decided = staff_api.post(f"/api/v1/operations/{body['id']}/approve",
                             json={"credit_limit": "80000"}, status=200).get_json()
    assert decided["status"] == "done"
    account = reload(account)
    assert (account.settlement_method, account.credit_limit) == ("credit", Decimal("80000"))
    staff_api.post(f"/api/v1/operations/{body['id']}/approve", status=409)


def test_settlement_rejected_by_the_operator(admin_api, staff_api):
    account = advance_account()
    body = admin_api.account_op(account, "settlement_method_set", {"method": "credit"},
                                status=202).get_json()
    decided = staff_api.post(f"/api/v1/operations/{body['id']}/reject",
                             json={"reason": "нет договора поручительства"},
                             status=200).get_json()
    assert decided["status"] == "failed" and "поручительства" in decided["error"]
    assert reload(account).settlement_method == "advance"


def test_settlement_back_to_advance_rules(admin_api):
    account = credit_account()
    account.balance = Decimal("-100")
    db.session.flush()
    refused(admin_api.account_op(account, "settlement_method_set", {"method": "advance"}), "debt")
    account.balance = Decimal("100")
    db.session.flush()
    body = admin_api.account_op(account, "settlement_method_set", {"method": "advance"},
                                status=202).get_json()
    assert body["status"] == "done" and reload(account).settlement_method == "advance"
    refused(admin_api.account_op(account, "settlement_method_set", {"method": "advance"}),
            "already")
    invalid(admin_api.account_op(account, "settlement_method_set", {"method": "barter"}),
            "method")


def test_line_type_on_an_account_is_unknown(admin_api):
    response = admin_api.account_op(advance_account(), "block", {"kind": "loss"})
    assert response.status_code == 422


def test_every_type_appears_in_the_openapi_document(client):
    from corp.operations.schemas import PARAMS_SCHEMAS, component_name

    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    for type_name in PARAMS_SCHEMAS:
        assert component_name(type_name) in schemas, type_name
    assert "/api/v1/lines/{line_id}/operations" in spec["paths"]
    assert "post" in spec["paths"]["/api/v1/jobs"]
    assert spec["paths"]["/api/v1/bulk-operations"]["post"]["deprecated"] is True
    assert set(schemas["BlockParams"]["properties"]) == {"kind", "until", "confirm"}


def test_catalogue_and_accounts(admin_api, vector_api):
    tariffs = admin_api.get("/api/v1/catalogue/tariffs")
    assert {"biz_max", "biz_start"} <= {t["code"] for t in tariffs}
    services = {s["code"]: s for s in admin_api.get("/api/v1/catalogue/services")}
    assert services["anti_id"]["incompatible_with"] == ["caller_id"]
    accounts = admin_api.get("/api/v1/billing-accounts")
    assert len(accounts) == 4
    assert {a["settlement_method"] for a in accounts} == {"advance", "credit"}
    assert not {a["id"] for a in accounts} & {a["id"] for a in vector_api.get(
        "/api/v1/billing-accounts")}


def test_lines_elsewhere_are_untouched(admin_api, line_in_sales):
    before = db.session.scalar(select(Line).where(Line.id == 1)).status
    admin_api.op(line_in_sales, "block", {"kind": "voluntary"}, status=202)
    assert reload(db.session.get(Line, 1)).status == before
