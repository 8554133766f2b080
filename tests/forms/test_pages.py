"""The pages: catalogue under Requests, a prefilled form, errors beside fields, PDFs."""

import re

from sqlalchemy import select

from core.extensions import db
from corp.models import Company, Line
from corp.requests.models import Request
from corp.validators import format_msisdn
from forms.models import GeneratedDocument

from .conftest import pdf_text, valid_fields

ADMIN = "admin@romashka.example"


def test_requests_page_leads_to_the_catalogue_of_22(login_as):
    client = login_as(ADMIN)
    page = client.get("/requests").get_data(as_text=True)
    assert 'data-testid="forms-link"' in page
    catalogue = client.get("/requests/forms").get_data(as_text=True)
    assert catalogue.count("data-form=") == 22


def test_a_form_is_prefilled_with_what_the_portal_knows(login_as):
    company = db.session.get(Company, 1)
    line = db.session.scalar(select(Line).where(Line.company_id == 1).order_by(Line.id))
    page = login_as(ADMIN).get(f"/requests/forms/number_sim_change?line_id={line.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'value="{company.inn}"' in html and f'value="{company.ogrn}"' in html
    assert format_msisdn(line.msisdn) in html  # the chosen line


def test_errors_appear_beside_the_fields_and_nothing_is_generated(login_as, users):
    fields = valid_fields(users["admin"], "claim")
    fields.update(inn="1234567890", claim_subject="")
    before = db.session.scalar(select(db.func.count(GeneratedDocument.id)))
    response = login_as(ADMIN).post("/requests/forms/claim", data=fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="f-inn"' in html and 'id="e-inn"' in html and 'id="e-claim_subject"' in html
    assert db.session.scalar(select(db.func.count(GeneratedDocument.id))) == before


def test_download_and_send_from_the_page(login_as, users):
    client = login_as(ADMIN)
    line = db.session.scalar(select(Line).where(Line.company_id == 1).order_by(Line.id))
    fields = valid_fields(users["admin"], "number_sim_change")
    data = {**fields, "numbers": f"8 {line.msisdn}"}
    pdf = client.post("/requests/forms/number_sim_change", data=data)
    assert pdf.status_code == 200, re.findall(r"invalid-feedback[^>]*>([^<]*)",
                                              pdf.get_data().decode(errors="replace"))
    assert pdf.mimetype == "application/pdf"
    assert format_msisdn(line.msisdn) in pdf_text(pdf.data)
    # Recorded: listed on the catalogue page, and its link serves the very same bytes.
    document = db.session.scalar(select(GeneratedDocument).order_by(GeneratedDocument.id.desc()))
    assert f"/requests/documents/{document.id}.pdf" in client.get("/requests/forms").get_data(
        as_text=True)
    assert client.get(f"/requests/documents/{document.id}.pdf").data == pdf.data
    unknown = client.post("/requests/forms/number_sim_change",
                          data={**data, "numbers": "+7 999 000-00-00"})
    assert unknown.status_code == 422 and "+7 999 000-00-00" in unknown.get_data(as_text=True)
    sent = client.post("/requests/forms/number_sim_change/send", data=data)
    assert sent.status_code == 302
    item = db.session.scalar(select(Request).order_by(Request.id.desc()))
    assert item.kind == "application" and item.form_code == "number_sim_change"
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="request-document"' in page


def test_staff_queue_filters_and_decides(login_as, client, api_token):
    headers = api_token(ADMIN)
    claim = client.post("/api/v1/requests", headers=headers, json={
        "kind": "claim", "subject": "Претензия <b>жирная</b>", "text": "текст"}).json["id"]
    question = client.post("/api/v1/requests", headers=headers, json={
        "kind": "question", "subject": "Вопрос", "text": "?"}).json["id"]
    staff = login_as("staff@operator.example")
    page = staff.get("/staff/requests?kind=claim&company_id=1").get_data(as_text=True)
    assert f'data-request="{claim}"' in page and f'data-request="{question}"' not in page
    assert "Претензия &lt;b&gt;жирная&lt;/b&gt;" in page
    assert f'data-request="{claim}"' not in staff.get(
        "/staff/requests?older_than_days=2").get_data(as_text=True)
    staff.post(f"/staff/requests/{claim}/transition", data={"to": "in_progress"})
    staff.post(f"/staff/requests/{claim}/transition",
               data={"to": "done", "comment": "Перерасчёт сделан."})
    db.session.expire_all()
    assert db.session.get(Request, claim).status == "done"
    detail = staff.get(f"/staff/requests/{claim}").get_data(as_text=True)
    assert "Перерасчёт сделан." in detail
    assert login_as(ADMIN).get(f"/staff/requests/{claim}").status_code == 403
