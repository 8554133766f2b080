"""Company users and their role assignments, with the delegation rules.

Delegation (decided here, documented in docs/roles.md):

* A manager is a user holding ``users.manage``; their *manage scopes* are the scopes where
  they hold it ("/" = the whole company).
* A manager sees and manages the users of their company whose every assignment lies inside
  their manage scopes. Users without any assignment (just created, or stripped of their
  roles) are visible to every manager of the company, so that they can be given a role.
  Everyone else is a 404, exactly like an out-of-scope line.
* A manager may give a role on a scope only if that scope lies inside their manage scopes
  and they hold every permission of the role on that scope themselves (no escalation).
* The global administrator role is company-wide only and only a global administrator may
  hand it out, take it away, or disable a user who holds it.
* The last active global administrator of a company can be neither disabled nor demoted.
* Every change bumps ``Company.policy_version`` in the same transaction and is audited with
  before/after; every refusal is audited too.
"""

import secrets

from flask_babel import gettext as _
from sqlalchemy import exists, false, func, not_, or_, select

from auth.models import User
from auth.passwords import hash_password
from auth.reauth import require_recent_auth
from auth.service import normalize_email, revoke_all
from core import audit
from core.audit import record_refusal
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.extensions import db
from core.validation import clean_email
from hierarchy.models import Node
from hierarchy.service import get_node
from roles import access
from roles.access import is_global_admin  # noqa: F401 - also this module's public name
from roles.models import Assignment, Role
from roles.permissions import COMPANY_SCOPE, GLOBAL_ADMIN, PERMISSIONS
from roles.service import assignment_dict, get_role, node_names, role_label

NAME_MAX = 200


def _refuse(action: str, actor, message: str, **fields):
    """Audit a refused action and raise 403."""
    record_refusal(action, actor=actor, detail=message, **fields)
    raise PermissionDenied(message)


def guard_global_admin(actor, user: User, action: str, **fields) -> None:
    """Only a global administrator may change anything of a global administrator (e-mail,
    name, activity, assignments, password): one check every user change goes through."""
    if is_global_admin(user) and not is_global_admin(actor):
        _refuse(action, actor,
                _("Only a global administrator may change another global administrator."),
                **fields)


def user_snapshot(user: User) -> dict:
    """What the audit log keeps of a user before/after a change."""
    return {"email": user.email, "name": user.name, "active": user.active}


def assignment_snapshot(assignment: Assignment) -> dict:
    """What the audit log keeps of an assignment."""
    return {
        "user_id": assignment.user_id,
        "role_id": assignment.role_id,
        "role": role_label(assignment.role) if assignment.role else None,
        "node_id": assignment.node_id,
        "scope": assignment.node.path if assignment.node else COMPANY_SCOPE,
    }


def issue_temporary_password() -> str:
    """A random password to hand over once; it must be changed at first sign-in."""
    # 12 characters of a 56-symbol alphabet without look-alikes (~70 bits).
    alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _i in range(12))


# --- delegation ------------------------------------------------------------------------------


def manage_scopes(actor) -> list[str]:
    """The scope paths on which the actor manages users."""
    return access.scopes(actor, "users.manage")


def global_admin_ids(company_id: int) -> set[int]:
    """The ids of the company's users holding the global administrator role."""
    return set(db.session.scalars(
        select(Assignment.user_id).join(Role, Role.id == Assignment.role_id)
        .where(Assignment.company_id == company_id, Role.key == GLOBAL_ADMIN)
    ))


def active_global_admin_count(company_id: int) -> int:
    """How many active users of the company hold the global administrator role."""
    return db.session.scalar(
        select(func.count(func.distinct(Assignment.user_id)))
        .join(Role, Role.id == Assignment.role_id)
        .join(User, User.id == Assignment.user_id)
        .where(Assignment.company_id == company_id, Role.key == GLOBAL_ADMIN,
               User.active.is_(True))
    )


def manageable_users_filter(actor):
    """SQL condition: users of the actor's company whose assignments all lie in the actor's
    manage scopes (users with no assignment included)."""
    scopes = manage_scopes(actor)
    if not scopes or actor.company_id is None:
        return false()
    base = (User.company_id == actor.company_id) & User.is_operator_staff.is_(False)
    if COMPANY_SCOPE in scopes:
        return base
    outside = (
        select(Assignment.id)
        .outerjoin(Node, Node.id == Assignment.node_id)
        .where(
            Assignment.user_id == User.id,
            or_(
                Assignment.node_id.is_(None),
                not_(or_(*(Node.path.startswith(s, autoescape=True) for s in scopes))),
            ),
        )
    )
    return base & ~exists(outside)


