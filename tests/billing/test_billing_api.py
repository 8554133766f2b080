"""The billing API and pages: documents, statement, a line's usage; scope and tenancy."""

from decimal import Decimal as D

from sqlalchemy import func, select

from core.extensions import db
from corp.billing.models import FinancialDocument
from corp.models import BillingAccount, Line, Payment, UsageRecord
from tests.billing.conftest import pdf_text
from tests.factories import make_user, node_named

ACCOUNTANT = "accountant@romashka.example"


def _account(company_id=1):
    return db.session.scalar(select(BillingAccount).where(
        BillingAccount.company_id == company_id).order_by(BillingAccount.id))


def test_documents_of_an_account_and_the_vat_invoice_pdf(client, api_token):
    account = _account()
    headers = api_token(ACCOUNTANT)
    response = client.get(f"/api/v1/billing-accounts/{account.id}/documents", headers=headers)
    assert response.status_code == 200
    docs = response.json
    assert {d["kind"] for d in docs} == {"invoice", "act", "vat_invoice"}
    assert set(docs[0]) >= {"id", "kind", "number", "date", "period", "total", "url"}
    stored = {d.id: d for d in db.session.scalars(select(FinancialDocument).where(
        FinancialDocument.billing_account_id == account.id))}
    assert {d["id"] for d in docs} == set(stored)
    for d in docs:
        assert D(d["total"]) == stored[d["id"]].total
    vat = next(d for d in docs if d["kind"] == "vat_invoice")
    pdf = client.get(vat["url"], headers=headers)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text, pages = pdf_text(pdf.data)
    doc = stored[vat["id"]]
    assert pages == 1
    assert doc.number in text and "ООО «Ромашка»" in text
    assert doc.buyer["inn"] in text and doc.seller["inn"] in text
    whole, kop = f"{doc.total:.2f}".split(".")
    assert f"{int(whole):,}".replace(",", " ") + "," + kop in text
    assert "22 %" in text  # the demo's months are in 2026


def test_documents_pdf_is_pdf_a_with_title_and_author(client, login_as):
    login_as(ACCOUNTANT)
    doc = db.session.scalar(select(FinancialDocument).where(FinancialDocument.company_id == 1,
                                                            FinancialDocument.kind == "act"))
    response = client.get(f"/billing/documents/{doc.id}.pdf")
    assert response.status_code == 200
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(response.data))
    assert doc.number in reader.metadata.title
    assert reader.metadata.author
    # PDF/A identification in the XMP metadata.
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"pdfaid:part" in xmp


def test_another_company_and_no_company_wide_access_are_404(client, api_token, app):
    account = _account()
    doc = db.session.scalar(select(FinancialDocument).where(FinancialDocument.company_id == 1))
    vector = api_token("admin@vector.example")
    for url in (f"/api/v1/billing-accounts/{account.id}/documents",
                f"/api/v1/billing-accounts/{account.id}/statement",
                f"/api/v1/financial-documents/{doc.id}/pdf"):
        assert client.get(url, headers=vector).status_code == 404
    # An accountant of one branch only: the company's accounts are outside the scope.
    make_user(1, role="accountant", node=node_named(1, "Казань"), email="kazan@test.example")
    db.session.commit()
    kazan = api_token("kazan@test.example")
    assert client.get(f"/api/v1/billing-accounts/{account.id}/documents",
                      headers=kazan).status_code == 404
    # Without the permission at all: refused.
    sales = api_token("sales.head@romashka.example")
    assert client.get(f"/api/v1/billing-accounts/{account.id}/documents",
                      headers=sales).status_code == 403


def test_statement_balances_reconcile(client, api_token):
    account = _account()
    response = client.get(f"/api/v1/billing-accounts/{account.id}/statement",
                          query_string={"from": "2020-01-01", "to": "2020-12-31"},
                          headers=api_token(ACCOUNTANT))
    assert response.status_code == 200
    # Nothing happened in 2020: the balance then equals now minus everything since.
    paid_since = db.session.scalar(select(func.sum(Payment.amount)).where(
        Payment.billing_account_id == account.id)) or 0
    invoiced = db.session.scalar(select(func.sum(FinancialDocument.total)).where(
        FinancialDocument.billing_account_id == account.id,
        FinancialDocument.kind == "invoice")) or 0
    body = response.json
    assert body["entries"] == []
    assert D(body["closing_balance"]) == account.balance - paid_since + invoiced
    months = db.session.scalars(select(FinancialDocument.period).where(
        FinancialDocument.billing_account_id == account.id,
        FinancialDocument.kind == "invoice").order_by(FinancialDocument.period)).all()
    first = f"{months[0]}-01"
    body = client.get(f"/api/v1/billing-accounts/{account.id}/statement",
                      query_string={"from": first, "to": "2099-01-01"[:10]},
                      headers=api_token(ACCOUNTANT))
    assert body.status_code == 422  # more than a year
    body = client.get(f"/api/v1/billing-accounts/{account.id}/statement",
                      query_string={"from": first}, headers=api_token(ACCOUNTANT)).json
    assert D(body["charges"]) == invoiced
    assert (D(body["opening_balance"]) + D(body["payments"]) - D(body["charges"])
            == D(body["closing_balance"]) == account.balance)
    assert D(body["entries"][-1]["balance"]) == account.balance


