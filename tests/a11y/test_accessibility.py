"""WCAG 2.1 AA on every page a demo user can reach, in Russian and English, and at phone width.

For each demo user (and the signed-out visitor) the crawl follows every same-origin link from
the menu, runs axe-core's WCAG 2.0/2.1 A and AA rules on each page and checks that at 390 px
the page does not scroll sideways. It fails listing every violation: user, page, rule, target.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.a11y.crawl import DESKTOP, MAX_PAGES, crawl, pattern
from tests.conftest import browser_login

pytestmark = pytest.mark.browser

DEMO_USERS = [
    "admin@romashka.example",
    "sales.head@romashka.example",
    "accountant@romashka.example",
    "admin@vector.example",
    "staff@operator.example",
]


LONG_ADDRESS = "accounts.payable.department.north-west-region@romashka-corporate.example"


@pytest.fixture(scope="module", autouse=True)
def a_request_to_the_operator(live_server):
    """A claim with a comment each way, so that the request card and the staff queue's card
    are crawled too (the demo data has no requests); its subject is one long unbreakable
    address, which must wrap on a phone."""
    from sqlalchemy import select

    from auth.models import User
    from core.extensions import db
    from corp.requests import service

    with live_server.app.app_context():
        admin, staff = (db.session.scalar(select(User).where(User.email == email))
                        for email in ("admin@romashka.example", "staff@operator.example"))
        item = service.create_request(admin, kind="claim", subject=LONG_ADDRESS,
                                      text=f"Invoices sent to {LONG_ADDRESS} came back.")
        service.add_comment(admin, item, LONG_ADDRESS)
        service.add_comment(staff, item, "We are looking into it.")
        db.session.commit()


def switch_language(page, locale):
    """Use the navbar's language button, as a user would."""
    if page.locator("html").get_attribute("lang") != locale:
        page.locator("form[action$='/language'] button[name=locale]").click()
        expect(page.locator("html")).to_have_attribute("lang", locale)


def assert_no_problems(reports):
    problems = [p for r in reports for p in r.problems]
    assert not problems, f"{len(problems)} accessibility problem(s):\n" + "\n".join(problems)


@pytest.mark.parametrize("email", DEMO_USERS)
def test_every_page_of_the_menu_passes_axe_and_fits_a_phone(page, live_server, email):
    page.set_viewport_size(DESKTOP)
    browser_login(page, email)
    expect(page).not_to_have_url(re.compile(r"/login"))
    home = page.url
    reports = []
    for locale in ("ru", "en"):
        page.goto(home)
        switch_language(page, locale)
        entries = page.locator("#mainnav .navbar-nav a:not(.dropdown-toggle)")
        menu = entries.evaluate_all("(a) => a.map((x) => x.href)")
        report = crawl(page, live_server.url, f"{email} [{locale}]", start=home)
        reports.append(report)
        print(f"{report.who}: {len(report.visited)} pages:", *sorted(report.visited), sep="\n  ")
        # The crawl really went through the menu: every menu entry's page was checked.
        assert menu and {pattern(u) for u in menu} <= set(report.visited), (menu, report.visited)
        # ...and it ran out of pages, not of budget: nothing linked was left unchecked.
        assert len(report.visited) < MAX_PAGES, f"raise MAX_PAGES: {report.who} reached it"
    assert_no_problems(reports)


def test_sign_in_page_passes_axe_and_fits_a_phone(page, live_server):
    page.set_viewport_size(DESKTOP)
    reports = []
    for locale in ("ru", "en"):
        page.goto("/login")
        switch_language(page, locale)
        reports.append(crawl(page, live_server.url, f"signed out [{locale}]", start=page.url))
    assert all(r.visited for r in reports)
    assert_no_problems(reports)


def test_the_checks_catch_what_they_are_meant_to(page):
    """The harness itself: a page with known faults gets each of them reported."""
    from tests.a11y.crawl import VARIANT_KEYS, CrawlReport, axe_source, check_page

    page.set_viewport_size(DESKTOP)
    page.set_content(
        "<html><head><title>t</title>"
        "<style>.faint:focus-visible { outline: 3px solid #ddd; }</style></head><body><main>"
        "<button class='faint'>a pale ring</button>"
        "<table><tr><th></th><th>Sum</th></tr><tr><td>Minutes</td><td>1</td></tr></table>"
        "<img src='data:,'><input name=q>"
        "<p style='color:#ffc107;background:#fff'>blocked: 3</p>"
        "<a href='#x'>a link with the browser's faint default ring</a>"
        "<div style='width:600px'>wide</div>"
        "<div class='table-responsive' style='overflow-x:auto'>"
        "<span class='escapee' style='position:absolute;left:500px'>hidden text</span></div>"
        "<form action='http://portal.test/reports'><input type=hidden name=show value=1>"
        "<select name=type><option value=a>A</option><option value=b>B</option></select></form>"
        "</main></body></html>"
    )
    report = CrawlReport("harness")
    check_page(page, report, "about:blank", axe_source())
    found = "\n".join(report.problems)
    for rule in ("html-has-lang", "image-alt", "label", "color-contrast", "empty-table-header",
                 "focus-ring", "skip-link", "phone-width"):
        assert f" · {rule} · " in found, found
    assert "button.faint (ring rgb(221, 221, 221) is 1.3" in found, found
    # An absolutely placed text escapes a scroll box that is not positioned: it is named.
    assert "span.escapee" in found, found
    # A GET form is followed with its defaults, and once per kind of report.
    links = page.evaluate("(keys) => vmA11y.formLinks(keys)", VARIANT_KEYS)
    assert [link.split("/")[-1] for link in links] == [
        "reports?show=1&type=a", "reports?show=1&type=a", "reports?show=1&type=b"], links
