"""JSON API of operations, jobs (one type on many lines), billing accounts, the catalogue and
the approval queue.

The same service functions as the pages; ``Idempotency-Key`` makes a retried write run once.
"""

from types import SimpleNamespace

from flask import jsonify, request, url_for
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import select

from core import downloads, security_log
from core.errors import NotFound
from core.extensions import db
from corp.models import Service, Tariff
from corp.operations import jobs, rules, service
from corp.operations.schemas import (
    AccountOperationRequest,
    BillingAccountSchema,
    DecisionSchema,
    JobRequest,
    JobSchema,
    LineOperationRequest,
    OperationListArgs,
    OperationPage,
    OperationSchema,
    PreviewSchema,
    ServiceSchema,
    TariffSchema,
)
from corp.service import billing_accounts, get_line
from roles import access
from roles.access import authenticated, operator_staff, require

blp = Blueprint("Operations", __name__, url_prefix="/api/v1",
                description="Line and billing-account operations, jobs, catalogue")


class FreeNumbers(Schema):
    items = fields.List(fields.String(), metadata={"description": "MSISDNs offered"})


def _key():
    return request.headers.get("Idempotency-Key") or None


# What the answer shows of an operation (``dispatch`` reads a few of the same fields).
_ANSWERED = tuple(OperationSchema().fields)


def _dispatched(operation):
    """A requested operation, committed and handed to its runner (the API's one commit).

    The answer's values are taken before the commit: everything is flushed by then, so they
    are what the commit stores, and after it the expired operation would be read back. Work
    handed to a runner is answered as it is by then (an inline runner has applied it)."""
    answer = SimpleNamespace(**{name: getattr(operation, name) for name in _ANSWERED})
    db.session.commit()
    return operation if service.dispatch(answer) else answer


@blp.route("/lines/<int:line_id>/operations", methods=["POST"])
@blp.arguments(LineOperationRequest)
@blp.response(202, OperationSchema)
@blp.alt_response(404, description="line out of scope or of another company")
@blp.alt_response(403, description="no permission for this type on the line")
@blp.alt_response(409, description="refused by a business rule, or changed meanwhile")
@blp.alt_response(422, description="bad parameters (field errors)")
@require("lines.view")
def create_line_operation(body, line_id):
    """Request an operation on a line; ``params`` follow the type's schema (``<Type>Params``)."""
    return _dispatched(service.submit_line_operation(
        current_user, line_id, body["type"], body["params"], version=body["version"],
        idempotency_key=_key()))


@blp.route("/billing-accounts/<int:account_id>/operations", methods=["POST"])
@blp.arguments(AccountOperationRequest)
@blp.response(202, OperationSchema)
@require("lines.view")
def create_account_operation(body, account_id):
    """Request ``bill_delivery_set`` or ``settlement_method_set`` on a billing account."""
    return _dispatched(service.submit_account_operation(
        current_user, account_id, body["type"], body["params"], version=body["version"],
        idempotency_key=_key()))


@blp.route("/operations/<int:operation_id>", methods=["GET"])
@blp.response(200, OperationSchema)
@authenticated
def get_operation(operation_id):
    """One operation (404 unless the caller may see its line or account)."""
    return service.get_operation(current_user, operation_id)


@blp.route("/operations", methods=["GET"])
@blp.arguments(OperationListArgs, location="query")
@blp.response(200, OperationPage)
@require("lines.view")
def list_operations(args):
    """Newest first; filter by line, account, status, type, job."""
    return {"items": service.list_operations(
        current_user, line_id=args["line_id"], billing_account_id=args["billing_account_id"],
        status=args["status"], type_name=args["type"], job_id=args["job_id"],
        limit=args["limit"])}


@blp.route("/billing-accounts", methods=["GET"])
@blp.response(200, BillingAccountSchema(many=True))
@require("lines.view")
def list_billing_accounts():
    """The billing accounts the caller may see; money and delivery details only for a
    company-wide viewer (a scoped user sees the accounts of their lines, as on the page)."""
    accounts = billing_accounts(current_user)
    if access.has_company_scope(current_user, "lines.view"):
        return accounts
    return [{"id": a.id, "number": a.number, "contract": a.contract.number,
             "settlement_method": a.settlement_method, "version": a.version} for a in accounts]


@blp.route("/catalogue/tariffs", methods=["GET"])
@blp.response(200, TariffSchema(many=True))
@authenticated
def catalogue_tariffs():
    """The corporate tariffs with fees, packages and configurable options."""
    return db.session.scalars(select(Tariff).where(Tariff.active).order_by(Tariff.code)).all()


@blp.route("/catalogue/services", methods=["GET"])
@blp.response(200, ServiceSchema(many=True))
@authenticated
def catalogue_services():
    """The services with fees and compatibility (incompatible codes, tariffs)."""
    return db.session.scalars(select(Service).where(Service.active).order_by(Service.code)).all()


@blp.route("/lines/<int:line_id>/free-numbers", methods=["GET"])
@blp.response(200, FreeNumbers)
@require("lines.number_change")
def free_numbers(line_id):
    """Numbers offered for ``number_change`` on this line."""
    line = get_line(current_user, line_id, "lines.number_change")
    numbers = rules.offered_numbers(line)
    db.session.commit()
    return {"items": numbers}


