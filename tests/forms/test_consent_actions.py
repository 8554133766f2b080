"""What the operator's approval of a consent application really does: the credit limit of
the credit settlement method, contract re-registration (details, history, documents),
contract termination and number porting (lines closed through the operator, billing)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.extensions import db
from corp.billing.charges import histories
from corp.billing.close import buyer_details
from corp.billing.rating import period_of
from corp.models import BillingAccount, Company, Contract, HolderChange, Line, LineEvent
from corp.operations.models import Operation
from corp.requests.models import Request
from corp.service import holder_details
from corp.validators import inn_check_digits, make_bank_account, ogrn_check_digit
from forms import service as forms_service
from hierarchy.models import Node

from .conftest import pdf_text, valid_fields
from .test_requests import ADMIN, STAFF, _application, _approve

NEW_INN = "500300400"
NEW_INN = NEW_INN + inn_check_digits(NEW_INN)
NEW_OGRN = "102500300400"
NEW_OGRN = NEW_OGRN + ogrn_check_digit(NEW_OGRN)
NEW_BIK = "044525225"
NEW_ACCOUNT = make_bank_account("40702810400000000777", NEW_BIK)


@pytest.fixture
def admin(client, api_token):
    return api_token(ADMIN)


@pytest.fixture
def staff(client, api_token):
    return api_token(STAFF)


def _credit_request(client, admin, account):
    response = client.post(f"/api/v1/billing-accounts/{account.id}/operations", headers=admin,
                           json={"type": "settlement_method_set", "params": {"method": "credit"},
                                 "version": account.version})
    assert response.status_code == 202, response.json
    return db.session.scalar(select(Request).where(Request.operation_id == response.json["id"]))


def _advance_account():
    return db.session.scalar(select(BillingAccount).where(
        BillingAccount.company_id == 1, BillingAccount.settlement_method == "advance")
        .order_by(BillingAccount.id))


# --- The credit limit ---------------------------------------------------------------------


def test_credit_approval_needs_a_valid_limit_and_sets_it(client, admin, staff):
    account = _advance_account()
    item = _credit_request(client, admin, account)
    url = f"/api/v1/requests/{item.id}/transition"
    assert client.post(url, headers=staff, json={"to": "in_progress"}).status_code == 200
    for bad in (None, "", "0", "-5", "1.005", "abc", "10000000.01", 5.5e12):
        body = {"to": "done"} if bad is None else {"to": "done", "credit_limit": bad}
        response = client.post(url, headers=staff, json=body)
        assert response.status_code == 422, (bad, response.json)
        db.session.expire_all()
        assert db.session.get(Request, item.id).status == "in_progress"
        assert db.session.get(BillingAccount, account.id).settlement_method == "advance"
    done = client.post(url, headers=staff, json={"to": "done", "credit_limit": "250000"})
    assert done.status_code == 200, done.json
    assert done.json["action_result"]["credit_limit"] == "250000.00"
    db.session.expire_all()
    stored = db.session.get(BillingAccount, account.id)
    assert (stored.settlement_method, stored.credit_limit) == ("credit", Decimal("250000.00"))
    operation = db.session.get(Operation, item.operation_id)
    assert operation.status == "done" and operation.after["credit_limit"] == "250000.00"
    # The company sees it on its billing account, in the API and on the finance page.
    accounts = client.get("/api/v1/billing-accounts", headers=admin).json
    assert {a["number"]: a["credit_limit"] for a in accounts}[account.number] == "250000.00"


def test_credit_rejection_needs_no_limit_and_changes_nothing(client, admin, staff):
    account = _advance_account()
    item = _credit_request(client, admin, account)
    response = client.post(f"/api/v1/requests/{item.id}/transition", headers=staff,
                           json={"to": "rejected", "comment": "Нет поручительства."})
    assert response.status_code == 200, response.json
    db.session.expire_all()
    stored = db.session.get(BillingAccount, account.id)
    assert (stored.settlement_method, stored.credit_limit) == ("advance", Decimal("0"))
    assert db.session.get(Operation, item.operation_id).status == "failed"


def test_a_credit_limit_is_refused_where_it_means_nothing(client, admin, staff):
    claim = client.post("/api/v1/requests", headers=admin, json={
        "kind": "claim", "subject": "Счёт", "text": "Проверьте счёт."}).json["id"]
    url = f"/api/v1/requests/{claim}/transition"
    assert client.post(url, headers=staff, json={"to": "in_progress",
                                                 "credit_limit": "100"}).status_code == 422
    assert client.post(url, headers=staff, json={"to": "in_progress"}).status_code == 200
    assert client.post(url, headers=staff, json={"to": "done",
                                                 "credit_limit": "100"}).status_code == 422
    db.session.expire_all()
    assert db.session.get(Request, claim).status == "in_progress"


def test_staff_page_sets_the_credit_limit_and_the_company_sees_it(app, client, admin,
                                                                   login_as):
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    account = _advance_account()
    item = _credit_request(client, admin, account)
    page = login_as(STAFF)
    page.post(f"/staff/requests/{item.id}/transition", data={"to": "in_progress"})
    detail = page.get(f"/staff/requests/{item.id}").get_data(as_text=True)
    assert 'name="credit_limit"' in detail and 'for="decision-credit-limit"' in detail
    refused = page.post(f"/staff/requests/{item.id}/transition", data={"to": "done"},
                        follow_redirects=True)
    assert "Set the credit limit" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Request, item.id).status == "in_progress"
    page.post(f"/staff/requests/{item.id}/transition",
              data={"to": "done", "credit_limit": "75 000,25", "comment": "Одобрено."})
    db.session.expire_all()
    assert db.session.get(BillingAccount, account.id).credit_limit == Decimal("75000.25")
    assert 'data-testid="credit-limit-granted"' in page.get(
        f"/staff/requests/{item.id}").get_data(as_text=True)
    finance = login_as(ADMIN).get("/billing").get_data(as_text=True)
    assert "Credit limit" in finance and "75,000.25" in finance


# --- Contract re-registration --------------------------------------------------------------


def _new_holder(**extra):
    return {"new_holder_name": "ООО «Ромашка Плюс»", "new_holder_inn": NEW_INN,
            "new_holder_kpp": "500301001", "new_holder_ogrn": NEW_OGRN,
            "new_holder_legal_address": "г. Химки, ул. Новая, д. 5",
            "new_holder_postal_address": "141400, г. Химки, а/я 7",
            "new_holder_bank_name": "ПАО «Новый банк»", "new_holder_bik": NEW_BIK,
            "new_holder_bank_account": NEW_ACCOUNT,
            "new_holder_correspondent_account": "30101810400000000225",
            "new_holder_signatory_name": "Сидоров Пётр Ильич",
            "new_holder_signatory_position": "Генеральный директор",
            "new_holder_authority_basis": "Устав", **extra}


def test_reregistration_passes_the_contract_to_the_new_holder(client, admin, staff, users):
    old = db.session.get(Company, 1)
    old_name, old_inn, old_address = old.name, old.inn, old.legal_address
    old_root_name = db.session.scalar(select(Node.name).where(Node.company_id == 1,
                                                              Node.kind == "root"))
    contract = db.session.scalar(select(Contract).where(Contract.company_id == 1))
    today = date.today().isoformat()
    request_id = _application(client, admin, users["admin"], "contract_reregistration",
                              transfer_date=today, **_new_holder())
    # The new holder's settlement account is checked against the new holder's BIK.
    values = {**valid_fields(users["admin"], "contract_reregistration"),
              **_new_holder(new_holder_bank_account="40702810400000000778")}
    refused = client.post("/api/v1/forms/contract_reregistration/pdf", headers=admin,
                          json={"fields": values})
    assert refused.status_code == 422 and "new_holder_bank_account" in str(refused.json)
    assert _approve(client, staff, request_id).status_code == 200
    db.session.expire_all()
    company = db.session.get(Company, 1)
    assert (company.name, company.inn, company.ogrn, company.kpp) == (
        "ООО «Ромашка Плюс»", NEW_INN, NEW_OGRN, "500301001")
    assert company.legal_address == "г. Химки, ул. Новая, д. 5"
    assert (company.bik, company.bank_account) == (NEW_BIK, NEW_ACCOUNT)
    assert company.signatory_name == "Сидоров Пётр Ильич"
    assert db.session.get(Contract, contract.id).status == "active"
    root = db.session.scalar(select(Node).where(Node.company_id == 1, Node.kind == "root"))
    assert old_root_name == old_name and root.name == "ООО «Ромашка Плюс»"  # the tree's top
    change = db.session.scalar(select(HolderChange).where(HolderChange.company_id == 1))
    assert change.contract_id == contract.id and change.request_id == request_id
    assert (change.before["name"], change.before["inn"], change.before["legal_address"]) == (
        old_name, old_inn, old_address)
    assert change.effective_on == date.today()
    record = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "contract.reregistered").order_by(AuditEvent.id.desc()))
    assert record.before["inn"] == old_inn and record.after["inn"] == NEW_INN
    # Documents from now on carry the new details, the signatory too.
    facts = forms_service.portal_facts(users["admin"])
    assert (facts["company_name"], facts["inn"], facts["signatory_name"]) == (
        "ООО «Ромашка Плюс»", NEW_INN, "Сидоров Пётр Ильич")
    response = client.post("/api/v1/forms/data_change/pdf", headers=admin,
                           json={"fields": valid_fields(users["admin"], "data_change")})
    assert response.status_code == 200, response.json
    text = pdf_text(response.data)
    assert NEW_INN in text and "Ромашка Плюс" in text and old_inn not in text


def test_reregistration_from_a_later_date_keeps_the_old_details_until_then(
        client, admin, staff, users):
    old = db.session.get(Company, 1)
    old_inn, old_name = old.inn, old.name
    later = date.today() + timedelta(days=10)
    request_id = _application(client, admin, users["admin"], "contract_reregistration",
                              transfer_date=later.isoformat(), **_new_holder())
    assert _approve(client, staff, request_id).status_code == 200
    db.session.expire_all()
    company = db.session.get(Company, 1)
    assert company.inn == NEW_INN
    assert holder_details(company, date.today())["inn"] == old_inn
    assert holder_details(company, later)["inn"] == NEW_INN
    assert forms_service.portal_facts(users["admin"])["company_name"] == old_name
    account = db.session.scalar(select(BillingAccount).where(BillingAccount.company_id == 1))
    contract = db.session.get(Contract, account.contract_id)
    assert buyer_details(company, account, contract, date.today())["inn"] == old_inn
    assert buyer_details(company, account, contract, later)["name"] == "ООО «Ромашка Плюс»"


def test_reregistration_to_another_customers_inn_is_refused(client, admin, staff, users):
    vector_inn = db.session.get(Company, users["vector_admin"].company_id).inn
    request_id = _application(client, admin, users["admin"], "contract_reregistration",
                              **_new_holder(new_holder_inn=vector_inn))
    response = _approve(client, staff, request_id)
    assert response.status_code == 409, response.json
    db.session.expire_all()
    assert db.session.get(Company, 1).inn != vector_inn
    assert db.session.get(Request, request_id).status == "in_progress"
    assert db.session.scalar(select(HolderChange.id)) is None


# --- Termination and number porting --------------------------------------------------------


def test_termination_closes_every_line_through_the_operator_and_stops_credit(
        client, admin, staff, users):
    contract = db.session.scalar(select(Contract).where(Contract.company_id == 1))
    credit = db.session.scalar(select(BillingAccount).where(
        BillingAccount.contract_id == contract.id, BillingAccount.settlement_method == "credit"))
    open_ids = db.session.scalars(
        select(Line.id).join(BillingAccount, BillingAccount.id == Line.billing_account_id)
        .where(BillingAccount.contract_id == contract.id, Line.status != "terminated")).all()
    assert open_ids
    request_id = _application(client, admin, users["admin"], "termination")
    response = _approve(client, staff, request_id)
    assert response.status_code == 200, response.json
    assert response.json["action_result"]["lines_terminated"] == len(open_ids)
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).status == "terminated"
    sample = open_ids[:5]
    operations = db.session.scalars(select(Operation).where(
        Operation.line_id.in_(sample), Operation.type == "block")).all()
    assert {o.line_id for o in operations if o.status == "done"
            and o.params["kind"] == "permanent"} == set(sample)
    assert all(db.session.scalar(select(LineEvent.id).where(
        LineEvent.line_id == line_id, LineEvent.kind == "block")) for line_id in sample)
    # The month's fees run up to today (the closing is in the billing history).
    history = histories(sample, period_of(date.today()))
    assert {history[i].terminated_on for i in sample} == {date.today()}
    if credit is not None:
        stored = db.session.get(BillingAccount, credit.id)
        assert (stored.settlement_method, stored.credit_limit) == ("advance", Decimal("0"))


def test_porting_out_closes_the_lines_through_the_operator(client, admin, staff, users,
                                                           romashka_lines):
    ids = [line_id for line_id, _m in romashka_lines[:2]]
    request_id = _application(client, admin, users["admin"], "port_out", ids,
                              recipient_operator="ООО «Другой оператор»")
    response = _approve(client, staff, request_id)
    assert response.status_code == 200, response.json
    assert response.json["action_result"]["ported"] == 2
    db.session.expire_all()
    for line_id in ids:
        assert db.session.get(Line, line_id).status == "terminated"
        kinds = set(db.session.scalars(select(LineEvent.kind).where(
            LineEvent.line_id == line_id)))
        assert {"block", "port_out"} <= kinds
    history = histories(ids, period_of(date.today()))
    assert {history[i].terminated_on for i in ids} == {date.today()}
    # A second application for the same numbers has nothing left to port: refused, kept open.
    again = _application(client, admin, users["admin"], "port_out", ids,
                         recipient_operator="ООО «Третий»")
    assert _approve(client, staff, again).status_code == 409


# --- Dated actions: carried out on the day the company asked for ---------------------------

def test_a_termination_dated_later_is_carried_out_on_its_day(client, admin, staff, users,
                                                             login_as):
    from corp.requests.service import carry_out_due

    contract = db.session.scalar(select(Contract).where(Contract.company_id == 1))
    day = date.today() + timedelta(days=10)
    request_id = _application(client, admin, users["admin"], "termination",
                              termination_date=day.isoformat())
    response = _approve(client, staff, request_id)
    assert response.status_code == 200, response.json
    assert (response.json["status"], response.json["effective_on"]) == ("in_progress",
                                                                         day.isoformat())
    assert response.json["action_result"] is None
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).status == "active"
    page = login_as(ADMIN).get(f"/requests/{request_id}").get_data(as_text=True)
    assert day.strftime("%d.%m.%Y") in page.split('data-testid="effective-on"')[1][:200]

    assert carry_out_due(day - timedelta(days=1))["requests_carried_out"] == 0
    db.session.commit()
    assert db.session.get(Contract, contract.id).status == "active"
    assert carry_out_due(day) == {"requests_carried_out": 1, "requests_failed": 0}
    db.session.commit()
    db.session.expire_all()
    item = db.session.get(Request, request_id)
    assert item.status == "done" and item.action_result["lines_terminated"] > 0
    assert db.session.get(Contract, contract.id).status == "terminated"
    assert carry_out_due(day)["requests_carried_out"] == 0  # once only


def test_a_dated_porting_is_cancelled_by_a_rejection_and_run_by_the_daily_command(
        app, client, admin, staff, users, romashka_lines):
    from corp.requests.service import carry_out_due

    ids = [line_id for line_id, _m in romashka_lines[:2]]
    day = date.today() + timedelta(days=3)

    def dated_porting():
        request_id = _application(client, admin, users["admin"], "port_out", ids,
                                  recipient_operator="ООО «Другой оператор»",
                                  porting_date=day.isoformat())
        assert _approve(client, staff, request_id).json["status"] == "in_progress"
        return request_id

    cancelled = dated_porting()
    rejected = client.post(f"/api/v1/requests/{cancelled}/transition", headers=staff,
                           json={"to": "rejected", "comment": "Клиент передумал."})
    assert (rejected.json["status"], rejected.json["effective_on"]) == ("rejected", None)
    assert carry_out_due(day)["requests_carried_out"] == 0
    assert {db.session.get(Line, i).status for i in ids} == {"active"}

    # The day comes: the daily command (beat's run-due) carries it out.
    request_id = dated_porting()
    db.session.get(Request, request_id).effective_on = date.today()
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["operations", "run-due"])
    assert "requests_carried_out: 1" in result.output, result.output
    db.session.expire_all()
    assert db.session.get(Request, request_id).status == "done"
    assert {db.session.get(Line, i).status for i in ids} == {"terminated"}


def test_a_dated_action_that_can_no_longer_run_goes_back_to_the_operator(
        client, admin, staff, users, romashka_lines):
    from corp.requests.service import carry_out_due

    ids = [line_id for line_id, _m in romashka_lines[:1]]
    day = date.today() + timedelta(days=5)
    request_id = _application(client, admin, users["admin"], "port_out", ids,
                              recipient_operator="ООО «Другой оператор»",
                              porting_date=day.isoformat())
    _approve(client, staff, request_id)
    # Meanwhile the line is closed another way: nothing is left to port.
    first = _application(client, admin, users["admin"], "port_out", ids,
                         recipient_operator="ООО «Третий»")
    assert _approve(client, staff, first).json["status"] == "done"
    assert carry_out_due(day) == {"requests_carried_out": 0, "requests_failed": 1}
    db.session.commit()
    item = db.session.get(Request, request_id)
    assert (item.status, item.effective_on) == ("in_progress", None)
    assert db.session.scalar(select(AuditEvent.outcome).where(
        AuditEvent.action == "request.carry_out_failed",
        AuditEvent.object_id == str(request_id))) == "refused"
    assert carry_out_due(day)["requests_failed"] == 0  # not retried every day
