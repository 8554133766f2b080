"""Requests: filing, visibility (company, scope), the workflow and its permissions, files,
and the applications that wait for the operator's consent."""

import io
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.extensions import db
from corp.models import BillingAccount, Company, Contract, Line
from corp.requests.models import Request
from hierarchy.models import Node
from tests.factories import make_user, node_named

from .conftest import pdf_text, valid_fields

ADMIN = "admin@romashka.example"
STAFF = "staff@operator.example"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%test\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def admin(client, api_token):
    return api_token(ADMIN)


@pytest.fixture
def staff(client, api_token):
    return api_token(STAFF)


def file_claim(client, headers, **extra):
    body = {"kind": "claim", "subject": "Списание за роуминг", "text": "Прошу вернуть 500 ₽.",
            **extra}
    response = client.post("/api/v1/requests", headers=headers, json=body)
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_a_company_files_a_claim_and_only_it_and_the_operator_see_it(client, admin, staff,
                                                                     api_token):
    request_id = file_claim(client, admin)
    assert request_id in [r["id"] for r in client.get("/api/v1/requests", headers=admin).json]
    assert client.get(f"/api/v1/requests/{request_id}", headers=admin).json["status"] == \
        "submitted"
    vector = api_token("admin@vector.example")
    assert client.get(f"/api/v1/requests/{request_id}", headers=vector).status_code == 404
    assert request_id not in [r["id"] for r in client.get("/api/v1/requests",
                                                          headers=vector).json]
    queue = client.get("/api/v1/requests?status=submitted", headers=staff).json
    assert request_id in [r["id"] for r in queue]
    # A user without requests.manage may neither list nor file.
    sales = api_token("sales.head@romashka.example")
    assert client.get("/api/v1/requests", headers=sales).status_code == 403
    assert client.post("/api/v1/requests", headers=sales, json={
        "kind": "question", "subject": "?", "text": "?"}).status_code == 403


def test_bad_requests_get_field_errors(client, admin):
    response = client.post("/api/v1/requests", headers=admin, json={
        "kind": "claim", "subject": "", "text": ""})
    assert response.status_code == 422
    assert {"subject", "text"} <= set(response.json["errors"])
    response = client.post("/api/v1/requests", headers=admin, json={
        "kind": "application", "subject": "x", "form_code": "nope"})
    assert response.status_code == 422 and "form_code" in response.json["errors"]
    assert client.post("/api/v1/requests", headers=admin, json={
        "kind": "complaint", "subject": "x", "text": "y"}).status_code == 422


def test_workflow_transitions_comments_and_permissions(client, admin, staff):
    request_id = file_claim(client, admin)
    url = f"/api/v1/requests/{request_id}"
    # Companies cannot move requests; staff cannot skip "in progress".
    assert client.post(f"{url}/transition", headers=admin,
                       json={"to": "done"}).status_code == 403
    assert client.post(f"{url}/transition", headers=staff,
                       json={"to": "done"}).status_code == 409
    taken = client.post(f"{url}/transition", headers=staff, json={"to": "in_progress"})
    assert taken.status_code == 200 and taken.json["status"] == "in_progress"
    assert client.post(f"{url}/comments", headers=staff,
                       json={"text": "Проверяем начисления."}).status_code == 201
    assert client.post(f"{url}/comments", headers=admin,
                       json={"text": "Спасибо, ждём."}).status_code == 201
    assert client.post(f"{url}/transition", headers=staff,
                       json={"to": "rejected"}).status_code == 422  # a rejection says why
    done = client.post(f"{url}/transition", headers=staff,
                       json={"to": "done", "comment": "Вернули 500 ₽ на счёт."})
    assert done.status_code == 200 and done.json["status"] == "done"
    detail = client.get(url, headers=admin).json
    assert [c["by_operator"] for c in detail["comments"]] == [True, False, True]
    assert detail["comments"][-1]["text"] == "Вернули 500 ₽ на счёт."
    assert client.post(f"{url}/comments", headers=admin, json={"text": "ещё"}).status_code == 409
    assert client.post(f"{url}/transition", headers=staff,
                       json={"to": "in_progress"}).status_code == 409


def test_attachments_are_checked_by_content_and_stored_outside_the_web_root(
        client, admin, staff, attachments_in_tmp, app):
    request_id = file_claim(client, admin)
    url = f"/api/v1/requests/{request_id}/attachments"
    ok = client.post(url, headers=admin,
                     data={"file": (io.BytesIO(PNG), "скрин.png")},
                     content_type="multipart/form-data")
    assert ok.status_code == 201, ok.json
    assert ok.json["kind"] == "png" and ok.json["filename"] == "скрин.png"
    stored = list(attachments_in_tmp.rglob("*"))
    assert any(p.is_file() and p.read_bytes() == PNG for p in stored)
    fake = client.post(url, headers=admin,
                       data={"file": (io.BytesIO(b"<html><script>x</script>"), "a.pdf")},
                       content_type="multipart/form-data")
    assert fake.status_code == 422
    app.config["REQUEST_ATTACHMENT_MAX_BYTES"] = 1024
    big = client.post(url, headers=admin,
                      data={"file": (io.BytesIO(PDF + b"0" * 2048), "big.pdf")},
                      content_type="multipart/form-data")
    assert big.status_code == 422
    # Staff download what the company attached: the same bytes.
    attachment_id = ok.json["id"]
    got = client.get(f"{url}/{attachment_id}", headers=staff)
    assert got.status_code == 200 and got.data == PNG
    # Nothing of it is reachable as a static file.
    assert client.get(f"/static/{ok.json['sha256']}").status_code == 404


