"""A company that is not a customer yet: operator staff record its connection application,
then onboard it from the request (company, contract, billing account, global administrator)."""

import io
from datetime import date

import pytest
from sqlalchemy import select

from auth.models import User
from core.audit import AuditEvent
from core.extensions import db
from corp.models import BillingAccount, Company, Contract
from corp.requests.models import Request
from corp.validators import inn_check_digits, make_bank_account, ogrn_check_digit
from forms.models import GeneratedDocument

from .conftest import pdf_text
from .test_requests import ADMIN, PDF, STAFF

INN = "600200300"
INN = INN + inn_check_digits(INN)
OGRN = "102600200300"
OGRN = OGRN + ogrn_check_digit(OGRN)
BIK = "044525225"
ACCOUNT = make_bank_account("40702810400000001234", BIK)


def application_fields(**extra) -> dict:
    return {"company_name": "ООО «Заявитель»", "inn": INN, "kpp": "600201001", "ogrn": OGRN,
            "legal_address": "г. Псков, ул. Советская, д. 1",
            "postal_address": "180000, г. Псков, а/я 1", "bank_name": "ПАО «Банк»",
            "bik": BIK, "bank_account": ACCOUNT,
            "correspondent_account": "30101810400000000225",
            "contact_name": "Смирнова Анна Петровна", "contact_phone": "+7 8112 12-34-56",
            "contact_email": "office@applicant.example", "lines_count": "25",
            "admin_email": "it@applicant.example", "delivery_address": "г. Псков, склад 2",
            "signatory_name": "Смирнов Олег Иванович", "signatory_position": "Директор",
            "authority_basis": "Устав", "place": "Псков",
            "document_date": date.today().isoformat(), **extra}


@pytest.fixture
def staff(client, api_token):
    return api_token(STAFF)


@pytest.fixture
def admin(client, api_token):
    return api_token(ADMIN)


def _file(client, staff, **extra):
    from forms.service import applicant_facts

    fields = application_fields(**extra)
    fields.setdefault("tariff", applicant_facts()["default_tariff"])
    response = client.post("/api/v1/connection-applications", headers=staff,
                           json={"fields": fields})
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_staff_record_an_application_only_staff_see_it(client, staff, admin):
    request_id = _file(client, staff)
    item = db.session.get(Request, request_id)
    assert item.company_id is None and item.form_code == "connection"
    document = db.session.get(GeneratedDocument, item.document_id)
    assert document.company_id is None
    text = pdf_text(document.pdf)
    assert "Заявитель" in text and INN in text
    assert client.get(f"/api/v1/requests/{request_id}", headers=staff).status_code == 200
    assert client.get(f"/api/v1/requests/{request_id}", headers=admin).status_code == 404
    assert request_id not in [r["id"] for r in
                              client.get("/api/v1/requests", headers=admin).json]
    # A company user cannot record one; invalid data records nothing.
    assert client.post("/api/v1/connection-applications", headers=admin,
                       json={"fields": application_fields()}).status_code == 403
    count = db.session.scalar(select(db.func.count(Request.id)))
    bad = client.post("/api/v1/connection-applications", headers=staff,
                      json={"fields": application_fields(inn="1234567890", bank_account="1")})
    assert bad.status_code == 422 and {"inn", "bank_account"} <= set(bad.json["errors"])
    assert db.session.scalar(select(db.func.count(Request.id))) == count


def test_onboarding_from_the_request_through_the_api(client, staff, app):
    request_id = _file(client, staff)
    prefill = client.get(f"/api/v1/requests/{request_id}/onboarding", headers=staff)
    assert prefill.status_code == 200, prefill.json
    values = prefill.json
    assert (values["name"], values["inn"], values["kpp"], values["ogrn"]) == (
        "ООО «Заявитель»", INN, "600201001", OGRN)
    assert (values["bik"], values["bank_account"]) == (BIK, ACCOUNT)
    assert values["legal_address"] == "г. Псков, ул. Советская, д. 1"
    assert (values["admin_email"], values["admin_name"]) == (
        "it@applicant.example", "Смирнова Анна Петровна")
    assert values["contract_number"] == ""
    made = client.post(f"/api/v1/requests/{request_id}/onboarding", headers=staff,
                       json={**values, "contract_number": "ПСК-2026-1"})
    assert made.status_code == 201, made.json
    company = db.session.get(Company, made.json["id"])
    assert (company.inn, company.bik, company.bank_account, company.signatory_name) == (
        INN, BIK, ACCOUNT, "Смирнов Олег Иванович")
    contract = db.session.scalar(select(Contract).where(Contract.company_id == company.id))
    account = db.session.scalar(select(BillingAccount).where(
        BillingAccount.company_id == company.id))
    assert contract.number == "ПСК-2026-1" and account.contract_id == contract.id
    assert made.json["billing_account"] == account.number
    administrator = db.session.scalar(select(User).where(User.email == "it@applicant.example"))
    assert administrator.company_id == company.id
    # The issued password signs the administrator in.
    signed_in = app.test_client().post("/api/v1/auth/token", json={
        "email": "it@applicant.example",
        "password": made.json["administrator"]["temporary_password"]})
    assert signed_in.status_code == 201
    item = db.session.get(Request, request_id)
    assert item.status == "done" and item.action_result["company_id"] == company.id
    assert f"company no. {company.id}" in item.comments[-1].text or \
        str(company.id) in item.comments[-1].text
    assert db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.action == "company.created", AuditEvent.company_id == company.id))
    # Done: no second company from the same application.
    again = client.post(f"/api/v1/requests/{request_id}/onboarding", headers=staff,
                        json={**values, "inn": "7707083893", "contract_number": "ПСК-2"})
    assert again.status_code == 409