def list_users(actor, q: str = "") -> list[User]:
    """The users the actor manages, by name; ``q`` searches e-mail and name."""
    query = select(User).where(manageable_users_filter(actor))
    q = (q or "").strip().lower()
    if q:
        if len(q) > 100:
            raise InvalidInput({"q": _("The search text is too long (100 characters at most).")})
        query = query.where(
            or_(User.email.contains(q, autoescape=True),
                func.lower(User.name).contains(q, autoescape=True))
        )
    return db.session.scalars(query.order_by(User.name, User.email)).all()


def get_user(actor, user_id: int) -> User:
    """A user the actor manages; anyone else (other company, out of scope) is 404."""
    user = db.session.scalar(select(User).where(User.id == user_id,
                                                manageable_users_filter(actor)))
    if user is None:
        raise NotFound(_("No such user."))
    return user


def assignable_nodes(actor) -> list[dict]:
    """The nodes the actor may use as a scope, in tree order with their depth (node picker)."""
    nodes = db.session.scalars(
        select(Node).where(Node.company_id == actor.company_id,
                           access.scope_filter(actor, "users.manage", Node.path))
    ).all()
    by_parent: dict = {}
    ids = {n.id for n in nodes}
    for n in nodes:
        by_parent.setdefault(n.parent_id if n.parent_id in ids else None, []).append(n)
    out: list[dict] = []

    def walk(parent_id, depth):
        for n in sorted(by_parent.get(parent_id, []), key=lambda n: n.name):
            out.append({"id": n.id, "name": n.name, "depth": depth, "path": n.path,
                        "kind": n.kind})
            walk(n.id, depth + 1)

    walk(None, 0)
    return out


# --- users -------------------------------------------------------------------------------------


def _clean_user_fields(email=None, name=None, *, user_id=None) -> dict:
    """Validate e-mail and name (None = not given); 422 with field messages."""
    errors, values = {}, {}
    if email is not None:
        email = normalize_email(str(email))
        email = clean_email(email)
        if email is None:
            errors["email"] = _("Enter a valid e-mail address.")
        else:
            if db.session.scalar(select(User.id).where(User.email == email,
                                                       User.id != (user_id or 0))):
                errors["email"] = _("This e-mail is already in use.")
            else:
                values["email"] = email
    if name is not None:
        name = " ".join(str(name).split())
        if not name:
            errors["name"] = _("Enter the employee's name.")
        elif len(name) > NAME_MAX:
            errors["name"] = _("The name is too long (%(n)d characters at most).", n=NAME_MAX)
        else:
            values["name"] = name
    if errors:
        raise InvalidInput(errors)
    return values


def new_company_user(company_id: int, email: str, name: str) -> tuple[User, str]:
    """Insert a user with an issued temporary password (no checks of who asks)."""
    password = issue_temporary_password()
    user = User(company_id=company_id, email=email, name=name,
                password_hash=hash_password(password), must_change_password=True, active=True)
    db.session.add(user)
    db.session.flush()
    return user, password


def create_user(actor, email, name) -> tuple[User, str]:
    """A new employee of the actor's company; returns the user and the temporary password."""
    if not manage_scopes(actor) or actor.company_id is None:
        _refuse("user.create", actor, _("You do not have the permission for this."))
    values = _clean_user_fields(email, name)
    if "email" not in values or "name" not in values:
        raise InvalidInput({k: _("This field is required.") for k in ("email", "name")
                            if k not in values})
    user, password = new_company_user(actor.company_id, values["email"], values["name"])
    audit.record("user.created", actor=actor, object_type="user", object_id=user.id,
                 after=user_snapshot(user))
    access.bump_policy_version(actor.company_id)
    return user, password


def update_user(actor, user_id: int, *, email=None, name=None, active=None) -> User:
    """Change a user's e-mail/name and/or disable or re-enable them."""
    user = get_user(actor, user_id)
    fields = {"object_type": "user", "object_id": str(user.id)}
    if active is not None and not isinstance(active, bool):
        raise InvalidInput({"active": _("Must be true or false.")})
    guard_global_admin(actor, user, "user.update", **fields)
    values = _clean_user_fields(email, name, user_id=user.id)
    before = user_snapshot(user)
    if active is not None and active != user.active:
        _check_may_change_activity(actor, user, active, fields)
    for key, value in values.items():
        setattr(user, key, value)
    changed_activity = active is not None and active != user.active
    if changed_activity:
        user.active = active
        if not active:
            revoke_all(user)
    after = user_snapshot(user)
    if after != before:
        action = ("user.disabled" if not active else "user.enabled") if changed_activity \
            else "user.updated"
        db.session.flush()
        audit.record(action, actor=actor, before=before, after=after, **fields)
        access.bump_policy_version(user.company_id)
    return user


def _check_may_change_activity(actor, user, active: bool, fields) -> None:
    """Self, global administrators and the last global administrator."""
    action = "user.enable" if active else "user.disable"
    if not active and user.id == actor.id:
        record_refusal(action, actor=actor, detail="self", **fields)
        raise InvalidInput({"active": _("You cannot disable your own account.")})
    if is_global_admin(user):
        if not is_global_admin(actor):
            _refuse(action, actor,
                    _("Only a global administrator may change another global administrator."),
                    **fields)
        if not active and user.active and active_global_admin_count(user.company_id) <= 1:
            message = _("This is the last active global administrator of the company: "
                        "it cannot be disabled.")
            record_refusal(action, actor=actor, detail=message, **fields)
            raise Conflict(message)


