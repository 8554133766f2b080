"""Roles and assignments: the role catalogue, custom roles, and "access explained".

Delegation rules (who may manage which users and hand out which roles) live in
``roles.users``; this module holds what reads and changes the roles themselves.

Custom roles are company-wide objects: creating, editing or deleting one needs
``users.manage`` on the whole company, and a role may only tick permissions its author holds
on the whole company, so editing a role can never give anyone more than its author has.
"""

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from core import audit
from core.audit import record_refusal
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.extensions import db
from hierarchy.models import Node
from roles import access
from roles.models import Assignment, Role, RolePermission
from roles.permissions import COMPANY_SCOPE, PERMISSIONS, PREDEFINED_ROLES

ROLE_NAME_MAX = 120


# --- labels ---------------------------------------------------------------------------------


def role_label(role: Role) -> str:
    """The role's name as users read it: predefined roles are translated, not the DB string."""
    if role.predefined and role.key in PREDEFINED_ROLES:
        return str(PREDEFINED_ROLES[role.key][0])
    return role.name


def role_description(role: Role) -> str:
    """The role's description, translated for predefined roles."""
    if role.predefined and role.key in PREDEFINED_ROLES:
        return str(PREDEFINED_ROLES[role.key][1])
    return role.description or ""


def ordered_permissions(names) -> list[str]:
    """Permission names in the role editor's order (the order of ``PERMISSIONS``)."""
    names = set(names)
    return [p for p in PERMISSIONS if p in names]


def node_names(company_id: int) -> dict[int, str]:
    """Every node name of the company by id (to spell out scope paths)."""
    return dict(
        db.session.execute(select(Node.id, Node.name).where(Node.company_id == company_id)).all()
    )


def scope_label(path: str | None, names: dict[int, str]) -> str:
    """A scope path as people read it: "Whole company" or "Москва / Продажи"."""
    if not path or path == COMPANY_SCOPE:
        return _("Whole company")
    ids = [int(x) for x in path.strip("/").split("/") if x]
    # The root is the company itself: start below it unless the scope is the root.
    shown = ids[1:] or ids
    return " / ".join(names.get(i, "?") for i in shown)


def role_dict(role: Role, assigned: int | None = None) -> dict:
    """A role as pages and the API show it."""
    data = {
        "id": role.id,
        "key": role.key,
        "name": role_label(role),
        "description": role_description(role),
        "predefined": role.predefined,
        "permissions": ordered_permissions(role.permission_names),
    }
    if assigned is not None:
        data["assigned"] = assigned
    return data


def role_snapshot(role: Role) -> dict:
    """What the audit log keeps of a role before/after a change."""
    return {"name": role.name, "permissions": ordered_permissions(role.permission_names)}


# --- reading --------------------------------------------------------------------------------


def assignments_of(user) -> list[Assignment]:
    """The user's (role, scope) pairs."""
    return db.session.scalars(
        select(Assignment).where(Assignment.user_id == user.id).order_by(Assignment.id)
    ).all()


def assignment_dict(assignment: Assignment, names: dict[int, str] | None = None) -> dict:
    """An assignment as pages and the API show it."""
    node = assignment.node
    names = names if names is not None else ({} if node is None else node_names(node.company_id))
    return {
        "id": assignment.id,
        "user_id": assignment.user_id,
        "role": {
            "id": assignment.role.id,
            "key": assignment.role.key,
            "name": role_label(assignment.role),
        },
        "node": {"id": node.id, "name": node.name, "path": node.path} if node else None,
        "scope": scope_label(node.path if node else None, names),
    }


def describe_user_access(user) -> dict:
    """The user, the company, the assignments and the permission names held anywhere."""
    company = user.company
    names = node_names(company.id) if company else {}
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "active": user.active,
        "is_operator_staff": user.is_operator_staff,
        "must_change_password": user.must_change_password,
        "company": {"id": company.id, "name": company.name} if company else None,
        "assignments": [assignment_dict(a, names) for a in assignments_of(user)],
        "permissions": sorted(p for p in PERMISSIONS if access.scopes(user, p)),
    }


