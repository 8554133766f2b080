"""The one PDF renderer (core.pdf): Cyrillic text, metadata, page numbers, PDF/A, no fetching."""

import io
import socket

import pypdf
import pytest
from jinja2 import ChoiceLoader, DictLoader

from app import create_app
from core.pdf import AssetRefused, make_url_fetcher, render_pdf, resolve_asset, static_root

TEMPLATES = {
    "test_doc.html": (
        "{% extends 'pdf/base.html' %}{% block body %}<h1>{{ heading }}</h1>"
        "<p class='pre'>{{ note }}</p>{% for row in rows %}<p>{{ row }}</p>{% endfor %}"
        "{% endblock %}"
    ),
    "test_fetch.html": (
        "{% extends 'pdf/base.html' %}{% block body %}<p>fetch test</p>"
        "<img src='file:///etc/hostname'><img src='http://127.0.0.1:9/x.png'>"
        "<link rel='stylesheet' href='https://example.org/x.css'>"
        "<img src='static/../app.py'><img src='data:image/png;base64,iVBORw0KGgo='>"
        "<link rel='stylesheet' href='static/pdf-test-marker.css'>"
        "{% endblock %}"
    ),
}


@pytest.fixture(scope="module")
def pdf_app():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True,
                      "SECRET_KEY": "pdf-tests", "SQLITE_MEMORY": True})
    app.jinja_env.loader = ChoiceLoader([DictLoader(TEMPLATES), app.jinja_env.loader])
    return app


def render(app, template="test_doc.html", **kwargs):
    context = kwargs.pop("context", {"heading": "Заявление", "note": "", "rows": []})
    with app.test_request_context():
        return render_pdf(template, context, **{"title": "Заявление на подключение",
                                                "author": "ООО «Ромашка»", **kwargs})


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_cyrillic_text_and_metadata(pdf_app):
    pdf = render(pdf_app, context={"heading": "Заявление на замену SIM-карты", "note": "",
                                   "rows": ["Ёлка, щётка, ИНН 7707083893"]})
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = text_of(pdf)
    assert "Заявление на замену SIM-карты" in text
    assert "Ёлка, щётка, ИНН 7707083893" in text
    assert reader.metadata.title == "Заявление на подключение"
    assert reader.metadata.author == "ООО «Ромашка»"


def test_fonts_with_cyrillic_are_embedded(pdf_app):
    reader = pypdf.PdfReader(io.BytesIO(render(pdf_app)))
    fonts = [f.get_object() for f in reader.pages[0]["/Resources"]["/Font"].values()]
    assert fonts
    for font in fonts:
        assert "DejaVu" in font["/BaseFont"]
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        assert "/FontFile2" in descriptor  # the font program is in the file


def test_header_and_page_x_of_y_on_every_page(pdf_app):
    rows = [f"Строка {i}" for i in range(150)]
    pdf = render(pdf_app, context={"heading": "Т", "note": "", "rows": rows},
                 header={"left": "ПАО «Оператор»\nИНН 7740000076", "right": "№ Z-42"})
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        text = page.extract_text()
        assert "ПАО «Оператор»" in text and "№ Z-42" in text
        assert (f"Страница {number} из {len(pages)}" in text
                or f"Page {number} of {len(pages)}" in text)


def test_pdf_a_variant_is_declared(pdf_app):
    reader = pypdf.PdfReader(io.BytesIO(render(pdf_app)))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    assert "/OutputIntents" in reader.trailer["/Root"]
    plain = pypdf.PdfReader(io.BytesIO(render(pdf_app, pdf_variant=None)))
    assert "/Metadata" not in plain.trailer["/Root"]


def test_user_text_comes_out_literally(pdf_app):
    attack = '</p><img src="http://127.0.0.1:9/x.png"><style>*{display:none}</style>&amp; {{ 7*7 }}'
    text = text_of(render(pdf_app, context={"heading": "H", "note": attack, "rows": []}))
    assert attack in text.replace("\n", "")


def test_orm_objects_are_refused_in_context(pdf_app, app, users):
    with pytest.raises(TypeError):
        render(pdf_app, context={"heading": "H", "note": "", "rows": [users["admin"]]})


def test_fetcher_serves_only_static_files(pdf_app):
    with pdf_app.test_request_context():
        root = static_root()
        assert resolve_asset("https://assets.invalid/static/app.css", root).name == "app.css"
        for url in ("file:///etc/passwd", "http://127.0.0.1/static/app.css",
                    "https://assets.invalid/static/../app.py",
                    "https://assets.invalid/static/%2e%2e/app.py",
                    "https://assets.invalid/app.py", "data:text/css,x",
                    "https://assets.invalid.example.org/static/app.css"):
            with pytest.raises(AssetRefused):
                resolve_asset(url, root)
        fetcher = make_url_fetcher(root)
        assert fetcher.fetch("https://assets.invalid/static/app.css").read() != b""
        with pytest.raises(AssetRefused):
            fetcher.fetch("file:///etc/passwd")


def test_rendering_never_opens_a_connection_nor_reads_files(pdf_app, monkeypatch):
    attempts = []

    def no_connect(self, address):
        attempts.append(address)
        raise OSError("network refused in test")

    monkeypatch.setattr(socket.socket, "connect", no_connect)
    pdf = render(pdf_app, template="test_fetch.html")
    assert attempts == []
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    xobjects = reader.pages[0]["/Resources"].get("/XObject") or {}
    assert len(xobjects) == 0  # none of the images was loaded
    assert "fetch test" in text_of(pdf)
