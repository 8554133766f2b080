"""Keyboard use (skip link, the tree, confirmations) and a navbar that fits on one line."""

import re

import pytest
from playwright.sync_api import expect

from core.extensions import db
from tests.a11y.crawl import axe_source
from tests.a11y.test_accessibility import switch_language
from tests.conftest import browser_login
from tests.factories import make_user, node_named

pytestmark = pytest.mark.browser

def test_skip_link_is_the_first_stop_and_moves_focus_to_the_content(page):
    browser_login(page, "sales.head@romashka.example")
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    page.goto("/lines")
    page.keyboard.press("Tab")
    skip = page.get_by_test_id("skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_text("Перейти к содержимому")
    box = skip.bounding_box()
    assert box and box["y"] >= 0 and box["height"] > 10, box  # shown while focused
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    # The next Tab lands on the page's own first control, past the whole menu.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")
    expect(page.locator("main input[name=q]")).to_be_focused()


def test_sign_in_page_starts_in_its_form_and_has_the_skip_link_first(page):
    page.goto("/login")
    expect(page.locator("main input[name=email]")).to_be_focused()  # autofocus
    page.evaluate(axe_source())
    assert page.evaluate("() => vmA11y.firstFocusable()") == "skip-link"
    page.get_by_test_id("skip-link").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.locator("main input[name=email]")).to_be_focused()


def test_the_tree_works_from_the_keyboard(page):
    browser_login(page, "admin@romashka.example")
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    page.goto("/hierarchy")
    moscow = page.locator("li[data-name='Москва']").first
    summary = moscow.locator(":scope > details > summary")
    count = re.search(r"(\d+)\s+номер", summary.inner_text().replace("\u00a0", " ")).group(1)
    details = moscow.locator(":scope > details")
    # Tab through the page until the Moscow row has the focus, as a keyboard user would.
    for _ in range(60):
        page.keyboard.press("Tab")
        if summary.evaluate("(s) => s === document.activeElement"):
            break
    expect(summary).to_be_focused()
    assert summary.locator("a, button, input, select").count() == 0  # nothing nested inside
    was_open = details.evaluate("(d) => d.open")
    page.keyboard.press("Enter")
    assert details.evaluate("(d) => d.open") != was_open
    if was_open:
        page.keyboard.press("Enter")
    expect(details).to_have_attribute("open", "")
    # The node's links follow its row in the Tab order; Enter on "Lines" opens its lines.
    page.keyboard.press("Tab")
    link = moscow.locator(":scope > details > .vm-node-links [data-testid=node-count]")
    expect(link).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/lines\?node_id=\d+$"))
    expect(page.get_by_test_id("lines-total")).to_have_text(f"найдено: {count}")


def test_a_confirmation_returns_focus_to_its_button(page, live_server):
    """Confirmations are the browser's own modal dialog (it traps focus); when it closes,
    focus is back on the button that opened it and nothing was done."""
    with live_server.app.app_context():
        user = make_user(1, role="viewer", node=node_named(1, "Казань"))
        user_id = user.id
        db.session.commit()
    browser_login(page, "admin@romashka.example")
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    page.goto(f"/admin/users/{user_id}")
    disable = page.get_by_test_id("user-disable")
    messages = []

    def dismiss(dialog):
        messages.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    disable.focus()
    page.keyboard.press("Enter")
    expect(disable).to_be_focused()
    assert len(messages) == 1, messages  # the question was asked, and answered "no"
    page.goto(f"/admin/users/{user_id}")
    expect(page.get_by_test_id("user-status")).to_have_text("активен")


NAV_ROW_JS = """() => {
  const items = Array.from(document.querySelectorAll(
    '.navbar-brand, #mainnav .nav-link, #mainnav button, #mainnav .navbar-text'))
    .filter((el) => el.getBoundingClientRect().width > 0)
    .map((el) => {
      const r = el.getBoundingClientRect();
      return {text: el.textContent.trim(), top: r.top, bottom: r.bottom, right: r.right};
    });
  return {items, width: window.innerWidth};
}"""


@pytest.mark.parametrize("email", ["admin@romashka.example", "staff@operator.example"])
@pytest.mark.parametrize("locale", ["ru", "en"])
def test_the_navbar_fits_on_one_line_at_1400px(page, email, locale):
    page.set_viewport_size({"width": 1400, "height": 900})
    browser_login(page, email)
    expect(page).not_to_have_url(re.compile(r"/login"))
    switch_language(page, locale)
    page.goto("/")  # measured once the page and its styles have loaded
    row = page.evaluate(NAV_ROW_JS)
    items = row["items"]
    assert len(items) >= 4, items
    # One line: every item overlaps every other vertically, and none sticks out on the right.
    lowest_top = max(i["top"] for i in items)
    highest_bottom = min(i["bottom"] for i in items)
    assert lowest_top < highest_bottom, items
    assert max(i["right"] for i in items) <= row["width"], items


def test_form_errors_are_tied_to_their_fields_and_pass_axe(page, live_server):
    """A form sent back with errors: each message is announced with its field."""
    from tests.a11y.crawl import CrawlReport, check_page

    page.set_viewport_size({"width": 1400, "height": 900})
    browser_login(page, "admin@romashka.example")
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    page.goto("/admin/users/new")
    page.fill("main input[name=email]", "new.person@romashka.example")
    page.get_by_test_id("user-create").click()  # without a name
    name = page.locator("main input[name=name]")
    expect(name).to_have_attribute("aria-invalid", "true")
    error = page.locator("#" + name.get_attribute("aria-describedby"))
    expect(error).to_be_visible()
    expect(error).not_to_be_empty()
    report = CrawlReport("admin, new user with errors")
    check_page(page, report, page.url, axe_source())
    assert not report.problems, "\n".join(report.problems)


def test_menu_entries_that_do_not_fit_move_into_more(page):
    """At a width where the admin's menu cannot fit, the navbar still keeps one line and every
    entry stays reachable (under "More")."""
    page.set_viewport_size({"width": 1100, "height": 900})
    browser_login(page, "admin@romashka.example")
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    page.goto("/dashboard")
    more = page.locator("[data-nav-more]")
    expect(more).to_be_visible()
    items = page.evaluate(NAV_ROW_JS)["items"]
    assert max(i["top"] for i in items) < min(i["bottom"] for i in items), items
    assert max(i["right"] for i in items) <= 1100, items
    moved = more.locator(".dropdown-item")
    assert moved.count() >= 1
    more.locator(".dropdown-toggle").click()
    expect(moved.first).to_be_visible()
    href = moved.last.get_attribute("href")
    moved.last.click()
    expect(page).to_have_url(re.compile(re.escape(href) + "$"))
    # Wide enough again (the merged menu of every package needs a wide screen to sit on one
    # bar without "More"): every entry is back on the bar and "More" is gone.
    page.set_viewport_size({"width": 2560, "height": 900})
    expect(more).to_be_hidden()
    expect(more.locator(".dropdown-item")).to_have_count(0)
