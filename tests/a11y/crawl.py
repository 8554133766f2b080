"""Crawl the portal as a user sees it and check every page with axe-core and at phone width.

Pages join by being linked: the crawl starts from the page a user lands on after signing in
(its menu is on every page) and follows same-origin ``<a href>`` links and GET forms (submitted
with their defaults: a report, a line's call detail), one page per URL pattern (digits become
``{id}``, query values are ignored except ``VARIANT_KEYS``), up to ``MAX_PAGES``.
axe-core comes from the npm package pinned in ``tests/a11y/package-lock.json`` (installed by
``scripts/ensure-axe``) and is evaluated through the DevTools protocol, so the pages keep
their Content-Security-Policy: nothing of it is ever served to users.
"""

import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

HERE = Path(__file__).resolve().parent
AXE_JS = HERE / "node_modules" / "axe-core" / "axe.min.js"
PAGE_CHECKS_JS = HERE / "page_checks.js"  # our own checks (focus ring, overflow, links)
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Best-practice rules outside those tags that the house rules ask for all the same.
EXTRA_RULES = ["empty-table-header"]
DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
MAX_PAGES = 150  # distinct URL patterns per user and language: keeps the crawl bounded

# Never followed: leaving the session, the API, assets, and downloads (files, not pages).
SKIP_PATH = re.compile(r"^/(api/|static/|logout\b|language\b)")
DOWNLOAD_PATH = re.compile(
    r"(\.(csv|xlsx|xls|pdf|json|zip|xml|txt)$|/(export|download)s?(/|$))", re.I
)
LIST_KEYS = {"page", "per_page", "sort", "dir", "order"}
# Query keys whose value makes another page (each report kind has its own tables); a GET form
# with a select of that name is followed once per option.
VARIANT_KEYS = ["type"]
DOWNLOAD_FORMATS = {"csv", "xlsx", "xls", "pdf", "json", "zip", "xml"}


def axe_source() -> str:
    """axe-core and our page checks; a missing install fails the test (never skips it)."""
    if not AXE_JS.exists():
        raise AssertionError(f"axe-core is not installed at {AXE_JS}: run scripts/ensure-axe")
    return AXE_JS.read_text(encoding="utf-8") + "\n;\n" + PAGE_CHECKS_JS.read_text(encoding="utf-8")


def pattern(url: str) -> str:
    """The page kind of a URL: digits become ``{id}``, only the query's keys count (not
    paging or sorting: another page or order of a list is the same page)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    keys = sorted({f"{k}={v}" if k in VARIANT_KEYS else k for k, v in query
                   if k not in LIST_KEYS})
    path = re.sub(r"\d+", "{id}", parts.path)
    return path + ("?" + "&".join(keys) if keys else "")


def is_download(url: str) -> bool:
    """A link to a file (CSV/XLSX/PDF/JSON…) rather than to a page."""
    parts = urlsplit(url)
    if DOWNLOAD_PATH.search(parts.path):
        return True
    query = dict(parse_qsl(parts.query))
    return query.get("format", "").lower() in DOWNLOAD_FORMATS


def followable(url: str, origin: str) -> bool:
    """Same-origin page links the crawl may open (GET only: links never change data)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or f"{parts.scheme}://{parts.netloc}" != origin:
        return False
    return not SKIP_PATH.search(parts.path) and not is_download(url)


@dataclass
class CrawlReport:
    """What one crawl visited and what it found wrong."""

    who: str
    visited: dict = field(default_factory=dict)  # pattern → URL
    skipped: list = field(default_factory=list)
    problems: list = field(default_factory=list)

    def problem(self, url, rule, detail):
        self.problems.append(f"{self.who} · {url} · {rule} · {detail}")


def check_page(page, report: CrawlReport, url: str, source: str) -> None:
    """On the page as loaded: axe-core's WCAG 2.0/2.1 A+AA rules and the keyboard checks at
    desktop width, then no sideways scroll at 390 px."""
    if not page.evaluate("() => typeof window.vmA11y !== 'undefined'"):
        page.evaluate(source)
    page.evaluate("() => vmA11y.openDetails()")
    for v in page.evaluate("([t, r]) => vmA11y.axe(t, r)", [WCAG_TAGS, EXTRA_RULES]):
        for target in v["targets"]:
            report.problem(url, v["id"], f"{target} ({v['help']})")
    first = page.evaluate("() => vmA11y.firstFocusable()")
    if first != "skip-link" or not page.locator("main#main").count():
        report.problem(url, "skip-link", f"the first stop of Tab is {first}, not the skip link")
    page.keyboard.press("Shift+Tab")  # keyboard modality: focus shows as for keyboard users
    for target in page.evaluate("() => vmA11y.focusRings()"):
        report.problem(url, "focus-ring", target)
    page.set_viewport_size(PHONE)
    try:
        size = page.evaluate("() => vmA11y.overflow()")
    finally:
        page.set_viewport_size(DESKTOP)
    if size["scrollWidth"] > size["width"]:
        wide = ", ".join(size["wide"])
        detail = f"page is {size['scrollWidth']} px wide at {size['width']} px: {wide}"
        report.problem(url, "phone-width", detail)


def crawl(page, origin: str, who: str, start: str | None = None) -> CrawlReport:
    """Visit every page linked from ``start`` (default: where the page is now), breadth first."""
    source = axe_source()
    report = CrawlReport(who)
    queue = deque([start or page.url])
    queued = {pattern(queue[0])}
    referrer = {queue[0]: None}
    while queue and len(report.visited) < MAX_PAGES:
        url = queue.popleft()
        page.set_viewport_size(DESKTOP)
        try:
            response = page.goto(url)
        except Exception as exc:  # a link that turned out to start a download
            if "Download is starting" in str(exc):
                report.skipped.append(url)
                continue
            raise
        content_type = (response.headers.get("content-type", "") if response else "")
        if response is None or "text/html" not in content_type:
            report.skipped.append(url)
            continue
        if response.status >= 500:
            report.problem(url, "http", f"status {response.status}")
            continue
        if response.status >= 400:  # a link shown to this user that they may not follow
            detail = f"answers {response.status}; linked from {referrer[url]}"
            report.problem(url, "dead-link", detail)
        landed = pattern(page.url)  # after redirects ("/" → "/dashboard")
        if landed in report.visited:
            continue
        report.visited[landed] = page.url
        queued.add(landed)
        if not page.evaluate("() => typeof window.vmA11y !== 'undefined'"):
            page.evaluate(source)
        links = page.evaluate("() => vmA11y.links()")
        links += page.evaluate("(keys) => vmA11y.formLinks(keys)", VARIANT_KEYS)
        for link in links:
            key = pattern(link)
            if key not in queued and followable(link, origin):
                queued.add(key)
                queue.append(link)
                referrer[link] = page.url
        check_page(page, report, url, source)
    return report
