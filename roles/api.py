"""JSON API of permissions, roles, users and assignments. Every handler calls the same
service function as the page."""

from flask import request
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from core.extensions import db
from core.validation import Id, PatchSchema
from roles import explain, service
from roles import users as user_service
from roles.access import authenticated, require
from roles.permissions import PERMISSIONS

blp = Blueprint("Roles", __name__, url_prefix="/api/v1", description="Permissions and roles")


def _me():
    return current_user._get_current_object()


class RoleIn(Schema):
    name = fields.String(required=True)
    permissions = fields.List(fields.String(), required=True)


class RolePatch(PatchSchema):
    name = fields.String()
    permissions = fields.List(fields.String())


class UserIn(Schema):
    email = fields.String(required=True)
    name = fields.String(required=True)


class UserPatch(PatchSchema):
    email = fields.String()
    name = fields.String()
    active = fields.Boolean()


class AssignmentIn(Schema):
    role_id = Id(required=True)
    node_id = Id(load_default=None, allow_none=True)


# --- what the API sends (each handler's answer is dumped through its schema) ---------------


class PermissionOut(Schema):
    name = fields.String()
    label = fields.String()


class RoleOut(Schema):
    id = fields.Integer()
    key = fields.String(allow_none=True, metadata={"description": "predefined roles only"})
    name = fields.String()
    description = fields.String(allow_none=True)
    predefined = fields.Boolean()
    permissions = fields.List(fields.String())
    assigned = fields.Integer(metadata={"description": "assignments (in the list only)"})


class RoleRef(Schema):
    id = fields.Integer()
    key = fields.String(allow_none=True)
    name = fields.String()


class AssignedNode(Schema):
    id = fields.Integer()
    name = fields.String()
    path = fields.String()


