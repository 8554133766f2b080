"""Roles and assignments: reading and describing who may do what."""

from sqlalchemy import select

from core.extensions import db
from roles import access
from roles.models import Assignment, Role
from roles.permissions import PERMISSIONS


def assignments_of(user) -> list[Assignment]:
    """The user's (role, scope) pairs."""
    return db.session.scalars(
        select(Assignment).where(Assignment.user_id == user.id).order_by(Assignment.id)
    ).all()


def describe_user_access(user) -> dict:
    """The user, the company, the assignments and the permission names held anywhere."""
    company = user.company
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "is_operator_staff": user.is_operator_staff,
        "must_change_password": user.must_change_password,
        "company": {"id": company.id, "name": company.name} if company else None,
        "assignments": [
            {
                "id": a.id,
                "role": {"id": a.role.id, "key": a.role.key, "name": str(a.role.name)},
                "node": {"id": a.node.id, "name": a.node.name} if a.node else None,
            }
            for a in assignments_of(user)
        ],
        "permissions": sorted(p for p in PERMISSIONS if access.scopes(user, p)),
    }


def ensure_predefined_roles() -> dict[str, Role]:
    """Create or refresh the read-only predefined roles (shared by every company)."""
    from roles.models import Role, RolePermission
    from roles.permissions import PREDEFINED_ROLES

    existing = {r.key: r for r in db.session.scalars(select(Role).where(Role.predefined))}
    for key, (name, description, permissions) in PREDEFINED_ROLES.items():
        role = existing.get(key)
        if role is None:
            role = Role(key=key, name=str(name), description=str(description), predefined=True)
            db.session.add(role)
            existing[key] = role
        have = {p.permission for p in role.permissions}
        for permission in sorted(permissions - have):
            role.permissions.append(RolePermission(permission=permission))
        for rp in list(role.permissions):
            if rp.permission not in permissions:
                role.permissions.remove(rp)
    db.session.flush()
    return existing


def assign_predefined(user, key: str, node=None) -> Assignment:
    """Give the user a predefined role on a node's subtree (or the whole company)."""
    from roles.models import Role

    role = db.session.scalar(select(Role).where(Role.key == key))
    assignment = Assignment(
        company_id=user.company_id, user_id=user.id, role_id=role.id,
        node_id=node.id if node else None,
    )
    db.session.add(assignment)
    db.session.flush()
    access.bump_policy_version(user.company_id)
    return assignment
