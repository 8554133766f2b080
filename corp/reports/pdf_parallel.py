"""Long tables as PDF in parallel: fixed-height pages, rendered in chunks by several
processes, joined with pypdf, numbered "page X of Y" across the whole document.

WeasyPrint lays a table out in one pass whose cost grows with the page count, on one core.
A call detail of thousands of rows is paginated here instead: every page holds exactly
``ROWS_PER_PAGE`` rows of one line each (cells never wrap), so the page count is known
before rendering, each page prints its own folio, and any run of pages can be rendered on
its own. Built on ``core.pdf``: the same template furniture (``render_html``), the same
static-only URL fetcher and fonts; only the split and the join are added.
"""

import io
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from pypdf import PdfReader, PdfWriter

from core.pdf import ASSET_BASE_URL, css_string, make_url_fetcher, render_html, static_root

ROWS_PER_PAGE = 26


def _render_chunk(html: str, root: str) -> bytes:
    """One chunk's PDF (runs in a worker process: plain strings in, bytes out)."""
    # Imported where a PDF is made, as in core.pdf: WeasyPrint loads Pango and Cairo, which
    # no other page or job needs.
    from weasyprint import HTML

    fetcher = make_url_fetcher(Path(root))
    return HTML(string=html, base_url=ASSET_BASE_URL, url_fetcher=fetcher).write_pdf()


def _cover_counter(total: int) -> str:
    """CSS ``content`` for the cover's footer: "Page <counter> of <total>", translated."""
    text = _("Page %(x)s of %(y)s", x="\x00", y=total)
    before, _sep, after = text.partition("\x00")
    return f"{css_string(before)} counter(page) {css_string(after)}"


def workers() -> int:
    configured = current_app.config.get("PDF_WORKERS")
    return max(int(configured or os.cpu_count() or 1), 1)


def paginate(rows: list, per_page: int = ROWS_PER_PAGE) -> list[list]:
    return [rows[i:i + per_page] for i in range(0, len(rows), per_page)] or [[]]


def render_table_pdf(context: dict, long_tables: list[dict], *, title: str, author: str,
                     header: dict | None = None, processes: int | None = None) -> bytes:
    """A PDF of a cover page (``context``: title, company, period, scope note, notes, the
    short tables, charts) and then each long table (``{"title", "columns", "rows"}``, rows
    of formatted strings, its total row last) on fixed-height pages."""
    pages = [{"title": table["title"], "columns": table["columns"], "rows": rows}
             for table in long_tables for rows in paginate(table["rows"])]
    root = str(static_root())

    # The cover first, on its own: it may run over several pages (charts, short tables),
    # numbered by the page counter against the total, which then is known.
    def cover(total: int) -> bytes:
        return _render_chunk(render_html("reports/pdf/chunk.html", {
            **context, "cover": True, "pages": [], "cover_counter": _cover_counter(total)},
            title=title, header=header), root)

    cover_pdf = cover(1 + len(pages))
    cover_pages = len(PdfReader(io.BytesIO(cover_pdf)).pages)
    total_pages = cover_pages + len(pages)
    if cover_pages != 1:
        cover_pdf = cover(total_pages)
    chunks = []
    per_chunk = int(current_app.config["PDF_PAGES_PER_CHUNK"])
    for start in range(0, len(pages), per_chunk):
        chunks.append(render_html("reports/pdf/chunk.html", {
            **context, "cover": False, "pages": pages[start:start + per_chunk],
            "first_page": cover_pages + start + 1, "total_pages": total_pages},
            title=title, header=header))
    count = min(processes or workers(), len(chunks))
    if count > 1:
        with ProcessPoolExecutor(max_workers=count,
                                 mp_context=multiprocessing.get_context("fork")) as pool:
            parts = list(pool.map(_render_chunk, chunks, [root] * len(chunks)))
    else:
        parts = [_render_chunk(html, root) for html in chunks]
    parts.insert(0, cover_pdf)
    writer = PdfWriter()
    for part in parts:
        writer.append(io.BytesIO(part))
    writer.add_metadata({"/Title": title, "/Author": author, "/Producer": "WeasyPrint"})
    out = io.BytesIO()
    writer.write(out)
    if len(writer.pages) != total_pages:  # a row wrapped or overflowed: numbering is wrong
        raise RuntimeError(f"planned {total_pages} pages, rendered {len(writer.pages)}")
    return out.getvalue()
