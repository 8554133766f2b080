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
# A cover without charts and with at most this many table rows (headers and totals
# included) fits its first page.
SHORT_COVER_ROWS = 16


def _render_chunk(html: str, root: str) -> bytes:
    """One chunk's PDF (runs in a worker process: plain strings in, bytes out)."""
    # Imported where a PDF is made, as in core.pdf: WeasyPrint loads Pango and Cairo, which
    # no other page or job needs.
    from weasyprint import HTML

    fetcher = make_url_fetcher(Path(root))
    return HTML(string=html, base_url=ASSET_BASE_URL, url_fetcher=fetcher).write_pdf()


def _page_counter(total: int) -> str:
    """CSS ``content`` for the footer: "Page <counter> of <total>", translated, the total
    known in advance (each chunk starts its page counter at its first page's number)."""
    text = _("Page %(x)s of %(y)s", x="\x00", y=total)
    before, _sep, after = text.partition("\x00")
    return f"{css_string(before)} counter(page) {css_string(after)}"


# The fixed pages' geometry (templates/reports/pdf/chunk.html): A4 landscape less the
# margins, cells of 7.5 pt text with 1.2 mm padding each side, columns of equal width.
TABLE_WIDTH_MM = 297 - 20 - 15
CELL_PADDING_MM = 2 * 1.2 + 0.2
EM_MM = 7.5 * 25.4 / 72
# Upper bounds of DejaVu Sans advance widths, regular or bold (the larger), in em, rounded
# up to 0.1 em: ASCII, Latin-1, Cyrillic and a few signs; anything else counts as wider than
# any glyph of the font (2.02 em at most) or of another font it may fall back on.
_WIDTHS = (
    (0.4, " ',./:;IJ\\ijl|\xa0¦·ÌÍÎÏìíîïІЇЈіїј"),
    (0.5, '!()-[]_`frt¡§¨\xad¯°²³´¸¹–'),
    (0.6, '"*?cszªº¿çгзстэѓєѕ'),
    (0.7, '$0123456789EFLTaekovxy¢£¤¥«¶»ÈÉÊËàáâãäåèéêëðòóôõöøýÿЁЃГЕТабвекнопухчьяѐёќўџ₽“”„'),
    (0.8, 'ABCKPRSVXYZbdghnpqu{}µÀÁÂÃÄÅÇÝÞßñùúûüþЄЅЎАБВЗРСУХЬЭЯийлрцъђћѝ'),
    (0.9, '#&+<=>DGHNOQU^~¬±ÐÑÒÓÔÕÖ×ØÙÚÛÜ÷ЂЋЌЍЏДИЙКЛНОПЧдм'),
    (1.0, '@Mw©®МФЦЪжфыюљњ—…'),
    (1.1, '%m¼½¾ÆæЫш'),
    (1.2, 'WЉЊЮщ'),
    (1.3, 'ЖШ№'),
    (1.4, 'Щ'),
)
WIDTH_EM = {char: width for width, chars in _WIDTHS for char in chars}
NARROWEST_EM, OTHER_EM = 0.4, 2.1


def text_width_em(text: str) -> float:
    """An upper bound of the text's width in em (DejaVu Sans, regular or bold)."""
    return sum(WIDTH_EM.get(c, OTHER_EM) for c in text)


def column_room_em(columns: list) -> float:
    """The width a cell's text has on fixed pages, in em (columns of equal width)."""
    return (TABLE_WIDTH_MM / max(len(columns), 1) - CELL_PADDING_MM) / EM_MM


def may_overflow(text: str, room: float) -> bool:
    """Whether the text may be wider than ``room`` em (never wrong the other way)."""
    return len(text) * NARROWEST_EM > room or (
        len(text) * OTHER_EM > room and text_width_em(text) > room)


def fits_fixed_pages(labels: list[str], rows: list[list[str]]) -> bool:
    """Whether every header and cell fits its column on fixed pages, nothing clipped."""
    room = column_room_em(labels)
    return not any(may_overflow(text, room) for row in (labels, *rows) for text in row)


