"""The API contract of issue 4, and permission tests that cover moves."""

import io

import pytest
from sqlalchemy import select

from core.extensions import db
from corp.models import Line
from hierarchy.models import Node
from tests.factories import make_user
from tests.hierarchy.conftest import ROMASHKA, line_ids_on


@pytest.fixture
def admin_api(client, api_token):
    headers = api_token("admin@romashka.example")

    class Api:
        def __getattr__(self, method):
            def call(url, **kwargs):
                return getattr(client, method)(url, headers=headers, **kwargs)
            return call

    return Api()


def test_create_node_answers_201_with_its_id(admin_api, nodes):
    response = admin_api.post("/api/v1/hierarchy/nodes", json={
        "name": "Маркетинг", "parent_id": nodes["moscow"].id, "kind": "department",
        "cost_centre": "MK-1"})
    assert response.status_code == 201
    node = db.session.get(Node, response.json["id"])
    assert node.name == "Маркетинг" and node.parent_id == nodes["moscow"].id


def test_create_node_bad_input_is_422(admin_api, nodes):
    parent = nodes["moscow"].id
    for body in ({"parent_id": parent}, {"name": "a/b", "parent_id": parent},
                 {"name": "X", "parent_id": parent, "kind": "planet"}):
        response = admin_api.post("/api/v1/hierarchy/nodes", json=body)
        assert response.status_code == 422, body


def test_patch_moves_renames_and_refuses_cycles(admin_api, nodes):
    url = f"/api/v1/hierarchy/nodes/{nodes['msk_board'].id}"
    response = admin_api.patch(url, json={"parent_id": nodes["kazan"].id, "name": "Дирекция"})
    assert response.status_code == 200
    assert response.json["path"] == f"{nodes['kazan'].path}{nodes['msk_board'].id}/"
    assert response.json["name"] == "Дирекция"
    response = admin_api.patch(f"/api/v1/hierarchy/nodes/{nodes['moscow'].id}",
                               json={"parent_id": nodes["msk_sales"].id})
    assert response.status_code == 409 and response.json["code"] == "cycle"


def test_delete_is_409_until_move_to_is_given(admin_api, nodes):
    url = f"/api/v1/hierarchy/nodes/{nodes['msk_it'].id}"
    assert admin_api.delete(url).status_code == 409
    response = admin_api.delete(f"{url}?move_to={nodes['kzn_it'].id}")
    assert response.status_code == 204
    assert db.session.get(Node, nodes["msk_it"].id) is None


def test_lines_move_and_employee_patch(admin_api, nodes):
    ids = line_ids_on(nodes["msk_it"], 2)
    response = admin_api.post("/api/v1/lines/move", json={"line_ids": ids,
                                                          "node_id": nodes["kzn_it"].id})
    assert response.status_code == 200 and response.json["moved"] == 2
    assert set(line_ids_on(nodes["kzn_it"])) >= set(ids)
    response = admin_api.patch(f"/api/v1/lines/{ids[0]}", json={
        "name": "Орлов Олег", "position": "Инженер", "email": "o@romashka.example",
        "personnel_number": "77"})
    assert response.status_code == 200
    assert response.json["employee"]["name"] == "Орлов Олег"
    assert admin_api.get(f"/api/v1/lines/{ids[0]}").json["employee"]["personnel_number"] == "77"
    assert admin_api.patch(f"/api/v1/lines/{ids[0]}", json={"email": "x"}).status_code == 422


def test_another_companys_objects_are_404(admin_api):
    vector_node = db.session.scalar(select(Node.id).where(Node.company_id != ROMASHKA))
    vector_line = db.session.scalar(select(Line.id).where(Line.company_id != ROMASHKA))
    assert admin_api.patch(f"/api/v1/hierarchy/nodes/{vector_node}",
                           json={"name": "x"}).status_code == 404
    assert admin_api.delete(f"/api/v1/hierarchy/nodes/{vector_node}").status_code == 404
    assert admin_api.patch(f"/api/v1/lines/{vector_line}", json={"name": "x"}).status_code == 404
    assert admin_api.post("/api/v1/lines/move", json={"line_ids": [vector_line],
                                                      "node_id": 1}).status_code == 404


def test_users_without_manage_are_refused(client, api_token, nodes):
    headers = api_token("sales.head@romashka.example")
    line = line_ids_on(nodes["msk_sales"], 1)[0]
    assert client.post("/api/v1/hierarchy/nodes", headers=headers, json={
        "name": "X", "parent_id": nodes["msk_sales"].id}).status_code == 403
    assert client.patch(f"/api/v1/lines/{line}", headers=headers,
                        json={"name": "X"}).status_code == 403
    assert client.post("/api/v1/hierarchy/import", headers=headers).status_code == 403