def job_json(job):
    """A job with its progress and the links to its results."""
    return {
        "id": job.id, "type": job.type, "params": job.params, "status": job.status,
        "progress": jobs.progress(job), "created_at": job.created_at,
        "finished_at": job.finished_at,
        "results_url": url_for("Operations.job_results", job_id=job.id, fmt="csv"),
        "results_xlsx_url": url_for("Operations.job_results", job_id=job.id, fmt="xlsx"),
    }


def _preview_or_start_job(body):
    selection = {k: body.get(k) for k in jobs.SELECTION_KEYS}
    if body["dry_run"]:
        return jsonify(PreviewSchema().dump(
            jobs.preview(current_user, body["type"], body["params"], selection))), 200
    job = jobs.start_job(current_user, body["type"], body["params"], selection)
    db.session.commit()
    jobs.dispatch(job)
    db.session.refresh(job)
    return jsonify(JobSchema().dump(job_json(job))), 202


@blp.route("/jobs", methods=["POST"])
@blp.arguments(JobRequest)
@blp.alt_response(200, schema=PreviewSchema, description="dry run: the preview")
@blp.alt_response(202, schema=JobSchema, description="the started job")
@require("lines.view")
def start_job(body):
    """Dry run (default) or start a job of one type on many lines."""
    return _preview_or_start_job(body)


@blp.route("/bulk-operations", methods=["POST"])
@blp.arguments(JobRequest)
@blp.alt_response(200, schema=PreviewSchema, description="dry run: the preview")
@blp.alt_response(202, schema=JobSchema, description="the started job")
@blp.doc(deprecated=True)
@require("lines.view")
def bulk_operation(body):
    """Deprecated: the former address of ``POST /api/v1/jobs``, which it answers alike."""
    return _preview_or_start_job(body)


@blp.route("/jobs", methods=["GET"])
@blp.response(200, JobSchema(many=True))
@require("lines.view")
def list_jobs():
    """The caller's visible jobs, newest first."""
    return [job_json(j) for j in jobs.list_jobs(current_user, request.args.get("status"))]


@blp.route("/jobs/<int:job_id>", methods=["GET"])
@blp.response(200, JobSchema)
@require("lines.view")
def get_job(job_id):
    """Status and progress (done / failed / remaining / total) of a job; a report job (the
    caller's own only) also gives its ``download_url`` once ready."""
    return jobs.present_external(current_user, job_id) or job_json(
        jobs.get_job(current_user, job_id))


@blp.route("/jobs/<int:job_id>/cancel", methods=["POST"])
@blp.response(200, JobSchema)
@require("lines.view")
def cancel_job(job_id):
    """Stop a job; lines not yet done stay unchanged."""
    job = jobs.cancel_job(current_user, job_id)
    db.session.commit()
    return job_json(job)


@blp.route("/jobs/<int:job_id>/resume", methods=["POST"])
@blp.response(200, JobSchema)
@require("lines.view")
def resume_job(job_id):
    """Continue a job whose worker died, from the lines not done."""
    job = jobs.resume_job(current_user, job_id)
    db.session.commit()
    jobs.dispatch(job)
    return job_json(jobs.get_job(current_user, job_id))


@blp.route("/jobs/<int:job_id>/results.<fmt>", methods=["GET"])
@blp.response(200, description="the per-line results (fmt: csv or xlsx)")
@blp.doc(**downloads.binary_doc(downloads.CSV_MIMETYPE, downloads.XLSX_MIMETYPE))
@require("lines.view")
def job_results(job_id, fmt):
    """Per-line results as CSV or XLSX."""
    job = jobs.get_job(current_user, job_id, jobs.CONTROL)
    if fmt in ("csv", "xlsx"):
        security_log.record("download.job_results", actor=current_user, status=200,
                            detail=f"job {job.id} ({fmt})")
    rows = jobs.results_rows(job)
    if fmt == "xlsx":
        return downloads.xlsx_response(f"job-{job.id}-results.xlsx", jobs.RESULT_COLUMNS, rows,
                                       sheet_title=f"job {job.id}", kind="job_results",
                                       scope=f"job {job.id}")
    if fmt == "csv":
        return downloads.csv_response(f"job-{job.id}-results.csv", jobs.RESULT_COLUMNS, rows,
                                      kind="job_results", scope=f"job {job.id}")
    raise NotFound()


@blp.route("/approvals", methods=["GET"])
@blp.response(200, OperationSchema(many=True))
@operator_staff
def list_approvals():
    """Operations waiting for the operator's decision (operator staff)."""
    return service.awaiting_operator()


@blp.route("/operations/<int:operation_id>/approve", methods=["POST"])
@blp.arguments(DecisionSchema)
@blp.response(200, OperationSchema)
@operator_staff
def approve(body, operation_id):
    """Approve and apply (e.g. credit settlement, optionally with a credit limit)."""
    operation = service.decide(current_user, operation_id, True, body["reason"],
                               body["credit_limit"])
    db.session.commit()
    return operation


@blp.route("/operations/<int:operation_id>/reject", methods=["POST"])
@blp.arguments(DecisionSchema)
@blp.response(200, OperationSchema)
@operator_staff
def reject(body, operation_id):
    """Reject with a reason; the operation fails and the account is unchanged."""
    operation = service.decide(current_user, operation_id, False, body["reason"])
    db.session.commit()
    return operation
