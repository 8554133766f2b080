"""Deny by default: every route of the app carries an access mark (or is a library's)."""

from roles.access import PUBLIC_ENDPOINTS, route_mark


def test_every_route_has_an_access_mark(app):
    unmarked = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if route_mark(view, method) is None:
                unmarked.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert unmarked == []


def test_the_administration_routes_are_guarded_not_public(app):
    marks = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/admin", "/operator", "/api/v1/users", "/api/v1/roles",
                                 "/api/v1/audit", "/api/v1/companies")):
            view = app.view_functions[rule.endpoint]
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                marks[f"{method} {rule.rule}"] = route_mark(view, method)
    assert len(marks) >= 30
    assert all(m not in (None, "public", "authenticated") for m in marks.values()), marks


def test_an_unmarked_route_is_refused(app, login_as):
    @app.get("/unmarked-for-test")
    def unmarked():
        return "secret"

    client = login_as("admin@romashka.example")
    assert client.get("/unmarked-for-test").status_code == 403


def test_the_issue_api_contract_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    contract = {
        "/api/v1/permissions": {"get"},
        "/api/v1/roles": {"get", "post"},
        "/api/v1/roles/{role_id}": {"get", "patch", "delete"},
        "/api/v1/users": {"get", "post"},
        "/api/v1/users/{user_id}": {"patch"},
        "/api/v1/users/{user_id}/assignments": {"get", "post"},
        "/api/v1/users/{user_id}/assignments/{assignment_id}": {"delete"},
        "/api/v1/me": {"get"},
        "/api/v1/me/password": {"post"},
    }
    missing = {p: m - set(paths.get(p, {})) for p, m in contract.items()}
    assert {p: m for p, m in missing.items() if m} == {}