class AssignmentOut(Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    role = fields.Nested(RoleRef)
    node = fields.Nested(AssignedNode, allow_none=True, metadata={"description": "null: company"})
    scope = fields.String()


class UserOut(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    active = fields.Boolean()
    must_change_password = fields.Boolean()
    last_login_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    assignments = fields.List(fields.Nested(AssignmentOut),
                              metadata={"description": "one user only, not in the list"})


class NewUserOut(UserOut):
    temporary_password = fields.String(metadata={"description": "shown once"})


class ExplainedAssignment(AssignmentOut):
    permissions = fields.List(fields.Nested(PermissionOut))


class PermissionScopes(PermissionOut):
    scopes = fields.List(fields.String())


class UserAccessOut(Schema):
    user = fields.Nested(UserOut)
    assignments = fields.List(fields.Nested(ExplainedAssignment))
    by_permission = fields.List(fields.Nested(PermissionScopes))


class UserRef(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()


class HolderOut(AssignmentOut):
    user = fields.Nested(UserRef)
    permissions = fields.List(fields.String())


class PermissionHolder(Schema):
    user = fields.Nested(UserRef)
    role = fields.Nested(RoleRef)
    scope = fields.String()
    assignment_id = fields.Integer()


class PermissionHolders(PermissionOut):
    holders = fields.List(fields.Nested(PermissionHolder))


class LineAccessOut(Schema):
    line_id = fields.Integer()
    scope = fields.String()
    holders = fields.List(fields.Nested(HolderOut))
    by_permission = fields.List(fields.Nested(PermissionHolders))


@blp.route("/permissions", methods=["GET"])
@blp.response(200, PermissionOut(many=True))
@authenticated
def list_permissions():
    """The permission names with their labels, in the role editor's order."""
    return [{"name": name, "label": str(label)} for name, label in PERMISSIONS.items()]


# --- roles -------------------------------------------------------------------------------


@blp.route("/roles", methods=["GET"])
@blp.response(200, RoleOut(many=True))
@require("users.manage")
def list_roles():
    """Predefined roles and the company's own, with their permission names."""
    return service.list_roles(_me())


@blp.route("/roles", methods=["POST"])
@blp.arguments(RoleIn)
@blp.response(201, RoleOut)
@require("users.manage")
def create_role(data):
    """A custom role: ``{"name", "permissions": [...]}`` → 201."""
    role = service.create_role(_me(), data["name"], data["permissions"])
    db.session.commit()
    return service.role_dict(role)


@blp.route("/roles/<int:role_id>", methods=["GET"])
@blp.response(200, RoleOut)
@require("users.manage")
def get_role(role_id):
    """One role with its ticked permission categories."""
    return service.role_dict(service.get_role(_me(), role_id))


@blp.route("/roles/<int:role_id>", methods=["PATCH"])
@blp.arguments(RolePatch)
@blp.response(200, RoleOut)
@require("users.manage")
def update_role(data, role_id):
    """Rename a custom role or change its permissions; predefined roles answer 403."""
    role = service.update_role(_me(), role_id, name=data.get("name"),
                               permissions=data.get("permissions"))
    db.session.commit()
    return service.role_dict(role)


@blp.route("/roles/<int:role_id>", methods=["DELETE"])
@blp.response(204)
@require("users.manage")
def delete_role(role_id):
    """Delete a custom role nobody holds: 204; predefined 403; still assigned 409."""
    service.delete_role(_me(), role_id)
    db.session.commit()
    return None


# --- users -------------------------------------------------------------------------------


@blp.route("/users", methods=["GET"])
@blp.response(200, UserOut(many=True))
@require("users.manage")
def list_users():
    """The users the caller manages (``?q=`` searches e-mail and name)."""
    return [user_service.user_dict(u)
            for u in user_service.list_users(_me(), request.args.get("q", "")[:200])]


@blp.route("/users", methods=["POST"])
@blp.arguments(UserIn)
@blp.response(201, NewUserOut)
@require("users.manage")
def create_user(data):
    """A new employee → 201 with ``id`` and the ``temporary_password`` (shown once)."""
    user, password = user_service.create_user(_me(), data["email"], data["name"])
    db.session.commit()
    return {**user_service.user_dict(user), "temporary_password": password}


@blp.route("/users/<int:user_id>", methods=["GET"])
@blp.response(200, UserOut)
@require("users.manage")
def get_user(user_id):
    """One user with their assignments."""
    return user_service.user_dict(user_service.get_user(_me(), user_id), with_assignments=True)


@blp.route("/users/<int:user_id>", methods=["PATCH"])
@blp.arguments(UserPatch)
@blp.response(200, UserOut)
@require("users.manage")
def update_user(data, user_id):
    """Change e-mail/name; ``{"active": false}`` disables (tokens answer 401 at once)."""
    user = user_service.update_user(_me(), user_id, email=data.get("email"),
                                    name=data.get("name"), active=data.get("active"))
    db.session.commit()
    return user_service.user_dict(user, with_assignments=True)


@blp.route("/users/<int:user_id>/assignments", methods=["GET"])
@blp.response(200, AssignmentOut(many=True))
@require("users.manage")
def list_assignments(user_id):
    """The user's (role, scope) pairs."""
    names = service.node_names(_me().company_id)
    return [service.assignment_dict(a, names)
            for a in user_service.list_assignments(_me(), user_id)]


@blp.route("/users/<int:user_id>/assignments", methods=["POST"])
@blp.arguments(AssignmentIn)
@blp.response(201, AssignmentOut)
@require("users.manage")
def create_assignment(data, user_id):
    """``{"role_id", "node_id"}`` (node_id null = the whole company) → 201."""
    assignment = user_service.grant(_me(), user_id, data["role_id"], data["node_id"])
    db.session.commit()
    return service.assignment_dict(assignment)


@blp.route("/users/<int:user_id>/assignments/<int:assignment_id>", methods=["DELETE"])
@blp.response(204)
@require("users.manage")
def delete_assignment(user_id, assignment_id):
    """Take an assignment away → 204."""
    user_service.revoke(_me(), user_id, assignment_id)
    db.session.commit()
    return None


@blp.route("/users/<int:user_id>/access", methods=["GET"])
@blp.response(200, UserAccessOut)
@require("users.manage")
def explain_user(user_id):
    """Access explained: what the user may do and where."""
    data = explain.explain_user(_me(), user_id)
    return {"user": user_service.user_dict(data["user"]), "assignments": data["assignments"],
            "by_permission": data["by_permission"]}


@blp.route("/lines/<int:line_id>/access", methods=["GET"])
@blp.response(200, LineAccessOut)
@require("users.manage")
def explain_line(line_id):
    """Access explained: who may do what on the line, through which role and scope."""
    data = explain.explain_line(_me(), line_id)
    return {
        "line_id": data["line"].id,
        "scope": data["scope"],
        "holders": data["holders"],
        "by_permission": [
            {"name": p["name"], "label": p["label"],
             "holders": [{"user": h["user"], "role": h["role"], "scope": h["scope"],
                          "assignment_id": h["id"]} for h in p["holders"]]}
            for p in data["by_permission"]
        ],
    }
