"""JSON API of lines (read side; operations live in ``corp.operations``)."""

from flask import jsonify
from flask_login import current_user
from flask_smorest import Blueprint

from corp import service
from corp.schemas import LineListArgs, LinePage, LineSchema
from roles.access import require

blp = Blueprint("Lines", __name__, url_prefix="/api/v1", description="Lines of the company")


@blp.route("/lines", methods=["GET"])
# An instance, not the class: webargs would build a new schema on every request.
@blp.arguments(LineListArgs(), location="query")
@blp.response(200, LinePage)
@require("lines.view")
def list_lines(args):
    """Lines in the caller's scope: search, filter by subtree/status/tariff, sort, page."""
    flt = service.line_filter(args)
    # Plain values from one query, answered as they are (the schema documents the shape).
    items, total = service.list_line_rows(
        current_user, flt, page=args["page"], per_page=args["per_page"]
    )
    return jsonify(
        {"items": items, "total": total, "page": args["page"], "per_page": args["per_page"]})


@blp.route("/lines/<int:line_id>", methods=["GET"])
@blp.response(200, LineSchema)
@require("lines.view")
def get_line(line_id):
    """One line; another company's line or one outside the caller's scope is a 404."""
    return service.get_line(current_user, line_id)
