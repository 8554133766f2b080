"""Import and export of the tree: round trip, preview, row errors, all or nothing, limits."""

import csv
import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from core.audit import AuditEvent
from core.errors import InvalidInput
from core.extensions import db
from corp.models import Line
from hierarchy import transfer
from hierarchy.models import Node
from tests.factories import make_line, node_named
from tests.hierarchy.conftest import ROMASHKA, line_ids_on


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _placements():
    return dict(db.session.execute(select(Line.id, Line.node_id).where(
        Line.company_id == ROMASHKA)).all())


def test_export_csv_has_bom_header_nodes_and_every_line(users):
    data = transfer.export_csv(users["admin"])
    assert data.startswith("\ufeff".encode())
    rows = _rows(data)
    assert rows[0] == list(transfer.COLUMNS)
    paths = {r[0] for r in rows[1:] if not r[4]}
    assert {"Москва", "Москва / Продажи", "Казань / ИТ"} <= paths
    assert sum(1 for r in rows[1:] if r[4]) == 1200


def test_export_is_scoped(users):
    rows = _rows(transfer.export_csv(users["sales_head"]))
    lines = [r for r in rows[1:] if r[4]]
    assert lines and {r[0] for r in lines} == {"Москва / Продажи"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_round_trip_changes_nothing(users, fmt):
    admin = users["admin"]
    export = transfer.export_csv if fmt == "csv" else transfer.export_xlsx
    data = export(admin)
    before = _placements()
    preview = transfer.import_file(admin, data, f"h.{fmt}", dry_run=True)
    assert preview["errors"] == [] and preview["changes"] == 0
    preview = transfer.import_file(admin, data, f"h.{fmt}", dry_run=False)
    assert preview["applied"] and preview["changes"] == 0
    assert _placements() == before
    assert transfer.export_csv(admin) == transfer.export_csv(admin)
    assert _rows(transfer.export_csv(admin)) == _rows(transfer.export_csv(admin))


def test_formula_like_values_are_escaped_on_export_and_survive_a_round_trip(users, nodes):
    line = make_line(ROMASHKA, nodes["msk_it"], employee_position="-старший-",
                     employee_name="+ Тест")
    rows = _rows(transfer.export_csv(users["admin"]))
    row = next(r for r in rows if r[4] == line.msisdn)
    assert row[5] == "'+ Тест" and row[6] == "'-старший-"
    preview = transfer.import_file(users["admin"], _csv(rows), "h.csv", dry_run=True)
    assert preview["errors"] == [] and preview["changes"] == 0


def test_import_creates_nodes_moves_lines_and_edits_employees(users, nodes):
    admin = users["admin"]
    rows = _rows(transfer.export_csv(admin))
    line_rows = [r for r in rows if r[4] and r[0] == "Москва / ИТ"]
    first, second = line_rows[0], line_rows[1]
    first[0] = "Москва / Новый отдел / Группа А"
    second[5] = "Новиков Пётр"
    rows.append(["Москва / Новый отдел", "", "group", "NEW-1", "", "", "", "", ""])
    preview = transfer.import_file(admin, _csv(rows), "h.csv", dry_run=True)
    assert preview["errors"] == []
    assert preview["created"] == ["Москва / Новый отдел", "Москва / Новый отдел / Группа А"]
    assert preview["moved_lines"] == 1 and preview["employee_changes"] == 1
    assert node_named(ROMASHKA, "Москва", "Новый отдел") is None  # a dry run changes nothing
    transfer.import_file(admin, _csv(rows), "h.csv", dry_run=False)
    new = node_named(ROMASHKA, "Москва", "Новый отдел")
    assert new.kind == "group" and new.cost_centre == "NEW-1"
    group = node_named(ROMASHKA, "Москва", "Новый отдел", "Группа А")
    assert group.path == f"{new.path}{group.id}/"
    moved = db.session.scalar(select(Line).where(Line.msisdn == first[4]))
    assert moved.node_id == group.id
    edited = db.session.scalar(select(Line).where(Line.msisdn == second[4]))
    assert edited.employee_name == "Новиков Пётр" and "новиков" in edited.search_text
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "hierarchy.import"))
    assert event.before["lines"][str(moved.id)] == "Москва / ИТ"
    assert event.after["lines"][str(moved.id)] == "Москва / Новый отдел / Группа А"


