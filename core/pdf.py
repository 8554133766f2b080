"""One PDF renderer for the portal: Jinja template → WeasyPrint → bytes.

Every PDF of the portal (application forms, financial documents, reports) goes through
:func:`render_pdf`, so the rules live in one place:

- templates get plain values only (no ORM objects: a template must not lazy-load data);
- Jinja autoescaping is on, so text typed by users comes out literally;
- the URL fetcher serves only files of the project's own ``static/`` folder, addressed
  relative to the document (``static/app.css``): no ``file://``, no network, no ``data:``;
- the text uses DejaVu fonts (Debian ``fonts-dejavu-core``, Cyrillic included), which
  WeasyPrint embeds as subsets;
- a running header (the operator's details) and a "page X of Y" footer on every page;
- title and author metadata; PDF/A-3b by default.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template
from flask_babel import gettext as _

from core.extensions import db

# The document's base URL: a host under the reserved ``.invalid`` TLD that can never
# resolve. Relative references (``static/app.css``) become URLs under it, which the fetcher
# maps to files of ``static/``; everything else is refused without touching the network.
ASSET_BASE_URL = "https://assets.invalid/"
STATIC_PREFIX = ASSET_BASE_URL + "static/"
FONT_FAMILY = '"DejaVu Sans", "DejaVu Sans Condensed", sans-serif'
log = logging.getLogger(__name__)


class AssetRefused(ValueError):
    """A resource the PDF renderer will not fetch (outside the project's static files)."""


def static_root() -> Path:
    """The project's ``static/`` folder, the only place a PDF may load files from."""
    return Path(current_app.static_folder).resolve()


def resolve_asset(url: str, root: Path) -> Path:
    """Map an asset URL to a file of ``root``, or raise :class:`AssetRefused`."""
    if not url.startswith(STATIC_PREFIX):
        raise AssetRefused(f"refused to fetch {url[:200]!r}")
    parts = urlsplit(url)
    relative = unquote(parts.path).removeprefix("/static/")
    if not relative or "\\" in relative or "\x00" in relative:
        raise AssetRefused(f"refused to fetch {url[:200]!r}")
    candidate = (root / relative).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        raise AssetRefused(f"refused to fetch {url[:200]!r}")
    return candidate


MIME_TYPES = {
    ".css": "text/css",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}


def make_url_fetcher(root: Path):
    """A WeasyPrint URL fetcher that serves files of ``root`` and refuses anything else."""
    # Imported where a PDF is made: WeasyPrint loads Pango and Cairo (about half a second),
    # which no other page, job or worker start needs.
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Serves the project's static files; refuses file://, data:, http(s) and the rest."""

        def __init__(self):
            super().__init__(allowed_protocols=())
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            try:
                path = resolve_asset(url, root)
            except AssetRefused:
                self.refused.append(url)
                log.warning("PDF renderer refused to fetch %.200s", url)
                raise
            mime = MIME_TYPES.get(path.suffix.lower())
            if mime is None:
                self.refused.append(url)
                raise AssetRefused(f"refused to fetch {url[:200]!r}")
            return URLFetcherResponse(
                url, path.read_bytes(), headers={"Content-Type": mime}, status=200
            )

    return StaticOnlyFetcher()


def css_string(value: str) -> str:
    """Quote ``value`` as a CSS string literal (for ``content:``), escaping what could end it."""
    out = []
    for char in str(value):
        if char in '"\\' or ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\{ord(char):x} ")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def page_counter_css() -> str:
    """CSS ``content`` for the footer: the translated "Page X of Y" with live counters."""
    template = _("Page {page} of {pages}")
    before, _sep, rest = template.partition("{page}")
    middle, _sep, after = rest.partition("{pages}")
    return " ".join(
        [css_string(before), "counter(page)", css_string(middle), "counter(pages)",
         css_string(after)]
    )


def _check_plain(value, path: str = "context") -> None:
    """Refuse ORM objects in the template context: templates get plain values only."""
    if isinstance(value, db.Model):
        raise TypeError(f"{path} is an ORM object ({type(value).__name__}); pass plain values")
    if isinstance(value, dict):
        for key, item in value.items():
            _check_plain(item, f"{path}[{key!r}]")
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            _check_plain(item, f"{path}[{index}]")


def render_html(template_name: str, context: dict, *, title: str, header: dict | None) -> str:
    """Render the template with the PDF page furniture (header, footer, fonts) in context."""
    _check_plain(context)
    header = {key: str(value) for key, value in (header or {}).items() if value}
    return render_template(
        template_name,
        **context,
        pdf_title=title,
        pdf_header=header,
        pdf_page_counter=page_counter_css(),
        pdf_font_family=FONT_FAMILY,
    )


def render_pdf(
    template_name: str,
    context: dict,
    *,
    title: str,
    author: str,
    pdf_variant: str | None = "pdf/a-3b",
    header: dict | None = None,
) -> bytes:
    """Render ``template_name`` (extending ``pdf/base.html``) with ``context`` to PDF bytes.

    ``header`` holds plain strings shown at the top of every page: ``left`` (e.g. the
    operator's name and details), ``right`` (e.g. the document number). Needs an app
    context (templates, translations, the static folder).
    """
    # Imported where a PDF is made: WeasyPrint loads Pango and Cairo (about half a second),
    # which no other page, job or worker start needs.
    from weasyprint import HTML

    html = render_html(template_name, context, title=title, header=header)
    fetcher = make_url_fetcher(static_root())
    document = HTML(string=html, base_url=ASSET_BASE_URL, url_fetcher=fetcher).render()
    document.metadata.title = title
    document.metadata.authors = [author]
    return document.write_pdf(pdf_variant=pdf_variant)
