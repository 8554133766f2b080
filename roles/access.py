"""Every permission check of the portal: route marks (deny by default) and scoped checks.

A route carries exactly one mark: ``public``, ``authenticated`` (any signed-in user, e.g.
the dashboard, which then shows only what the user's scopes allow), ``operator_staff``, or
``require(permission)`` (the user holds the permission somewhere). ``enforce_route_marks``
runs before every request and refuses any route that has no mark at all. Object checks
(``can``) and list filters (``scope_filter``) go through the company's Casbin enforcer.
The marks are defined in ``core.marks`` (core's own probes carry them) and re-exported
here; this module decides what they mean.
"""

from functools import wraps

from flask import current_app, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import event, false, or_, select, true
from sqlalchemy.orm import Session
from werkzeug.local import LocalProxy

from auth.models import User
from core.audit import record_refusal
from core.errors import NotFound, PermissionDenied, Unauthorized, is_api_request
from core.extensions import db
from core.marks import (  # noqa: F401 - re-exported: routes take their marks from here
    AUTHENTICATED,
    OPERATOR_STAFF,
    PUBLIC,
    authenticated,
    mark,
    operator_staff,
    public,
    route_mark,
)
from corp.models import Company
from hierarchy.models import Node
from roles.enforcer import CompanyPolicy, EnforcerCache
from roles.models import Assignment, Role, RolePermission
from roles.permissions import COMPANY_SCOPE, GLOBAL_ADMIN, PERMISSIONS


def require(permission: str):
    """Mark a route as needing a permission the user holds on at least one scope."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def decorate(fn):
        return mark(fn, ("permission", permission))

    return decorate


def enforce_route_marks():
    """Before every request: refuse unmarked routes, anonymous users and missing permissions."""
    if request.endpoint is None:
        return None  # 404 / 405 from routing, answered by the error handlers.
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    view_func = current_app.view_functions.get(request.endpoint)
    given = route_mark(view_func, request.method)
    if given == PUBLIC:
        return None
    if given is None:
        current_app.logger.error("route %s has no access mark: refused", request.endpoint)
        raise PermissionDenied(_("Access denied."))
    if not current_user.is_authenticated:
        if is_api_request():
            raise Unauthorized(_("Sign in first: send a valid bearer token."))
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if current_user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
        if is_api_request():
            raise PermissionDenied(
                _("Change your temporary password first."), code="password_change_required"
            )
        return redirect(url_for("auth.change_password"))
    if given == AUTHENTICATED:
        return None
    if given == OPERATOR_STAFF:
        if not current_user.is_operator_staff:
            raise PermissionDenied(_("Only operator staff may do this."), code="staff_only")
        return None
    permission = given[1]
    if not scopes(current_user, permission):
        record_refusal(
            "access.denied", actor=current_user, detail=f"{request.method} {request.path}"
        )
        raise PermissionDenied(_("You do not have the permission for this."))
    return None


# Routes registered by libraries (static files, the OpenAPI document) that are public.
PUBLIC_ENDPOINTS = frozenset({"static", "bootstrap.static", "api-docs.openapi_json"})

# Endpoints a user with a temporary password may still reach.
PASSWORD_CHANGE_ENDPOINTS = {
    "auth.change_password",
    "auth.logout",
    "static",
    "bootstrap.static",
    "auth.set_language",
    "Auth.change_password",
}


def is_global_admin(user) -> bool:
    """Whether the user holds the global administrator role (on the whole company)."""
    if user is None or user.company_id is None:
        return False
    return bool(
        db.session.scalar(
            select(Assignment.id)
            .join(Role, Role.id == Assignment.role_id)
            .where(Assignment.user_id == user.id, Role.key == GLOBAL_ADMIN)
            .limit(1)
        )
    )


def _load_company_policy(company_id: int) -> CompanyPolicy:
    """Read one company's roles and scoped assignments for its Casbin enforcer."""

    version = db.session.scalar(select(Company.policy_version).where(Company.id == company_id))
    role_rows = db.session.execute(
        select(RolePermission.role_id, RolePermission.permission)
        .join(Role, Role.id == RolePermission.role_id)
        .where(or_(Role.company_id == company_id, Role.company_id.is_(None)))
    ).all()
    assignment_rows = db.session.execute(
        select(Assignment.user_id, Assignment.role_id, Node.path)
        .join(User, User.id == Assignment.user_id)
        .outerjoin(Node, Node.id == Assignment.node_id)
        .where(Assignment.company_id == company_id, User.active.is_(True))
    ).all()
    return CompanyPolicy(
        company_id=company_id,
        version=version or 0,
        role_permissions=tuple((r, p) for r, p in role_rows),
        assignments=tuple((u, r, path or COMPANY_SCOPE) for u, r, path in assignment_rows),
    )


