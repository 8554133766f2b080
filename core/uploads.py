"""The one reader of uploaded files: tables (CSV/XLSX) and attachments (PDF/JPEG/PNG).

Every upload goes through here so that each limit is checked *before* the expensive step
and again *while* parsing: the byte size before anything is read into memory, an XLSX's
zip entry count, declared uncompressed size and compression ratio before it is unpacked
(zip bombs; ``zipfile`` never inflates an entry past its declared size), the row, column
and cell limits while rows are read (so a huge sheet stops at the first row past the cap),
and the kind of file by its content (magic bytes), never by its name. XML inside XLSX is
parsed by openpyxl through ``defusedxml`` (entity expansion refused).

Refusals raise ``core.errors.InvalidInput({field: message})`` (422 in the API, a message
beside the field on pages); nothing else escapes from a malformed file.
"""

import csv
import io
import zipfile
from collections.abc import Iterator

from flask_babel import gettext as _

from core.errors import InvalidInput

MiB = 1024 * 1024
DEFAULT_MAX_BYTES = 10 * MiB
DEFAULT_MAX_COLUMNS = 50
DEFAULT_MAX_CELL = 10_000
DEFAULT_MAX_ZIP_ENTRIES = 200
# An XLSX part larger than this must not unpack more than MAX_RATIO times its packed size.
RATIO_CHECK_FROM = 1 * MiB
DEFAULT_MAX_RATIO = 100

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old binary .xls / .doc
ATTACHMENT_MAGIC = {
    "pdf": (b"%PDF-",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
}


def _refuse(message: str, field: str = "file"):
    raise InvalidInput({field: message})


def read_bytes(file_storage, max_bytes: int, *, field: str = "file") -> bytes:
    """The upload's bytes, refusing (before reading it all) one larger than ``max_bytes``.

    ``file_storage`` is a Werkzeug ``FileStorage`` (or any object with ``read``), or bytes.
    """
    if file_storage is None:
        _refuse(_("Choose a file to upload."), field)
    if isinstance(file_storage, bytes | bytearray):
        data = bytes(file_storage)
    else:
        declared = getattr(file_storage, "content_length", None) or 0
        if declared > max_bytes:
            _refuse(_too_large(max_bytes), field)
        stream = getattr(file_storage, "stream", file_storage)
        data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        _refuse(_too_large(max_bytes), field)
    if not data:
        _refuse(_("The file is empty."), field)
    return data


def _too_large(max_bytes: int) -> str:
    if max_bytes >= MiB:
        return _("The file is too large (%(n)s MB at most).", n=max_bytes // MiB)
    return _("The file is too large (%(n)s KB at most).", n=max(max_bytes // 1024, 1))


# --- tables ------------------------------------------------------------------------------------


def read_table_upload(file_storage, *, max_rows: int, max_bytes: int = DEFAULT_MAX_BYTES,
                      max_columns: int = DEFAULT_MAX_COLUMNS, max_cell: int = DEFAULT_MAX_CELL,
                      max_uncompressed_bytes: int | None = None,
                      max_zip_entries: int = DEFAULT_MAX_ZIP_ENTRIES,
                      max_ratio: int = DEFAULT_MAX_RATIO,
                      encodings: tuple[str, ...] = ("utf-8",),
                      field: str = "file") -> list[list[str]]:
    """The rows of an uploaded CSV or XLSX (first sheet) as lists of text cells.

    Every row of the file counts toward ``max_rows`` (a header too); rows keep their
    position (an empty row is ``[]``) so that ``rows[n - 1]`` is the file's row ``n``;
    trailing empty cells are dropped. Numbers come back as text ("9161234567", not
    "9161234567.0"), a formula as its text ("=A1"), so callers refuse it like any bad value.
    """
    data = read_bytes(file_storage, max_bytes, field=field)
    return read_table_data(data, max_rows=max_rows, max_columns=max_columns, max_cell=max_cell,
                           max_uncompressed_bytes=max_uncompressed_bytes,
                           max_zip_entries=max_zip_entries, max_ratio=max_ratio,
                           encodings=encodings, field=field)


def read_table_data(data: bytes, *, max_rows: int, max_columns: int = DEFAULT_MAX_COLUMNS,
                    max_cell: int = DEFAULT_MAX_CELL, max_uncompressed_bytes: int | None = None,
                    max_zip_entries: int = DEFAULT_MAX_ZIP_ENTRIES,
                    max_ratio: int = DEFAULT_MAX_RATIO, encodings: tuple[str, ...] = ("utf-8",),
                    field: str = "file") -> list[list[str]]:
    """Like :func:`read_table_upload`, for bytes already read (and size-checked) by the caller."""
    if not data:
        _refuse(_("The file is empty."), field)
    if max_uncompressed_bytes is None:
        # Generous for real sheets (about 100 bytes of XML per cell), far below a bomb.
        max_uncompressed_bytes = max(4 * MiB, min(max_rows * max_columns * 100, 200 * MiB))
    if data.startswith(XLSX_MAGIC):
        source = _xlsx_rows(data, max_columns, max_uncompressed_bytes, max_zip_entries,
                            max_ratio, field)
    elif data.startswith(OLE_MAGIC):
        _refuse(_("Old .xls workbooks are not accepted: save the file as .xlsx or CSV."), field)
    elif data.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff")):
        _refuse(_("The file contains binary data: upload a CSV or XLSX file."), field)
    else:
        source = _csv_rows(data, encodings, field)
    rows: list[list[str]] = []
    for number, raw in enumerate(source, start=1):
        if number > max_rows:
            _refuse(_("The file has too many rows (%(n)s at most).", n=max_rows), field)
        cells = list(raw)
        while cells and cells[-1] == "":
            cells.pop()
        if len(cells) > max_columns:
            _refuse(_("Row %(row)s has too many columns (%(n)s at most).", row=number,
                      n=max_columns), field)
        for cell in cells:
            if len(cell) > max_cell:
                _refuse(_("Row %(row)s has a cell longer than %(n)s characters.", row=number,
                          n=max_cell), field)
        rows.append(cells)
    return rows


def _decode(data: bytes, encodings: tuple[str, ...], field: str) -> str:
    error = None
    for encoding in encodings:
        try:
            return data.decode("utf-8-sig" if encoding.lower() in ("utf-8", "utf8") else encoding)
        except UnicodeDecodeError as exc:
            error = error or exc
    line = data[: error.start].count(b"\n") + 1 if error else 1
    _refuse(_("The file is not in UTF-8 (first bad byte on line %(n)s): save it as "
              "\"CSV UTF-8\".", n=line), field)


def _csv_rows(data: bytes, encodings, field) -> Iterator[list[str]]:
    text = _decode(data, encodings, field)
    if "\x00" in text:
        _refuse(_("The file contains binary data: upload a CSV or XLSX file."), field)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        yield from reader
    except csv.Error as error:  # e.g. a field over csv's own size limit
        _refuse(_("The CSV file could not be read: %(e)s", e=str(error)), field)


def check_zip(data: bytes, *, max_uncompressed_bytes: int,
              max_zip_entries: int = DEFAULT_MAX_ZIP_ENTRIES,
              max_ratio: int = DEFAULT_MAX_RATIO, field: str = "file") -> None:
    """Refuse a zip (XLSX) with too many parts, too much declared data, or a bomb's ratio."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        _refuse(_("The file is not a valid XLSX workbook."), field)
    infos = archive.infolist()
    if len(infos) > max_zip_entries:
        _refuse(_("The workbook has too many parts."), field)
    total = sum(i.file_size for i in infos)
    bomb = any(i.file_size > RATIO_CHECK_FROM
               and i.file_size > max_ratio * max(i.compress_size, 1) for i in infos)
    if total > max_uncompressed_bytes or bomb:
        _refuse(_("The workbook unpacks to too much data: refused."), field)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _xlsx_rows(data, max_columns, max_uncompressed_bytes, max_zip_entries, max_ratio,
               field) -> Iterator[list[str]]:
    check_zip(data, max_uncompressed_bytes=max_uncompressed_bytes,
              max_zip_entries=max_zip_entries, max_ratio=max_ratio, field=field)
    # Imported on first use: openpyxl takes a noticeable time to import and only XLSX
    # downloads and uploads need it.
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        sheet = workbook.worksheets[0]
    except Exception:  # noqa: BLE001 - any parser failure is "not a workbook" to the user
        _refuse(_("The file is not a valid XLSX workbook."), field)
    try:
        # max_col bounds each row whatever dimension the sheet claims (A1:XFD1048576);
        # one column more tells a too-wide row from a full one.
        rows = sheet.iter_rows(values_only=True, max_col=max_columns + 1)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception:  # noqa: BLE001 - a broken part found while streaming
                _refuse(_("The file is not a valid XLSX workbook."), field)
            yield [_cell_text(v) for v in row]
    finally:
        workbook.close()


# --- attachments -------------------------------------------------------------------------------


def read_attachment(file_storage, *, allowed: tuple[str, ...] = ("pdf", "jpeg", "png"),
                    max_bytes: int, field: str = "file") -> tuple[str, bytes]:
    """An uploaded document or picture as ``(kind, bytes)``, its kind told by its content.

    The file's name and the browser's content type are ignored: a page renamed ``.pdf``
    is refused.
    """
    data = read_bytes(file_storage, max_bytes, field=field)
    for kind in allowed:
        if any(data.startswith(magic) for magic in ATTACHMENT_MAGIC[kind]):
            return kind, data
    names = ", ".join(k.upper() for k in allowed)
    _refuse(_("This kind of file is not accepted (allowed: %(kinds)s).", kinds=names), field)
