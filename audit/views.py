"""Pages of the audit log: the filtered list and its CSV export."""

from flask import Blueprint, flash, render_template, request
from flask_login import current_user

from audit import service
from core import downloads, security_log
from core.errors import InvalidInput
from roles.access import require

bp = Blueprint("audit", __name__)


def _me():
    return current_user._get_current_object()


@bp.get("/admin/audit")
@require("audit.view")
def index():
    """The audit log with filters by user, action, line and period."""
    flt = service.AuditFilter.from_args(request.args)
    page = max(request.args.get("page", 1, type=int), 1)
    try:
        items, total = service.list_events(_me(), flt, page=page, per_page=50)
        status = 200
    except InvalidInput as error:
        flash(str(error.message), "danger")
        items, total, status = [], 0, 422
    return render_template("audit/index.html", items=items, total=total, flt=flt, page=page,
                           pages=max((total + 49) // 50, 1),
                           actions=service.actions(_me())), status


@bp.get("/admin/audit.csv")
@require("audit.view")
def export_csv():
    """The filtered audit log as a CSV file."""
    flt = service.AuditFilter.from_args(request.args)
    security_log.record("download.audit", actor=_me(), status=200,
                        detail=request.query_string.decode("utf-8", "replace"))
    return downloads.csv_response("audit.csv", service.CSV_COLUMNS,
                                  service.export_rows(_me(), flt), kind="audit",
                                  scope=request.query_string.decode("utf-8", "replace")[:200])