def test_import_renames_and_moves_nodes_by_id(users, nodes):
    admin = users["admin"]
    rows = _rows(transfer.export_csv(admin))
    it_row = next(r for r in rows if r[0] == "Москва / ИТ" and not r[4])
    it_row[0] = "Москва / IT"
    board_row = next(r for r in rows if r[0] == "Москва / Руководство" and not r[4])
    board_row[0] = "Казань / Руководство"
    before = _placements()
    preview = transfer.import_file(admin, _csv(rows), "h.csv", dry_run=True)
    assert preview["errors"] == []
    assert [r["to"] for r in preview["renamed"]] == ["Москва / IT"]
    assert [r["to"] for r in preview["moved_nodes"]] == ["Казань / Руководство"]
    # Line rows still say "Москва / ИТ": they find the renamed node, so no line moves.
    assert preview["moved_lines"] == 0 and preview["created"] == []
    transfer.import_file(admin, _csv(rows), "h.csv", dry_run=False)
    db.session.expire_all()
    assert db.session.get(Node, nodes["msk_it"].id).name == "IT"
    board = db.session.get(Node, nodes["msk_board"].id)
    assert board.parent_id == nodes["kazan"].id
    assert board.path == f"{nodes['kazan'].path}{board.id}/"
    assert _placements() == before


def test_import_swapping_sibling_names_works(users, nodes):
    rows = [list(transfer.COLUMNS),
            ["Москва / ИТ", str(nodes["msk_sales"].id), "", "", "", "", "", "", ""],
            ["Москва / Продажи", str(nodes["msk_it"].id), "", "", "", "", "", "", ""]]
    preview = transfer.import_file(users["admin"], _csv(rows), "h.csv", dry_run=False)
    assert preview["applied"], preview["errors"]
    db.session.expire_all()
    assert db.session.get(Node, nodes["msk_sales"].id).name == "ИТ"


def test_import_cycle_is_an_error(users, nodes):
    # Москва goes under its own child Продажи (found by its old path).
    rows = [list(transfer.COLUMNS),
            ["Москва / Продажи / Москва", str(nodes["moscow"].id), "", "", "", "", "", "", ""]]
    preview = transfer.import_file(users["admin"], _csv(rows), "h.csv", dry_run=False)
    assert not preview["applied"]
    assert [(e["row"], e["column"]) for e in preview["errors"]] == [(2, "path")]
    assert "inside itself" in preview["errors"][0]["message"]
    db.session.expire_all()
    assert db.session.get(Node, nodes["moscow"].id).parent_id == nodes["root"].id


def _error_rows(preview):
    return {(e["row"], e["column"]) for e in preview["errors"]}


def test_row_errors_have_line_numbers_and_nothing_is_applied(users, nodes):
    admin = users["admin"]
    vector_msisdn = db.session.scalar(select(Line.msisdn).where(Line.company_id != ROMASHKA))
    own = db.session.scalars(select(Line.msisdn).where(
        Line.node_id == nodes["msk_it"].id).order_by(Line.id).limit(3)).all()
    rows = [
        list(transfer.COLUMNS),
        ["Казань / Новый", "", "", "", own[0], "", "", "", ""],  # 2: fine on its own
        ["Москва / ИТ", "", "", "", vector_msisdn, "", "", "", ""],  # 3: another company's
        ["Москва / ИТ", "", "", "", "9990000000", "", "", "", ""],  # 4: unknown
        ["Москва / ИТ", "", "", "", "12345", "", "", "", ""],  # 5: malformed
        ["Москва / Свой", "", "", "", "", "", "", "", ""],  # 6
        ["Москва / Свой", "", "", "", "", "", "", "", ""],  # 7: duplicate path
        ["Москва / " + "Я" * 130, "", "", "", "", "", "", "", ""],  # 8: too long
        ["Москва / ИТ", "", "", "", own[1], "=HYPERLINK(\"x\")", "", "", ""],  # 9: formula
        ["Москва / ИТ", "", "", "", own[2], "", "@SUM(1)", "", ""],  # 10: formula
        ["Москва / Bad\x01", "", "", "", "", "", "", "", ""],  # 11: control character
        ["Москва / ИТ", "", "", "", own[0], "", "", "", ""],  # 12: duplicate number
        ["Москва / ИТ", "", "boss", "", "", "", "", "", ""],  # 13: bad kind
    ]
    before = _placements()
    preview = transfer.import_file(admin, _csv(rows), "h.csv", dry_run=False)
    assert not preview["applied"]
    errors = _error_rows(preview)
    assert {(3, "msisdn"), (4, "msisdn"), (5, "msisdn"), (7, "path"), (8, "path"),
            (9, "employee_name"), (10, "employee_position"), (11, "path"),
            (12, "msisdn"), (13, "kind")} <= errors
    assert (2, "msisdn") not in errors and (2, "path") not in errors
    messages = {e["row"]: e["message"] for e in preview["errors"]}
    assert messages[3] == messages[4]  # another company's number is just "unknown"
    assert _placements() == before
    assert node_named(ROMASHKA, "Казань", "Новый") is None


