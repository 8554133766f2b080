"""JSON API of the audit log: the same filters and service as the page."""

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from audit import service
from core.validation import DB_INT_MAX
from roles.access import require

blp = Blueprint("Audit", __name__, url_prefix="/api/v1", description="The audit log")


class AuditArgs(Schema):
    user = fields.String(load_default="")
    action = fields.String(load_default="")
    line = fields.String(load_default="")
    date_from = fields.String(load_default="")
    date_to = fields.String(load_default="")
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=DB_INT_MAX))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


@blp.route("/audit", methods=["GET"])
@blp.arguments(AuditArgs, location="query")
@require("audit.view")
def list_audit(args):
    """Audit events, newest first: filter by user, action, line, period (YYYY-MM-DD)."""
    flt = service.AuditFilter(**{k: args[k] for k in
                                 ("user", "action", "line", "date_from", "date_to")})
    me = current_user._get_current_object()
    items, total = service.list_events(me, flt, page=args["page"], per_page=args["per_page"])
    return {"items": [service.event_dict(e) for e in items], "total": total,
            "page": args["page"], "per_page": args["per_page"]}
