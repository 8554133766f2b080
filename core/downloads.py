"""The one writer of spreadsheet downloads (CSV and XLSX), safe to open in Excel/LibreOffice.

Every CSV/XLSX a user downloads (audit log, job results, hierarchy export, reports) is
written here so that no cell can run as a formula (CSV/formula injection, OWASP):
- text starting with ``= + - @``, a tab or a carriage return gets a leading apostrophe
  (``safe_cell``), the escape spreadsheet programs show as plain text; numbers given as
  numbers (``int``/``Decimal``/``float``) stay as they are, their text cannot be a formula;
- CSV cells holding a separator of any locale (``,`` ``;`` tab), a quote or a line break are
  quoted, and a formula character right after ``;`` or a tab is escaped too, so a program
  splitting on ``;`` (Excel with the Russian list separator) cannot start a cell at ``=``;
- XLSX cells are always written as strings (``t="inlineStr"``), never ``<f>``, by
  XlsxWriter's constant-memory (streaming) workbook.
CSV is UTF-8 with a BOM so Excel reads Cyrillic; rows may be any iterable (a generator
streams into a temporary file that spills to disk when large).

Every download a user receives (``csv_response``, ``xlsx_response``, ``file_response``) is
recorded here, in the company's audit log (``download.<kind>``: who, what, the scope, the
format and the number of rows): no export can forget it, because the writer does it.
``binary_doc`` documents such a response in the OpenAPI document (content type, binary).
"""

import io
import itertools
import re
import tempfile
import unicodedata
from collections.abc import Iterable
from decimal import Decimal
from urllib.parse import quote

from flask import Response, send_file
from flask_login import current_user
from xlsxwriter import Workbook

from core import audit
from core.extensions import db

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_MIMETYPE = "text/csv"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_MIMETYPE = "application/pdf"
ZIP_MIMETYPE = "application/zip"
_SPOOL_IN_MEMORY = 8 * 1024 * 1024  # bytes a download is built in memory before disk
_CSV_NEEDS_QUOTES = re.compile(r'[",;\t\r\n]')
# A program splitting on ";" or tab (Excel with a Russian list separator) starts a new cell
# there: a formula character right after one is neutralised too.
_FORMULA_AFTER_SEPARATOR = re.compile(r"([;\t])(?=[=+\-@])")
# Characters XML 1.0 cannot hold (spreadsheet programs refuse them): replaced, not fatal.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")