def test_onboarding_refuses_a_companys_request_and_bad_details(client, staff, admin):
    question = client.post("/api/v1/requests", headers=admin, json={
        "kind": "question", "subject": "?", "text": "?"}).json["id"]
    assert client.get(f"/api/v1/requests/{question}/onboarding",
                      headers=staff).status_code == 409
    request_id = _file(client, staff)
    values = client.get(f"/api/v1/requests/{request_id}/onboarding", headers=staff).json
    bad = client.post(f"/api/v1/requests/{request_id}/onboarding", headers=staff,
                      json={**values, "contract_number": "ПСК-3", "bank_account":
                            "40702810400000001235", "admin_email": "not-an-email"})
    assert bad.status_code == 422 and {"bank_account", "admin_email"} <= set(bad.json["errors"])
    assert db.session.scalar(select(Company.id).where(Company.inn == INN)) is None
    assert db.session.get(Request, request_id).status == "submitted"


def test_onboarding_on_the_staff_pages(app, login_as):
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    from forms.service import applicant_facts

    page = login_as(STAFF)
    form = page.get("/staff/applications/new")
    assert form.status_code == 200 and 'for="f-company_name"' in form.get_data(as_text=True)
    fields = {**application_fields(), "tariff": applicant_facts()["default_tariff"]}
    refused = page.post("/staff/applications/new", data={**fields, "ogrn": "1"})
    assert refused.status_code == 422 and 'id="e-ogrn"' in refused.get_data(as_text=True)
    sent = page.post("/staff/applications/new", data={
        **fields, "file": (io.BytesIO(PDF), "заявление.pdf")}, content_type="multipart/form-data")
    assert sent.status_code == 302, sent.get_data(as_text=True)[:500]
    item = db.session.scalar(select(Request).order_by(Request.id.desc()))
    assert item.company_id is None and [a.filename for a in item.attachments] == ["заявление.pdf"]
    queue = page.get("/staff/requests").get_data(as_text=True)
    assert f'data-request="{item.id}"' in queue and "Not a customer yet" in queue
    detail = page.get(f"/staff/requests/{item.id}").get_data(as_text=True)
    assert 'data-testid="onboard-from-request"' in detail
    onboarding = page.get(f"/staff/requests/{item.id}/onboard").get_data(as_text=True)
    assert f'value="{INN}"' in onboarding and f'value="{ACCOUNT}"' in onboarding
    assert 'value="it@applicant.example"' in onboarding
    values = {"name": "ООО «Заявитель»", "inn": INN, "kpp": "600201001", "ogrn": OGRN,
              "legal_address": "г. Псков, ул. Советская, д. 1", "bik": BIK,
              "bank_account": ACCOUNT, "contract_number": "ПСК-2026-7",
              "admin_email": "it@applicant.example", "admin_name": "Смирнова Анна"}
    created = page.post(f"/staff/requests/{item.id}/onboard", data=values)
    assert created.status_code == 200, created.get_data(as_text=True)[:800]
    body = created.get_data(as_text=True)
    assert 'data-testid="temporary-password"' in body and "ПСК-2026-7" in body
    db.session.expire_all()
    assert db.session.get(Request, item.id).status == "done"
    done = page.get(f"/staff/requests/{item.id}").get_data(as_text=True)
    assert 'data-testid="onboarded-company"' in done and "Company onboarded" in done
    assert 'data-testid="onboard-from-request"' not in done
