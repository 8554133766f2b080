"""The Russian catalogue is complete and the portal speaks Russian by default."""

import re
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "translations" / "ru" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdfr]")


def read_catalogue():
    with PO.open("rb") as f:
        return read_po(f)


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogue():
    """The .mo is a build product (``make translations``): compile it here if it is stale."""
    if not MO.exists() or MO.stat().st_mtime < PO.stat().st_mtime:
        catalogue = read_catalogue()
        tmp = MO.with_suffix(".mo.tmp")
        with tmp.open("wb") as f:
            write_mo(f, catalogue)
        tmp.replace(MO)


def messages():
    return [m for m in read_catalogue() if m.id]


def as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


def test_every_message_is_translated_without_fuzzy_flags():
    found = messages()
    assert len(found) > 100
    untranslated = [m.id for m in found if not all(s and s.strip() for s in as_tuple(m.string))]
    fuzzy = [m.id for m in found if m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


def test_plural_messages_have_the_three_russian_forms():
    catalogue = read_catalogue()
    assert catalogue.num_plurals == 3
    plurals = [m for m in messages() if m.pluralizable]
    assert plurals, "the catalogue has plural messages (e.g. the line counts)"
    for m in plurals:
        assert len(m.string) == 3 and all(m.string), m.id


def test_translations_keep_the_placeholders_of_their_msgid():
    wrong = []
    for m in messages():
        expected = sorted(set(PLACEHOLDER.findall(" ".join(as_tuple(m.id)))))
        for s in as_tuple(m.string):
            if sorted(set(PLACEHOLDER.findall(s))) != expected:
                wrong.append((m.id, s))
    assert wrong == []


def test_russian_plural_forms_of_line_counts(app):
    from flask_babel import ngettext

    with app.test_request_context("/"):
        words = {n: ngettext("%(num)d line", "%(num)d lines", n) for n in (1, 3, 5, 11, 21, 112)}
    assert words == {
        1: "1 номер",
        3: "3 номера",
        5: "5 номеров",
        11: "11 номеров",
        21: "21 номер",
        112: "112 номеров",
    }


def test_login_page_is_in_russian_by_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert "<h1" in html and "Вход" in html
    assert "Пароль" in html and "Эл. почта" in html
    assert "Sign in" not in html


def test_login_page_is_in_english_on_request(client):
    client.post("/language", data={"locale": "en"})
    html = client.get("/login").get_data(as_text=True)
    assert "Sign in" in html and "Password" in html
    assert "Вход" not in html