# --- assignments -------------------------------------------------------------------------------


def list_assignments(actor, user_id: int) -> list[Assignment]:
    """The assignments of a user the actor manages."""
    user = get_user(actor, user_id)
    return db.session.scalars(
        select(Assignment).where(Assignment.user_id == user.id).order_by(Assignment.id)
    ).all()


def grant(actor, user_id: int, role_id: int, node_id: int | None) -> Assignment:
    """Give a user a role on the whole company (node_id None) or on a node's subtree."""
    user = get_user(actor, user_id)
    role = get_role(actor, role_id)
    fields = {"object_type": "user", "object_id": str(user.id),
              "after": {"role_id": role.id, "node_id": node_id}}
    guard_global_admin(actor, user, "assignment.create", **fields)
    if node_id is None:
        path = COMPANY_SCOPE
        if COMPANY_SCOPE not in manage_scopes(actor):
            _refuse("assignment.create", actor,
                    _("You may only give roles within your own part of the hierarchy."), **fields)
    else:
        path = get_node(actor, node_id, "users.manage").path  # out of scope / other company: 404
    if role.key == GLOBAL_ADMIN:
        if not is_global_admin(actor):
            _refuse("assignment.create", actor,
                    _("Only a global administrator may appoint another global administrator."),
                    **fields)
        require_recent_auth(actor, "assignment.create global_admin")
        if node_id is not None:
            raise InvalidInput({"node_id": _("The global administrator role applies to the "
                                             "whole company; choose the whole company.")})
    held = access.permissions_at(actor, path)
    missing = [p for p in role.permission_names if p not in held]
    if missing:
        _refuse("assignment.create", actor,
                _("You can only give roles whose permissions you hold yourself on that scope; "
                  "you lack: %(names)s.",
                  names=", ".join(str(PERMISSIONS[p]) for p in sorted(missing))), **fields)
    duplicate = db.session.scalar(
        select(Assignment.id).where(
            Assignment.user_id == user.id, Assignment.role_id == role.id,
            Assignment.node_id.is_(None) if node_id is None else Assignment.node_id == node_id,
        )
    )
    if duplicate:
        raise Conflict(_("The user already holds this role on this scope."))
    assignment = Assignment(company_id=user.company_id, user_id=user.id, role_id=role.id,
                            node_id=node_id, created_by_id=actor.id)
    db.session.add(assignment)
    db.session.flush()
    db.session.refresh(assignment)
    audit.record("assignment.created", actor=actor, object_type="user", object_id=user.id,
                 after=assignment_snapshot(assignment))
    access.bump_policy_version(user.company_id)
    return assignment


def revoke(actor, user_id: int, assignment_id: int) -> None:
    """Take an assignment away (the last active global administrator keeps theirs)."""
    user = get_user(actor, user_id)
    assignment = db.session.scalar(
        select(Assignment).where(Assignment.id == assignment_id, Assignment.user_id == user.id)
    )
    if assignment is None:
        raise NotFound(_("No such assignment."))
    before = assignment_snapshot(assignment)
    fields = {"object_type": "user", "object_id": str(user.id), "before": before}
    guard_global_admin(actor, user, "assignment.delete", **fields)
    if assignment.role.key == GLOBAL_ADMIN:
        if not is_global_admin(actor):
            _refuse("assignment.delete", actor,
                    _("Only a global administrator may change another global administrator."),
                    **fields)
        others = db.session.scalar(
            select(func.count()).select_from(Assignment)
            .join(Role, Role.id == Assignment.role_id)
            .join(User, User.id == Assignment.user_id)
            .where(Assignment.company_id == user.company_id, Role.key == GLOBAL_ADMIN,
                   User.active.is_(True), Assignment.user_id != user.id)
        )
        if user.active and not others:
            message = _("This is the last active global administrator of the company: "
                        "the role cannot be taken away.")
            record_refusal("assignment.delete", actor=actor, detail=message, **fields)
            raise Conflict(message)
    db.session.delete(assignment)
    db.session.flush()
    audit.record("assignment.deleted", actor=actor, **fields)
    access.bump_policy_version(user.company_id)


def user_dict(user: User, with_assignments: bool = False) -> dict:
    """A user as the API shows it."""
    data = {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "active": user.active,
        "must_change_password": user.must_change_password,
        "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
    }
    if with_assignments:
        names = node_names(user.company_id)
        data["assignments"] = [
            assignment_dict(a, names)
            for a in db.session.scalars(
                select(Assignment).where(Assignment.user_id == user.id).order_by(Assignment.id))
        ]
    return data
