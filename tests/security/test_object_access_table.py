"""Object-level authorization, OWASP style: every endpoint that takes an id × every actor.

Each row names an endpoint (Flask endpoint + method), how to call it on the objects below
(all of ООО «Ромашка», in Казань / ИТ) and the answer each actor must get:

    A  the author / an administrator who may do it      (``ok``: the row's success codes)
    N  same company, may view everything, may change nothing (viewer company-wide)
    S  a scoped user whose scope does not hold the object (sales head of Москва / Продажи)
    O  another company's global administrator
    T  operator staff
    X  anonymous

For every refused actor the test also checks that nothing changed (a digest of every
business table before and after). ``test_every_id_endpoint_is_in_the_table`` walks the URL
map: a new endpoint taking an id fails until it has a row here — add it to ``TABLE``.
"""

import hashlib
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select, text

from auth.service import issue_token, start_session
from core.extensions import db
from corp.operations.models import Job, Operation
from hierarchy.models import Node
from roles.models import Assignment, Role, RolePermission
from tests.factories import make_line, make_user, node_named
from tests.operations.conftest import advance_account, tariff

ACTORS = ("A", "N", "S", "O", "T", "X")
UNCHANGED_TABLES = ("lines", "operations", "operation_jobs", "operation_job_items", "users",
                    "roles", "role_permissions", "role_assignments", "hierarchy_nodes",
                    "billing_accounts", "line_services", "line_limits", "sms_messages",
                    "line_forwarding_rules", "promised_payments")


@dataclass
class Row:
    endpoint: str
    method: str
    url: str  # formatted with the objects: {line} {node} {job} {op} {queued} {account} ...
    expect: str  # six answers for A N S O T X; "ok" = one of ``ok``
    ok: tuple = (200,)
    body: dict | None = None
    form: dict | None = field(default=None)


def _page(endpoint, method, url, expect, ok=(200,), form=None):
    return Row(endpoint, method, url, expect, ok, form=form or {})


def _api(endpoint, method, url, expect, ok=(200,), body=None):
    return Row(endpoint, method, url, expect, ok, body=body)


