"""Pages: the line card's operation forms, a new job (selection and preview), the Operations
page, a job's progress, the operator's approval queue. Thin: parse the form, call the service."""


from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core.errors import Conflict, InvalidInput, PageChange
from core.extensions import db
from core.validation import parse_int
from corp.models import BillingAccount, Line, Service, Tariff
from corp.operations import jobs, rules, service
from corp.operations.models import JOB_STATUSES, OPERATION_STATUSES
from hierarchy.service import get_node
from roles.access import operator_staff, require

bp = Blueprint("operations", __name__)
# Refusals a page shows as a message (others answer the error page: 403, 404).
REFUSALS = (InvalidInput, Conflict)

# Form fields of each type (the parameter names of the contract).
FORM_FIELDS = {
    "block": ("kind", "until", "confirm"),
    "unblock": (),
    "service_add": ("service_code",),
    "service_remove": ("service_code",),
    "promised_payment": ("amount",),
    "sms_send": ("text",),
    "forwarding_set": ("condition", "target", "delay_seconds"),
    "forwarding_clear": ("condition",),
    "limit_set": ("kind", "amount", "action"),
    "limit_clear": ("kind",),
    "tariff_change": ("tariff_code", "effective"),
    "tariff_configure": (),
    "sim_replace": ("iccid",),
    "number_change": ("msisdn",),
    "number_transfer": ("billing_account_number", "new_account"),
    "bill_delivery_set": ("email", "postal_address"),
    "settlement_method_set": ("method",),
}


def params_from_form(type_name: str, form) -> dict:
    """The type's parameters from a submitted form (empty fields left out)."""
    params = {}
    for name in FORM_FIELDS.get(type_name, ()):
        value = form.get(name, "").strip()
        if value == "":
            continue
        if name == "new_account":
            params[name] = value in ("1", "on", "true")
        else:
            params[name] = value
    if type_name == "number_transfer" and not params.get("billing_account_number"):
        params["new_account"] = True
    if type_name == "tariff_configure":
        options = {}
        for key, value in form.items():
            if key.startswith("option."):
                name = key[len("option."):]
                if key.endswith("_numbers") or form.get(f"kind.{name}") == "msisdn_list":
                    options[name] = [x.strip() for x in value.replace("\n", ",").split(",")
                                     if x.strip()]
                elif value.strip():
                    options[name] = value.strip()
        params["options"] = options
    return params


def _flash_operation(operation) -> None:
    if operation.status == "done":
        flash(_("Done: %(s)s", s=(operation.result or {}).get("summary", operation.type)),
              "success")
    elif operation.status == "awaiting_operator":
        flash(_("Sent to the operator for approval."), "info")
    elif operation.status == "failed":
        flash(_("The operator could not apply it: %(e)s", e=operation.error), "danger")
    elif operation.scheduled_for:
        flash(_("Scheduled for %(d)s.", d=operation.scheduled_for), "info")
    else:
        flash(_("Accepted: the operator is processing it."), "info")


def _int(value):
    return parse_int(value)  # out of the column's range reads as no number at all


def _submit_from_card(submit, target_id: int) -> tuple[bool, str]:
    """One operation from a form of the line card (``submit`` is the line or the account
    service function): one transaction, then dispatched and its outcome flashed."""
    type_name = request.form.get("type", "")
    with PageChange(catch=REFUSALS) as change:
        operation = submit(
            current_user, target_id, type_name, params_from_form(type_name, request.form),
            version=_int(request.form.get("version")),
            idempotency_key=request.form.get("idempotency_key") or None)
    if change.ok:
        service.dispatch(operation)
        _flash_operation(operation)
    return change.ok, type_name


@bp.post("/lines/<int:line_id>/operations")
@require("lines.view")
def line_operation(line_id: int):
    """Run one operation from the line card."""
    ok, type_name = _submit_from_card(service.submit_line_operation, line_id)
    back = url_for("corp.line", line_id=line_id)
    return redirect(back if ok else back + f"#op-{type_name}")


@bp.post("/billing-accounts/<int:account_id>/operations")
@require("lines.view")
def account_operation(account_id: int):
    """Run a billing-account operation (from a line card); back to that card."""
    back = url_for("corp.line", line_id=_int(request.form.get("line_id")) or 0)
    _submit_from_card(service.submit_account_operation, account_id)
    return redirect(back)


# --- The Operations page -------------------------------------------------------------------


@bp.get("/operations")
@require("lines.view")
def operations():
    """Operations and jobs with filters and live statuses."""
    status = request.args.get("status") or None
    type_name = request.args.get("type") or None
    line_id = _int(request.args.get("line_id"))
    if status not in (None, *OPERATION_STATUSES):
        status = None
    if type_name not in (None, *rules.TYPES):
        type_name = None
    job_id = _int(request.args.get("job_id"))
    items = service.list_operations(current_user, line_id=line_id, status=status,
                                    type_name=type_name, job_id=job_id, limit=100)
    msisdns = dict(db.session.execute(select(Line.id, Line.msisdn).where(
        Line.id.in_({o.line_id for o in items if o.line_id}))).all())
    return render_template(
        "operations/index.html", items=items, msisdns=msisdns,
        jobs=jobs.list_jobs(current_user), progress=jobs.progress, types=rules.TYPES,
        statuses=OPERATION_STATUSES, job_statuses=JOB_STATUSES,
        flt={"status": status, "type": type_name, "line_id": line_id})


