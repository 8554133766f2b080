"""Test fixtures: one migrated database with the demo data per run, one rollback per test.

The suite runs on SQLite by default and on PostgreSQL when ``TEST_DATABASE_URL`` is set.
The schema is built by the migrations (so they are tested on both databases), the demo
data is loaded once and committed, and every test runs inside an outer transaction that is
rolled back at the end, whatever the code under test committed.
"""

import os
from datetime import date

import pytest
from sqlalchemy import create_engine, text

from app import create_app
from core.extensions import db

PASSWORD = "Demo-pass-2026"

TEST_CONFIG = {
    "TESTING": True,
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    "SECRET_KEY": "test-secret-key-not-for-production",
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


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """The migrated test database holding the demo data."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        url = url.replace("postgresql://", "postgresql+psycopg://", 1) if "+psycopg" not in url else url
        reset_postgres_schema(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    build_database(url)
    return url


@pytest.fixture
def app(database_url):
    """A fresh app per test, bound to one connection whose transaction is rolled back."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        engine = db.engine
        connection = engine.connect()
        outer = connection.begin()
        # Everything the app does goes through this connection (savepoints for its commits).
        db._app_engines[app][None] = connection
        db.session.remove()
        try:
            yield app
        finally:
            db.session.remove()
            outer.rollback()
            connection.close()
            db._app_engines[app][None] = engine
            engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


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
