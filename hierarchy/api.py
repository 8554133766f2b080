"""JSON API of the hierarchy."""

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from hierarchy import service
from roles.access import require

blp = Blueprint("Hierarchy", __name__, url_prefix="/api/v1", description="The company's tree")


class NodeTree(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    cost_centre = fields.String(allow_none=True)
    path = fields.String()
    line_count = fields.Integer(metadata={"description": "lines of the node and descendants"})
    blocked_count = fields.Integer()
    children = fields.List(fields.Nested(lambda: NodeTree()))


@blp.route("/hierarchy", methods=["GET"])
@blp.response(200, NodeTree(many=True))
@require("lines.view")
def get_tree():
    """The visible tree, nested, with line counts that include descendants."""
    return service.tree(current_user)
