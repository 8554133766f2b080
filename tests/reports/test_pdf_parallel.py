"""A long call detail PDF rendered in parallel chunks keeps "page X of Y" right."""

from datetime import UTC, datetime, timedelta

from core.extensions import db
from corp.billing.charges import rate_line_month
from corp.billing.service import parse_period
from corp.models import UsageRecord
from corp.reports import builders, formats
from tests.billing.conftest import pdf_text
from tests.factories import make_user


def test_long_call_detail_is_numbered_across_chunks(small_company, app):
    line = small_company["lines"][0]
    start = datetime(2025, 12, 1, tzinfo=UTC)
    for i in range(130):
        db.session.add(UsageRecord(line_id=line.id, occurred_at=start + timedelta(minutes=50 * i),
                                   kind="call", quantity=61 + i, direction="out",
                                   counterpart=f"916{i:07d}"))
    db.session.flush()
    rate_line_month(line, "2025-12")
    admin = make_user(small_company["company"].id, role="global_admin")
    app.config["PDF_PARALLEL_MIN_ROWS"] = 100
    app.config["PDF_PAGES_PER_CHUNK"] = 2  # the cover, then chunks of 2, 2 and 1 pages
    app.config["PDF_WORKERS"] = 2
    report = builders.call_detail(admin, parse_period("2025-12-01", "2025-12-31"),
                                  {"line_id": line.id})
    assert report.row_count == 130
    data = formats.pdf_bytes(report)
    text, pages = pdf_text(data)
    expected = 1 + -(-131 // 26)  # the cover; 26 rows a page (130 and the total)
    assert pages == expected
    assert f"{expected} из {expected}" in text or f"{expected} of {expected}" in text
    assert f"1 из {expected}" in text or f"1 of {expected}" in text
    assert "9160000129" in text and "ООО «Тест»" in text
    total = report.summary[0].total[-1]
    assert formats.screen_cell(total, "money").replace("\u00a0", " ") in text


def test_expenses_by_node_on_fixed_pages_keeps_scope_note_chart_and_total(app, users):
    from sqlalchemy import select

    from corp.billing.models import MonthClose
    from tests.factories import node_named

    app.config["PDF_PARALLEL_MIN_ROWS"] = 5
    app.config["PDF_WORKERS"] = 1
    viewer = make_user(1, role="viewer", node=node_named(1, "Москва"))
    month = db.session.scalar(select(MonthClose.period).order_by(MonthClose.period.desc()))
    report = builders.expenses(viewer, parse_period(f"{month}-01", f"{month}-28"), {})
    text, pages = pdf_text(formats.pdf_bytes(report))
    assert report.scope_note.replace("\u00a0", " ") in text
    assert formats.screen_cell(report.summary[0].total[-1], "money").replace("\u00a0", " ") in text
    assert f"{pages} из {pages}" in text or f"{pages} of {pages}" in text
    assert f"Страница 1 из {pages}" in text or f"Page 1 of {pages}" in text
    assert "Москва" in text and pages >= 3
