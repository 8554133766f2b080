"""Pages of billing: accounts, their financial documents and statement, a line's call detail."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import audit
from core.errors import InvalidInput
from core.extensions import db
from core.mail import MailError, send_mail
from corp.billing import documents as docs
from corp.billing import service
from corp.billing.api import pdf_response
from roles.access import require

bp = Blueprint("billing", __name__)


@bp.get("/billing")
@require("finance.documents")
def accounts():
    """The company's billing accounts with links to documents and statements."""
    return render_template("billing/accounts.html", accounts=service.accounts(current_user))


@bp.get("/billing/accounts/<int:account_id>/documents")
@require("finance.documents")
def account_documents(account_id: int):
    """An account's invoices, acts and VAT invoices."""
    account = service.get_account(current_user, account_id)
    return render_template("billing/documents.html", account=account,
                           documents=service.documents(current_user, account))


@bp.get("/billing/accounts/<int:account_id>/statement")
@require("finance.documents")
def account_statement(account_id: int):
    """Charges, payments and the balance of an account over a period."""
    account = service.get_account(current_user, account_id)
    errors, data = {}, None
    try:
        data = service.statement(current_user, account, service.parse_period(
            request.args.get("from"), request.args.get("to")))
    except InvalidInput as error:
        errors = error.errors
    return render_template("billing/statement.html", account=account, data=data,
                           errors=errors, args=request.args)


@bp.get("/billing/documents/<int:document_id>.pdf")
@require("finance.documents")
def document_pdf(document_id: int):
    """One financial document as PDF/A."""
    document = service.get_document(current_user, document_id)
    return pdf_response(docs.document_pdf(document), docs.filename_of(document), document.id)


@bp.post("/billing/documents/<int:document_id>/send")
@require("finance.documents")
def send_document(document_id: int):
    """Send a financial document to my e-mail address."""
    document = service.get_document(current_user, document_id)
    try:
        send_mail(current_user.email, docs.title_of(document), docs.title_of(document),
                  attachments=[(docs.filename_of(document), "application/pdf",
                                docs.document_pdf(document))])
    except MailError:
        flash(_("The message could not be sent."), "danger")
    else:
        audit.record("document.mail", actor=current_user, object_type="financial_document",
                     object_id=str(document.id))
        db.session.commit()
        flash(_("The document was sent to %(e)s.", e=current_user.email), "success")
    return redirect(url_for("billing.account_documents",
                            account_id=document.billing_account_id))


@bp.get("/lines/<int:line_id>/call-detail")
@require("reports.view")
def call_detail(line_id: int):
    """The call detail lives on the line card now: its section, with the period kept."""
    line = service.line_for_usage(current_user, line_id)
    period = {f"cd_{k}": request.args[k] for k in ("from", "to") if request.args.get(k)}
    return redirect(url_for("corp.line", line_id=line.id, **period, _anchor="call-detail"))
