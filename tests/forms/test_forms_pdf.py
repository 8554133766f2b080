"""Every one of the 22 documents renders for the demo company, from valid data only."""

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from core.extensions import db
from corp.models import Company, Line
from corp.validators import format_msisdn
from forms.catalogue import FORMS, all_fields
from forms.models import GeneratedDocument

from .conftest import pdf_text, valid_fields

ADMIN = "admin@romashka.example"


def flat(text: str) -> str:
    return " ".join(text.split())


def ru_title(code: str) -> str:
    with force_locale("ru"):
        return str(FORMS[code].title)


def attack(n: int) -> str:
    """Markup, CSS and template syntax that must come out as the very characters typed."""
    return (f'<img src="http://127.0.0.1:9/{n}.png"><b>x{n}</b>'
            f'<style>@import "file:///etc/passwd";</style>{{{{7*7}}}}&amp;')


@pytest.mark.parametrize("code", sorted(FORMS))
def test_each_form_renders_for_the_demo_company_with_free_text_literal(
        app, client, api_token, users, romashka_lines, monkeypatch, code):
    import socket

    attempts = []

    def no_network(self, address):
        attempts.append(address)
        raise OSError("no network in tests")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    spec = FORMS[code]
    ids = [line_id for line_id, _m in romashka_lines] if spec.lines else []
    fields = valid_fields(users["admin"], code)
    typed = {}
    for n, field in enumerate(f for f in all_fields(spec) if f.free_text):
        # Every free-text field of the form, the company's name included (still present).
        fields[field.name] = typed[field.name] = f"{fields[field.name]} {attack(n)}".strip()
    response = client.post(f"/api/v1/forms/{code}/pdf", headers=api_token(ADMIN),
                           json={"fields": fields, "line_ids": ids})
    assert response.status_code == 200, response.get_data(as_text=True)[:800]
    assert response.mimetype == "application/pdf"
    raw = pdf_text(response.data)
    text = flat(raw)
    company = db.session.get(Company, 1)
    assert company.name in text
    assert company.inn in text
    assert flat(ru_title(code)) in text
    for _line_id, msisdn in romashka_lines if spec.lines else ():
        assert format_msisdn(msisdn) in text
    squeezed = "".join(raw.split())
    for name, value in typed.items():
        assert "".join(value.split()) in squeezed, name
    assert attempts == []


def test_catalogue_lists_22_forms_with_prefilled_company_details(client, api_token):
    forms = client.get("/api/v1/forms", headers=api_token(ADMIN)).json
    assert len(forms) == 22
    connection = next(f for f in forms if f["code"] == "connection")
    by_name = {f["name"]: f for f in connection["fields"]}
    assert by_name["inn"]["prefill"] == db.session.get(Company, 1).inn
    assert by_name["inn"]["required"] is True and by_name["inn"]["type"] == "inn"
    assert by_name["contract_number"]["prefill"] == "КД-2021-000117"
    assert by_name["company_name"]["label"]


def test_invalid_data_gives_field_errors_and_no_document(client, api_token, users):
    fields = valid_fields(users["admin"], "sole_proprietor_poa")
    fields.update(inn="7707083890", kpp="12", ogrn="1027700132190", proprietor_inn="7707083893",
                  proprietor_ogrnip="304500112233440", valid_until="31.02.2026",
                  representative_name="", bik="044525225", bank_account="40702810000000000000",
                  contact_email="not-an-email")
    before = db.session.scalar(select(db.func.count(GeneratedDocument.id)))
    response = client.post("/api/v1/forms/sole_proprietor_poa/pdf", headers=api_token(ADMIN),
                           json={"fields": fields})
    assert response.status_code == 422
    errors = response.json["errors"]
    for name in ("inn", "kpp", "ogrn", "proprietor_inn", "proprietor_ogrnip", "valid_until",
                 "representative_name", "bank_account", "contact_email"):
        assert name in errors, name
    assert db.session.scalar(select(db.func.count(GeneratedDocument.id))) == before