TABLE = [
    # --- lines
    _api("Lines.get_line", "GET", "/api/v1/lines/{line}", "ok ok 404 404 403 401"),
    _api("Hierarchy.update_employee", "PATCH", "/api/v1/lines/{line}",
         "ok 403 403 404 403 401", body={"name": "Иванов"}),
    _api("Roles.explain_line", "GET", "/api/v1/lines/{line}/access", "ok 403 403 404 403 401"),
    _api("Operations.free_numbers", "GET", "/api/v1/lines/{line}/free-numbers",
         "ok 403 404 404 403 401"),
    _api("Operations.create_line_operation", "POST", "/api/v1/lines/{line}/operations",
         "ok 403 404 404 403 401", ok=(202,),
         body={"type": "sms_send", "params": {"text": "hi"}}),
    _page("corp.line", "GET", "/lines/{line}", "ok ok 404 404 403 302"),
    _page("hierarchy.edit_employee", "GET", "/lines/{line}/employee", "ok 403 403 404 403 302"),
    _page("hierarchy.edit_employee", "POST", "/lines/{line}/employee", "ok 403 403 404 403 302",
          ok=(302,), form={"name": "Петров"}),
    _page("operations.line_operation", "POST", "/lines/{line}/operations",
          "ok 403 404 404 403 302", ok=(302,), form={"type": "sms_send", "text": "hi"}),
    _page("roles.access_line", "GET", "/admin/access/lines/{line}", "ok 403 403 404 403 302"),
    # --- billing accounts
    _api("Operations.create_account_operation", "POST",
         "/api/v1/billing-accounts/{account}/operations", "ok 403 403 404 403 401", ok=(202,),
         body={"type": "bill_delivery_set", "params": {"email": "b@romashka.example"}}),
    _page("operations.account_operation", "POST", "/billing-accounts/{account}/operations",
          "ok 403 403 404 403 302", ok=(302,),
          form={"type": "bill_delivery_set", "email": "b@romashka.example"}),
    # The sales head sees the account (it bills lines of theirs), only with those lines.
    _page("hierarchy.billing_account", "GET", "/hierarchy/billing/accounts/{account}",
          "ok ok ok 404 403 302"),
    # --- nodes
    _api("Hierarchy.update_node", "PATCH", "/api/v1/hierarchy/nodes/{node}",
         "ok 403 403 404 403 401", body={"name": "Новое имя"}),
    _api("Hierarchy.delete_node", "DELETE", "/api/v1/hierarchy/nodes/{node}",
         "ok 403 403 404 403 401", ok=(200, 204)),
    _page("hierarchy.node", "GET", "/hierarchy/nodes/{node}", "ok ok 404 404 403 302"),
    _page("hierarchy.node_children", "GET", "/hierarchy/nodes/{node}/children",
          "ok ok 404 404 403 302"),
    _page("hierarchy.node_lines", "GET", "/hierarchy/nodes/{node}/lines",
          "ok ok 404 404 403 302"),
    _page("hierarchy.edit_node", "POST", "/hierarchy/nodes/{node}/edit",
          "ok 403 403 404 403 302", ok=(302,), form={"name": "Другое"}),
    _page("hierarchy.move_node", "POST", "/hierarchy/nodes/{node}/move",
          "ok 403 403 404 403 302", ok=(302,), form={"parent_id": "{kazan}"}),
    _page("hierarchy.delete_node", "POST", "/hierarchy/nodes/{node}/delete",
          "ok 403 403 404 403 302", ok=(302,)),
    # --- jobs: viewing is not controlling
    _api("Operations.get_job", "GET", "/api/v1/jobs/{job}", "ok ok 404 404 403 401"),
    _api("Operations.cancel_job", "POST", "/api/v1/jobs/{job}/cancel", "ok 403 404 404 403 401"),
    _api("Operations.resume_job", "POST", "/api/v1/jobs/{job}/resume", "ok 403 404 404 403 401",
         ok=(409,)),  # the author passes the access check; the job is not stale
    _api("Operations.job_results", "GET", "/api/v1/jobs/{job}/results.csv",
         "ok 403 404 404 403 401"),
    _page("operations.job", "GET", "/operations/jobs/{job}", "ok ok 404 404 403 302"),
    _page("operations.cancel_job", "POST", "/operations/jobs/{job}/cancel",
          "ok 403 404 404 403 302", ok=(302,)),
    _page("operations.resume_job", "POST", "/operations/jobs/{job}/resume",
          "ok 403 404 404 403 302", ok=(302,)),
    # --- operations; staff see only what is queued for their decision
    _api("Operations.get_operation", "GET", "/api/v1/operations/{op}", "ok ok 404 404 404 401"),
    _api("Operations.approve", "POST", "/api/v1/operations/{queued}/approve",
         "403 403 403 403 ok 401", body={"reason": "ok"}),
    _api("Operations.reject", "POST", "/api/v1/operations/{queued}/reject",
         "403 403 403 403 ok 401", body={"reason": "no"}),
    _page("operations.decide", "POST", "/operations/approvals/{queued}",
          "403 403 403 403 ok 302", ok=(302,), form={"decision": "reject", "reason": "no"}),
    # --- roles
    _api("Roles.get_role", "GET", "/api/v1/roles/{role}", "ok 403 403 404 403 401"),
    _api("Roles.update_role", "PATCH", "/api/v1/roles/{role}", "ok 403 403 404 403 401",
         body={"name": "Переименована"}),
    _api("Roles.delete_role", "DELETE", "/api/v1/roles/{role}", "ok 403 403 404 403 401",
         ok=(200, 204)),
    _page("roles.role", "GET", "/admin/roles/{role}", "ok 403 403 404 403 302"),
    _page("roles.role", "POST", "/admin/roles/{role}", "ok 403 403 404 403 302", ok=(302,),
          form={"name": "Роль", "permissions": "lines.view"}),
    _page("roles.role_delete", "POST", "/admin/roles/{role}/delete", "ok 403 403 404 403 302",
          ok=(302,)),
    # --- users and assignments
    _api("Roles.get_user", "GET", "/api/v1/users/{user}", "ok 403 403 404 403 401"),
    _api("Roles.update_user", "PATCH", "/api/v1/users/{user}", "ok 403 403 404 403 401",
         body={"name": "Сидоров"}),
    _api("Roles.explain_user", "GET", "/api/v1/users/{user}/access", "ok 403 403 404 403 401"),
    _api("Roles.list_assignments", "GET", "/api/v1/users/{user}/assignments",
         "ok 403 403 404 403 401"),
    _api("Roles.create_assignment", "POST", "/api/v1/users/{user}/assignments",
         "ok 403 403 404 403 401", ok=(201,), body={"role_id": "{role}", "node_id": None}),
    _api("Roles.delete_assignment", "DELETE", "/api/v1/users/{user}/assignments/{assignment}",
         "ok 403 403 404 403 401", ok=(200, 204)),
    _page("roles.user", "GET", "/admin/users/{user}", "ok 403 403 404 403 302"),
    _page("roles.access_user", "GET", "/admin/access/users/{user}", "ok 403 403 404 403 302"),
    _page("roles.user_edit", "POST", "/admin/users/{user}", "ok 403 403 404 403 302", ok=(302,),
          form={"email": "renamed@romashka.example", "name": "Renamed"}),
    _page("roles.user_active", "POST", "/admin/users/{user}/active", "ok 403 403 404 403 302",
          ok=(302,), form={"active": "0"}),
    _page("roles.assignment_add", "POST", "/admin/users/{user}/assignments",
          "ok 403 403 404 403 302", ok=(302,), form={"role_id": "{role}", "node_id": ""}),
    _page("roles.assignment_delete", "POST", "/admin/users/{user}/assignments/{assignment}/delete",
          "ok 403 403 404 403 302", ok=(302,)),
]


def _row_id(row):
    return f"{row.method} {row.endpoint}"


