"""``flask --app app backup PATH`` / ``restore PATH`` on a SQLite installation."""

import os
import sqlite3

import pytest

from app import create_app
from tests.conftest import TEST_CONFIG, build_database

pytestmark = pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                                reason="SQLite backup API; PostgreSQL uses pg_dump")


def _count(path, sql):
    with sqlite3.connect(path) as conn:
        value = conn.execute(sql).fetchone()[0]
    conn.close()
    return value


def test_backup_then_change_then_restore_gives_back_the_backed_up_data(tmp_path):
    live = tmp_path / "live.sqlite"
    build_database(f"sqlite:///{live}")
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{live}"})
    runner = app.test_cli_runner()
    backup = tmp_path / "backups" / "portal.sqlite"
    lines_before = _count(live, "SELECT count(*) FROM lines")
    # A reader holds a transaction open meanwhile: the online backup does not wait for it.
    reader = sqlite3.connect(live)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM lines").fetchone()
    result = runner.invoke(args=["backup", str(backup)])
    reader.rollback()
    reader.close()
    assert result.exit_code == 0, result.output
    assert _count(backup, "PRAGMA integrity_check") == "ok"

    with sqlite3.connect(live) as conn:
        conn.execute("DELETE FROM line_events")
        conn.execute("UPDATE lines SET employee_name = 'changed' WHERE id <= 10")
    conn.close()
    assert _count(live, "SELECT count(*) FROM lines WHERE employee_name = 'changed'") == 10

    result = runner.invoke(args=["restore", str(backup), "--yes"])
    assert result.exit_code == 0, result.output
    assert _count(live, "SELECT count(*) FROM lines WHERE employee_name = 'changed'") == 0
    assert _count(live, "SELECT count(*) FROM lines") == lines_before
    with sqlite3.connect(live) as a, sqlite3.connect(backup) as b:
        for table in ("lines", "line_events", "audit_events", "users"):
            assert a.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall() == \
                   b.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()  # noqa: S608
    a.close()
    b.close()


def test_backup_refuses_to_overwrite_and_restore_refuses_a_foreign_file(tmp_path):
    live = tmp_path / "live.sqlite"
    build_database(f"sqlite:///{live}")
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{live}"})
    runner = app.test_cli_runner()
    existing = tmp_path / "taken.sqlite"
    existing.write_text("keep me")
    result = runner.invoke(args=["backup", str(existing)])
    assert result.exit_code != 0 and "exists" in result.output
    assert existing.read_text() == "keep me"
    foreign = tmp_path / "foreign.sqlite"
    sqlite3.connect(foreign).close()
    result = runner.invoke(args=["restore", str(foreign), "--yes"])
    assert result.exit_code != 0 and "not a portal backup" in result.output
    assert _count(live, "SELECT count(*) FROM lines") > 0