def list_roles(actor) -> list[dict]:
    """The predefined roles, then the company's own, each with its number of assignments."""
    counts = dict(
        db.session.execute(
            select(Assignment.role_id, func.count())
            .where(Assignment.company_id == actor.company_id)
            .group_by(Assignment.role_id)
        ).all()
    )
    order = {key: i for i, key in enumerate(PREDEFINED_ROLES)}
    roles = db.session.scalars(
        select(Role).where(or_(Role.predefined.is_(True), Role.company_id == actor.company_id))
    ).all()
    roles = sorted(roles, key=lambda r: (not r.predefined, order.get(r.key, 0), r.name.lower()))
    return [role_dict(r, counts.get(r.id, 0)) for r in roles]


def get_role(actor, role_id: int) -> Role:
    """A predefined role or one of the actor's company; another company's role is 404."""
    role = db.session.scalar(
        select(Role).where(
            Role.id == role_id,
            or_(Role.predefined.is_(True), Role.company_id == actor.company_id),
        )
    )
    if role is None or actor.company_id is None:
        raise NotFound(_("No such role."))
    return role


# --- changing custom roles --------------------------------------------------------------------


def _refuse(action: str, actor, message: str, **fields):
    """Audit a refused action and raise 403."""
    record_refusal(action, actor=actor, detail=message, **fields)
    raise PermissionDenied(message)


def _check_role_author(actor, action: str, **fields) -> None:
    """Custom roles are company-wide: their author manages users of the whole company."""
    if COMPANY_SCOPE not in access.scopes(actor, "users.manage"):
        _refuse(action, actor, _("Only a manager of the whole company's users may change roles."),
                **fields)


def _predefined_role_names() -> set[str]:
    """The predefined roles' names, lower-cased, in every language of the portal."""
    names = set()
    for locale in current_app.config["LANGUAGES"]:
        with force_locale(locale):
            names |= {str(n).lower() for n, _d, _p in PREDEFINED_ROLES.values()}
    return names


def _clean_role_input(actor, name, permissions, *, role_id=None) -> tuple[str | None, list | None]:
    """Validate a role's name and permission list (either may be None = unchanged)."""
    errors = {}
    if name is not None:
        name = " ".join(str(name).split())
        if not name:
            errors["name"] = _("Give the role a name.")
        elif len(name) > ROLE_NAME_MAX:
            errors["name"] = _("The name is too long (%(n)d characters at most).", n=ROLE_NAME_MAX)
        else:
            clash = db.session.scalar(
                select(Role.id).where(
                    Role.company_id == actor.company_id,
                    func.lower(Role.name) == name.lower(),
                    Role.id != (role_id or 0),
                )
            )
            if clash or name.lower() in _predefined_role_names():
                errors["name"] = _("A role with this name exists already.")
    if permissions is not None:
        if not isinstance(permissions, list | tuple | set) or not all(
            isinstance(p, str) for p in permissions
        ):
            errors["permissions"] = _("Permissions must be a list of permission names.")
        else:
            unknown = sorted(set(permissions) - set(PERMISSIONS))
            if unknown:
                errors["permissions"] = _("Unknown permissions: %(names)s.",
                                          names=", ".join(unknown))
            elif not permissions:
                errors["permissions"] = _("Tick at least one permission category.")
            else:
                permissions = ordered_permissions(permissions)
    if errors:
        raise InvalidInput(errors)
    return name, permissions


def _check_no_escalation(actor, permissions, action: str, **fields) -> None:
    """A role may only tick permissions its author holds on the whole company."""
    held = access.permissions_at(actor, COMPANY_SCOPE)
    missing = [p for p in permissions if p not in held]
    if missing:
        _refuse(
            action, actor,
            _("You can only give permissions you hold yourself: %(names)s.",
              names=", ".join(str(PERMISSIONS[p]) for p in missing)),
            **fields,
        )