def test_a_request_about_lines_needs_them_in_scope(client, api_token):
    sales = node_named(1, "Москва", "Продажи")
    user = make_user(1, role="administrator", node=sales)
    db.session.commit()
    headers = api_token(user.email)
    inside = db.session.scalar(select(Line.id).join(Node, Node.id == Line.node_id).where(
        Line.company_id == 1, Node.path.startswith(sales.path)))
    outside = db.session.scalar(select(Line.id).join(Node, Node.id == Line.node_id).where(
        Line.company_id == 1, ~Node.path.startswith(sales.path)))
    assert client.post("/api/v1/requests", headers=headers, json={
        "kind": "question", "subject": "?", "text": "?", "line_ids": [outside]}
    ).status_code == 404
    own = file_claim(client, headers, line_ids=[inside])
    assert client.get(f"/api/v1/requests/{own}", headers=headers).json["line_ids"] == [inside]
    # The company admin's request about a line outside the user's scope is invisible to them.
    theirs = file_claim(client, api_token(ADMIN), line_ids=[outside])
    assert client.get(f"/api/v1/requests/{theirs}", headers=headers).status_code == 404
    assert theirs not in [r["id"] for r in client.get("/api/v1/requests", headers=headers).json]


def _application(client, headers, actor, code, line_ids=(), **fields):
    values = valid_fields(actor, code)
    values.update(fields)
    response = client.post("/api/v1/requests", headers=headers, json={
        "kind": "application", "subject": code, "form_code": code, "fields": values,
        "line_ids": list(line_ids)})
    assert response.status_code == 201, response.json
    return response.json["id"]


def _approve(client, staff, request_id, **extra):
    url = f"/api/v1/requests/{request_id}/transition"
    assert client.post(url, headers=staff, json={"to": "in_progress"}).status_code == 200
    return client.post(url, headers=staff, json={"to": "done", "comment": "Согласовано.",
                                                 **extra})


def test_porting_out_waits_for_the_operator_then_runs(client, admin, staff, users,
                                                     romashka_lines, login_as):
    ids = [line_id for line_id, _m in romashka_lines[:2]]
    request_id = _application(client, admin, users["admin"], "port_out", ids,
                              recipient_operator="ООО «Другой оператор»")
    item = db.session.get(Request, request_id)
    assert item.consent_action == "number_port_out" and item.document_id
    assert {db.session.get(Line, i).status for i in ids} == {"active"}
    # The application's form is downloadable by both sides.
    document = login_as(ADMIN).get(f"/requests/{request_id}/document")
    assert document.status_code == 200 and document.mimetype == "application/pdf"
    assert "ООО «Другой оператор»" in pdf_text(document.data)
    done = _approve(client, staff, request_id)
    assert done.status_code == 200, done.json
    db.session.expire_all()
    assert {db.session.get(Line, i).status for i in ids} == {"terminated"}


def test_termination_waits_then_terminates_the_contract_and_its_lines(client, admin, staff,
                                                                      users):
    request_id = _application(client, admin, users["admin"], "termination")
    contract = db.session.scalar(select(Contract).where(Contract.company_id == 1))
    assert contract.status == "active"
    line = db.session.scalar(select(Line).where(Line.company_id == 1, Line.status == "active"))
    assert _approve(client, staff, request_id).status_code == 200
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).status == "terminated"
    assert db.session.get(Line, line.id).status == "terminated"


def test_rejected_reregistration_changes_nothing(client, admin, staff, users):
    request_id = _application(client, admin, users["admin"], "contract_reregistration")
    url = f"/api/v1/requests/{request_id}/transition"
    assert client.post(url, headers=staff, json={"to": "rejected",
                                                 "comment": "Нет акта."}).status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(Contract.status).where(Contract.company_id == 1)) == "active"
    approved = _application(client, admin, users["admin"], "contract_reregistration",
                            new_holder_name="ООО «Ромашка-Новая»")
    assert _approve(client, staff, approved).status_code == 200
    db.session.expire_all()
    # The contract goes on with the new holder (tests/forms/test_consent_actions.py has more).
    assert db.session.scalar(select(Contract.status).where(Contract.company_id == 1)) == \
        "active"
    assert db.session.get(Company, 1).name == "ООО «Ромашка-Новая»"


def test_credit_settlement_files_its_application_and_runs_on_approval(client, admin, staff):
    account = db.session.scalar(select(BillingAccount).where(
        BillingAccount.company_id == 1, BillingAccount.settlement_method == "advance"))
    response = client.post(f"/api/v1/billing-accounts/{account.id}/operations", headers=admin,
                           json={"type": "settlement_method_set", "params": {"method": "credit"},
                                 "version": account.version})
    assert response.status_code == 202 and response.json["status"] == "awaiting_operator"
    item = db.session.scalar(select(Request).where(Request.operation_id == response.json["id"]))
    assert item is not None and item.form_code == "credit_settlement"
    from forms.models import GeneratedDocument

    assert account.number in pdf_text(db.session.get(GeneratedDocument, item.document_id).pdf)
    assert db.session.get(BillingAccount, account.id).settlement_method == "advance"
    assert _approve(client, staff, item.id, credit_limit="150000.50").status_code == 200
    db.session.expire_all()
    assert db.session.get(BillingAccount, account.id).settlement_method == "credit"
    assert db.session.get(BillingAccount, account.id).credit_limit == Decimal("150000.50")


def test_staff_never_reach_company_line_pages(login_as):
    staff = login_as(STAFF)
    assert staff.get("/lines").status_code == 403
    assert staff.get("/requests").status_code == 403  # the company's side of requests
    assert staff.get("/staff/requests").status_code == 200
