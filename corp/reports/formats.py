"""A report as a file: CSV/XLSX through ``core.downloads``, PDF through ``core.pdf``, ZIP."""

from datetime import date, datetime
from decimal import Decimal

from flask import current_app
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _

from core import downloads
from core.pdf import render_pdf
from core.ui import money
from corp.billing.documents import documents_zip
from corp.reports import charts
from corp.reports.builders import REPORT_TYPES, Report, Table
from corp.reports.pdf_parallel import fits_fixed_pages, render_table_pdf

MIMETYPES = {
    "csv": downloads.CSV_MIMETYPE,
    "xlsx": downloads.XLSX_MIMETYPE,
    "pdf": "application/pdf",
    "zip": "application/zip",
}


def file_cell(value, kind: str):
    """A value as a spreadsheet cell: amounts as 1234.50, times in the portal's zone."""
    if value is None:
        return ""
    if kind == "money" and isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return format_datetime(value, "yyyy-MM-dd HH:mm:ss")
    if isinstance(value, date):
        return value.isoformat()
    return value


def screen_cell(value, kind: str) -> str:
    """A value as the page and the PDF show it: ``1 234,56 ₽``, dd.mm.yyyy."""
    if value is None or value == "":
        return ""
    if kind == "money":
        return money(value)
    if isinstance(value, datetime):
        return format_datetime(value, "dd.MM.yyyy HH:mm:ss")
    if isinstance(value, date):
        return format_date(value, "dd.MM.yyyy")
    return str(value)


def table_rows(table: Table, cell=file_cell, with_total: bool = True):
    kinds = [c.kind for c in table.columns]
    for row in table.rows:
        yield [cell(v, k) for v, k in zip(row, kinds, strict=True)]
    if with_total and table.total is not None:
        yield [cell(v, k) for v, k in zip(table.total, kinds, strict=True)]


def filename(report: Report, fmt: str) -> str:
    period = ""
    if report.period is not None:
        period = f"-{report.period.first:%Y%m%d}-{report.period.last:%Y%m%d}"
    return f"{report.type}{period}.{fmt}"


def write(report: Report, fmt: str, fileobj) -> None:
    """Write the report in ``fmt`` (one of the type's formats) to a binary file object."""
    if fmt not in REPORT_TYPES[report.type][1]:
        raise ValueError(f"{report.type} has no {fmt}")
    if fmt in ("csv", "xlsx"):
        table = report.detail
        header = [c.label for c in table.columns]
        if fmt == "csv":
            downloads.write_csv(fileobj, header, table_rows(table))
        else:
            downloads.write_xlsx(fileobj, header, table_rows(table), sheet_title=report.title)
    elif fmt == "pdf":
        fileobj.write(pdf_bytes(report))
    else:
        fileobj.write(documents_zip(report.documents))


def plain_table(table: Table, with_total: bool = True) -> dict:
    return {"title": table.title,
            "columns": [{"label": c.label, "numeric": c.kind in ("money", "int")}
                        for c in table.columns],
            "rows": [[screen_cell(v, c.kind) for v, c in zip(row, table.columns, strict=True)]
                     for row in table.rows],
            "total": [screen_cell(v, c.kind) for v, c in zip(table.total, table.columns,
                                                              strict=True)]
            if with_total and table.total is not None else None}


def pdf_context(report: Report) -> dict:
    """Plain values for the report's PDF template."""
    tables = [plain_table(t) for t in report.summary]
    if report.detail_in_pdf and report.detail is not None:
        tables.append(plain_table(report.detail))
    return {"title": report.title, "company": report.company,
            "period": report.period.label() if report.period else "",
            "scope_note": report.scope_note, "notes": list(report.notes), "tables": tables,
            "charts": [charts.render_inline(report.actor, name)
                       for name in report.chart_names]}


def pdf_header(report: Report) -> dict:
    period = report.period.label() if report.period else ""
    return {"left": report.company, "right": " · ".join(x for x in (report.title, period) if x)}




def pdf_bytes(report: Report) -> bytes:
    """The report as PDF (scope note on the first page, page X of Y on every page)."""
    limit = current_app.config["PDF_PARALLEL_MIN_ROWS"]
    tables = list(report.summary)
    if report.detail_in_pdf and report.detail is not None:
        tables.append(report.detail)
    for table in tables:
        if not isinstance(table.rows, list):
            table.rows = list(table.rows)
    long = [t for t in tables if len(t.rows) > limit]
    # Fixed pages never wrap a cell: a long table whose text may not fit its columns (long
    # node paths, many columns) is laid out as one document instead, nothing cut off.
    cells = [list(table_rows(t, cell=screen_cell)) for t in long]
    if long and all(fits_fixed_pages([c.label for c in t.columns], rows)
                    for t, rows in zip(long, cells, strict=True)):
        return parallel_pdf_bytes(report, [t for t in tables if t not in long], long, cells)
    return render_pdf("reports/pdf/report.html", pdf_context(report),
                      title=f"{report.title} — {report.company}", author=report.company,
                      pdf_variant=None, header=pdf_header(report))


def empty_label() -> str:
    return _("No rows.")


def parallel_pdf_bytes(report: Report, short: list[Table], long: list[Table],
                       cells: list[list] | None = None, processes: int | None = None) -> bytes:
    """A report with long tables (call detail, expenses by node): the short tables and the
    charts on the cover, the long ones on fixed-height pages rendered in parallel chunks."""
    cover = Report(report.type, report.title, report.company, report.period,
                   report.scope_note, short, None, report.notes,
                   chart_names=report.chart_names, actor=report.actor)
    long_tables = [{"title": t.title,
                    "columns": [{"label": c.label, "numeric": c.kind in ("money", "int")}
                                for c in t.columns],
                    "rows": rows if rows is not None else list(table_rows(t, cell=screen_cell))}
                   for t, rows in zip(long, cells or [None] * len(long), strict=True)]
    return render_table_pdf(pdf_context(cover), long_tables,
                            title=f"{report.title} — {report.company}",
                            author=report.company, header=pdf_header(report),
                            processes=processes)