@bp.get("/operations/jobs/<int:job_id>")
@require("lines.view")
def job(job_id: int):
    """A job's progress bar, counts, cancel/resume and results."""
    found = jobs.get_job(current_user, job_id)
    failures = db.session.execute(
        select(jobs.JobItem.msisdn, jobs.JobItem.status, jobs.JobItem.reason)
        .where(jobs.JobItem.job_id == job_id,
               jobs.JobItem.status.in_(("failed", "refused")))
        .order_by(jobs.JobItem.id).limit(100)).all()
    return render_template("operations/job.html", job=found, progress=jobs.progress(found),
                           types=rules.TYPES, failures=failures)


@bp.post("/operations/jobs/<int:job_id>/cancel")
@require("lines.view")
def cancel_job(job_id: int):
    """Stop the job."""
    with PageChange(catch=(Conflict,)) as change:
        jobs.cancel_job(current_user, job_id)
    if change.ok:
        flash(_("The job is being cancelled."), "info")
    return redirect(url_for("operations.job", job_id=job_id))


@bp.post("/operations/jobs/<int:job_id>/resume")
@require("lines.view")
def resume_job(job_id: int):
    """Continue a job whose worker died."""
    with PageChange(catch=(Conflict,)) as change:
        found = jobs.resume_job(current_user, job_id)
    if change.ok:
        jobs.dispatch(found)
        flash(_("The job continues with the lines not done."), "info")
    return redirect(url_for("operations.job", job_id=job_id))


# --- New job ---------------------------------------------------------------------------------


def _selection_from_request() -> dict:
    """Ticked lines, a node, the lines list's filter, or an uploaded list of numbers."""
    form = request.form if request.method == "POST" else request.args
    upload = request.files.get("file") if request.method == "POST" else None
    if upload and upload.filename:
        return {"msisdns": jobs.numbers_from_upload(upload.filename, upload.read())}
    ids = [i for i in (_int(x) for x in form.getlist("line_ids")) if i]
    if ids:
        return {"line_ids": ids}
    if form.get("msisdns_text", "").strip():
        text = form["msisdns_text"].replace(";", "\n").replace(",", "\n")
        return {"msisdns": [x.strip() for x in text.splitlines() if x.strip()]}
    flt = {k: form.get(k) for k in ("q", "status", "tariff") if form.get(k)}
    node_id = _int(form.get("node_id"))
    if flt:
        if node_id:
            flt["node_id"] = node_id
        return {"filter": flt}
    if node_id:
        return {"node_id": node_id}
    return {}


@bp.route("/operations/jobs/new", methods=["GET", "POST"])
@require("lines.view")
def new_job():
    """Choose a type and parameters for the selected lines, preview, then run."""
    selection = _selection_from_request()
    type_name = request.form.get("type", "") if request.method == "POST" else request.args.get(
        "type", "block")
    node = None
    if selection.get("node_id"):
        node = get_node(current_user, selection["node_id"])
    context = {"selection": selection, "type_name": type_name, "node": node,
               "job_types": rules.JOB_TYPES, "preview": None,
               "services": db.session.scalars(select(Service).where(Service.active)
                                              .order_by(Service.name)).all(),
               "tariffs": db.session.scalars(select(Tariff).where(Tariff.active)
                                             .order_by(Tariff.name)).all(),
               "form": request.form if request.method == "POST" else {}}
    if request.method == "POST":
        params = params_from_form(type_name, request.form)
        if request.form.get("action") == "run":
            with PageChange(catch=REFUSALS) as change:
                found = jobs.start_job(current_user, type_name, params, selection)
            if change.ok:
                jobs.dispatch(found)
                return redirect(url_for("operations.job", job_id=found.id))
        else:
            with PageChange(catch=REFUSALS) as change:
                preview = jobs.preview(current_user, type_name, params, selection)
                # Refusals first: they are what the user has to read.
                preview["items"].sort(key=lambda i: i["outcome"] != "refused")
                context["preview"] = preview
    return render_template("operations/new_job.html", **context)


@bp.route("/operations/bulk", methods=["GET", "POST"])
@require("lines.view")
def bulk():
    """The former address of the new-job page: a permanent redirect that keeps the method, the
    form and the query (308), so that saved links and scripts keep working."""
    query = request.query_string.decode()
    return redirect(url_for("operations.new_job") + (f"?{query}" if query else ""), 308)


# --- Operator staff: approvals ---------------------------------------------------------------


@bp.get("/operations/approvals")
@operator_staff
def approvals():
    """The approval queue moved into requests: each waiting operation has its application
    there, decided from the staff workspace."""
    if "staff.queue" in current_app.view_functions:
        return redirect(url_for("staff.queue", kind="application", status="submitted"))
    items = service.awaiting_operator()
    accounts = {a.id: a for a in db.session.scalars(select(BillingAccount).where(
        BillingAccount.id.in_({o.billing_account_id for o in items})))}
    return render_template("operations/approvals.html", items=items, accounts=accounts)


@bp.post("/operations/approvals/<int:operation_id>")
@operator_staff
def decide(operation_id: int):
    """Approve or reject one operation."""
    approve = request.form.get("decision") == "approve"
    with PageChange(catch=REFUSALS,
                    success=_("Approved and applied.") if approve else _("Rejected.")):
        service.decide(current_user, operation_id, approve, request.form.get("reason", "")[:300],
                       (request.form.get("credit_limit") or None) if approve else None)
    return redirect(url_for("operations.approvals"))
