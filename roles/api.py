"""JSON API of permissions, roles, users, assignments, the audit log and (for operator
staff) companies. Every handler calls the same service function as the page."""

from flask import request
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from core import security_log
from core.extensions import db
from core.validation import DB_INT_MAX, Id, PatchSchema
from roles import audit_log, explain, onboarding, service
from roles import users as user_service
from roles.access import authenticated, operator_staff, require
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


class AuditArgs(Schema):
    user = fields.String(load_default="")
    action = fields.String(load_default="")
    line = fields.String(load_default="")
    date_from = fields.String(load_default="")
    date_to = fields.String(load_default="")
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=DB_INT_MAX))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


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


class CompanyOut(Schema):
    id = fields.Integer()
    name = fields.String()
    inn = fields.String()
    kpp = fields.String(allow_none=True)
    ogrn = fields.String()
    active = fields.Boolean()


class AdministratorOut(Schema):
    id = fields.Integer()
    email = fields.String()
    temporary_password = fields.String(metadata={"description": "shown once"})


class CompanyCreated(Schema):
    id = fields.Integer()
    name = fields.String()
    administrator = fields.Nested(AdministratorOut)


class CompanyIn(Schema):
    name = fields.String(required=True)
    inn = fields.String(required=True)
    kpp = fields.String(load_default="")
    ogrn = fields.String(required=True)
    legal_address = fields.String(load_default="")
    contract_number = fields.String(required=True)
    admin_email = fields.String(required=True)
    admin_name = fields.String(required=True)


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


# --- audit -------------------------------------------------------------------------------


@blp.route("/audit", methods=["GET"])
@blp.arguments(AuditArgs, location="query")
@blp.response(200, AuditPage)
@require("audit.view")
def list_audit(args):
    """Audit events, newest first: filter by user, action, line, period (YYYY-MM-DD)."""
    flt = audit_log.AuditFilter(**{k: args[k] for k in
                                   ("user", "action", "line", "date_from", "date_to")})
    items, total = audit_log.list_events(_me(), flt, page=args["page"],
                                         per_page=args["per_page"])
    return {"items": [audit_log.event_dict(e) for e in items], "total": total,
            "page": args["page"], "per_page": args["per_page"]}


# --- operator staff: companies --------------------------------------------------------------


class SecurityEventsArgs(Schema):
    kind = fields.String(validate=validate.OneOf(security_log.KINDS))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))


class SecurityEventOut(Schema):
    id = fields.Integer()
    created_at = fields.DateTime()
    kind = fields.String()
    actor_id = fields.Integer(allow_none=True)
    actor_email = fields.String()
    company_id = fields.Integer(allow_none=True)
    ip = fields.String()
    method = fields.String()
    path = fields.String()
    status = fields.Integer(allow_none=True)
    detail = fields.String()


class SecurityEventsPage(Schema):
    total = fields.Integer()
    items = fields.List(fields.Nested(SecurityEventOut))


@blp.route("/security-events", methods=["GET"])
@blp.arguments(SecurityEventsArgs, location="query")
@blp.response(200, SecurityEventsPage)
@operator_staff
def list_security_events(args):
    """The platform's security events, newest first, 50 a page (operator staff only)."""
    items, total = security_log.list_events(kind=args.get("kind"), page=args["page"])
    return {"total": total, "items": items}


@blp.route("/companies", methods=["GET"])
@blp.response(200, CompanyOut(many=True))
@operator_staff
def list_companies():
    """Every company (operator staff only)."""
    return [{"id": c.id, "name": c.name, "inn": c.inn, "kpp": c.kpp, "ogrn": c.ogrn,
             "active": c.active} for c in onboarding.list_companies(_me())]


@blp.route("/companies", methods=["POST"])
@blp.arguments(CompanyIn)
@blp.response(201, CompanyCreated)
@operator_staff
def create_company(data):
    """Onboard a company with its contract, root node and first global administrator → 201."""
    company, admin, password = onboarding.create_company(_me(), data)
    db.session.commit()
    return {"id": company.id, "name": company.name,
            "administrator": {"id": admin.id, "email": admin.email,
                              "temporary_password": password}}
