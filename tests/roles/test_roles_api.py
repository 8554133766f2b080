"""The roles/users API contract of issue 3, and the delegation rules through it."""

from sqlalchemy import select

from core.audit import AuditEvent
from core.extensions import db
from corp.models import Company
from roles.models import Role
from tests.factories import make_user, node_named

ADMIN = "admin@romashka.example"


def _role_id(key):
    return db.session.scalar(select(Role.id).where(Role.key == key))


def _version(company_id=1):
    return db.session.scalar(select(Company.policy_version).where(Company.id == company_id))


def test_custom_role_lifecycle_and_predefined_are_read_only(client, api_token):
    h = api_token(ADMIN)
    listed = client.get("/api/v1/roles", headers=h).json
    names = {r["key"]: r["name"] for r in listed if r["predefined"]}
    assert set(names) == {"global_admin", "administrator", "line_operator", "accountant",
                          "viewer"}
    created = client.post("/api/v1/roles", headers=h,
                          json={"name": "Связист", "permissions": ["lines.view", "lines.sms"]})
    assert created.status_code == 201, created.json
    rid = created.json["id"]
    assert created.json["permissions"] == ["lines.view", "lines.sms"]
    assert client.get(f"/api/v1/roles/{rid}", headers=h).json["name"] == "Связист"
    patched = client.patch(f"/api/v1/roles/{rid}", headers=h,
                           json={"permissions": ["lines.view", "lines.block"]})
    assert patched.status_code == 200 and patched.json["permissions"] == ["lines.view",
                                                                         "lines.block"]
    gid = _role_id("global_admin")
    assert client.patch(f"/api/v1/roles/{gid}", headers=h, json={"name": "x"}).status_code == 403
    assert client.delete(f"/api/v1/roles/{gid}", headers=h).status_code == 403
    assert client.delete(f"/api/v1/roles/{rid}", headers=h).status_code == 204
    assert client.get(f"/api/v1/roles/{rid}", headers=h).status_code == 404


def test_bad_role_input_is_422_and_changes_nothing(client, api_token):
    h = api_token(ADMIN)
    before = len(client.get("/api/v1/roles", headers=h).json)
    for body in ({"name": "", "permissions": ["lines.view"]},
                 {"name": "X", "permissions": ["lines.fly"]},
                 {"name": "X", "permissions": []},
                 {"name": "Viewer", "permissions": ["lines.view"]},
                 {"permissions": ["lines.view"]}):
        assert client.post("/api/v1/roles", headers=h, json=body).status_code == 422, body
    assert len(client.get("/api/v1/roles", headers=h).json) == before


def test_assigned_role_cannot_be_deleted(client, api_token, users):
    h = api_token(ADMIN)
    rid = client.post("/api/v1/roles", headers=h,
                      json={"name": "Temp", "permissions": ["lines.view"]}).json["id"]
    uid = users["accountant"].id
    assert client.post(f"/api/v1/users/{uid}/assignments", headers=h,
                       json={"role_id": rid, "node_id": None}).status_code == 201
    refused = client.delete(f"/api/v1/roles/{rid}", headers=h)
    assert refused.status_code == 409 and "назначени" in refused.json["message"]  # default: ru
    assert client.get(f"/api/v1/roles/{rid}", headers=h).status_code == 200


def test_user_created_with_temporary_password_must_change_it(client, app, api_token):
    h = api_token(ADMIN)
    made = client.post("/api/v1/users", headers=h,
                       json={"email": "New.Person@romashka.example", "name": "Новиков Пётр"})
    assert made.status_code == 201
    assert made.json["id"] and len(made.json["temporary_password"]) >= 8
    assert made.json["email"] == "new.person@romashka.example"
    temp = made.json["temporary_password"]
    token = app.test_client().post("/api/v1/auth/token", json={
        "email": "new.person@romashka.example", "password": temp}).json["token"]
    th = {"Authorization": f"Bearer {token}"}
    refused = client.get("/api/v1/me", headers=th)
    assert refused.status_code == 403 and refused.json["code"] == "password_change_required"
    assert client.post("/api/v1/me/password", headers=th, json={
        "current_password": temp, "new_password": "Brand-new-pass-77"}).status_code == 204
    dup = client.post("/api/v1/users", headers=h,
                      json={"email": "new.person@romashka.example", "name": "Again"})
    assert dup.status_code == 422 and "email" in dup.json["errors"]


def test_disable_ends_tokens_at_once_and_reenable(client, api_token, users):
    h = api_token(ADMIN)
    victim = api_token("sales.head@romashka.example")
    assert client.get("/api/v1/lines", headers=victim).status_code == 200
    v0 = _version()
    uid = users["sales_head"].id
    off = client.patch(f"/api/v1/users/{uid}", headers=h, json={"active": False})
    assert off.status_code == 200 and off.json["active"] is False
    assert _version() > v0
    assert client.get("/api/v1/lines", headers=victim).status_code == 401
    assert client.patch(f"/api/v1/users/{uid}", headers=h, json={"active": True}).json["active"]
    fresh = api_token("sales.head@romashka.example")
    assert client.get("/api/v1/lines", headers=fresh).status_code == 200
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_id == str(uid), AuditEvent.object_type == "user")).all()
    assert "user.disabled" in actions and "user.enabled" in actions


