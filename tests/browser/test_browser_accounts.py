"""In a real Chromium: forgot password → code from the mail → new password → signed in;
turn two-factor sign-in on, sign out, sign in again with the authenticator's code."""

import re
import time
from email import message_from_bytes, policy
from email.utils import getaddresses
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, browser_login

pytestmark = pytest.mark.browser


def _new_user(live_server, label: str) -> str:
    """A user of ООО «Ромашка» in the live server's database, with the demo password."""
    from auth.models import User
    from auth.passwords import hash_password
    from core.extensions import db

    email = f"{label}.{time.time_ns()}@romashka.example"
    with live_server.app.app_context():
        db.session.add(User(company_id=1, email=email, name="Браузерный Тест",
                            password_hash=hash_password(PASSWORD)))
        db.session.commit()
        db.session.remove()
    return email


def _code_mailed_to(live_server, email: str) -> str:
    folder = Path(live_server.app.config["MAIL_OUTBOX_DIR"])
    for _attempt in range(50):
        for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns,
                           reverse=True):
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            if email in {a for _n, a in getaddresses([str(message["To"])])}:
                text = message.get_body(("plain",)).get_content()
                return re.search(r"\b(\d{6})\b", text).group(1)
        time.sleep(0.1)
    raise AssertionError(f"no mail to {email}")


def test_forgot_password_code_from_the_mail_new_password_signed_in(page, live_server):
    email = _new_user(live_server, "forgot")
    page.goto("/login")
    page.get_by_test_id("forgot-password").click()
    page.fill("input[name=email]", email)
    page.get_by_test_id("send-code").click()
    expect(page).to_have_url(re.compile(r"/login/reset"))
    code = _code_mailed_to(live_server, email)
    page.fill("input[name=code]", code)
    page.fill("input[name=new_password]", "Quiet-river-morning-19")
    page.fill("input[name=confirm]", "Quiet-river-morning-19")
    page.get_by_test_id("set-password").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.get_by_test_id("logout")).to_be_visible()
    # The old password no longer works; the new one does.
    page.get_by_test_id("logout").click()
    browser_login(page, email)
    expect(page.locator(".alert-danger")).to_be_visible()
    browser_login(page, email, "Quiet-river-morning-19")
    expect(page).to_have_url(re.compile(r"/dashboard$"))


def test_enable_two_factor_sign_out_sign_in_with_the_code(page, live_server):
    email = _new_user(live_server, "totp")
    browser_login(page, email)
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    page.goto("/account")
    page.get_by_test_id("totp-setup").click()
    page.get_by_test_id("totp-start").click()
    expect(page.locator(".qr-code svg")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.get_by_test_id("totp-confirm").click()
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)

    page.get_by_test_id("logout").click()
    browser_login(page, email)
    expect(page).to_have_url(re.compile(r"/login/code"))
    # The next step's code: the one used for the set-up cannot be used again.
    page.fill("input[name=otp]", pyotp.TOTP(secret).at(time.time(), counter_offset=1))
    page.get_by_test_id("submit-code").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.get_by_test_id("logout")).to_be_visible()