def test_scoped_manager_cannot_move_out_of_or_into_the_subtree(client, api_token, nodes):
    user = make_user(ROMASHKA, role="administrator", node=nodes["moscow"])
    db.session.commit()
    headers = api_token(user.email)
    response = client.patch(f"/api/v1/hierarchy/nodes/{nodes['msk_it'].id}", headers=headers,
                            json={"parent_id": nodes["kazan"].id})
    assert response.status_code == 404
    response = client.post("/api/v1/lines/move", headers=headers, json={
        "line_ids": line_ids_on(nodes["kzn_it"], 1), "node_id": nodes["msk_it"].id})
    assert response.status_code == 404
    response = client.patch(f"/api/v1/hierarchy/nodes/{nodes['msk_it'].id}", headers=headers,
                            json={"parent_id": nodes["msk_sales"].id})
    assert response.status_code == 200


def _visible(client, headers, line_id):
    return client.get(f"/api/v1/lines/{line_id}", headers=headers).status_code


def test_after_a_move_scopes_follow_the_node(client, api_token, nodes):
    """Москва/Руководство moves to Казань: the Москва viewer loses its lines, Казань's gains."""
    moscow_viewer = make_user(ROMASHKA, role="viewer", node=nodes["moscow"])
    kazan_viewer = make_user(ROMASHKA, role="viewer", node=nodes["kazan"])
    db.session.commit()
    moscow_h, kazan_h = api_token(moscow_viewer.email), api_token(kazan_viewer.email)
    admin_h = api_token("admin@romashka.example")
    line = line_ids_on(nodes["msk_board"], 1)[0]
    moscow_total = client.get("/api/v1/lines", headers=moscow_h).json["total"]
    kazan_total = client.get("/api/v1/lines", headers=kazan_h).json["total"]
    board = client.get(f"/api/v1/lines?node_id={nodes['msk_board'].id}",
                       headers=admin_h).json["total"]
    assert (_visible(client, moscow_h, line), _visible(client, kazan_h, line)) == (200, 404)

    response = client.patch(f"/api/v1/hierarchy/nodes/{nodes['msk_board'].id}",
                            headers=admin_h, json={"parent_id": nodes["kazan"].id})
    assert response.status_code == 200

    assert (_visible(client, moscow_h, line), _visible(client, kazan_h, line)) == (404, 200)
    assert client.get("/api/v1/lines", headers=moscow_h).json["total"] == moscow_total - board
    assert client.get("/api/v1/lines", headers=kazan_h).json["total"] == kazan_total + board


def test_after_a_line_move_scopes_follow_the_line(client, api_token, nodes):
    moscow_viewer = make_user(ROMASHKA, role="viewer", node=nodes["moscow"])
    db.session.commit()
    viewer_h, admin_h = api_token(moscow_viewer.email), api_token("admin@romashka.example")
    line = line_ids_on(nodes["kzn_it"], 1)[0]
    assert _visible(client, viewer_h, line) == 404
    client.post("/api/v1/lines/move", headers=admin_h,
                json={"line_ids": [line], "node_id": nodes["msk_it"].id})
    assert _visible(client, viewer_h, line) == 200


def test_tree_api_has_totals_with_spend(admin_api):
    tree = admin_api.get("/api/v1/hierarchy").json
    root = tree[0]
    assert root["line_count"] == 1200
    assert float(root["spend"]) > 0
    assert root["blocked_count"] == sum(c["blocked_count"] for c in root["children"])


def test_export_and_import_through_the_api(admin_api):
    csv_response = admin_api.get("/api/v1/hierarchy/export?format=csv")
    assert csv_response.status_code == 200
    assert csv_response.data.startswith("\ufeff".encode())
    xlsx_response = admin_api.get("/api/v1/hierarchy/export?format=xlsx")
    assert xlsx_response.data[:2] == b"PK"
    assert admin_api.get("/api/v1/hierarchy/export?format=pdf").status_code == 422
    response = admin_api.post("/api/v1/hierarchy/import?dry_run=true", data={
        "file": (io.BytesIO(xlsx_response.data), "h.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 200
    assert response.json["changes"] == 0 and response.json["errors"] == []
    bad = csv_response.data + "Москва / ИТ,,,,9990000000,,,,\r\n".encode()
    response = admin_api.post("/api/v1/hierarchy/import?dry_run=false", data={
        "file": (io.BytesIO(bad), "h.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert response.json["preview"]["errors"][0]["message"] == "Unknown MSISDN."
    good = csv_response.data + "Москва / API,,group,,,,,,\r\n".encode()
    response = admin_api.post("/api/v1/hierarchy/import?dry_run=false", data={
        "file": (io.BytesIO(good), "h.csv")}, content_type="multipart/form-data")
    assert response.status_code == 200 and response.json["applied"]
    assert response.json["created"] == ["Москва / API"]
