"""The one download writer: no cell of a CSV or XLSX can run as a formula."""

import csv
import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from core import downloads

FORMULAS = ["=cmd|'/c calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1",
            '=hyperlink("http://x")&"@x.ru"']


@pytest.mark.parametrize("value", FORMULAS)
def test_safe_cell_neutralises_every_formula_leading_character(value):
    assert downloads.safe_cell(value) == "'" + value


def test_safe_cell_keeps_plain_values_and_numbers():
    assert downloads.safe_cell(None) == ""
    assert downloads.safe_cell("Иванов") == "Иванов"
    assert downloads.safe_cell(Decimal("-5.00")) == "-5.00"
    assert downloads.safe_cell(-3) == "-3"
    assert downloads.safe_cell("9161234567") == "9161234567"


def test_csv_cells_are_escaped_and_quoted_for_any_separator():
    data = downloads.csv_bytes(["a", "b"], [[v, "x;=1+1"] for v in FORMULAS]).decode("utf-8")
    assert data.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(data.lstrip("\ufeff"))))
    assert rows[0] == ["a", "b"]
    # The tab case also escapes the "=" after the tab (a cell for a tab-splitting reader).
    assert [r[0] for r in rows[1:]] == ["'" + v.replace("\t=", "\t'=") for v in FORMULAS]
    # Read as Russian Excel does (";" separates): the "=" stays inside the quoted cell.
    semi = list(csv.reader(io.StringIO(data.lstrip("\ufeff")), delimiter=";"))
    assert all(not cell.startswith(downloads.FORMULA_START) for row in semi for cell in row)


def test_xlsx_cells_are_text_never_formulas():
    data = downloads.xlsx_bytes(["value"], [[v] for v in FORMULAS] + [[42], ["bad\x01char"]],
                                sheet_title="job: 1/2")
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml
    sheet = load_workbook(io.BytesIO(data)).active
    values = [row[0] for row in sheet.iter_rows(values_only=True)]
    # (XML reading turns a stored CR into LF.)
    assert values[1:len(FORMULAS) + 1] == ["'" + v.replace("\r", "\n") for v in FORMULAS]
    assert values[-2] == "42" and values[-1] == "bad\ufffdchar"
    assert all(cell.data_type == "s" for row in sheet.iter_rows() for cell in row)


def test_responses_stream_with_one_charset_and_attachment_names(app):
    def rows():
        yield ["=1", "Иванов"]
        yield [None, Decimal("1.50")]

    with app.test_request_context():
        response = downloads.csv_response("audit.csv", ["a", "b"], rows(), kind="test")
        assert response.is_streamed
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert response.headers["Content-Disposition"] == 'attachment; filename="audit.csv"'
        body = b"".join(response.response).decode("utf-8")
        assert body == "\ufeffa,b\r\n'=1,Иванов\r\n,1.50\r\n"
        response = downloads.xlsx_response("отчёт.xlsx", ["a"], rows(), kind="test")
        response.direct_passthrough = False
        assert response.mimetype == downloads.XLSX_MIMETYPE
        assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
        assert load_workbook(io.BytesIO(response.get_data())).active["A2"].value == "'=1"


def test_write_functions_for_background_jobs():
    out = io.BytesIO()
    downloads.write_csv(out, ["h"], iter([["@x"]]))
    assert out.getvalue().decode("utf-8") == "\ufeffh\r\n'@x\r\n"
    out = io.BytesIO()
    downloads.write_xlsx(out, ["h"], iter([["+x"]]))
    assert load_workbook(out).active["A2"].value == "'+x"