def test_scoped_manager_import_is_limited_to_the_subtree(moscow_manager, nodes):
    outside = db.session.scalar(select(Line.msisdn).where(Line.node_id == nodes["kzn_it"].id))
    inside = db.session.scalar(select(Line.msisdn).where(Line.node_id == nodes["msk_it"].id))
    rows = [list(transfer.COLUMNS),
            ["Москва / Продажи", "", "", "", outside, "", "", "", ""],  # pull a line in
            ["Казань", "", "", "", inside, "", "", "", ""],  # push a line out
            ["Казань / Новый", "", "", "", "", "", "", "", ""],  # create outside
            ["Москва / Новый", "", "", "", "", "", "", "", ""]]  # fine
    preview = transfer.import_file(moscow_manager, _csv(rows), "h.csv", dry_run=True)
    errors = _error_rows(preview)
    assert (2, "msisdn") in errors and (3, "path") in errors and (4, "path") in errors
    # Outside the scope nothing is known to exist: "Казань" reads like a new node too.
    assert preview["created"] == ["Казань", "Казань / Новый", "Москва / Новый"]
    assert not any(e["row"] == 5 for e in preview["errors"])


def test_wrong_encoding_is_refused_with_a_clear_message(users):
    data = "path,msisdn\r\nМосква,\r\n".encode("cp1251")
    with pytest.raises(InvalidInput) as error:
        transfer.import_file(users["admin"], data, "h.csv")
    assert "UTF-8" in error.value.message


def test_missing_columns_empty_and_huge_files_are_refused(users, monkeypatch):
    admin = users["admin"]
    for data in (b"", b"name,phone\r\nx,y\r\n", b"x" * (transfer.MAX_UPLOAD_BYTES + 1)):
        with pytest.raises(InvalidInput):
            transfer.import_file(admin, data, "h.csv")
    monkeypatch.setattr(transfer, "MAX_ROWS", 5)
    rows = [list(transfer.COLUMNS)] + [["Москва", "", "", "", "", "", "", "", ""]] * 10
    with pytest.raises(InvalidInput) as error:
        transfer.import_file(admin, _csv(rows), "h.csv")
    assert "too many rows" in error.value.message


def test_zip_bombs_and_fake_workbooks_are_refused(users):
    admin = users["admin"]
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (8 * 1024 * 1024))
    with pytest.raises(InvalidInput) as error:
        transfer.import_file(admin, bomb.getvalue(), "h.xlsx")
    assert "too much data" in error.value.message
    with pytest.raises(InvalidInput):
        transfer.import_file(admin, b"PK\x03\x04not really a zip", "h.xlsx")
    with pytest.raises(InvalidInput):
        transfer.import_file(admin, b"path,msisdn\r\n", "h.xlsx")


def test_xlsx_formula_cells_are_refused(users, nodes):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(transfer.COLUMNS))
    msisdn = db.session.scalar(select(Line.msisdn).where(Line.node_id == nodes["msk_it"].id))
    sheet.append(["Москва / ИТ", None, None, None, msisdn, "=1+1", None, None, None])
    out = io.BytesIO()
    workbook.save(out)
    preview = transfer.import_file(users["admin"], out.getvalue(), "h.xlsx", dry_run=True)
    assert (2, "employee_name") in _error_rows(preview)


def test_xlsx_export_opens_and_numbers_stay_text(users):
    data = transfer.export_xlsx(users["admin"])
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == transfer.COLUMNS
    assert any(r[4] and str(r[4]).startswith("9") and len(str(r[4])) == 10 for r in rows[1:])


def test_lines_left_out_of_the_file_stay_where_they_are(users, nodes):
    ids = line_ids_on(nodes["msk_it"])
    rows = [list(transfer.COLUMNS), ["Москва / Новое", "", "", "", "", "", "", "", ""]]
    transfer.import_file(users["admin"], _csv(rows), "h.csv", dry_run=False)
    assert line_ids_on(nodes["msk_it"]) == ids