def cell_classes(columns: list[dict], rows: list[list[str]]) -> list[list[tuple]]:
    """Rows of ``(text, css class)``: ``num`` right-aligns, ``clip`` hides what may not fit
    the column (cells never wrap; clipping every cell would double the drawing time)."""
    room = column_room_em(columns)
    numeric = ["num" if c["numeric"] else "" for c in columns]
    return [[(text, f"{css} clip".lstrip() if may_overflow(text, room) else css)
             for text, css in zip(row, numeric, strict=True)] for row in rows]


def workers() -> int:
    configured = current_app.config.get("PDF_WORKERS")
    return max(int(configured or os.cpu_count() or 1), 1)


def paginate(rows: list, per_page: int | None = None) -> list[list]:
    per_page = per_page or ROWS_PER_PAGE
    return [rows[i:i + per_page] for i in range(0, len(rows), per_page)] or [[]]


def render_table_pdf(context: dict, long_tables: list[dict], *, title: str, author: str,
                     header: dict | None = None, processes: int | None = None) -> bytes:
    """A PDF of a cover page (``context``: title, company, period, scope note, notes, the
    short tables, charts) and then each long table (``{"title", "columns", "rows"}``, rows
    of formatted strings, its total row last) on fixed-height pages."""
    # Loaded once in the parent (Pango, Cairo, fonts), so forked workers inherit it ready.
    import weasyprint  # noqa: F401

    pages = [{"title": table["title"], "columns": table["columns"],
              "rows": cell_classes(table["columns"], rows)}
             for table in long_tables for rows in paginate(table["rows"])]
    root = str(static_root())
    per_chunk = int(current_app.config["PDF_PAGES_PER_CHUNK"])

    # The cover may run over several pages (charts, short tables); it is numbered by the page
    # counter against the total. A cover that surely fits one page (no chart, a few short
    # rows) renders at the same time as the chunks; another one first, on its own, to know
    # where the chunks' page numbers start.
    def cover(total: int) -> str:
        return render_html("reports/pdf/chunk.html", {
            **context, "cover": True, "pages": [], "first_page": 1,
            "page_counter": _page_counter(total)}, title=title, header=header)

    def chunks(cover_pages: int) -> list[str]:
        counter = _page_counter(cover_pages + len(pages))
        return [render_html("reports/pdf/chunk.html", {
            **context, "cover": False, "pages": pages[start:start + per_chunk],
            "first_page": cover_pages + start + 1, "page_counter": counter},
            title=title, header=header) for start in range(0, len(pages), per_chunk)]

    def page_count(pdf: bytes) -> int:
        return len(PdfReader(io.BytesIO(pdf)).pages)

    one_page_cover = not context.get("charts") and sum(
        len(t["rows"]) + 2 for t in context.get("tables", ())) <= SHORT_COVER_ROWS
    cover_pdf, cover_pages = None, 1
    if not one_page_cover:
        cover_pdf = _render_chunk(cover(1 + len(pages)), root)
        cover_pages = page_count(cover_pdf)
        if cover_pages != 1:
            cover_pdf = _render_chunk(cover(cover_pages + len(pages)), root)
    planned = chunks(cover_pages)
    jobs = ([cover(1 + len(pages))] if cover_pdf is None else []) + planned
    count = min(processes or workers(), len(jobs))
    if count > 1:
        with ProcessPoolExecutor(max_workers=count,
                                 mp_context=multiprocessing.get_context("fork")) as pool:
            parts = list(pool.map(_render_chunk, jobs, [root] * len(jobs)))
    else:
        parts = [_render_chunk(html, root) for html in jobs]
    if cover_pdf is None:
        cover_pdf = parts.pop(0)
        if page_count(cover_pdf) != 1:  # longer than foreseen: numbered again, sequentially
            cover_pages = page_count(cover_pdf)
            cover_pdf = _render_chunk(cover(cover_pages + len(pages)), root)
            parts = [_render_chunk(html, root) for html in chunks(cover_pages)]
    total_pages = cover_pages + len(pages)
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