def safe_cell(value) -> str:
    """The cell's text, with formula-leading text neutralised by a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)  # a number's own text ("-5.00") is never a formula
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv_field(value) -> str:
    text = _FORMULA_AFTER_SEPARATOR.sub(r"\1'", safe_cell(value))
    if _CSV_NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_lines(header: Iterable, rows: Iterable[Iterable]):
    """The CSV text in chunks: BOM and header first, then rows, CRLF line ends."""
    yield "\ufeff" + ",".join(_csv_field(v) for v in header) + "\r\n"
    chunk = []
    size = 0
    for row in rows:
        line = ",".join(_csv_field(v) for v in row) + "\r\n"
        chunk.append(line)
        size += len(line)
        if size > 64_000:
            yield "".join(chunk)
            chunk, size = [], 0
    if chunk:
        yield "".join(chunk)


def write_csv(fileobj, header: Iterable, rows: Iterable[Iterable]) -> None:
    """Write the CSV (UTF-8 with BOM) to a binary file object (background jobs)."""
    for chunk in csv_lines(header, rows):
        fileobj.write(chunk.encode("utf-8"))


def csv_bytes(header: Iterable, rows: Iterable[Iterable]) -> bytes:
    """The whole CSV as bytes."""
    out = io.BytesIO()
    write_csv(out, header, rows)
    return out.getvalue()


def content_disposition(filename: str) -> str:
    """``attachment; filename="…"`` (ASCII fallback) plus RFC 5987 ``filename*`` if needed."""
    plain = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    plain = re.sub(r'[^A-Za-z0-9._ -]', "_", plain).strip() or "download"
    value = f'attachment; filename="{plain}"'
    if plain != filename:
        value += "; filename*=UTF-8''" + quote(filename, safe="")
    return value


def _attachment(response: Response, filename: str) -> Response:
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


class _Counted:
    """Rows passed through, counted (the row count of the download's audit record)."""

    def __init__(self, rows: Iterable[Iterable]):
        self.rows, self.count = rows, 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            yield row


def record_download(kind: str, *, fmt: str, scope: str = "", rows: int | None = None,
                    actor=None, company_id: int | None = None) -> None:
    """Record who downloaded what in the company's audit log and commit it: action
    ``download.<kind>``, object ``kind``, the format, the scope and the row count. A download
    is a read: this record is its only write."""
    actor = actor if actor is not None else current_user._get_current_object()
    if actor is None or not getattr(actor, "is_authenticated", False):
        actor = None
    after = {"format": fmt, "scope": scope or "", "rows": rows}
    audit.record(f"download.{kind}", actor=actor, company_id=company_id, object_type=kind,
                 object_id=scope or "",
                 after=after,
                 detail=f"{fmt}, {scope or '-'}" + ("" if rows is None else f", {rows} rows"))
    db.session.commit()


def csv_response(filename: str, header: Iterable, rows: Iterable[Iterable], *, kind: str,
                 scope: str = "") -> Response:
    """A CSV download (``text/csv; charset=utf-8``, charset said once), built in a temporary
    file (large ones spill to disk) and recorded (``record_download``)."""
    counted = _Counted(rows)
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115 - sent
    write_csv(spool, header, counted)
    spool.seek(0)
    record_download(kind, fmt="csv", scope=scope, rows=counted.count)
    response = send_file(spool, mimetype=CSV_MIMETYPE, conditional=False, etag=False)
    response.headers["Content-Type"] = CSV_MIMETYPE + "; charset=utf-8"
    return _attachment(response, filename)


def _sheet_title(title: str | None) -> str:
    title = _SHEET_TITLE_BAD.sub(" ", str(title or "Sheet")).strip("' ")[:31]
    return title or "Sheet"


def _xlsx_text(value) -> str:
    """A cell's text for XLSX: line breaks as LF (the spreadsheet's own; a bare CR would be
    stored as ``_x000D_``), characters XML cannot hold replaced."""
    text = _XML_ILLEGAL.sub("\ufffd", safe_cell(value))
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def write_xlsx(fileobj, header: Iterable, rows: Iterable[Iterable],
               sheet_title: str | None = None) -> None:
    """Write an XLSX workbook of text cells to a binary file object, streaming the rows.

    XlsxWriter in constant-memory mode: each row goes to a temporary file as it comes (the
    memory stays flat whatever the row count), every cell through ``write_string``.
    """
    book = Workbook(fileobj, {"constant_memory": True, "strings_to_numbers": False,
                              "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet(_sheet_title(sheet_title))
    write = sheet.write_string
    for index, row in enumerate(itertools.chain((header,), rows)):
        for column, value in enumerate(row):
            text = _xlsx_text(value)
            if text:  # an empty value is an empty cell
                write(index, column, text)
    book.close()


def xlsx_bytes(header: Iterable, rows: Iterable[Iterable], sheet_title: str | None = None
               ) -> bytes:
    """The whole workbook as bytes."""
    out = io.BytesIO()
    write_xlsx(out, header, rows, sheet_title)
    return out.getvalue()


def xlsx_response(filename: str, header: Iterable, rows: Iterable[Iterable],
                  sheet_title: str | None = None, *, kind: str, scope: str = "") -> Response:
    """An XLSX download, built in a temporary file (large ones spill to disk), recorded."""
    counted = _Counted(rows)
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115 - sent
    write_xlsx(spool, header, counted, sheet_title)
    spool.seek(0)
    record_download(kind, fmt="xlsx", scope=scope, rows=counted.count)
    response = send_file(spool, mimetype=XLSX_MIMETYPE, conditional=False, etag=False)
    return _attachment(response, filename)


def file_response(source, mimetype: str, filename: str, *, kind: str, fmt: str,
                  scope: str = "", rows: int | None = None,
                  company_id: int | None = None) -> Response:
    """A prepared file (a path or bytes) as a recorded download: reports built earlier,
    PDFs, attachments. ``company_id``: whose audit log, when the caller is operator staff
    (default: the caller's company)."""
    record_download(kind, fmt=fmt, scope=scope, rows=rows, company_id=company_id)
    body = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    return send_file(body, mimetype=mimetype, as_attachment=True, download_name=filename)


def binary_doc(*mimetypes: str, status: int = 200) -> dict:
    """``@blp.doc(**binary_doc(CSV_MIMETYPE, ...))``: the OpenAPI success response of a
    download is a binary body of one of these content types."""
    return {"responses": {status: {"content": {
        mimetype: {"schema": {"type": "string", "format": "binary"}} for mimetype in mimetypes}}}}
