"""`flask --app app demo`: migrates an empty database, loads the same data every run, and
refuses politely (changing nothing) when the database already holds data."""

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def flask(database: Path, *args):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "test"}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )


def fingerprint(database: Path) -> str:
    with sqlite3.connect(database) as conn:
        rows = conn.execute(
            "SELECT l.msisdn, l.iccid, l.status, l.employee_name, t.code, n.path, b.number "
            "FROM lines l JOIN tariffs t ON t.id = l.tariff_id "
            "JOIN hierarchy_nodes n ON n.id = l.node_id "
            "JOIN billing_accounts b ON b.id = l.billing_account_id ORDER BY l.msisdn"
        ).fetchall()
        usage = conn.execute("SELECT count(*), sum(quantity) FROM usage_records").fetchone()
    return hashlib.sha256(repr((rows, usage)).encode()).hexdigest()


def test_demo_command_is_deterministic_and_refuses_a_database_with_data(tmp_path):
    first, second = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    for database in (first, second):
        result = flask(database, "demo")
        assert result.returncode == 0, result.stderr[-2000:]
        assert "admin@romashka.example" in result.stdout
    assert fingerprint(first) == fingerprint(second)

    before = fingerprint(first)
    again = flask(first, "demo")
    assert again.returncode == 1
    assert "already holds data" in again.stderr
    assert fingerprint(first) == before
