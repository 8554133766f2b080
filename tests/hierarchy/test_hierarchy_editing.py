"""Service rules of the tree editor: create, rename, move (cycles, scope), delete, lines."""

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.extensions import db
from corp.models import Company, Line, LineEvent
from corp.service import LineFilter, list_lines
from hierarchy import editing
from hierarchy.models import Node
from tests.factories import make_line, make_user
from tests.hierarchy.conftest import ROMASHKA, line_ids_on, lines_under


def _version():
    db.session.expire_all()
    return db.session.scalar(select(Company.policy_version).where(Company.id == ROMASHKA))


def _last_audit(action):
    return db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc()))


def test_create_node_gets_its_path_depth_and_an_audit_record(users, nodes):
    node = editing.create_node(users["admin"], name="  Маркетинг ", parent_id=nodes["moscow"].id,
                               kind="department", cost_centre="CC-77")
    assert node.name == "Маркетинг"
    assert node.path == f"{nodes['moscow'].path}{node.id}/"
    assert node.depth == nodes["moscow"].depth + 1
    event = _last_audit("hierarchy.node_create")
    assert event.after["name"] == "Маркетинг" and event.after["cost_centre"] == "CC-77"


def test_sibling_names_are_unique(users, nodes):
    with pytest.raises(Conflict):
        editing.create_node(users["admin"], name="Продажи", parent_id=nodes["moscow"].id)


@pytest.mark.parametrize("name", ["", "   ", "a/b", "=HYPERLINK(1)", "+7", "@x", "x" * 121,
                                  "bad\x07bell"])
def test_bad_names_are_refused(users, nodes, name):
    with pytest.raises(InvalidInput):
        editing.create_node(users["admin"], name=name, parent_id=nodes["moscow"].id)


def test_bad_kind_and_cost_centre_are_refused(users, nodes):
    with pytest.raises(InvalidInput):
        editing.create_node(users["admin"], name="X", parent_id=nodes["moscow"].id, kind="root")
    with pytest.raises(InvalidInput):
        editing.create_node(users["admin"], name="X", parent_id=nodes["moscow"].id,
                            cost_centre="=1+1")


def test_rename_kind_cost_centre_and_responsible_are_audited(users, nodes):
    node = nodes["msk_it"]
    editing.update_node(users["admin"], node, {"name": "Информационные технологии",
                                               "kind": "group", "cost_centre": "IT-1",
                                               "responsible_user_id": users["sales_head"].id})
    event = _last_audit("hierarchy.node_update")
    assert event.before["name"] == "ИТ" and event.after["name"] == "Информационные технологии"
    assert event.after["kind"] == "group" and event.after["responsible_user_id"]


def test_responsible_person_of_another_company_is_refused(users, nodes):
    with pytest.raises(InvalidInput):
        editing.update_node(users["admin"], nodes["msk_it"],
                            {"responsible_user_id": users["vector_admin"].id})


def test_move_rewrites_every_descendant_path_and_bumps_the_policy(users, nodes):
    moscow, kazan = nodes["moscow"], nodes["kazan"]
    before_lines = lines_under(moscow)
    version = _version()
    sub = editing.create_node(users["admin"], name="Группа", parent_id=nodes["msk_sales"].id)
    editing.update_node(users["admin"], moscow, {"parent_id": kazan.id})
    db.session.expire_all()
    moved = db.session.get(Node, moscow.id)
    assert moved.path == f"{kazan.path}{moscow.id}/" and moved.depth == kazan.depth + 1
    deep = db.session.get(Node, sub.id)
    assert deep.path == f"{kazan.path}{moscow.id}/{nodes['msk_sales'].id}/{sub.id}/"
    assert deep.depth == kazan.depth + 3
    assert lines_under(db.session.get(Node, kazan.id)) >= before_lines
    assert _version() > version
    event = _last_audit("hierarchy.node_update")
    assert event.before["parent_id"] == nodes["root"].id and event.after["parent_id"] == kazan.id


def test_a_cycle_is_refused_and_nothing_changes(users, nodes):
    moscow = nodes["moscow"]
    path = moscow.path
    with pytest.raises(Conflict) as error:
        editing.update_node(users["admin"], moscow, {"parent_id": nodes["msk_sales"].id})
    assert error.value.code == "cycle"
    with pytest.raises(Conflict):
        editing.update_node(users["admin"], moscow, {"parent_id": moscow.id})
    db.session.expire_all()
    assert db.session.get(Node, moscow.id).path == path


def test_the_root_cannot_be_moved_or_deleted(users, nodes):
    with pytest.raises(InvalidInput):
        editing.update_node(users["admin"], nodes["root"], {"parent_id": nodes["moscow"].id})
    with pytest.raises(Conflict):
        editing.delete_node(users["admin"], nodes["root"], nodes["moscow"].id)


