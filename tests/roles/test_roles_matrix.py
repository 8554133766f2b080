"""The permission matrix: every predefined role × every permission category × {line in
scope, line out of scope, other company's line}, through the services, the API and pages.

Each role is assigned on Москва / Продажи. Line operations have no endpoints yet (another
issue), so their cells are checked through ``roles.access.can`` and
``corp.service.get_line(actor, id, permission)``, which those endpoints will call.
"""

import pytest
from sqlalchemy import select

from core.errors import NotFound, PermissionDenied
from core.extensions import db
from corp.models import Line
from corp.service import get_line
from roles import access
from roles.permissions import PERMISSIONS, PREDEFINED_ROLES
from tests.factories import make_user, node_named

PLACES = ("in_scope", "out_of_scope", "other_company")


@pytest.fixture
def lines(app):
    """One line per place: Москва/Продажи, Казань/Продажи, and a line of АО «Вектор»."""

    def first(node):
        return db.session.scalar(select(Line).where(Line.node_id == node.id).limit(1))

    vector = db.session.scalar(select(Line).where(Line.company_id == 2).limit(1))
    return {
        "in_scope": first(node_named(1, "Москва", "Продажи")),
        "out_of_scope": first(node_named(1, "Казань", "Продажи")),
        "other_company": vector,
    }


def expected(role_key, permission, place):
    """200 when allowed; 404 when the line is not visible; 403 when visible but not allowed."""
    perms = PREDEFINED_ROLES[role_key][2]
    if place != "in_scope" or "lines.view" not in perms:
        return 404
    return 200 if permission in perms else 403


def service_answer(user, line, permission):
    try:
        get_line(user, line.id, permission)
    except NotFound:
        return 404
    except PermissionDenied:
        return 403
    return 200


@pytest.mark.parametrize("role_key", list(PREDEFINED_ROLES))
def test_matrix_through_services(role_key, lines):
    user = make_user(1, role=role_key, node=node_named(1, "Москва", "Продажи"))
    wrong = []
    for permission in PERMISSIONS:
        for place in PLACES:
            line = lines[place]
            got = service_answer(user, line, permission)
            if got != expected(role_key, permission, place):
                wrong.append((permission, place, got))
            # can() is the line-level check itself: only inside the assignment's subtree.
            want_can = place == "in_scope" and permission in PREDEFINED_ROLES[role_key][2]
            if place != "other_company" and access.can(user, permission, line.node.path) \
                    != want_can:
                wrong.append(("can", permission, place))
    assert wrong == []


# Endpoints that exist, by the permission their mark names. Each is asked with no object:
# 200 when the role holds the permission (on its scope), 403 otherwise.
ROUTES = {
    "lines.view": ["/lines", "/hierarchy", "/api/v1/lines", "/api/v1/hierarchy"],
    "users.manage": ["/admin/users", "/admin/roles", "/admin/access", "/api/v1/users",
                     "/api/v1/roles"],
    "audit.view": ["/admin/audit", "/admin/audit.csv", "/api/v1/audit"],
}


@pytest.mark.parametrize("role_key", list(PREDEFINED_ROLES))
def test_matrix_through_api_and_pages(role_key, lines, client, app):
    email = f"matrix.{role_key}@romashka.example"
    make_user(1, role=role_key, node=node_named(1, "Москва", "Продажи"), email=email)
    db.session.commit()
    token = app.test_client().post("/api/v1/auth/token", json={
        "email": email, "password": "Demo-pass-2026"}).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/login", data={"email": email,
                                       "password": "Demo-pass-2026"}).status_code == 302
    perms = PREDEFINED_ROLES[role_key][2]
    wrong = []
    for place in PLACES:
        want = expected(role_key, "lines.view", place)
        line_id = lines[place].id
        for url, kwargs in ((f"/api/v1/lines/{line_id}", {"headers": headers}),
                            (f"/lines/{line_id}", {})):
            got = client.get(url, **kwargs).status_code
            if got != want:
                wrong.append((url, place, got, want))
        # Who-may-do-what on a line: the route needs users.manage somewhere (else 403),
        # then the line must be visible (else 404).
        got = client.get(f"/api/v1/lines/{line_id}/access", headers=headers).status_code
        want = 403 if "users.manage" not in perms else want
        if got != want:
            wrong.append(("access", place, got, want))
    for permission, urls in ROUTES.items():
        want = 200 if permission in perms else 403
        for url in urls:
            kwargs = {"headers": headers} if url.startswith("/api/") else {}
            got = client.get(url, **kwargs).status_code
            if got != want:
                wrong.append((url, got, want))
    assert wrong == []


def test_scoped_lists_hold_only_the_scope(client, app):
    """A scoped user's list, count and tree totals are the scope's, in the API and pages."""
    sales = node_named(1, "Москва", "Продажи")
    make_user(1, role="viewer", node=sales, email="scoped.viewer@romashka.example")
    db.session.commit()
    want = db.session.scalar(select(db.func.count()).select_from(Line)
                             .where(Line.node_id == sales.id))
    token = app.test_client().post("/api/v1/auth/token", json={
        "email": "scoped.viewer@romashka.example", "password": "Demo-pass-2026"}).json["token"]
    page = client.get("/api/v1/lines?per_page=500",
                      headers={"Authorization": f"Bearer {token}"}).json
    assert page["total"] == want
    assert {item["node"]["id"] for item in page["items"]} == {sales.id}
