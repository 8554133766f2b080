"""In Chromium: fill and download the SIM-replacement form; file a claim with a picture and
read the operator's reply."""

import io
import re
from pathlib import Path

import pypdf
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from corp.validators import format_msisdn, luhn_check_digit
from tests.conftest import browser_login

pytestmark = pytest.mark.browser
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 128


def _a_line(live_server):
    from core.extensions import db
    from corp.models import Line

    with live_server.app.app_context():
        msisdn = db.session.scalar(select(Line.msisdn).where(
            Line.company_id == 1, Line.status == "active").order_by(Line.id.desc()))
        db.session.remove()
        return msisdn


def _switch_user(page, email):
    page.get_by_test_id("logout").click()
    browser_login(page, email)


def test_sim_replacement_form_then_a_claim_answered_by_the_operator(page, live_server,
                                                                    tmp_path):
    live_server.app.config["REQUEST_ATTACHMENTS_DIR"] = str(tmp_path)
    msisdn = _a_line(live_server)
    new_iccid = "897010269999000011" + luhn_check_digit("897010269999000011")
    browser_login(page, "admin@romashka.example")

    page.goto("/requests")
    page.get_by_test_id("forms-link").click()
    page.locator('[data-form="number_sim_change"] a').click()
    form = page.get_by_test_id("form-number_sim_change")
    expect(form.locator("#f-inn")).not_to_have_value("")  # prefilled from the company
    form.locator("#f-action").select_option("sim_replace")
    form.locator("#f-new_iccid").fill(new_iccid)
    form.locator("#f-reason").fill("Карта повреждена")
    form.locator("#f-numbers").fill(format_msisdn(msisdn))
    with page.expect_download() as download_info:
        form.get_by_test_id("download-pdf").click()
    data = Path(download_info.value.path()).read_bytes()
    assert data.startswith(b"%PDF")
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
    assert format_msisdn(msisdn) in text and new_iccid in text and "Карта повреждена" in text

    page.goto("/requests")
    page.get_by_test_id("new-claim").click()
    page.fill("#subject", "Не работает интернет в роуминге")
    page.fill("#text", "С 1 декабря не работает мобильный интернет.")
    page.set_input_files("#file", files=[{"name": "screen.png", "mimeType": "image/png",
                                          "buffer": PNG}])
    page.get_by_test_id("submit-request").click()
    expect(page.get_by_test_id("attachments")).to_contain_text("screen.png")
    request_url = page.url
    request_id = re.search(r"/requests/(\d+)", request_url).group(1)

    _switch_user(page, "staff@operator.example")
    page.goto("/staff/requests")
    page.locator(f'[data-request="{request_id}"] a').click()
    expect(page.get_by_test_id("attachments")).to_contain_text("screen.png")
    page.get_by_test_id("take").click()
    expect(page.get_by_test_id("request-status").locator("[data-status]")).to_have_attribute(
        "data-status", "in_progress")
    page.fill("#decision-comment", "Настройки роуминга обновлены, перезагрузите телефон.")
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("request-status").locator("[data-status]")).to_have_attribute(
        "data-status", "done")

    _switch_user(page, "admin@romashka.example")
    page.goto(request_url)
    expect(page.get_by_test_id("comments")).to_contain_text(
        "Настройки роуминга обновлены, перезагрузите телефон.")
    expect(page.get_by_test_id("request-status").locator("[data-status]")).to_have_attribute(
        "data-status", "done")


def _advance_line(live_server):
    """An active line of ООО «Ромашка» billed to an advance account, and that account."""
    from core.extensions import db
    from corp.models import BillingAccount, Line

    with live_server.app.app_context():
        row = db.session.execute(
            select(Line.id, BillingAccount.id, BillingAccount.number)
            .join(BillingAccount, BillingAccount.id == Line.billing_account_id)
            .where(Line.company_id == 1, Line.status == "active",
                   BillingAccount.settlement_method == "advance")
            .order_by(BillingAccount.id.desc(), Line.id)).first()
        db.session.remove()
        return row


