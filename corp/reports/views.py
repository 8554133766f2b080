"""Pages of reports: choose type, period and scope, see it on screen, download it (at once
for small ones, as a background job for big ones), send it to my e-mail; dashboard charts."""

import io

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from core import downloads
from core.errors import InvalidInput
from core.extensions import db
from corp import service as corp_service
from corp.models import Line
from corp.reports import builders, charts, formats
from corp.reports import jobs as report_jobs
from corp.reports.mailing import send_report
from hierarchy.models import Node
from roles import access
from roles.access import require

bp = Blueprint("reports", __name__)

BIG_TYPES = {"expenses", "inventory", "tariff_advice", "idle_lines", "operations"}
SCREEN_ROWS = 200


def _params(source) -> dict:
    return {key: source.get(key) or None for key in ("from", "to", "node_id", "line_id", "days")}


def _scope_nodes():
    """Nodes the user may narrow a report to (for the form's select)."""
    nodes = db.session.scalars(select(Node).where(
        Node.company_id == current_user.company_id,
        access.scope_filter(current_user, "reports.view", Node.path)).order_by(Node.path)).all()
    labels = corp_service.node_labels(nodes)
    return sorted(((n.id, labels[n.id]) for n in nodes), key=lambda x: x[1])


def _is_big(report_type: str, params: dict) -> bool:
    limit = current_app.config["REPORT_INLINE_MAX_LINES"]
    if report_type == "call_detail":
        return False
    if report_type not in BIG_TYPES:
        return False
    count = db.session.scalar(select(func.count()).select_from(Line).join(
        Node, Node.id == Line.node_id).where(
        Line.company_id == current_user.company_id,
        access.scope_filter(current_user, "reports.view", Node.path)))
    return count > limit


def _flash_errors(error: InvalidInput) -> None:
    for messages in error.errors.values():
        flash("; ".join(str(m) for m in messages), "danger")


@bp.get("/reports")
@require("reports.view")
def index():
    """The report form; with ``show`` the chosen report on screen."""
    params = _params(request.args)
    report_type = request.args.get("type") or "expenses"
    report, errors, tables = None, {}, []
    if request.args.get("show"):
        try:
            report_jobs.validate_request(current_user, report_type,
                                         builders.REPORT_TYPES.get(report_type, ("", ("",)))[1][0]
                                         if report_type in builders.REPORT_TYPES else "",
                                         params)
            report = report_jobs.build_report(current_user, report_type, params)
            tables = [formats.plain_table(t) for t in report.summary]
            if report.detail is not None:
                detail = report.detail
                rows = []
                for row in detail.rows:
                    rows.append(row)
                    if len(rows) >= SCREEN_ROWS:
                        break
                detail.rows = rows
                tables.append(formats.plain_table(detail))
        except InvalidInput as error:
            errors = error.errors
    return render_template("reports/index.html", types=builders.REPORT_TYPES,
                           report_type=report_type, params=params, report=report,
                           tables=tables, errors=errors, nodes=_scope_nodes(),
                           screen_rows=SCREEN_ROWS,
                           query={"type": report_type, **{k: v for k, v in params.items() if v}})


@bp.get("/reports/download")
@require("reports.view")
def download():
    """The report file at once, or (big ones) a background job to follow."""
    params = _params(request.args)
    report_type, fmt = request.args.get("type", ""), request.args.get("format", "")
    try:
        report_jobs.validate_request(current_user, report_type, fmt, params)
    except InvalidInput as error:
        _flash_errors(error)
        return redirect(url_for("reports.index", type=report_type, **{
            k: v for k, v in params.items() if v}))
    if _is_big(report_type, params):
        job = report_jobs.start(current_user, report_type, fmt, params)
        db.session.commit()
        report_jobs.dispatch(job)
        return redirect(url_for("reports.job", job_id=job.id))
    report = report_jobs.build_report(current_user, report_type, params)
    out = io.BytesIO()
    formats.write(report, fmt, out)
    return downloads.file_response(out.getvalue(), formats.MIMETYPES[fmt],
                                   formats.filename(report, fmt), kind="report", fmt=fmt,
                                   scope=report_type)


@bp.post("/reports/jobs")
@require("reports.view")
def start_job():
    """Prepare a report in the background."""
    params = _params(request.form)
    try:
        job = report_jobs.start(current_user, request.form.get("type", ""),
                                request.form.get("format", ""), params)
    except InvalidInput as error:
        _flash_errors(error)
        return redirect(url_for("reports.index"))
    db.session.commit()
    report_jobs.dispatch(job)
    return redirect(url_for("reports.job", job_id=job.id))


@bp.get("/reports/jobs/<int:job_id>")
@require("reports.view")
def job(job_id: int):
    """A report job's progress and, when ready, its download link."""
    found = report_jobs.get_job(current_user, job_id)
    return render_template("reports/job.html", job=report_jobs.job_json(found))


@bp.get("/reports/jobs/<int:job_id>/file")
@require("reports.view")
def job_file(job_id: int):
    """The finished report (its owner only, while it is kept)."""
    record = report_jobs.download(current_user, job_id)
    return downloads.file_response(record.path, record.mimetype, record.filename,
                                   kind="report", fmt=record.format,
                                   scope=f"{record.report}, job {job_id}")


@bp.post("/reports/send")
@require("reports.view")
def send():
    """Send a report to my e-mail address (call detail in one click)."""
    params = _params(request.form)
    back = request.form.get("next") or url_for("reports.index")
    if not back.startswith("/") or back.startswith("//"):
        back = url_for("reports.index")
    try:
        send_report(current_user, request.form.get("type", ""), request.form.get("format", ""),
                    params)
    except InvalidInput as error:
        _flash_errors(error)
        return redirect(back)
    db.session.commit()
    flash(_("The report was sent to %(e)s.", e=current_user.email), "success")
    return redirect(back)


@bp.get("/reports/charts/<name>.svg")
@require("reports.view")
def chart(name: str):
    """A dashboard chart as SVG (server-rendered, no script needed to read it)."""
    svg = charts.render(current_user, name)
    return Response(svg, mimetype="image/svg+xml")
