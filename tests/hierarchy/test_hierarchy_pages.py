"""The hierarchy pages: tree with totals, node editor, placing lines, employee form, billing
view, import preview and apply."""

import io

from sqlalchemy import select

from core.extensions import db
from corp.models import BillingAccount, Line
from hierarchy import transfer
from hierarchy.models import Node
from tests.factories import node_named
from tests.hierarchy.conftest import ROMASHKA, line_ids_on

ADMIN = "admin@romashka.example"
SALES_HEAD = "sales.head@romashka.example"


def test_tree_page_shows_totals_spend_and_editor_for_managers(login_as):
    page = login_as(ADMIN).get("/hierarchy").get_data(as_text=True)
    assert "1200" in page and "₽" in page
    assert 'data-testid="create-node"' in page and 'draggable="true"' in page
    assert "hierarchy.js" in page


def test_tree_page_of_a_viewer_has_no_editor(login_as):
    page = login_as(SALES_HEAD).get("/hierarchy").get_data(as_text=True)
    assert 'data-testid="create-node"' not in page and 'draggable="true"' not in page
    assert "Продажи" in page and "Казань" not in page


def test_node_lines_fragment_lists_lines_with_card_links(login_as, nodes):
    client = login_as(ADMIN)
    response = client.get(f"/hierarchy/nodes/{nodes['msk_it'].id}/lines")
    body = response.get_data(as_text=True)
    first = line_ids_on(nodes["msk_it"], 1)[0]
    assert response.status_code == 200 and f"/lines/{first}" in body


def test_node_lines_out_of_scope_is_404(login_as, nodes):
    client = login_as(SALES_HEAD)
    assert client.get(f"/hierarchy/nodes/{nodes['kzn_it'].id}/lines").status_code == 404
    assert client.get(f"/hierarchy/nodes/{nodes['kzn_it'].id}").status_code == 404
    assert client.get(f"/hierarchy/nodes/{nodes['msk_sales'].id}").status_code == 200


def test_create_rename_move_and_delete_through_forms(login_as, nodes):
    client = login_as(ADMIN)
    response = client.post("/hierarchy/nodes", data={
        "parent_id": nodes["moscow"].id, "name": "Склад", "kind": "group", "cost_centre": ""})
    assert response.status_code == 302
    node = node_named(ROMASHKA, "Москва", "Склад")
    assert node.kind == "group"
    client.post(f"/hierarchy/nodes/{node.id}/edit", data={"name": "Склад №1", "kind": "group",
                                                          "cost_centre": "SK"})
    client.post(f"/hierarchy/nodes/{node.id}/move", data={"parent_id": nodes["kazan"].id})
    db.session.expire_all()
    node = db.session.get(Node, node.id)
    assert (node.name, node.cost_centre, node.parent_id) == ("Склад №1", "SK", nodes["kazan"].id)
    response = client.post(f"/hierarchy/nodes/{node.id}/move",
                           data={"parent_id": node.id}, follow_redirects=True)
    assert "cannot be moved into itself" in response.get_data(as_text=True)
    client.post(f"/hierarchy/nodes/{node.id}/delete")
    assert db.session.get(Node, node.id) is None


def test_delete_form_moves_contents(login_as, nodes):
    client = login_as(ADMIN)
    lines = line_ids_on(nodes["msk_it"])
    response = client.post(f"/hierarchy/nodes/{nodes['msk_it'].id}/delete", follow_redirects=True)
    assert "say where to move them" in response.get_data(as_text=True)
    client.post(f"/hierarchy/nodes/{nodes['msk_it'].id}/delete",
                data={"move_to": nodes["kzn_it"].id})
    assert set(lines) <= set(line_ids_on(nodes["kzn_it"]))


