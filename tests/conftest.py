"""Test fixtures: one migrated database with the demo data per run, one rollback per test.

The suite runs on SQLite by default and on PostgreSQL when ``TEST_DATABASE_URL`` is set.
The schema is built by the migrations (so they are tested on both databases), the demo
data is loaded once and committed, and every test runs inside an outer transaction that is
rolled back at the end, whatever the code under test committed.
"""

import os
import tempfile
from contextlib import ExitStack, contextmanager
from datetime import date

import pytest
from sqlalchemy import create_engine, text

from app import create_app
from core.extensions import db

PASSWORD = "Demo-pass-2026"


def pytest_configure(config):
    """Compile the translation catalogues once, before any worker starts (the .mo files are
    build products: ``make translations`` does the same)."""
    if hasattr(config, "workerinput"):
        return
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (Path(__file__).resolve().parent.parent / "translations").glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source:
                catalogue = read_po(source)
            tmp = mo.with_suffix(".mo.tmp")
            with tmp.open("wb") as target:
                write_mo(target, catalogue)
            tmp.replace(mo)

TEST_CONFIG = {
    "TESTING": True,
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    "SECRET_KEY": "test-secret-key-not-for-production",
    # No SMTP server in tests: mail goes to .eml files here, never into the repo's instance/.
    "MAIL_OUTBOX_DIR": tempfile.mkdtemp(prefix="vm-test-outbox-"),
}


def reset_postgres_schema(url: str, schema: str = "public") -> None:
    """Drop and recreate a PostgreSQL schema so the run starts from nothing."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


def build_database(url: str, instance_path=None) -> None:
    """Run the migrations and load the demo data into the database at ``url``."""
    from corp.demo import ensure_schema, load_demo

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        ensure_schema()
        load_demo(today=date.today())
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def fresh_database_url(tmp_path_factory, name: str) -> str:
    """A new empty database: a SQLite file, or a PostgreSQL schema of its own.

    On PostgreSQL each pytest-xdist worker (and the browser tests' server) gets its own
    schema through the connection's search_path, so parallel runs never collide.
    """
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp(name) / 'test.sqlite'}"
    if "+psycopg" not in url:
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    schema = f"{name}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    reset_postgres_schema(url, schema)
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """The migrated test database holding the demo data."""
    url = fresh_database_url(tmp_path_factory, "vm_test")
    build_database(url)
    return url


@contextmanager
def rolled_back_app(database_url, **config):
    """An app bound to one connection whose transaction is rolled back on exit."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **config})
    # The test keeps one app context open (for db.session in test bodies), and Flask reuses
    # it for the requests the test makes: start each request with an empty ``g`` as a
    # fresh context would (Flask-Login caches the user there, access caches versions).
    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_request_globals)
    # A rolled-back test reuses policy version numbers: no cached enforcer may outlive it.
    from roles.access import enforcer_cache

    enforcer_cache().invalidate()
    with app.app_context():
        engine = db.engine
        # Deferred: a second app on the same SQLite file (``make_app``) may still read.
        connection = engine.connect().execution_options(sqlite_begin="deferred")
        outer = connection.begin()
        # Everything the app does goes through this connection (savepoints for its commits).
        db._app_engines[app][None] = connection
        db.session.remove()
        try:
            yield app
        finally:
            enforcer_cache().invalidate()
            db.session.remove()
            outer.rollback()
            connection.close()
            db._app_engines[app][None] = engine
            engine.dispose()


@pytest.fixture
def app(database_url):
    """A fresh app per test, its database work rolled back at the end."""
    with rolled_back_app(database_url) as app:
        yield app


@pytest.fixture
def make_app(database_url):
    """``make_app(**config)``: an extra app with other settings, also rolled back."""
    stack = ExitStack()

    def make(**config):
        return stack.enter_context(rolled_back_app(database_url, **config))

    with stack:
        yield make


def _fresh_request_globals():
    from flask import g

    for key in list(g):
        g.pop(key)


@pytest.fixture
def client(app):
    return app.test_client()


class Outbox:
    """The .eml files written by ``core.mail`` to one folder, parsed as e-mail messages."""

    def __init__(self, folder):
        from pathlib import Path

        self.folder = Path(folder)

    def messages(self, to: str | None = None) -> list:
        """Messages in the order written, optionally only those addressed to ``to``."""
        from email import message_from_bytes, policy
        from email.utils import getaddresses

        found = []
        for path in sorted(self.folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            addresses = {a.lower() for _name, a in getaddresses([str(message["To"])])}
            if to is None or to.lower() in addresses:
                found.append(message)
        return found

    def last(self, to: str | None = None):
        messages = self.messages(to)
        assert messages, f"no mail to {to or 'anyone'} in {self.folder}"
        return messages[-1]


@pytest.fixture
def outbox(app, tmp_path):
    """Mail of this test only: the app writes its ``.eml`` files to a fresh folder."""
    app.config["MAIL_OUTBOX_DIR"] = str(tmp_path / "outbox")
    return Outbox(tmp_path / "outbox")


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Auth:
    """Sign a test client in and out, through the real sign-in form."""

    def __init__(self, client):
        self.client = client

    def login(self, email, password=PASSWORD):
        return self.client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def login_as(client):
    """``login_as(email)`` signs the client in as that demo user and returns the client."""

    def login(email, password=PASSWORD):
        response = client.post("/login", data={"email": email, "password": password})
        assert response.status_code == 302, response.data[:500]
        return client

    return login


@pytest.fixture
def api_token(app):
    """``api_token(email)`` returns the headers of a bearer token for that demo user."""

    def token(email, password=PASSWORD):
        response = app.test_client().post(
            "/api/v1/auth/token", json={"email": email, "password": password}
        )
        assert response.status_code == 201, response.json
        return {"Authorization": f"Bearer {response.json['token']}"}

    return token


@pytest.fixture
def users(app):
    """The demo users by short name."""
    from sqlalchemy import select

    from auth.models import User

    by_email = {u.email: u for u in db.session.scalars(select(User))}
    return {
        "admin": by_email["admin@romashka.example"],
        "sales_head": by_email["sales.head@romashka.example"],
        "accountant": by_email["accountant@romashka.example"],
        "vector_admin": by_email["admin@vector.example"],
        "staff": by_email["staff@operator.example"],
    }


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The portal served over HTTP on 127.0.0.1 from its own database with the demo data.

    Browser tests share it (and its committed changes) for the whole run: each test uses
    its own lines or objects so that the order of tests does not matter.
    """
    import threading

    from werkzeug.serving import make_server

    url = fresh_database_url(tmp_path_factory, "vm_browser")
    build_database(url)
    app = create_app({
        **TEST_CONFIG,
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": True,
        "TESTING": False,
    })
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield type("LiveServer", (), {"url": base_url, "app": app})
    finally:
        server.shutdown()


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright. Missing Chromium fails, never skips."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/ensure-chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, request):
    """A fresh browser context and page; a screenshot is kept when the test fails."""
    from playwright.sync_api import expect

    # The machine runs two test workers beside the browser: give assertions some slack.
    expect.set_options(timeout=15_000)
    context = browser.new_context(base_url=live_server.url, locale="ru-RU")
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        out = os.path.join("test-artifacts", f"{request.node.name}.png")
        os.makedirs("test-artifacts", exist_ok=True)
        page.screenshot(path=out, full_page=True)
    context.close()


def browser_login(page, email, password=PASSWORD):
    """Sign in through the real form in the browser."""
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's outcome so fixtures can react to a failed test."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
