"""In a real headless Chromium: sign in, open the tree, open a line card, sign out."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def test_sign_in_tree_line_card_sign_out(page):
    browser_login(page, "admin@romashka.example")
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.get_by_test_id("by-status")).to_be_visible()

    page.get_by_role("link", name=re.compile("Иерархия|Hierarchy")).first.click()
    tree = page.get_by_test_id("tree")
    expect(tree).to_contain_text("Санкт-Петербург")
    expect(tree).to_contain_text("1200")

    page.goto("/lines?q=9161000007")
    page.get_by_test_id("line-link").first.click()
    expect(page.get_by_test_id("line-msisdn")).to_have_text("+7 916 100-00-07")
    expect(page.get_by_test_id("line-tariff")).not_to_be_empty()

    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/login"))
    page.goto("/lines")
    expect(page).to_have_url(re.compile(r"/login"))


def test_wrong_password_is_refused_with_a_message(page):
    browser_login(page, "admin@romashka.example", "not-the-password")
    expect(page.locator(".alert-danger")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/login"))