def test_last_global_admin_cannot_be_disabled_or_demoted(client, api_token, users):
    h = api_token(ADMIN)
    admin = users["admin"]
    other = make_user(1, email="second.admin@romashka.example")
    db.session.commit()
    # Self-disable is refused whatever the count; demotion of the only one is refused.
    assert client.patch(f"/api/v1/users/{admin.id}", headers=h,
                        json={"active": False}).status_code == 422
    mine = client.get(f"/api/v1/users/{admin.id}/assignments", headers=h).json
    ga = next(a for a in mine if a["role"]["key"] == "global_admin")
    refused = client.delete(f"/api/v1/users/{admin.id}/assignments/{ga['id']}", headers=h)
    assert refused.status_code == 409
    # With a second global administrator the first can be demoted by the second.
    assert client.post(f"/api/v1/users/{other.id}/assignments", headers=h, json={
        "role_id": _role_id("global_admin"), "node_id": None}).status_code == 201
    from tests.factories import PASSWORD  # noqa: F401 - make_user's password
    h2 = api_token("second.admin@romashka.example")
    assert client.delete(f"/api/v1/users/{admin.id}/assignments/{ga['id']}",
                         headers=h2).status_code == 204
    # Now second.admin is the last one: nobody can disable them.
    h3 = api_token("second.admin@romashka.example")
    assert client.patch(f"/api/v1/users/{other.id}", headers=h3,
                        json={"active": False}).status_code == 422
    refusals = db.session.scalar(select(db.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "assignment.delete", AuditEvent.outcome == "denied"))
    assert refusals >= 1


def test_delegation_cannot_escalate(client, api_token):
    moscow = node_named(1, "Москва")
    sales = node_named(1, "Москва", "Продажи")
    kazan_it = node_named(1, "Казань", "ИТ")
    # A manager of users in Москва holding Line operator + a custom users.manage role there.
    h_admin = api_token(ADMIN)
    mgr_role = client.post("/api/v1/roles", headers=h_admin, json={
        "name": "Кадровик", "permissions": ["users.manage", "lines.view"]}).json["id"]
    manager = make_user(1, role="line_operator", node=moscow, email="mgr@romashka.example")
    target = make_user(1, email="target@romashka.example")
    db.session.commit()
    assert client.post(f"/api/v1/users/{manager.id}/assignments", headers=h_admin, json={
        "role_id": mgr_role, "node_id": moscow.id}).status_code == 201
    h = api_token("mgr@romashka.example")
    url = f"/api/v1/users/{target.id}/assignments"
    # Allowed: a role they hold, inside their scope.
    ok = client.post(url, headers=h, json={"role_id": _role_id("line_operator"),
                                           "node_id": sales.id})
    assert ok.status_code == 201, ok.json
    # Refused: a role with permissions they lack (accountant: finance.documents...).
    assert client.post(url, headers=h, json={"role_id": _role_id("accountant"),
                                             "node_id": sales.id}).status_code == 403
    # Refused: the whole company, and a node outside their scope (404, as out of scope).
    assert client.post(url, headers=h, json={"role_id": _role_id("viewer"),
                                             "node_id": None}).status_code == 403
    assert client.post(url, headers=h, json={"role_id": _role_id("viewer"),
                                             "node_id": kazan_it.id}).status_code == 404
    # Refused: a global administrator, by a non-global administrator.
    assert client.post(url, headers=h, json={"role_id": _role_id("global_admin"),
                                             "node_id": None}).status_code == 403
    # Custom roles are company-wide: a scoped manager cannot create one.
    assert client.post("/api/v1/roles", headers=h, json={
        "name": "Self-made", "permissions": ["lines.view"]}).status_code == 403
    # They see only users whose assignments lie in their scope.
    emails = {u["email"] for u in client.get("/api/v1/users", headers=h).json}
    assert "target@romashka.example" in emails and "sales.head@romashka.example" in emails
    assert ADMIN not in emails and "accountant@romashka.example" not in emails
    assert client.get("/api/v1/users/1", headers=h).status_code in (404,)
    denied = db.session.scalar(select(db.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "assignment.create", AuditEvent.outcome == "denied",
        AuditEvent.actor_email == "mgr@romashka.example"))
    assert denied == 3