def test_deep_trees_are_capped(users, nodes):
    parent = nodes["msk_it"]
    for i in range(editing.MAX_DEPTH - parent.depth):
        parent = editing.create_node(users["admin"], name=f"L{i}", parent_id=parent.id)
    with pytest.raises(InvalidInput):
        editing.create_node(users["admin"], name="too deep", parent_id=parent.id)


# --- scope -----------------------------------------------------------------------------------


def test_scoped_manager_works_inside_the_subtree(moscow_manager, nodes):
    node = editing.create_node(moscow_manager, name="Новый", parent_id=nodes["moscow"].id)
    editing.update_node(moscow_manager, node, {"parent_id": nodes["msk_it"].id})
    assert db.session.get(Node, node.id).parent_id == nodes["msk_it"].id


def test_scoped_manager_cannot_move_a_node_out_of_the_subtree(moscow_manager, nodes):
    with pytest.raises((PermissionDenied, NotFound)):
        editing.update_node(moscow_manager, nodes["msk_it"], {"parent_id": nodes["kazan"].id})
    with pytest.raises((PermissionDenied, NotFound)):
        editing.update_node(moscow_manager, nodes["moscow"], {"parent_id": nodes["kazan"].id})
    db.session.expire_all()
    assert db.session.get(Node, nodes["msk_it"].id).parent_id == nodes["moscow"].id


def test_scoped_manager_cannot_pull_a_node_in_from_outside(moscow_manager, nodes):
    with pytest.raises(NotFound):
        editing.manageable_node(moscow_manager, nodes["kzn_it"].id)
    with pytest.raises(NotFound):
        editing.create_node(moscow_manager, name="X", parent_id=nodes["kazan"].id)


def test_scoped_manager_cannot_move_lines_in_from_outside(moscow_manager, nodes):
    outside = line_ids_on(nodes["kzn_it"], 2)
    inside = line_ids_on(nodes["msk_it"], 2)
    with pytest.raises(NotFound):
        editing.move_lines(moscow_manager, inside + outside, nodes["msk_sales"].id)
    assert line_ids_on(nodes["msk_it"], 2) == inside  # all or nothing
    with pytest.raises(NotFound):
        editing.move_lines(moscow_manager, inside, nodes["kzn_it"].id)


def test_visible_but_not_managed_lines_are_refused_with_403(nodes):
    # Views the whole company, manages Москва only.
    user = make_user(ROMASHKA, role="viewer")
    from roles.service import assign_predefined

    assign_predefined(user, "administrator", node=nodes["moscow"])
    outside = line_ids_on(nodes["kzn_it"], 1)
    with pytest.raises(PermissionDenied):
        editing.move_lines(user, outside, nodes["msk_it"].id)


def test_other_company_lines_and_nodes_are_unknown(users, nodes):
    vector_line = db.session.scalar(select(Line.id).where(Line.company_id != ROMASHKA))
    with pytest.raises(NotFound):
        editing.move_lines(users["admin"], [vector_line], nodes["msk_it"].id)
    vector_node = db.session.scalar(select(Node.id).where(Node.company_id != ROMASHKA))
    with pytest.raises(NotFound):
        editing.move_lines(users["admin"], line_ids_on(nodes["msk_it"], 1), vector_node)


def test_user_without_manage_cannot_edit(users, nodes):
    with pytest.raises(PermissionDenied):
        editing.create_node(users["sales_head"], name="X", parent_id=nodes["msk_sales"].id)


# --- lines -------------------------------------------------------------------------------------


def test_move_lines_moves_audits_and_writes_line_history(users, nodes):
    ids = line_ids_on(nodes["msk_it"], 3)
    assert editing.move_lines(users["admin"], ids, nodes["kzn_it"].id) == 3
    db.session.expire_all()
    assert {db.session.get(Line, i).node_id for i in ids} == {nodes["kzn_it"].id}
    event = _last_audit("lines.move")
    assert event.before["node_of_line"] == {str(i): nodes["msk_it"].id for i in ids}
    assert event.after["node_id"] == nodes["kzn_it"].id
    assert db.session.scalar(select(LineEvent.summary).where(
        LineEvent.line_id == ids[0], LineEvent.kind == "hierarchy.move"))


def test_move_lines_rejects_bad_input(users, nodes):
    for bad in ([], "1", [True], ["x"]):
        with pytest.raises(InvalidInput):
            editing.move_lines(users["admin"], bad, nodes["msk_it"].id)


def test_move_filtered_lines_moves_exactly_the_matching_ones(users, nodes):
    target = editing.create_node(users["admin"], name="Заблокированные",
                                 parent_id=nodes["root"].id, kind="group")
    flt = LineFilter(status="blocked", node_id=nodes["moscow"].id)
    _items, matching = list_lines(users["admin"], flt)
    assert matching
    assert editing.move_filtered_lines(users["admin"], flt, target.id) == matching
    assert lines_under(target) == matching
    _items, left = list_lines(users["admin"], flt)
    assert left == 0


