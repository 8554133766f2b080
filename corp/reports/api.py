"""JSON API of reports: start one as a job, download the owner's file."""

from flask import jsonify
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from core import downloads
from core.extensions import db
from corp.operations.schemas import JobSchema
from corp.reports import builders, formats
from corp.reports import jobs as report_jobs
from corp.reports.mailing import send_report
from roles.access import require

blp = Blueprint("Reports", __name__, url_prefix="/api/v1", description="Reports")


class ReportParams(Schema):
    first = fields.String(data_key="from", load_default=None,
                          metadata={"description": "YYYY-MM-DD"})
    last = fields.String(data_key="to", load_default=None, metadata={"description": "YYYY-MM-DD"})
    node_id = fields.Integer(load_default=None, allow_none=True)
    line_id = fields.Integer(load_default=None, allow_none=True,
                             metadata={"description": "call_detail: the line"})
    days = fields.Integer(load_default=None, allow_none=True,
                          metadata={"description": "idle_lines: days without usage"})


class ReportRequest(Schema):
    type = fields.String(required=True, validate=validate.OneOf(builders.REPORT_TYPES))
    format = fields.String(required=True, validate=validate.OneOf(
        ["pdf", "xlsx", "csv", "zip"]))
    params = fields.Nested(ReportParams, load_default=dict)


def _params(body) -> dict:
    """The report's parameters as the service takes them (the page's names)."""
    p = body["params"]
    return {"from": p.get("first"), "to": p.get("last"), "node_id": p.get("node_id"),
            "line_id": p.get("line_id"), "days": p.get("days")}


@blp.route("/reports", methods=["POST"])
@blp.arguments(ReportRequest)
@blp.response(202, JobSchema)
@blp.alt_response(403, description="a company-wide report without company-wide access")
@blp.alt_response(404, description="node or line out of scope or of another company")
@blp.alt_response(422, description="bad type, format or period (field errors)")
@require("reports.view")
def create_report(body):
    """Start a report as a background job; follow it with ``GET /jobs/<id>``."""
    job = report_jobs.start(current_user, body["type"], body["format"], _params(body))
    db.session.commit()
    report_jobs.dispatch(job)
    db.session.refresh(job)
    return jsonify(JobSchema().dump(report_jobs.job_json(job))), 202


class SentSchema(Schema):
    sent_to = fields.Email(metadata={"description": "the caller's own address"})
    type = fields.String()
    format = fields.String()


@blp.route("/reports/send", methods=["POST"])
@blp.arguments(ReportRequest)
@blp.response(200, SentSchema)
@blp.alt_response(403, description="a company-wide report without company-wide access")
@blp.alt_response(404, description="node or line out of scope or of another company")
@blp.alt_response(422, description="bad type, format or period, or the mail failed")
@require("reports.view")
def send(body):
    """Build a report and send it to the caller's own e-mail address at once (the call
    detail "to my e-mail in one click"); the same service as the page's button."""
    address = send_report(current_user, body["type"], body["format"], _params(body))
    db.session.commit()
    return {"sent_to": address, "type": body["type"], "format": body["format"]}


@blp.route("/jobs/<int:job_id>/download", methods=["GET"])
@blp.response(200, description="the report file")
@blp.doc(**downloads.binary_doc(*formats.MIMETYPES.values()))
@blp.alt_response(404, description="not the caller's report, not ready, or expired")
@require("reports.view")
def download(job_id):
    """The finished report's file (its owner only, while it is kept)."""
    record = report_jobs.download(current_user, job_id)
    return downloads.file_response(record.path, record.mimetype, record.filename,
                                   kind="report", fmt=record.format,
                                   scope=f"{record.report}, job {job_id}")