def test_bad_period_is_422(client, api_token):
    account = _account()
    response = client.get(f"/api/v1/billing-accounts/{account.id}/statement",
                          query_string={"from": "2026-13-01"}, headers=api_token(ACCOUNTANT))
    assert response.status_code == 422
    response = client.get(f"/api/v1/billing-accounts/{account.id}/statement",
                          query_string={"from": "2026-11-02", "to": "2026-11-01"},
                          headers=api_token(ACCOUNTANT))
    assert response.status_code == 422


def test_line_usage_with_totals_and_scope(client, api_token):
    line_id = db.session.scalar(select(UsageRecord.line_id).join(Line).where(
        Line.company_id == 1).order_by(UsageRecord.id))
    first = db.session.scalar(select(func.min(UsageRecord.occurred_at)).where(
        UsageRecord.line_id == line_id))
    period = {"from": first.date().replace(day=1).isoformat(),
              "to": first.date().replace(day=28).isoformat()}
    response = client.get(f"/api/v1/lines/{line_id}/usage", query_string=period,
                          headers=api_token(ACCOUNTANT))
    assert response.status_code == 200
    body = response.json
    assert body["totals"]["count"] == len(body["records"]) > 0
    assert D(body["totals"]["amount"]) == sum(D(r["amount"]) for r in body["records"])
    assert {"occurred_at", "kind", "direction", "counterpart", "quantity", "country",
            "amount"} <= set(body["records"][0])
    assert client.get(f"/api/v1/lines/{line_id}/usage", query_string=period,
                      headers=api_token("admin@vector.example")).status_code == 404
    assert client.get(f"/api/v1/lines/{line_id}/usage", query_string={"from": "x"},
                      headers=api_token(ACCOUNTANT)).status_code == 422


def test_call_detail_page_and_send_to_my_email(client, login_as, outbox):
    line_id = db.session.scalar(select(UsageRecord.line_id).join(Line).where(
        Line.company_id == 1).order_by(UsageRecord.id.desc()))
    login_as(ACCOUNTANT)
    page = client.get(f"/lines/{line_id}/call-detail", follow_redirects=True)
    assert page.status_code == 200  # the line card, its call-detail section
    assert b'data-testid="usage-records"' in page.data
    card = client.get(f"/lines/{line_id}")
    assert b'data-testid="call-detail-section"' in card.data
    response = client.post("/reports/send", data={
        "type": "call_detail", "format": "csv", "line_id": line_id,
        "next": f"/lines/{line_id}/call-detail"})
    assert response.status_code == 302
    message = outbox.last(ACCOUNTANT)
    attachment = next(message.iter_attachments())
    assert attachment.get_filename().startswith("call_detail")
    assert attachment.get_content_type() == "text/csv"


def test_documents_page_lists_pdfs_and_sends_one(client, login_as, outbox):
    login_as(ACCOUNTANT)
    account = _account()
    page = client.get(f"/billing/accounts/{account.id}/documents")
    assert page.status_code == 200 and b"pdf-vat_invoice-" in page.data
    doc = db.session.scalar(select(FinancialDocument).where(
        FinancialDocument.billing_account_id == account.id))
    assert client.post(f"/billing/documents/{doc.id}/send").status_code == 302
    assert next(outbox.last(ACCOUNTANT).iter_attachments()).get_content_type() == (
        "application/pdf")


def test_close_month_command_twice_changes_nothing(runner):
    first = runner.invoke(args=["billing", "close-month", "--month", "2024-06"])
    assert first.exit_code == 0, first.output
    assert "6 accounts closed" in first.output
    again = runner.invoke(args=["billing", "close-month", "--month", "2024-06"])
    assert "0 accounts closed" in again.output
    bad = runner.invoke(args=["billing", "close-month", "--month", "June"])
    assert bad.exit_code != 0
