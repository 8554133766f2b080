"""The line card's call-detail section: period picker, a paginated table with the period's
totals, PDF/XLSX/CSV downloads and "send to my e-mail" (the call_detail report's service);
shown with reports.view on the line's node, hidden otherwise."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from sqlalchemy import select

from core.extensions import db
from corp.models import Line, UsageRecord
from tests.factories import make_user

ACCOUNTANT = "accountant@romashka.example"
PERIOD = {"cd_from": "2025-01-01", "cd_to": "2025-01-31"}


def _line_with_60_records():
    """A demo line with 60 outgoing SMS in January 2025 (no demo usage then), 1.90 ₽ each
    but every seventh free."""
    line = db.session.scalar(select(Line).where(Line.company_id == 1,
                                                Line.status == "active").order_by(Line.id))
    start = datetime(2025, 1, 2, 9, tzinfo=UTC)
    for i in range(60):
        db.session.add(UsageRecord(line_id=line.id, occurred_at=start + timedelta(hours=i),
                                   kind="sms", quantity=1, direction="out",
                                   counterpart=f"91600000{i:02d}",
                                   amount=D("0.00") if i % 7 == 0 else D("1.90")))
    db.session.flush()
    return line


def _rows(html: str, testid: str) -> list[str]:
    table = html.split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>.*?</tr>", body, flags=re.S)


def test_the_card_shows_a_page_of_records_with_the_period_totals(client, login_as, api_token):
    line = _line_with_60_records()
    login_as(ACCOUNTANT)
    page = client.get(f"/lines/{line.id}", query_string=PERIOD)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="call-detail-section"' in html
    assert len(_rows(html, "usage-records")) == 50
    assert 'data-testid="usage-count">60<' in html
    # The totals are those of the whole period, as the API gives them.
    usage = client.get(f"/api/v1/lines/{line.id}/usage",
                       query_string={"from": "2025-01-01", "to": "2025-01-31"},
                       headers=api_token(ACCOUNTANT)).json
    amount = D(usage["totals"]["amount"])
    assert amount == D("1.90") * (60 - 9)  # nine of the sixty are free (i = 0, 7, …, 56)
    shown = re.search(r'data-testid="usage-total-amount">([^<]+)<', html).group(1)
    assert shown.replace("\u00a0", " ").replace("\u202f", " ") == "96,90 ₽"
    assert "Records 1–50 of 60" in html or "Записи 1–50 из 60" in html
    second = client.get(f"/lines/{line.id}", query_string={**PERIOD, "cd_page": 2})
    second_html = second.get_data(as_text=True)
    assert len(_rows(second_html, "usage-records")) == 10
    assert 'aria-current="page">2<' in second_html
    # A page past the end shows the last one.
    assert len(_rows(client.get(f"/lines/{line.id}", query_string={
        **PERIOD, "cd_page": 9}).get_data(as_text=True), "usage-records")) == 10


def test_downloads_and_send_to_my_email_from_the_card(client, login_as, outbox):
    line = _line_with_60_records()
    login_as(ACCOUNTANT)
    html = client.get(f"/lines/{line.id}", query_string=PERIOD).get_data(as_text=True)
    links = dict(re.findall(r'href="([^"]+)" data-testid="call-detail-(pdf|xlsx|csv)"', html))
    assert set(links.values()) == {"pdf", "xlsx", "csv"}
    mimetypes = {"pdf": "application/pdf", "csv": "text/csv",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    for url, fmt in links.items():
        response = client.get(url.replace("&amp;", "&"))
        assert response.status_code == 200, (fmt, response.status_code)
        assert response.mimetype == mimetypes[fmt]
        if fmt == "csv":
            assert len(response.get_data(as_text=True).strip().splitlines()) == 1 + 60 + 1
    response = client.post("/reports/send", data={
        "type": "call_detail", "format": "xlsx", "line_id": line.id, "from": "2025-01-01",
        "to": "2025-01-31",
        "next": f"/lines/{line.id}?cd_from=2025-01-01&cd_to=2025-01-31#call-detail"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#call-detail")
    attachment = next(outbox.last(ACCOUNTANT).iter_attachments())
    assert attachment.get_filename() == "call_detail-20250101-20250131.xlsx"


def test_hidden_without_reports_view_on_the_line(client, login_as):
    line = db.session.scalar(select(Line).where(Line.company_id == 1).order_by(Line.id))
    make_user(1, role="line_operator", email="operator.cd@test.example")
    login_as("operator.cd@test.example")
    page = client.get(f"/lines/{line.id}")
    assert page.status_code == 200
    assert b'data-testid="call-detail-section"' not in page.data
    assert client.get(f"/lines/{line.id}/call-detail").status_code == 403


def test_a_bad_period_is_shown_in_the_section(client, login_as):
    line = db.session.scalar(select(Line).where(Line.company_id == 1).order_by(Line.id))
    login_as(ACCOUNTANT)
    page = client.get(f"/lines/{line.id}", query_string={"cd_from": "2025-02-01",
                                                         "cd_to": "2025-01-01"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="cd-to-error"' in html and 'aria-invalid="true"' in html
    assert 'data-testid="usage-records"' not in html


def test_the_old_call_detail_address_opens_the_card_section(client, login_as):
    line = db.session.scalar(select(Line).where(Line.company_id == 1).order_by(Line.id))
    login_as(ACCOUNTANT)
    response = client.get(f"/lines/{line.id}/call-detail",
                          query_string={"from": "2025-01-01", "to": "2025-01-31"})
    assert response.status_code == 302
    assert response.headers["Location"] == (
        f"/lines/{line.id}?cd_from=2025-01-01&cd_to=2025-01-31#call-detail")
    vector = db.session.scalar(select(Line.id).where(Line.company_id == 2))
    assert client.get(f"/lines/{vector}/call-detail").status_code == 404


def test_send_call_detail_to_my_email_through_the_api(client, api_token, outbox):
    line = _line_with_60_records()
    body = {"type": "call_detail", "format": "pdf",
            "params": {"from": "2025-01-01", "to": "2025-01-31", "line_id": line.id}}
    response = client.post("/api/v1/reports/send", json=body, headers=api_token(ACCOUNTANT))
    assert response.status_code == 200, response.json
    assert response.json == {"sent_to": ACCOUNTANT, "type": "call_detail", "format": "pdf"}
    message = outbox.last(ACCOUNTANT)
    attachment = next(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "call_detail-20250101-20250131.pdf"
    # Another company's line is a 404, like an unknown one; no mail goes out.
    vector = db.session.scalar(select(Line.id).where(Line.company_id == 2))
    sent = len(outbox.messages())
    refused = client.post("/api/v1/reports/send", headers=api_token(ACCOUNTANT), json={
        **body, "params": {**body["params"], "line_id": vector}})
    assert refused.status_code == 404
    assert len(outbox.messages()) == sent
    # A user without reports.view cannot send.
    make_user(1, role="line_operator", email="operator.send@test.example")
    assert client.post("/api/v1/reports/send", json=body,
                       headers=api_token("operator.send@test.example")).status_code == 403


def test_the_usage_api_pages_the_records_and_totals_the_whole_period(client, api_token):
    line = _line_with_60_records()
    headers = api_token(ACCOUNTANT)
    period = {"from": "2025-01-01", "to": "2025-01-31"}

    def page(**extra):
        return client.get(f"/api/v1/lines/{line.id}/usage", query_string={**period, **extra},
                          headers=headers)

    whole = page().json
    assert whole["page"] == 1 and whole["pages"] == 1 and len(whole["records"]) == 60
    seen = []
    for number in (1, 2, 3):
        body = page(page=number, per_page=25).json
        assert (body["page"], body["per_page"], body["pages"]) == (number, 25, 3)
        assert body["totals"] == whole["totals"]  # the period's, on every page
        seen += body["records"]
    assert [len(page(page=n, per_page=25).json["records"]) for n in (1, 2, 3)] == [25, 25, 10]
    assert seen == whole["records"]  # in order, none twice, none left out
    assert page(page=4, per_page=25).json["records"] == []
    for bad in ({"page": 0}, {"per_page": 0}, {"per_page": 5001}, {"page": "x"}):
        assert page(**bad).status_code == 422, bad
