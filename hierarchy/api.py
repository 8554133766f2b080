"""JSON API of the hierarchy: the tree, editing nodes, placing lines, import and export."""

import json

from flask import Response, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from core import downloads
from core.errors import InvalidInput
from core.extensions import db
from core.uploads import read_bytes
from core.validation import Id, IdList, PatchSchema
from corp import service as corp_service
from corp.schemas import LineSchema
from hierarchy import editing, service, transfer
from roles.access import require

MAX_MOVE_IDS = 20_000  # lines one move may name

blp = Blueprint("Hierarchy", __name__, url_prefix="/api/v1", description="The company's tree")


class NodeTree(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    cost_centre = fields.String(allow_none=True)
    path = fields.String()
    line_count = fields.Integer(metadata={"description": "lines of the node and descendants"})
    blocked_count = fields.Integer()
    spend = fields.Decimal(as_string=True, metadata={"description": "spend this month"})
    children = fields.List(fields.Nested(lambda: NodeTree()))


class NodeCreate(Schema):
    name = fields.String(required=True)
    parent_id = Id(required=True)
    kind = fields.String(load_default="department")
    cost_centre = fields.String(allow_none=True, load_default=None)
    responsible_user_id = Id(allow_none=True, load_default=None)


class NodeChange(PatchSchema):
    name = fields.String()
    parent_id = Id()
    kind = fields.String()
    cost_centre = fields.String(allow_none=True)
    responsible_user_id = Id(allow_none=True)


class NodeOut(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    cost_centre = fields.String(allow_none=True)
    parent_id = fields.Integer(allow_none=True)
    path = fields.String()
    depth = fields.Integer()
    responsible_user_id = fields.Integer(allow_none=True)


class DeleteArgs(Schema):
    move_to = Id(load_default=None, allow_none=True)


class LinesMove(Schema):
    line_ids = IdList(MAX_MOVE_IDS, required=True)
    node_id = Id(required=True)


class MoveResult(Schema):
    moved = fields.Integer()


class EmployeeChange(PatchSchema):
    name = fields.String()
    position = fields.String()
    email = fields.String()
    personnel_number = fields.String()


class ExportArgs(Schema):
    format = fields.String(load_default="csv")


class ImportArgs(Schema):
    dry_run = fields.Boolean(load_default=True)


class ImportPreview(Schema):
    rows = fields.Integer()
    errors = fields.List(fields.Dict())
    error_count = fields.Integer()
    created = fields.List(fields.String())
    renamed = fields.List(fields.Dict())
    moved_nodes = fields.List(fields.Dict())
    changed_nodes = fields.List(fields.Dict())
    moved_lines = fields.Integer()
    moved_lines_sample = fields.List(fields.Dict())
    employee_changes = fields.Integer()
    employee_changes_sample = fields.List(fields.Dict())
    changes = fields.Integer()
    applied = fields.Boolean()


@blp.route("/hierarchy", methods=["GET"])
@blp.response(200, NodeTree(many=True))
@require("lines.view")
def get_tree():
    """The visible tree, nested, with totals (lines, blocked, spend) including descendants."""
    return service.tree(current_user)


@blp.route("/hierarchy/nodes", methods=["POST"])
@blp.arguments(NodeCreate)
@blp.response(201, NodeOut)
@require("hierarchy.manage")
def create_node(args):
    """Create a node under a parent in the caller's manage scope."""
    node = editing.create_node(current_user, **args)
    db.session.commit()
    return node


@blp.route("/hierarchy/nodes/<int:node_id>", methods=["PATCH"])
@blp.arguments(NodeChange)
@blp.response(200, NodeOut)
@require("hierarchy.manage")
def update_node(args, node_id):
    """Rename, re-kind, set cost centre/responsible, or move (``parent_id``); a cycle is 409."""
    node = editing.manageable_node(current_user, node_id)
    editing.update_node(current_user, node, args)
    db.session.commit()
    return node


@blp.route("/hierarchy/nodes/<int:node_id>", methods=["DELETE"])
@blp.arguments(DeleteArgs, location="query")
@blp.response(204)
@require("hierarchy.manage")
def delete_node(args, node_id):
    """Delete a node; 409 while it holds lines or sub-nodes unless ``move_to`` names a node."""
    node = editing.manageable_node(current_user, node_id)
    editing.delete_node(current_user, node, args["move_to"])
    db.session.commit()


@blp.route("/lines/move", methods=["POST"])
@blp.arguments(LinesMove)
@blp.response(200, MoveResult)
@require("hierarchy.manage")
def move_lines(args):
    """Move lines to a node; the lines and the node must be in the caller's manage scope."""
    moved = editing.move_lines(current_user, args["line_ids"], args["node_id"])
    db.session.commit()
    return {"moved": moved}


@blp.route("/lines/<int:line_id>", methods=["PATCH"])
@blp.arguments(EmployeeChange)
@blp.response(200, LineSchema)
@require("hierarchy.manage")
def update_employee(args, line_id):
    """Change the employee of a line (name, position, email, personnel number)."""
    line = corp_service.get_line(current_user, line_id)
    editing.update_employee(current_user, line, args)
    db.session.commit()
    return line


@blp.route("/hierarchy/export", methods=["GET"])
@blp.arguments(ExportArgs, location="query")
@blp.response(200, description="the export, CSV or XLSX as asked")
@blp.doc(**downloads.binary_doc(downloads.CSV_MIMETYPE, downloads.XLSX_MIMETYPE))
@require("lines.view")
def export(args):
    """The tree with line placements as CSV (UTF-8 with BOM) or XLSX."""
    return export_response(args["format"])


def export_response(fmt: str) -> Response:
    """A download of the export in ``fmt`` (shared by the page and the API)."""
    if fmt not in ("csv", "xlsx"):
        raise InvalidInput({"format": _("Choose csv or xlsx.")})
    rows = transfer.export_rows(current_user)
    scope = transfer.export_scope(current_user)
    if fmt == "xlsx":
        return downloads.xlsx_response("hierarchy.xlsx", transfer.COLUMNS, rows,
                                       sheet_title=_("Hierarchy"), kind="hierarchy",
                                       scope=scope)
    return downloads.csv_response("hierarchy.csv", transfer.COLUMNS, rows, kind="hierarchy",
                                  scope=scope)


@blp.route("/hierarchy/import", methods=["POST"])
@blp.arguments(ImportArgs, location="query")
@blp.response(200, ImportPreview)
@require("hierarchy.manage")
def import_(args):
    """Upload a CSV/XLSX (multipart ``file``): the preview and row errors; applied all or
    nothing unless ``dry_run`` (the default). Errors with ``dry_run=false`` are a 422."""
    upload = request.files.get("file")
    if upload is None:
        raise InvalidInput({"file": _("Attach the file as multipart field \"file\".")})
    data = read_bytes(upload, transfer.MAX_UPLOAD_BYTES)
    preview = transfer.import_file(current_user, data, upload.filename or "",
                                   dry_run=args["dry_run"])
    if preview["error_count"] and not args["dry_run"]:
        db.session.rollback()
        error = InvalidInput({"file": _("The file has errors: nothing was changed.")})
        body = error.to_dict() | {"preview": preview}
        return Response(_json(body), status=422, mimetype="application/json")
    db.session.commit()
    return preview


def _json(body) -> str:
    return json.dumps(body, ensure_ascii=False, default=str)