def test_delete_asks_where_the_contents_go(users, nodes):
    node = nodes["msk_it"]
    count = lines_under(node)
    with pytest.raises(Conflict) as error:
        editing.delete_node(users["admin"], node)
    assert error.value.code == "not_empty"
    with pytest.raises(Conflict):
        editing.delete_node(users["admin"], nodes["moscow"], node.id)  # into itself
    child = editing.create_node(users["admin"], name="Поддержка", parent_id=node.id)
    target = nodes["kzn_it"]
    before = lines_under(target)
    editing.delete_node(users["admin"], node, target.id)
    db.session.expire_all()
    assert db.session.get(Node, node.id) is None
    assert db.session.get(Node, child.id).parent_id == target.id
    assert lines_under(db.session.get(Node, target.id)) == before + count
    event = _last_audit("hierarchy.node_delete")
    assert event.before["name"] == "ИТ" and event.after["moved_to"] == target.id


def test_empty_node_is_deleted_without_asking(users, nodes):
    node = editing.create_node(users["admin"], name="Пусто", parent_id=nodes["moscow"].id)
    editing.delete_node(users["admin"], node)
    assert db.session.get(Node, node.id) is None


def test_node_holding_role_assignments_is_not_deleted(users, nodes):
    node = editing.create_node(users["admin"], name="С ролью", parent_id=nodes["moscow"].id)
    make_user(ROMASHKA, role="viewer", node=node)
    with pytest.raises(Conflict) as error:
        editing.delete_node(users["admin"], node)
    assert error.value.code == "has_assignments"


def test_employee_edit_updates_search_and_is_audited(users, nodes):
    line = make_line(ROMASHKA, nodes["msk_it"])
    editing.update_employee(users["admin"], line, {"name": "Щукин Ёжик", "position": "Тестировщик",
                                                   "email": "e@x.example",
                                                   "personnel_number": "T-1"})
    items, total = list_lines(users["admin"], LineFilter(q="ёжик"))
    assert total == 1 and items[0].id == line.id
    event = _last_audit("lines.employee_update")
    assert event.line_id == line.id and event.after["name"] == "Щукин Ёжик"
    with pytest.raises(InvalidInput):
        editing.update_employee(users["admin"], line, {"email": "not-an-email"})
    with pytest.raises(InvalidInput):
        editing.update_employee(users["admin"], line, {"name": "=cmd|' /C calc'!A0"})


def test_employee_edit_needs_manage_on_the_line(users, nodes):
    line = make_line(ROMASHKA, nodes["msk_sales"])
    with pytest.raises(PermissionDenied):
        editing.update_employee(users["sales_head"], line, {"name": "X"})


def test_moving_a_node_changes_scoped_visibility_at_once(nodes):
    moscow_viewer = make_user(ROMASHKA, role="viewer", node=nodes["moscow"])
    kazan_viewer = make_user(ROMASHKA, role="viewer", node=nodes["kazan"])
    admin = make_user(ROMASHKA, role="global_admin")
    _i, moscow_before = list_lines(moscow_viewer, LineFilter())
    _i, kazan_before = list_lines(kazan_viewer, LineFilter())
    board = lines_under(nodes["msk_board"])
    editing.update_node(admin, nodes["msk_board"], {"parent_id": nodes["kazan"].id})
    _i, moscow_after = list_lines(moscow_viewer, LineFilter())
    _i, kazan_after = list_lines(kazan_viewer, LineFilter())
    assert board > 0
    assert moscow_after == moscow_before - board
    assert kazan_after == kazan_before + board


def test_cached_totals_follow_line_moves_at_once(users, nodes, monkeypatch):
    from hierarchy import service

    monkeypatch.setattr(service, "TOTALS_CACHE_MIN_LINES", 0)
    monkeypatch.setattr(service, "TOTALS_CACHE", {})

    def own_count(node_id):
        flat = service.flat_tree(service.tree(users["admin"]))
        return next(n for n in flat if n["id"] == node_id)["own_line_count"]

    before = own_count(nodes["kzn_it"].id)
    assert service.TOTALS_CACHE  # the company's totals are cached
    editing.move_lines(users["admin"], line_ids_on(nodes["msk_it"], 4), nodes["kzn_it"].id)
    assert own_count(nodes["kzn_it"].id) == before + 4


def test_services_check_the_scope_themselves(moscow_manager, users, nodes):
    with pytest.raises(PermissionDenied):
        editing.update_node(moscow_manager, nodes["kzn_it"], {"name": "Чужой"})
    with pytest.raises(PermissionDenied):
        editing.delete_node(moscow_manager, nodes["kzn_it"], nodes["kazan"].id)
    vector_node = db.session.scalar(select(Node).where(Node.company_id != ROMASHKA))
    with pytest.raises(NotFound):
        editing.update_node(users["admin"], vector_node, {"name": "x"})