def test_other_company_objects_are_404(client, api_token, users):
    h = api_token("admin@vector.example")
    uid = users["sales_head"].id
    assert client.get(f"/api/v1/users/{uid}", headers=h).status_code == 404
    assert client.patch(f"/api/v1/users/{uid}", headers=h,
                        json={"active": False}).status_code == 404
    h1 = api_token(ADMIN)
    rid = client.post("/api/v1/roles", headers=h1,
                      json={"name": "Только Ромашка", "permissions": ["lines.view"]}).json["id"]
    assert client.get(f"/api/v1/roles/{rid}", headers=h).status_code == 404
    vector_user = make_user(2, email="v.user@vector.example")
    db.session.commit()
    # Romashka's role or node given to a Vector user by Vector's admin: 404.
    assert client.post(f"/api/v1/users/{vector_user.id}/assignments", headers=h,
                       json={"role_id": rid, "node_id": None}).status_code == 404
    sales = node_named(1, "Москва", "Продажи")
    assert client.post(f"/api/v1/users/{vector_user.id}/assignments", headers=h, json={
        "role_id": _role_id("viewer"), "node_id": sales.id}).status_code == 404


def test_me_lists_assignments_and_permissions(client, api_token):
    me = client.get("/api/v1/me", headers=api_token("sales.head@romashka.example")).json
    assert [(a["role"]["key"], a["node"]["name"]) for a in me["assignments"]] == [
        ("line_operator", "Продажи")]
    assert "lines.block" in me["permissions"] and "users.manage" not in me["permissions"]


def test_access_explained_for_line_names_role_and_scope(client, api_token):
    from corp.models import Line

    sales = node_named(1, "Москва", "Продажи")
    line_id = db.session.scalar(select(Line.id).where(Line.node_id == sales.id).limit(1))
    data = client.get(f"/api/v1/lines/{line_id}/access", headers=api_token(ADMIN)).json
    block = next(p for p in data["by_permission"] if p["name"] == "lines.block")
    who = {(h["user"]["email"], h["role"]["key"], h["scope"]) for h in block["holders"]}
    assert ("sales.head@romashka.example", "line_operator", "Москва / Продажи") in who
    assert (ADMIN, "global_admin", "Вся компания") in who  # the default locale is Russian
    docs = next(p for p in data["by_permission"] if p["name"] == "finance.documents")
    assert {h["user"]["email"] for h in docs["holders"]} == {ADMIN,
                                                             "accountant@romashka.example"}


def test_audit_api_filters_and_is_company_scoped(client, api_token, users):
    h = api_token(ADMIN)
    client.patch(f"/api/v1/users/{users['accountant'].id}", headers=h, json={"name": "Новое Имя"})
    found = client.get("/api/v1/audit?action=user.updated", headers=h).json
    assert found["total"] >= 1
    event = found["items"][0]
    assert event["before"]["name"] == "Морозова Елена" and event["after"]["name"] == "Новое Имя"
    assert event["actor_email"] == ADMIN and event["ip"]
    vector = client.get("/api/v1/audit?action=user.updated",
                        headers=api_token("admin@vector.example")).json
    assert vector["total"] == 0
    assert client.get("/api/v1/audit?date_from=yesterday", headers=h).status_code == 422


def test_operator_staff_onboard_a_company(client, api_token):
    h = api_token("staff@operator.example")
    body = {"name": "ООО «Новая»", "inn": "7707083893", "kpp": "773601001",
            "ogrn": "1027700132195", "contract_number": "NEW-0001",
            "admin_email": "boss@new.example", "admin_name": "Босс Новый"}
    bad = client.post("/api/v1/companies", headers=h, json={**body, "inn": "7707083890"})
    assert bad.status_code == 422 and "inn" in bad.json["errors"]
    made = client.post("/api/v1/companies", headers=h, json=body)
    assert made.status_code == 201, made.json
    temp = made.json["administrator"]["temporary_password"]
    token = client.post("/api/v1/auth/token", json={"email": "boss@new.example",
                                                    "password": temp}).json["token"]
    th = {"Authorization": f"Bearer {token}"}
    client.post("/api/v1/me/password", headers=th, json={"current_password": temp,
                                                         "new_password": "Boss-pass-2026!"})
    bh = api_token("boss@new.example", "Boss-pass-2026!")
    me = client.get("/api/v1/me", headers=bh).json
    assert me["company"]["name"] == "ООО «Новая»"
    assert [a["role"]["key"] for a in me["assignments"]] == ["global_admin"]
    assert client.get("/api/v1/lines", headers=bh).json["total"] == 0
    # Company users cannot onboard; staff are in no company and manage no users.
    assert client.post("/api/v1/companies", headers=api_token(ADMIN), json=body).status_code == 403
    assert client.get("/api/v1/users", headers=h).status_code == 403


def test_a_rolled_back_policy_change_leaves_no_stale_enforcer(app):
    """A grant checked and then rolled back must not be remembered under its version number,
    which the next committed change reuses."""
    from roles import access
    from roles.service import assign_predefined

    user = make_user(1, email="rollback.check@romashka.example")
    db.session.commit()
    assign_predefined(user, "viewer")
    assert access.can(user, "lines.view")
    db.session.rollback()
    access.bump_policy_version(1)  # the same version number, without the grant
    db.session.commit()
    assert not access.can(user, "lines.view")