def test_every_id_endpoint_is_in_the_table(app):
    listed = {(row.endpoint, row.method) for row in TABLE}
    missing = []
    for rule in app.url_map.iter_rules():
        if not (rule.arguments - {"filename", "fmt"}):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (rule.endpoint, method) not in listed:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert missing == [], "endpoints taking an id need a row in TABLE: " + ", ".join(missing)


def _digest() -> str:
    h = hashlib.sha256()
    for table in UNCHANGED_TABLES:
        rows = db.session.execute(text(f"SELECT * FROM {table} ORDER BY 1")).all()  # noqa: S608
        h.update(repr([tuple(r) for r in rows]).encode())
    return h.hexdigest()


def _objects(users, job_author):
    kazan = node_named(1, "Казань")
    kazan_it = node_named(1, "Казань", "ИТ")
    line = make_line(1, kazan_it, tariff=tariff("biz_max"), billing_account=advance_account())
    node = Node(company_id=1, parent_id=kazan_it.id, name="Пустой отдел", kind="department",
                depth=kazan_it.depth + 1)
    db.session.add(node)
    db.session.flush()
    node.path = f"{kazan_it.path}{node.id}/"
    user = make_user(1, role="viewer", node=kazan_it)
    assignment = db.session.scalar(select(Assignment).where(Assignment.user_id == user.id))
    role = Role(company_id=1, name="Временная роль")
    db.session.add(role)
    db.session.flush()
    db.session.add(RolePermission(role_id=role.id, permission="lines.view"))
    admin = users["admin"]
    op = Operation(company_id=1, type="sms_send", params={"text": "secret"}, line_id=line.id,
                   requested_by=admin.id, status="done")
    queued = Operation(company_id=1, type="settlement_method_set", params={"method": "credit"},
                       billing_account_id=advance_account().id, requested_by=admin.id,
                       status="awaiting_operator")
    job = Job(company_id=1, type="block", params={"kind": "voluntary"}, selection={},
              requested_by=job_author.id, status="pending", total=1)
    db.session.add_all([op, queued, job])
    db.session.flush()
    from corp.operations.models import JobItem

    db.session.add(JobItem(job_id=job.id, line_id=line.id, msisdn=line.msisdn,
                           status="pending"))
    from roles.access import bump_policy_version

    bump_policy_version(1)
    db.session.commit()
    return {"line": line.id, "node": node.id, "kazan": kazan.id, "user": user.id,
            "assignment": assignment.id, "role": role.id, "op": op.id, "queued": queued.id,
            "job": job.id, "account": advance_account().id}


def _fill(value, objects):
    if isinstance(value, str):
        return value.format(**objects)
    if isinstance(value, dict):
        out = {k: _fill(v, objects) for k, v in value.items()}
        return {k: int(v) if isinstance(v, str) and v.isdigit() and k.endswith("_id") else v
                for k, v in out.items()}
    return value


def _client(app, user, api: bool):
    client = app.test_client()
    if user is None:
        return client, {}
    if api:
        token, _row = issue_token(user)
        db.session.commit()
        return client, {"Authorization": f"Bearer {token}"}
    session = start_session(user)
    db.session.commit()
    with client.session_transaction() as flask_session:
        flask_session["sid"] = session.id
    return client, {}


@pytest.mark.parametrize("row", TABLE, ids=_row_id)
def test_object_access(app, users, row):
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    viewer = make_user(1, role="viewer")
    actors = {"A": users["admin"], "N": viewer, "S": users["sales_head"],
              "O": users["vector_admin"], "T": users["staff"], "X": None}
    objects = _objects(users, users["admin"])
    url = _fill(row.url, objects)
    api = url.startswith("/api/")
    expected = dict(zip(ACTORS, row.expect.split(), strict=True))
    # Refused actors first (nothing may change), the allowed ones last.
    order = sorted(ACTORS, key=lambda a: expected[a] == "ok")
    for actor in order:
        client, headers = _client(app, actors[actor], api)
        before = _digest()
        kwargs = {"headers": headers}
        if row.body is not None:
            kwargs["json"] = _fill(row.body, objects)
        if row.form is not None and row.method != "GET":
            kwargs["data"] = _fill(row.form, objects)
        response = client.open(url, method=row.method, **kwargs)
        db.session.rollback()
        db.session.expire_all()
        want = expected[actor]
        got = response.status_code
        if want == "ok":
            assert got in row.ok, f"{actor}: {got} {response.data[:300]!r}"
            continue
        assert got == int(want), f"{actor}: {got} {response.data[:300]!r}"
        if want == "302":
            assert "/login" in response.location, response.location
        assert _digest() == before, f"{actor} changed something through {row.method} {url}"


def test_table_objects_are_what_they_claim(app, users):
    """The rows' objects sit outside the scoped user's scope and inside the company."""
    objects = _objects(users, users["admin"])
    job = db.session.get(Job, objects["job"])
    assert job.company_id == 1 and job.requested_by == users["admin"].id
    node = db.session.get(Node, objects["node"])
    assert node.path.startswith(node_named(1, "Казань").path)
