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


def test_only_cells_that_may_not_fit_are_clipped():
    from corp.reports.pdf_parallel import cell_classes, text_width_em

    columns = [{"label": "Дата и время", "numeric": False}, {"label": "Сумма", "numeric": True}]
    short, wide = "01.11.2026 12:00:00", "Щ" * 60
    rows = cell_classes(columns, [[short, "1\u00a0234,56 ₽"], [wide, "1" * 200]])
    assert rows[0] == [(short, ""), ("1\u00a0234,56 ₽", "num")]
    assert rows[1] == [(wide, "clip"), ("1" * 200, "num clip")]
    # The bound is never below the font's widest Latin/Cyrillic letter (a bold "Ǳ": 1.56 em).
    assert text_width_em("Ǳ") >= 1.56 and text_width_em("1") >= 0.696
    assert text_width_em("漢") > text_width_em("Щ")


def test_cover_longer_than_foreseen_is_numbered_again(app, monkeypatch):
    from corp.reports import pdf_parallel

    monkeypatch.setattr(pdf_parallel, "SHORT_COVER_ROWS", 10_000)  # foresee one page: wrong
    app.config["PDF_WORKERS"] = 2
    app.config["PDF_PAGES_PER_CHUNK"] = 2
    columns = [{"label": "Номер", "numeric": False}, {"label": "Сумма", "numeric": True}]
    short = {"title": "Кратко", "columns": columns,
             "rows": [[f"cover-{i}", "1,00 ₽"] for i in range(80)], "total": None}
    long = {"title": "Записи", "columns": columns,
            "rows": [[f"row-{i}", "2,00 ₽"] for i in range(100)]}
    context = {"title": "Отчёт", "company": "ООО «Тест»", "period": "", "scope_note": None,
               "notes": [], "tables": [short], "charts": []}
    data = pdf_parallel.render_table_pdf(context, [long], title="Отчёт", author="ООО «Тест»")
    text, pages = pdf_text(data)
    long_pages = -(-100 // pdf_parallel.ROWS_PER_PAGE)
    assert pages >= long_pages + 2  # the cover (80 rows) took more than one page
    first_long = pages - long_pages + 1
    assert f"{first_long} из {pages}" in text or f"{first_long} of {pages}" in text
    assert f"1 из {pages}" in text or f"1 of {pages}" in text
    assert f"{pages} из {pages}" in text or f"{pages} of {pages}" in text
    assert "cover-79" in text and "row-99" in text