def create_role(actor, name, permissions, description: str = "") -> Role:
    """A custom role of the actor's company with the ticked permission categories."""
    _check_role_author(actor, "role.create")
    name, permissions = _clean_role_input(actor, name, permissions)
    if name is None or permissions is None:
        missing = "name" if name is None else "permissions"
        raise InvalidInput({missing: _("This field is required.")})
    _check_no_escalation(actor, permissions, "role.create", after={"name": name,
                                                                  "permissions": permissions})
    role = Role(company_id=actor.company_id, name=name, description=(description or "")[:500],
                predefined=False)
    role.permissions = [RolePermission(permission=p) for p in permissions]
    db.session.add(role)
    db.session.flush()
    audit.record("role.created", actor=actor, object_type="role", object_id=role.id,
                 after=role_snapshot(role))
    access.bump_policy_version(actor.company_id)
    return role


def update_role(actor, role_id: int, *, name=None, permissions=None) -> Role:
    """Rename a custom role and/or change its ticked categories; predefined roles are 403."""
    role = get_role(actor, role_id)
    fields = {"object_type": "role", "object_id": str(role.id)}
    if role.predefined:
        _refuse("role.update", actor, _("Predefined roles are read-only."), **fields)
    _check_role_author(actor, "role.update", **fields)
    name, permissions = _clean_role_input(actor, name, permissions, role_id=role.id)
    before = role_snapshot(role)
    if permissions is not None:
        _check_no_escalation(actor, permissions, "role.update", before=before, **fields)
    if name is not None:
        role.name = name
    if permissions is not None:
        have = role.permission_names
        for rp in list(role.permissions):
            if rp.permission not in permissions:
                role.permissions.remove(rp)
        for p in permissions:
            if p not in have:
                role.permissions.append(RolePermission(permission=p))
    db.session.flush()
    audit.record("role.updated", actor=actor, before=before, after=role_snapshot(role), **fields)
    access.bump_policy_version(actor.company_id)
    return role


def delete_role(actor, role_id: int) -> None:
    """Delete a custom role nobody holds; predefined → 403, still assigned → 409."""
    role = get_role(actor, role_id)
    fields = {"object_type": "role", "object_id": str(role.id)}
    if role.predefined:
        _refuse("role.delete", actor, _("Predefined roles are read-only."), **fields)
    _check_role_author(actor, "role.delete", **fields)
    holders = db.session.scalar(
        select(func.count()).select_from(Assignment).where(Assignment.role_id == role.id)
    )
    if holders:
        message = _(
            "The role is assigned %(n)d time(s); remove those assignments before deleting it.",
            n=holders,
        )
        record_refusal("role.delete", actor=actor, detail=message, **fields)
        raise Conflict(message)
    before = role_snapshot(role)
    db.session.delete(role)
    db.session.flush()
    audit.record("role.deleted", actor=actor, before=before, **fields)
    access.bump_policy_version(actor.company_id)


# --- predefined roles (demo, onboarding) --------------------------------------------------------


def ensure_predefined_roles() -> dict[str, Role]:
    """Create or refresh the read-only predefined roles (shared by every company)."""
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


def predefined_role(key: str) -> Role:
    """The predefined role with this key."""
    return db.session.scalar(select(Role).where(Role.key == key))


def assign_predefined(user, key: str, node=None) -> Assignment:
    """Give the user a predefined role on a node's subtree (or the whole company)."""
    role = predefined_role(key)
    assignment = Assignment(
        company_id=user.company_id, user_id=user.id, role_id=role.id,
        node_id=node.id if node else None,
    )
    db.session.add(assignment)
    db.session.flush()
    access.bump_policy_version(user.company_id)
    return assignment


# --- access explained --------------------------------------------------------------------------
