"""Operator staff pages: the queue of requests of every company, one request, decisions;
the companies of the platform and onboarding a new one; the platform's security events.

Staff see requests and what is attached to them; they never reach a company's line
management pages (those need company permissions staff do not hold).
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import security_log
from core.errors import Conflict, InvalidInput, PageChange
from core.extensions import db
from corp.models import Company
from corp.requests import service
from corp.requests.models import REQUEST_KINDS, REQUEST_STATUSES
from corp.requests.pages import detail_context, send_attachment, send_document
from forms import service as forms_service
from forms.catalogue import all_fields, get_form
from roles.access import operator_staff
from staff import onboarding
from staff.webforms import CompanyForm

bp = Blueprint("staff", __name__)
# Refusals a page shows as a message (others answer the error page: 403, 404).
REFUSALS = (InvalidInput, Conflict)


def _me():
    return current_user._get_current_object()


def _int(value):
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


@bp.get("/staff/requests")
@operator_staff
def queue():
    """Requests of every company, oldest first, filtered by status, kind, company, age."""
    filters = {"status": request.args.get("status") or None,
               "kind": request.args.get("kind") or None,
               "company_id": _int(request.args.get("company_id")),
               "older_than_days": _int(request.args.get("older_than_days"))}
    if filters["status"] not in (None, *REQUEST_STATUSES):
        filters["status"] = None
    if filters["kind"] not in (None, *REQUEST_KINDS):
        filters["kind"] = None
    if filters["older_than_days"] is not None and not 0 <= filters["older_than_days"] <= 3650:
        filters["older_than_days"] = None
    items = service.list_requests(current_user, **filters)
    companies = dict(service.companies_with_requests())
    return render_template("staff/queue.html", items=items, filters=filters,
                           companies=companies, statuses=REQUEST_STATUSES, kinds=REQUEST_KINDS)


@bp.get("/staff/requests/<int:request_id>")
@operator_staff
def detail(request_id: int):
    """One request as staff see it, with take / comment / approve / reject."""
    item = service.get_request(current_user, request_id)
    company = db.session.get(Company, item.company_id) if item.company_id else None
    return render_template("requests/detail.html", **detail_context(item), staff=True,
                           company_name=company.name if company else "",
                           onboardable=item.form_code == service.CONNECTION_FORM
                           and item.company_id is None,
                           requested_credit_limit=service.requested_credit_limit(item))


def _back(request_id):
    return redirect(url_for("staff.detail", request_id=request_id))


@bp.post("/staff/requests/<int:request_id>/transition")
@operator_staff
def transition(request_id: int):
    """Take, approve or reject (with the reply as a comment)."""
    item = service.get_request(current_user, request_id)
    with PageChange(catch=REFUSALS, success=_("Saved.")):
        service.transition(current_user, item, request.form.get("to", ""),
                           request.form.get("comment", ""),
                           request.form.get("credit_limit") or None)
    return _back(request_id)


@bp.post("/staff/requests/<int:request_id>/comments")
@operator_staff
def comment(request_id: int):
    """Reply to the company."""
    item = service.get_request(current_user, request_id)
    with PageChange(catch=REFUSALS):
        service.add_comment(current_user, item, request.form.get("text", ""))
    return _back(request_id)


@bp.post("/staff/requests/<int:request_id>/attachments")
@operator_staff
def attach(request_id: int):
    """Attach a file for the company."""
    item = service.get_request(current_user, request_id)
    with PageChange(catch=REFUSALS):
        service.add_attachment(current_user, item, request.files.get("file"))
    return _back(request_id)


@bp.get("/staff/requests/<int:request_id>/attachments/<int:attachment_id>")
@operator_staff
def attachment(request_id: int, attachment_id: int):
    """Download a file attached to the request."""
    return send_attachment(service.get_request(current_user, request_id), attachment_id)


@bp.get("/staff/requests/<int:request_id>/document")
@operator_staff
def document(request_id: int):
    """Download the application form the request carries."""
    return send_document(service.get_request(current_user, request_id))


# --- the platform's security events ------------------------------------------------------------


@bp.get("/operator/security-events")
@operator_staff
def security_events():
    """Refusals, sign-in locks and sensitive downloads of the whole platform."""
    kind = request.args.get("kind") or None
    if kind not in security_log.KINDS:
        kind = None
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    events, total = security_log.list_events(kind=kind, page=page)
    return render_template("staff/security_events.html", events=events, total=total,
                           kind=kind, page=page, kinds=security_log.KINDS)


# --- companies -------------------------------------------------------------------------------


@bp.get("/operator/companies")
@operator_staff
def companies():
    """Every company of the platform."""
    return render_template("staff/companies.html",
                           companies=onboarding.list_companies(_me()))


@bp.route("/operator/companies/new", methods=["GET", "POST"])
@operator_staff
def company_new():
    """Onboard a company with its contract, root node and first global administrator."""
    form = CompanyForm()
    if form.validate_on_submit():
        with PageChange(form, catch=(InvalidInput,)) as change:
            company, admin, password = onboarding.create_company(_me(), form.data)
        if change.ok:
            return render_template("staff/company_created.html", company=company, user=admin,
                                   password=password,
                                   contract_number=company.contracts[0].number,
                                   account_number=onboarding.first_account_number(company.id))
        return render_template("staff/company_new.html", form=form), 422
    return render_template("staff/company_new.html", form=form)


# --- Connection applications and onboarding ---------------------------------------------


def _connection_page(values, errors=None, status=200):
    spec = get_form(service.CONNECTION_FORM)
    facts = forms_service.applicant_facts()
    choices = {f.name: forms_service.choices_for(f, facts) for f in all_fields(spec)
               if f.type in ("choice", "billing_account")}
    return render_template("staff/connection_new.html", spec=spec, fields=all_fields(spec),
                           values=values, choices=choices, errors=errors or {}), status


@bp.route("/staff/applications/new", methods=["GET", "POST"])
@operator_staff
def connection_new():
    """Record the connection application of a company that is not a customer yet."""
    spec = get_form(service.CONNECTION_FORM)
    if request.method == "GET":
        return _connection_page(forms_service.prefill(spec, forms_service.applicant_facts()))
    values = {f.name: request.form.get(f.name, "") for f in all_fields(spec)}
    try:
        item = service.file_connection_application(current_user, values,
                                                   request.files.get("file"))
    except InvalidInput as error:
        db.session.rollback()
        return _connection_page(values, {k: v[0] for k, v in error.errors.items()}, 422)
    db.session.commit()
    flash(_("The connection application is recorded."), "success")
    return redirect(url_for("staff.detail", request_id=item.id))


@bp.route("/staff/requests/<int:request_id>/onboard", methods=["GET", "POST"])
@operator_staff
def onboard(request_id: int):
    """The onboarding form prefilled from a connection application; creating the company
    closes the request as done."""
    item = service.get_request(current_user, request_id)
    try:
        prefill = service.onboarding_prefill(current_user, item)
    except Conflict as error:
        flash(str(error.message), "danger")
        return _back(request_id)
    form = CompanyForm(data=prefill) if request.method == "GET" else CompanyForm()
    if request.method == "POST" and form.validate_on_submit():
        with PageChange(form, catch=(InvalidInput, Conflict)) as change:
            company, admin, password = service.onboard_from_request(current_user, item,
                                                                    form.data)
        if change.ok:
            return render_template("staff/company_created.html", company=company, user=admin,
                                   password=password, source=item,
                                   contract_number=company.contracts[0].number,
                                   account_number=onboarding.first_account_number(company.id))
        return render_template("staff/company_new.html", form=form, source=item), 422
    return render_template("staff/company_new.html", form=form, source=item)