_cache: EnforcerCache | None = None


def enforcer_cache() -> EnforcerCache:
    """The process-wide cache of per-company enforcers."""
    global _cache
    if _cache is None:
        _cache = EnforcerCache(_load_company_policy)
    return _cache


# A transaction that changed a company's policy sees its own uncommitted rows: enforcers it
# builds must not enter the process-wide cache (a rollback would leave an entry claiming a
# version number that the next real change reuses). They live in the session until it ends.
_CHANGED = "policy_changed_companies"
_PRIVATE = "policy_private_cache"


def _forget_private_policies(session, *_args) -> None:
    session.info.pop(_CHANGED, None)
    session.info.pop(_PRIVATE, None)


def _forget_after_outer_rollback(session, previous_transaction) -> None:
    # A rolled-back savepoint leaves the outer transaction (and its changes) in place.
    if previous_transaction.parent is None:
        _forget_private_policies(session)


event.listen(Session, "after_commit", _forget_private_policies)
event.listen(Session, "after_soft_rollback", _forget_after_outer_rollback)


def _cache_for(company_id: int) -> EnforcerCache:
    """The shared cache, or this transaction's private one if it changed the company's policy."""
    info = db.session.info
    if company_id in info.get(_CHANGED, ()):
        if _PRIVATE not in info:
            info[_PRIVATE] = EnforcerCache(_load_company_policy, max_companies=4)
        return info[_PRIVATE]
    return enforcer_cache()


def _policy_version(company_id: int) -> int:
    """The company's policy version, read once per request (other processes may bump it)."""
    versions = g.setdefault("policy_versions", {})
    if company_id not in versions:
        versions[company_id] = db.session.scalar(
            select(Company.policy_version).where(Company.id == company_id)
        )
    return versions[company_id]


def note_policy_version(company_id: int, version: int) -> None:
    """Take the company's policy version read with the user at the start of the request
    (``auth.service`` loads both in one query) as this request's one read of it."""
    g.setdefault("policy_versions", {}).setdefault(company_id, version)


def bump_policy_version(company_id: int) -> None:
    """Make every process rebuild the company's enforcer on its next request."""
    db.session.execute(
        Company.__table__.update()
        .where(Company.id == company_id)
        .values(policy_version=Company.policy_version + 1)
    )
    db.session.info.setdefault(_CHANGED, set()).add(company_id)
    g.pop("policy_versions", None)


def _subject(user):
    """The user behind ``current_user``: one proxy lookup, not one per attribute read."""
    return user._get_current_object() if isinstance(user, LocalProxy) else user


def can(user, permission: str, path: str = COMPANY_SCOPE) -> bool:
    """Whether the user holds the permission on the object at ``path`` of their company."""
    user = _subject(user)
    if user is None or not user.is_authenticated or user.company_id is None or not user.active:
        return False
    return _cache_for(user.company_id).allowed(
        user.company_id, _policy_version(user.company_id), user.id, permission, path
    )


def scopes(user, permission: str) -> list[str]:
    """The scope paths ("/" = whole company) on which the user holds the permission."""
    user = _subject(user)
    if user is None or not user.is_authenticated or user.company_id is None or not user.active:
        return []
    return _cache_for(user.company_id).scopes(
        user.company_id, _policy_version(user.company_id), user.id, permission
    )


def permissions_at(user, path: str = COMPANY_SCOPE) -> set[str]:
    """Every permission the user holds at ``path`` (which sections a page may show)."""
    user = _subject(user)
    if user is None or not user.is_authenticated or user.company_id is None or not user.active:
        return set()
    return _cache_for(user.company_id).permissions_at(
        user.company_id, _policy_version(user.company_id), user.id, path
    )


def scope_filter(user, permission: str, path_column):
    """A SQL condition keeping rows whose node path lies in the user's scopes."""
    paths = scopes(user, permission)
    if not paths:
        return false()
    if COMPANY_SCOPE in paths:
        return true()
    return or_(*(path_column.startswith(p, autoescape=True) for p in paths))


def has_company_scope(user, permission: str) -> bool:
    """Whether the user holds the permission on the whole company (no path filter needed)."""
    return COMPANY_SCOPE in scopes(user, permission)


def check_object(user, permission: str, path: str, *, action: str, **audit_fields) -> None:
    """403 (audited) unless the user holds ``permission`` on the object at ``path``."""
    if not can(user, permission, path):
        record_refusal(action, actor=user, detail=f"missing {permission}", **audit_fields)
        raise PermissionDenied(_("You do not have the permission for this."))


def require_in_scope(fn):
    """Wrap a service loader so an out-of-scope object answers 404, never 403."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        obj = fn(*args, **kwargs)
        if obj is None:
            raise NotFound(_("Not found."))
        return obj

    return wrapper
