"""JSON API of billing: an account's financial documents and statement, a line's usage."""


from flask import Response, url_for
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from core import downloads
from corp.billing import documents as docs
from corp.billing import service
from roles.access import require

blp = Blueprint("Billing", __name__, url_prefix="/api/v1",
                description="Financial documents, statements and call detail")


class PeriodArgs(Schema):
    first = fields.Date(data_key="from", load_default=None)
    last = fields.Date(data_key="to", load_default=None)


class UsageArgs(PeriodArgs):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=service.USAGE_PAGE_ROWS,
                              validate=validate.Range(min=1, max=service.USAGE_PAGE_MAX))


class DocumentSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": ["invoice", "act", "vat_invoice"]})
    number = fields.String()
    date = fields.Date(attribute="issued_on")
    period = fields.String()
    net_total = fields.Decimal(as_string=True)
    vat_rate = fields.Decimal(as_string=True)
    vat_total = fields.Decimal(as_string=True)
    total = fields.Decimal(as_string=True)
    url = fields.Function(lambda d: url_for("Billing.document_pdf", document_id=d.id))


class EntrySchema(Schema):
    date = fields.Date()
    kind = fields.String(metadata={"enum": ["charge", "payment"]})
    period = fields.String()
    amount = fields.Decimal(as_string=True)
    balance = fields.Decimal(as_string=True)
    document = fields.String(allow_none=True)


class StatementSchema(Schema):
    account = fields.String()
    period_from = fields.Function(lambda s: s["period"].first.isoformat(), data_key="from")
    period_to = fields.Function(lambda s: s["period"].last.isoformat(), data_key="to")
    opening_balance = fields.Decimal(as_string=True)
    charges = fields.Decimal(as_string=True)
    payments = fields.Decimal(as_string=True)
    closing_balance = fields.Decimal(as_string=True)
    accrued = fields.Decimal(as_string=True, allow_none=True,
                             metadata={"description": "the open month so far, not invoiced"})
    entries = fields.List(fields.Nested(EntrySchema))
    promised_credit = fields.Decimal(as_string=True, metadata={
        "description": "promised payments in force now: a temporary credit on the live "
                       "balance, outside the statement"})
    live_balance = fields.Decimal(as_string=True, metadata={
        "description": "the balance now: the statement's balance today plus promised_credit"})


class UsageRecordSchema(Schema):
    occurred_at = fields.DateTime()
    kind = fields.String(metadata={"enum": ["call", "sms", "data"]})
    direction = fields.String()
    counterpart = fields.String()
    quantity = fields.Integer(metadata={"description": "seconds, messages or kilobytes"})
    units = fields.Integer(metadata={"description": "started minutes, messages, started MB"})
    country = fields.String()
    amount = fields.Decimal(as_string=True)


class KindTotals(Schema):
    count = fields.Integer()
    quantity = fields.Integer()
    amount = fields.Decimal(as_string=True)


class UsageTotals(Schema):
    count = fields.Integer()
    amount = fields.Decimal(as_string=True)
    by_kind = fields.Dict(keys=fields.String(), values=fields.Nested(KindTotals))


class UsageSchema(Schema):
    line_id = fields.Integer()
    msisdn = fields.String()
    period_from = fields.Function(lambda s: s["period"].first.isoformat(), data_key="from")
    period_to = fields.Function(lambda s: s["period"].last.isoformat(), data_key="to")
    records = fields.List(fields.Nested(UsageRecordSchema))
    totals = fields.Nested(UsageTotals, metadata={"description": "of the whole period"})
    page = fields.Integer()
    per_page = fields.Integer()
    pages = fields.Integer(metadata={"description": "pages of the whole period"})


@blp.route("/billing-accounts/<int:account_id>/documents", methods=["GET"])
@blp.arguments(PeriodArgs, location="query")
@blp.response(200, DocumentSchema(many=True))
@blp.alt_response(404, description="another company's account, or no company-wide access")
@require("finance.documents")
def account_documents(args, account_id):
    """The account's invoices, acts and VAT invoices (optionally of a period), newest first."""
    account = service.get_account(current_user, account_id)
    period = None
    if args["first"] or args["last"]:
        period = service.parse_period(args["first"], args["last"])
    return service.documents(current_user, account, period)


@blp.route("/financial-documents/<int:document_id>/pdf", methods=["GET"])
@blp.response(200, description="the document as PDF/A",
              content_type="application/pdf")
@blp.doc(**downloads.binary_doc(downloads.PDF_MIMETYPE))
@blp.alt_response(404, description="another company's document, or no company-wide access")
@require("finance.documents")
def document_pdf(document_id):
    """One financial document as PDF."""
    document = service.get_document(current_user, document_id)
    return pdf_response(docs.document_pdf(document), docs.filename_of(document), document.id)


@blp.route("/billing-accounts/<int:account_id>/statement", methods=["GET"])
@blp.arguments(PeriodArgs, location="query")
@blp.response(200, StatementSchema)
@blp.alt_response(404, description="another company's account, or no company-wide access")
@blp.alt_response(422, description="bad period")
@require("finance.documents")
def account_statement(args, account_id):
    """Charges, payments and the balance of the account over a period (default: this month)."""
    account = service.get_account(current_user, account_id)
    return service.statement(current_user, account,
                             service.parse_period(args["first"], args["last"]))


@blp.route("/lines/<int:line_id>/usage", methods=["GET"])
@blp.arguments(UsageArgs, location="query")
@blp.response(200, UsageSchema)
@blp.alt_response(404, description="line out of scope or of another company")
@blp.alt_response(403, description="no reports.view on the line")
@blp.alt_response(422, description="bad period or page")
@require("reports.view")
def line_usage(args, line_id):
    """A line's itemised usage (call detail) of a period, a page at a time (``page``,
    ``per_page`` ≤ 5,000), with the totals of the whole period (default: this month)."""
    line = service.line_for_usage(current_user, line_id)
    return service.line_usage(current_user, line,
                              service.parse_period(args["first"], args["last"]),
                              page=args["page"], per_page=args["per_page"])


def pdf_response(data: bytes, filename: str, document_id: int) -> Response:
    """A recorded PDF download (an ASCII name and the UTF-8 one, RFC 5987)."""
    return downloads.file_response(data, downloads.PDF_MIMETYPE, filename,
                                   kind="financial_document", fmt="pdf",
                                   scope=f"document {document_id}")
