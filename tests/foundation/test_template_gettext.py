"""The templates' gettext (core.i18n): the request's translations are looked up once, and
still follow the request's language, ``force_locale`` and ``refresh``; labels, money and
times (core.ui) read as before."""

from datetime import UTC, date, datetime

from flask import render_template_string
from flask_babel import force_locale, format_datetime, refresh
from sqlalchemy import select

from core.extensions import db
from core.ui import label, local_time, money
from corp.models import Line

ADMIN = "admin@romashka.example"


def test_line_card_renders_in_both_languages(client, login_as):
    line_id = db.session.scalar(select(Line.id).where(Line.msisdn == "9161000007"))
    login_as(ADMIN)
    client.post("/language", data={"locale": "en", "next": "/lines"})
    page = client.get(f"/lines/{line_id}").get_data(as_text=True)
    assert 'lang="en"' in page and "History of changes" in page and "Employee" in page
    assert "История изменений" not in page
    client.post("/language", data={"locale": "ru", "next": "/lines"})
    page = client.get(f"/lines/{line_id}").get_data(as_text=True)
    assert 'lang="ru"' in page and "История изменений" in page and "Сотрудник" in page
    assert "History of changes" not in page


def test_template_gettext_follows_force_locale_and_refresh(app):
    template = "{{ _('Employee') }}|{{ ngettext('%(num)s line', '%(num)s lines', 1) }}"
    with app.test_request_context("/"):
        assert render_template_string(template).startswith("Сотрудник|")
        with force_locale("en"):
            assert render_template_string(template) == "Employee|1 line"
        assert render_template_string(template).startswith("Сотрудник|")
        app.config["BABEL_DEFAULT_LOCALE"] = "en"
        try:
            refresh()
            assert render_template_string(template) == "Employee|1 line"
        finally:
            app.config["BABEL_DEFAULT_LOCALE"] = "ru"
            refresh()
        assert render_template_string(template).startswith("Сотрудник|")


def test_labels_and_money_follow_the_request_language(app):
    with app.test_request_context("/"):
        assert label("usage_kind", "call") == "звонок"
        ru_money = money(1234.5)
        with force_locale("en"):
            assert label("usage_kind", "call") == "call"
            assert money(1234.5) == "1,234.50 ₽"
        assert label("usage_kind", "call") == "звонок"
        assert money(1234.5) == ru_money != "1,234.50 ₽"


def test_local_time_reads_as_babel_formats_it(app):
    values = [datetime(2026, 1, 1, 0, 0, 5), datetime(2026, 6, 30, 21, 59, 59, tzinfo=UTC),
              datetime(2026, 12, 31, 23, 30, 0, 123456), datetime(1999, 3, 28, 1, 2, 3)]
    with app.test_request_context("/"):
        for value in values:
            assert local_time(value) == format_datetime(value, "yyyy-MM-dd HH:mm")
            assert local_time(value, seconds=True) == format_datetime(value,
                                                                      "yyyy-MM-dd HH:mm:ss")
        assert local_time(date(2026, 5, 4)) == format_datetime(date(2026, 5, 4),
                                                               "yyyy-MM-dd HH:mm")
        assert local_time(None) == "—"
        assert local_time(values[0]) == "2026-01-01 03:00"  # Moscow, the portal's time zone