def test_line_forms_need_lines_and_refuse_other_companies_lines(client, api_token, users):
    headers = api_token(ADMIN)
    fields = valid_fields(users["admin"], "number_sim_change")
    response = client.post("/api/v1/forms/number_sim_change/pdf", headers=headers,
                           json={"fields": fields, "line_ids": []})
    assert response.status_code == 422 and "line_ids" in response.json["errors"]
    vector_line = db.session.scalar(select(Line.id).where(Line.company_id == 2))
    response = client.post("/api/v1/forms/number_sim_change/pdf", headers=headers,
                           json={"fields": fields, "line_ids": [vector_line]})
    assert response.status_code == 404


def test_out_of_scope_lines_are_404_for_a_scoped_user(client, api_token):
    from hierarchy.models import Node
    from tests.factories import make_user, node_named

    sales = node_named(1, "Москва", "Продажи")
    user = make_user(1, role="administrator", node=sales)
    db.session.commit()
    inside = db.session.scalar(select(Line.id).join(Node, Node.id == Line.node_id).where(
        Line.company_id == 1, Node.path.startswith(sales.path)))
    outside = db.session.scalar(select(Line.id).join(Node, Node.id == Line.node_id).where(
        Line.company_id == 1, ~Node.path.startswith(sales.path)))
    headers = api_token(user.email)
    fields = valid_fields(user, "users_info")
    ok = client.post("/api/v1/forms/users_info/pdf", headers=headers,
                     json={"fields": fields, "line_ids": [inside]})
    assert ok.status_code == 200
    refused = client.post("/api/v1/forms/users_info/pdf", headers=headers,
                          json={"fields": fields, "line_ids": [inside, outside]})
    assert refused.status_code == 404
    # The document with the in-scope line is theirs; the company admin's documents are not.
    own = int(ok.headers["X-Document-Id"])
    assert client.get(f"/api/v1/forms/documents/{own}", headers=headers).status_code == 200


def test_a_recorded_document_downloads_again_with_the_same_bytes(client, api_token, users,
                                                                  romashka_lines):
    headers = api_token(ADMIN)
    first = client.post("/api/v1/forms/users_info/pdf", headers=headers, json={
        "fields": valid_fields(users["admin"], "users_info"),
        "line_ids": [i for i, _m in romashka_lines]})
    assert first.status_code == 200
    document_id = int(first.headers["X-Document-Id"])
    again = client.get(f"/api/v1/forms/documents/{document_id}", headers=headers)
    assert again.status_code == 200 and again.data == first.data
    record = db.session.get(GeneratedDocument, document_id)
    assert record.form_code == "users_info" and record.form_version == FORMS["users_info"].version
    assert record.created_by == users["admin"].id
    assert record.data["fields"]["inn"] == db.session.get(Company, 1).inn
    # The page's link serves the same bytes too; another company gets a 404.
    assert client.get(f"/api/v1/forms/documents/{document_id}",
                      headers=api_token("admin@vector.example")).status_code == 404


def test_users_without_the_permission_get_403(client, api_token):
    headers = api_token("sales.head@romashka.example")
    assert client.get("/api/v1/forms", headers=headers).status_code == 403
    assert client.post("/api/v1/forms/claim/pdf", headers=headers,
                       json={"fields": {}}).status_code == 403


def test_operator_details_come_from_settings(make_app):
    app = make_app(OPERATOR_NAME="ПАО «Тест-Связь»", OPERATOR_INN="7740000076")
    from forms import service

    with app.test_request_context():
        from auth.models import User

        admin = db.session.scalar(select(User).where(User.email == ADMIN))
        document = service.generate(admin, "claim", valid_fields(admin, "claim"))
        text = flat(pdf_text(document.pdf))
    assert "ПАО «Тест-Связь»" in text and "7740000076" in text


def test_the_guide_describes_this_portal(client, api_token):
    response = client.post("/api/v1/forms/admin_guide/pdf", headers=api_token(ADMIN), json={})
    text = flat(pdf_text(response.data))
    with force_locale("ru"):
        for code in ("claim", "termination"):
            assert flat(str(FORMS[code].title)) in text
    assert "Глобальный администратор" in text