def _credit_request_of(live_server, account_id):
    from core.extensions import db
    from corp.operations.models import Operation
    from corp.requests.models import Request

    with live_server.app.app_context():
        request_id = db.session.scalar(
            select(Request.id).join(Operation, Operation.id == Request.operation_id)
            .where(Operation.billing_account_id == account_id,
                   Request.status == "submitted").order_by(Request.id.desc()))
        db.session.remove()
        return request_id


def test_credit_settlement_approved_with_a_credit_limit(page, live_server):
    line_id, account_id, number = _advance_line(live_server)
    browser_login(page, "admin@romashka.example")
    page.goto(f"/lines/{line_id}")
    page.locator("#op-settlement_method_set button[type=submit]").click()
    page.wait_for_load_state()
    request_id = _credit_request_of(live_server, account_id)
    assert request_id, "the credit settlement request was not filed"

    _switch_user(page, "staff@operator.example")
    page.goto(f"/staff/requests/{request_id}")
    page.get_by_test_id("take").click()
    status = page.get_by_test_id("request-status").locator("[data-status]")
    expect(status).to_have_attribute("data-status", "in_progress")
    limit = page.get_by_label("Кредитный лимит, ₽")
    expect(limit).to_be_visible()
    page.get_by_test_id("approve").click()  # no limit: refused, nothing changes
    expect(page.locator(".alert-danger")).to_contain_text("укажите кредитный лимит")
    expect(status).to_have_attribute("data-status", "in_progress")
    page.get_by_label("Кредитный лимит, ₽").fill("120 000,50")
    page.fill("#decision-comment", "Кредитный метод одобрен.")
    page.get_by_test_id("approve").click()
    expect(status).to_have_attribute("data-status", "done")
    expect(page.get_by_test_id("credit-limit-granted")).to_contain_text("120")

    _switch_user(page, "admin@romashka.example")
    page.goto("/billing")
    expect(page.get_by_test_id(f"settlement-{number}")).to_contain_text("120")
    expect(page.get_by_test_id(f"settlement-{number}")).to_contain_text("000,50")


def test_connection_application_recorded_then_onboarded(page, live_server):
    from corp.validators import inn_check_digits, ogrn_check_digit

    inn = "780100200" + inn_check_digits("780100200")
    ogrn = "102780100200" + ogrn_check_digit("102780100200")
    browser_login(page, "staff@operator.example")
    page.goto("/staff/requests")
    page.get_by_test_id("record-connection").click()
    form = page.get_by_test_id("connection-application")
    for name, value in {"company_name": "ООО «Браузерный клиент»", "inn": inn,
                        "kpp": "780101001", "ogrn": ogrn,
                        "legal_address": "г. Санкт-Петербург, Невский пр., д. 1",
                        "contact_name": "Петрова Мария", "lines_count": "12",
                        "admin_email": "admin@browser-client.example",
                        "delivery_address": "г. Санкт-Петербург, склад",
                        "signatory_name": "Петров Иван", "place": "Санкт-Петербург"}.items():
        form.locator(f"#f-{name}").fill(value)
    page.set_input_files("#f-file", files=[{"name": "application.png", "mimeType": "image/png",
                                            "buffer": PNG}])
    form.get_by_test_id("record-application").click()
    expect(page.get_by_test_id("attachments")).to_contain_text("application.png")
    page.get_by_test_id("onboard-from-request").click()
    expect(page.locator("#inn")).to_have_value(inn)
    expect(page.locator("#admin_email")).to_have_value("admin@browser-client.example")
    page.locator("#contract_number").fill("СПБ-2026-1")
    page.get_by_test_id("create-company").click()
    expect(page.get_by_test_id("temporary-password")).not_to_be_empty()
    password = page.get_by_test_id("temporary-password").inner_text().strip()
    page.goto("/staff/requests?status=done")
    page.get_by_role("link", name=re.compile("Браузерный клиент")).first.click()
    expect(page.get_by_test_id("request-status").locator("[data-status]")).to_have_attribute(
        "data-status", "done")
    expect(page.get_by_test_id("onboarded-company")).to_contain_text("Браузерный клиент")
    # The new global administrator signs in with the issued password.
    page.get_by_test_id("logout").click()
    browser_login(page, "admin@browser-client.example", password)
    expect(page).not_to_have_url(re.compile(r"/login$"))