def test_move_selected_lines_form(login_as, nodes):
    client = login_as(ADMIN)
    ids = line_ids_on(nodes["msk_it"], 2)
    response = client.post("/hierarchy/lines/move", data={
        "line_id": [str(i) for i in ids], "node_id": nodes["kzn_it"].id,
        "back": f"/hierarchy/nodes/{nodes['msk_it'].id}"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/hierarchy/nodes/{nodes['msk_it'].id}")
    assert set(ids) <= set(line_ids_on(nodes["kzn_it"]))


def test_place_lines_by_filter(login_as, nodes):
    client = login_as(ADMIN)
    page = client.get(f"/hierarchy/place-lines?node_id={nodes['msk_it'].id}").get_data(
        as_text=True)
    count = len(line_ids_on(nodes["msk_it"]))
    assert f": {count}" in page
    client.post("/hierarchy/place-lines", data={"node_id": nodes["msk_it"].id,
                                                "target_id": nodes["kzn_it"].id})
    assert line_ids_on(nodes["msk_it"]) == []


def test_employee_form_saves_and_shows_errors(login_as, nodes):
    client = login_as(ADMIN)
    line_id = line_ids_on(nodes["msk_it"], 1)[0]
    assert "edit-employee" in client.get(f"/lines/{line_id}").get_data(as_text=True)
    response = client.post(f"/lines/{line_id}/employee", data={
        "name": "Зайцева Ольга", "position": "Аналитик", "email": "bad", "personnel_number": ""})
    assert response.status_code == 200
    assert "Enter a valid e-mail address." in response.get_data(as_text=True)
    client.post(f"/lines/{line_id}/employee", data={
        "name": "Зайцева Ольга", "position": "Аналитик", "email": "z@romashka.example",
        "personnel_number": "15"})
    card = client.get(f"/lines/{line_id}").get_data(as_text=True)
    assert "Зайцева Ольга" in card


def test_employee_form_needs_manage(login_as, nodes):
    client = login_as(SALES_HEAD)
    line_id = line_ids_on(nodes["msk_sales"], 1)[0]
    assert "edit-employee" not in client.get(f"/lines/{line_id}").get_data(as_text=True)
    assert client.get(f"/lines/{line_id}/employee").status_code == 403


def test_billing_view_company_wide_and_scoped(login_as, nodes):
    client = login_as(ADMIN)
    page = client.get("/hierarchy/billing").get_data(as_text=True)
    accounts = db.session.scalars(select(BillingAccount).where(
        BillingAccount.company_id == ROMASHKA)).all()
    assert all(a.number in page for a in accounts) and "₽" in page
    client.post("/logout")
    client = login_as(SALES_HEAD)
    page = client.get("/hierarchy/billing").get_data(as_text=True)
    visible = set(db.session.scalars(select(Line.billing_account_id).where(
        Line.node_id == nodes["msk_sales"].id)))
    for account in accounts:
        assert (account.number in page) == (account.id in visible)
    assert "₽" not in page  # no balances for a scoped user
    hidden = next((a for a in accounts if a.id not in visible), None)
    if hidden:
        assert client.get(f"/hierarchy/billing/accounts/{hidden.id}").status_code == 404
    shown = next(iter(visible))
    body = client.get(f"/hierarchy/billing/accounts/{shown}").get_data(as_text=True)
    assert "Казань" not in body


def test_import_page_previews_then_applies(login_as, users, app):
    client = login_as(ADMIN)
    data = transfer.export_csv(users["admin"]) + "Казань / Импорт,,group,,,,,,\r\n".encode()
    response = client.post("/hierarchy/import", data={"file": (io.BytesIO(data), "h.csv")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert "Казань / Импорт" in page and 'data-testid="import-apply"' in page
    assert node_named(ROMASHKA, "Казань", "Импорт") is None
    token = page.split('name="token" value="')[1].split('"')[0]
    response = client.post("/hierarchy/import/apply", data={"token": token})
    assert response.status_code == 302
    assert node_named(ROMASHKA, "Казань", "Импорт") is not None


def test_import_page_shows_row_errors(login_as):
    client = login_as(ADMIN)
    data = "path,msisdn\r\nМосква / ИТ,9990000000\r\n".encode()
    page = client.post("/hierarchy/import", data={"file": (io.BytesIO(data), "h.csv")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert 'data-testid="import-errors"' in page and "Unknown MSISDN." in page
    assert 'data-testid="import-apply"' not in page
    page = client.post("/hierarchy/import", data={
        "file": (io.BytesIO("path,msisdn\r\n".encode("utf-16")), "h.csv")},
        content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "UTF-8" in page


def test_export_download(login_as):
    client = login_as(ADMIN)
    response = client.get("/hierarchy/export?format=csv")
    assert response.headers["Content-Disposition"].endswith('hierarchy.csv"')
    assert "Москва / Продажи" in response.data.decode("utf-8-sig")


def test_tree_page_money_matches_the_money_filter(app):
    from decimal import Decimal

    from flask_babel import format_decimal

    from core.ui import money_formatter

    # The tree's formatter (symbols looked up once) writes what Babel's own formatting does.
    def money(value):
        return format_decimal(value or 0, format="#,##0.00") + " ₽"

    for locale in ("ru", "en"):
        with app.test_request_context(headers={"Accept-Language": locale}):
            fast = money_formatter()
            for value in (Decimal(0), Decimal("1234567.5"), Decimal("30238.00"), None,
                          Decimal("-42.126")):
                assert fast(value) == money(value)


def test_big_trees_render_a_few_levels_and_load_the_rest(login_as, nodes, monkeypatch):
    from hierarchy import views

    monkeypatch.setattr(views, "FULL_TREE_NODES", 5)
    monkeypatch.setattr(views, "LEVELS_AT_ONCE", 1)
    client = login_as(ADMIN)
    page = client.get("/hierarchy").get_data(as_text=True)
    assert 'data-name="Москва"' in page and 'data-name="ИТ"' not in page
    children_url = f"/hierarchy/nodes/{nodes['moscow'].id}/children"
    assert children_url in page
    fragment = client.get(children_url).get_data(as_text=True)
    assert 'data-name="ИТ"' in fragment and 'data-name="Казань"' not in fragment
    client.post("/logout")
    assert login_as(SALES_HEAD).get(
        f"/hierarchy/nodes/{nodes['kazan'].id}/children").status_code == 404
