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


class AuditEventOut(Schema):
    id = fields.Integer()
    created_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    actor_id = fields.Integer(allow_none=True)
    actor_email = fields.String(allow_none=True)
    ip = fields.String(allow_none=True)
    action = fields.String()
    outcome = fields.String(allow_none=True)
    object_type = fields.String(allow_none=True)
    object_id = fields.String(allow_none=True)
    line_id = fields.Integer(allow_none=True)
    before = fields.Raw(allow_none=True, metadata={"description": "the object before"})
    after = fields.Raw(allow_none=True, metadata={"description": "the object after"})
    detail = fields.String(allow_none=True)


class AuditPage(Schema):
    items = fields.List(fields.Nested(AuditEventOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


@blp.route("/audit", methods=["GET"])
@blp.arguments(AuditArgs, location="query")
@blp.response(200, AuditPage)
@require("audit.view")
def list_audit(args):
    """Audit events, newest first: filter by user, action, line, period (YYYY-MM-DD)."""
    flt = service.AuditFilter(**{k: args[k] for k in
                                 ("user", "action", "line", "date_from", "date_to")})
    me = current_user._get_current_object()
    items, total = service.list_events(me, flt, page=args["page"], per_page=args["per_page"])
    return {"items": [service.event_dict(e) for e in items], "total": total,
            "page": args["page"], "per_page": args["per_page"]}
