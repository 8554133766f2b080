"""JSON API of permissions, roles, users and assignments."""

from flask_smorest import Blueprint

from roles.access import authenticated
from roles.permissions import PERMISSIONS

blp = Blueprint("Roles", __name__, url_prefix="/api/v1", description="Permissions and roles")


@blp.route("/permissions", methods=["GET"])
@authenticated
def list_permissions():
    """The permission names with their labels, in the role editor's order."""
    return [{"name": name, "label": str(label)} for name, label in PERMISSIONS.items()]
