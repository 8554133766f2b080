"""The one upload reader: limits checked before and while parsing, kind told by content."""

import io
import zipfile

import pytest
from openpyxl import Workbook
from werkzeug.datastructures import FileStorage, Headers

from core import uploads
from core.errors import InvalidInput


def _xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _storage(data: bytes, name="f.csv") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


def _refused(call, *args, **kwargs) -> str:
    with pytest.raises(InvalidInput) as info:
        call(*args, **kwargs)
    return info.value.errors["file"][0]


def test_csv_and_xlsx_read_as_text_rows_with_positions():
    csv_rows = uploads.read_table_upload(_storage("msisdn;name\n9161234567;Иванов\n\n1;\n"
                                                  .encode()), max_rows=10)
    assert csv_rows == [["msisdn", "name"], ["9161234567", "Иванов"], [], ["1"]]
    xlsx_rows = uploads.read_table_upload(
        _storage(_xlsx([["msisdn"], [9161234567], ["=A1"], [None]]), "n.xlsx"), max_rows=10)
    assert xlsx_rows == [["msisdn"], ["9161234567"], ["=A1"], []]


def test_kind_is_told_by_content_not_name():
    # An XLSX named .csv is read as a workbook; a CSV named .xlsx as text.
    assert uploads.read_table_upload(_storage(_xlsx([["a"]]), "x.csv"), max_rows=5) == [["a"]]
    assert uploads.read_table_upload(_storage(b"a,b\n", "x.xlsx"), max_rows=5) == [["a", "b"]]


@pytest.mark.parametrize("data", [
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,   # old .xls
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    b"PK\x03\x04not really a zip at all",
    "msisdn\n9161234567\n".encode("utf-16"),
])
def test_wrong_kinds_are_refused_with_a_message(data):
    assert _refused(uploads.read_table_upload, _storage(data), max_rows=10)


def test_a_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert "XLSX" in _refused(uploads.read_table_upload, _storage(out.getvalue()), max_rows=5)


def test_size_is_checked_before_reading_everything():
    class Endless(io.RawIOBase):
        read_bytes = 0

        def readable(self):
            return True

        def read(self, n=-1):
            n = 1 << 20 if n is None or n < 0 else n
            self.read_bytes += n
            return b"1" * n

    stream = Endless()
    message = _refused(uploads.read_table_upload, FileStorage(stream=stream, filename="x.csv"),
                       max_rows=10, max_bytes=1000)
    assert "too large" in message and stream.read_bytes <= 1001
    declared = FileStorage(stream=io.BytesIO(b"a"), filename="x.csv",
                           headers=Headers({"Content-Length": "5000000"}))
    assert "too large" in _refused(uploads.read_table_upload, declared, max_rows=10,
                                   max_bytes=1000)
    assert "empty" in _refused(uploads.read_table_upload, _storage(b""), max_rows=10)


def _bomb(size: int) -> bytes:
    """An XLSX-looking zip whose sheet unpacks from a few KB to ``size`` bytes."""
    good = zipfile.ZipFile(io.BytesIO(_xlsx([["a"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in good.infolist():
            body = good.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(b"<sheetData>", b"<sheetData>" + b" " * size)
            archive.writestr(info.filename, body)
    return out.getvalue()


def test_zip_bomb_is_refused_before_it_is_unpacked():
    data = _bomb(17 * 1024 * 1024)
    assert len(data) < 100_000
    message = _refused(uploads.read_table_upload, _storage(data, "n.xlsx"), max_rows=20_000)
    assert "too much data" in message


def test_declared_uncompressed_total_and_entry_count_are_limited():
    assert "too much data" in _refused(uploads.read_table_data, _xlsx([["a" * 100]] * 2000),
                                       max_rows=5000, max_uncompressed_bytes=50_000)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for i in range(300):
            archive.writestr(f"part{i}.xml", "<x/>")
    assert "too many parts" in _refused(uploads.read_table_data, out.getvalue(), max_rows=10)


def test_row_cap_stops_while_reading():
    data = b"9161234567\n" * 1000
    assert "too many rows" in _refused(uploads.read_table_data, data, max_rows=999)
    assert len(uploads.read_table_data(data, max_rows=1000)) == 1000
    xlsx = _xlsx([[i] for i in range(50)])
    assert "too many rows" in _refused(uploads.read_table_data, xlsx, max_rows=49)


def test_huge_rows_and_cells_are_refused():
    wide = ",".join(["x"] * 60).encode() + b"\n"
    assert "too many columns" in _refused(uploads.read_table_data, wide, max_rows=5)
    assert "too many columns" in _refused(uploads.read_table_data, _xlsx([["x"] * 60]),
                                          max_rows=5)
    long_cell = b"a" * 20_000 + b"\n"
    assert "longer than" in _refused(uploads.read_table_data, long_cell, max_rows=5)
    giant_field = b'"' + b"a" * 200_000 + b'"\n'  # over csv's own field limit
    assert _refused(uploads.read_table_data, giant_field, max_rows=5, max_cell=10**6)


def test_a_sheet_claiming_the_whole_grid_reads_bounded_rows():
    data = _xlsx([["a", "b"]])
    archive = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in archive.infolist():
            body = archive.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(b'<dimension ref="A1:B1"', b'<dimension ref="A1:XFD1"')
            target.writestr(info.filename, body)
    assert uploads.read_table_data(out.getvalue(), max_rows=5) == [["a", "b"]]


def test_xml_entity_expansion_is_refused():
    data = _xlsx([["a"]])
    archive = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>')
    with zipfile.ZipFile(out, "w") as target:
        for info in archive.infolist():
            body = archive.read(info.filename)
            if info.filename == "xl/workbook.xml":
                body = laughs + body.replace(b"<workbookPr />", b"<workbookPr>&lol2;</workbookPr>")
            target.writestr(info.filename, body)
    assert "XLSX" in _refused(uploads.read_table_data, out.getvalue(), max_rows=5)


def test_other_encodings_only_when_asked():
    data = "номер\n9161234567\n".encode("cp1251")
    assert "UTF-8" in _refused(uploads.read_table_data, data, max_rows=5)
    assert uploads.read_table_data(data, max_rows=5, encodings=("utf-8", "cp1251"))[0] == [
        "номер"]


def test_attachment_kind_by_magic_bytes():
    pdf = b"%PDF-1.4\n1 0 obj\n"
    assert uploads.read_attachment(_storage(pdf, "scan.pdf"), max_bytes=1000) == ("pdf", pdf)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
    assert uploads.read_attachment(_storage(png, "a.pdf"), max_bytes=1000)[0] == "png"
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 20
    assert uploads.read_attachment(_storage(jpeg, "a.jpg"), max_bytes=1000)[0] == "jpeg"
    html = b"<html><script>alert(1)</script></html>"
    assert "not accepted" in _refused(uploads.read_attachment, _storage(html, "evil.pdf"),
                                      max_bytes=1000)
    assert "not accepted" in _refused(uploads.read_attachment, _storage(png), max_bytes=1000,
                                      allowed=("pdf",))
    assert "too large" in _refused(uploads.read_attachment, _storage(pdf * 100),
                                   max_bytes=1000)
