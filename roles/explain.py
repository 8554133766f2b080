"""Access explained: what a user may do and where, and who may do what on a line (the
"why can / can't" pages for administrators)."""

from sqlalchemy import literal, or_, select

from auth.models import User
from core.extensions import db
from corp.service import get_line
from hierarchy.models import Node
from roles import access
from roles.models import Assignment
from roles.permissions import PERMISSIONS
from roles.service import (
    assignment_dict,
    assignments_of,
    node_names,
    ordered_permissions,
    scope_label,
)
from roles.users import get_user


def explain_user(actor, user_id: int) -> dict:
    """What a user may do and where: per assignment, and per permission the scopes held."""
    user = get_user(actor, user_id)
    names = node_names(user.company_id)
    assignments = []
    for a in assignments_of(user):
        item = assignment_dict(a, names)
        item["permissions"] = [
            {"name": p, "label": str(PERMISSIONS[p])}
            for p in ordered_permissions(a.role.permission_names)
        ]
        assignments.append(item)
    by_permission = []
    for p, label in PERMISSIONS.items():
        paths = access.scopes(user, p)
        if paths:
            by_permission.append({"name": p, "label": str(label),
                                  "scopes": [scope_label(s, names) for s in paths]})
    return {"user": user, "assignments": assignments, "by_permission": by_permission}


def explain_line(actor, line_id: int) -> dict:
    """Who may do what on a line, and through which role and assignment."""
    line = get_line(actor, line_id)
    access.check_object(actor, "users.manage", line.node.path, action="access.explain",
                        line_id=line.id, object_type="line", object_id=str(line.id))
    path = line.node.path
    rows = db.session.execute(
        select(Assignment, User)
        .join(User, User.id == Assignment.user_id)
        .outerjoin(Node, Node.id == Assignment.node_id)
        .where(
            Assignment.company_id == line.company_id,
            User.active.is_(True),
            or_(Assignment.node_id.is_(None), literal(path).startswith(Node.path)),
        )
        .order_by(User.email, Assignment.id)
    ).all()
    names = node_names(line.company_id)
    holders = []
    by_permission: dict[str, list[dict]] = {p: [] for p in PERMISSIONS}
    for assignment, user in rows:
        item = assignment_dict(assignment, names)
        item["user"] = {"id": user.id, "email": user.email, "name": user.name}
        item["permissions"] = ordered_permissions(assignment.role.permission_names)
        holders.append(item)
        for p in item["permissions"]:
            by_permission[p].append(item)
    return {
        "line": line,
        "scope": scope_label(path, names),
        "holders": holders,
        "by_permission": [
            {"name": p, "label": str(PERMISSIONS[p]), "holders": by_permission[p]}
            for p in PERMISSIONS
        ],
    }
