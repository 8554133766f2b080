"""Pages of the hierarchy: the tree with totals (the home of line management)."""

from flask import Blueprint, render_template
from flask_login import current_user

from hierarchy import service
from roles.access import require

bp = Blueprint("hierarchy", __name__)


@bp.get("/hierarchy")
@require("lines.view")
def tree():
    """The custom tree with line counts per node, descendants included."""
    return render_template("hierarchy/tree.html", roots=service.tree(current_user))
