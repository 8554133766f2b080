"""Benchmark bulk operations: a 10,000-line ``block`` job with the in-process runner, against
a floor measured in the same run (the same rows written by plain executemany: line update +
operation record + audit record, in the job's chunk transactions), and a 10,000-line dry run.

    python bench/bench_operations.py                      # temp SQLite file
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/<db> python bench/...

Targets: ≥ 300 lines/s, ≤ 5× the floor, dry run ≤ 3 s.
"""

import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import bindparam, create_engine, select, text, update

from app import create_app
from auth.models import User
from core.audit import AuditEvent
from core.extensions import db
from corp.demo import ensure_schema, load_large
from corp.models import Line
from corp.operations import jobs
from corp.operations.models import Operation

LINES = int(os.environ.get("BENCH_LINES", "10000"))
COMPANY_LINES = int(os.environ.get("BENCH_COMPANY_LINES", "100000"))  # the large company
SCHEMA = "bench_operations"


def database_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        return f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench-operations.sqlite'}"
    if "+psycopg" not in url:
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:  # a schema of its own, rebuilt each run
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
    engine.dispose()
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{SCHEMA}"


def main() -> None:
    url = database_url()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "OPERATIONS_EXECUTOR": "eager", "OPERATOR_GATEWAY_DELAY": 0})
    with app.app_context():
        started = time.perf_counter()
        ensure_schema()
        company = load_large(COMPANY_LINES, 2, lambda *_: None)
        db.session.commit()
        print(f"database: {db.engine.dialect.name}; built a {COMPANY_LINES}-line company "
              f"in {time.perf_counter() - started:.1f} s")
        admin = db.session.scalar(select(User).where(User.email == "admin@gigant.example"))
        ids = db.session.scalars(select(Line.id).where(
            Line.company_id == company.id, Line.status == "active").order_by(Line.id)
            .limit(LINES)).all()
        assert len(ids) == LINES, f"only {len(ids)} active lines"

        # Dry run.
        started = time.perf_counter()
        preview = jobs.preview(admin, "block", {"kind": "voluntary"}, {"line_ids": ids})
        dry = time.perf_counter() - started
        assert preview["will_change"] == LINES, preview["refused"]
        db.session.rollback()

        # Floor: the same rows written by plain executemany, in the job's chunk transactions.
        chunk = jobs.CHUNK
        now = datetime.now(UTC)
        lines_t = Line.__table__
        started = time.perf_counter()
        for start in range(0, LINES, chunk):
            part = ids[start:start + chunk]
            conn = db.session.connection()
            conn.execute(
                lines_t.update().where(lines_t.c.id == bindparam("line_id")).values(
                    status="blocked", block_kind="voluntary", version=lines_t.c.version + 1,
                    updated_at=now),
                [{"line_id": i} for i in part])
            conn.execute(Operation.__table__.insert(), [{
                "company_id": company.id, "type": "block", "params": {"kind": "voluntary"},
                "line_id": i, "requested_by": admin.id, "status": "done", "created_at": now,
                "started_at": now, "finished_at": now,
                "before": {"status": "active"}, "after": {"status": "blocked"}} for i in part])
            conn.execute(AuditEvent.__table__.insert(), [{
                "company_id": company.id, "actor_id": admin.id, "actor_email": admin.email,
                "action": "operation.block", "object_type": "line", "object_id": str(i),
                "line_id": i, "before": {"status": "active"}, "after": {"status": "blocked"},
                "created_at": now} for i in part])
            db.session.commit()
        floor = time.perf_counter() - started
        # Undo the floor's writes so the job starts from the same state.
        db.session.execute(update(Line).where(Line.id.in_(ids)).values(
            status="active", block_kind=None))
        db.session.execute(Operation.__table__.delete())
        db.session.execute(AuditEvent.__table__.delete().where(
            AuditEvent.action == "operation.block"))
        db.session.commit()

        # The real job with the in-process runner.
        started = time.perf_counter()
        job = jobs.start_job(admin, "block", {"kind": "voluntary"}, {"line_ids": ids})
        db.session.commit()
        jobs.run_job(job.id)
        real = time.perf_counter() - started
        db.session.expire_all()
        done = db.session.get(jobs.Job, job.id)
        assert (done.status, done.done) == ("done", LINES), (done.status, done.done)
        blocked = db.session.scalar(select(db.func.count()).select_from(Line).where(
            Line.id.in_(ids), Line.status == "blocked"))
        assert blocked == LINES

        rate = LINES / real
        print(f"bulk block of {LINES} lines: {real:.2f} s = {rate:.0f} lines/s "
              f"(target ≥ 300) {'OK' if rate >= 300 else 'MISSED'}")
        print(f"floor (executemany, same rows): {floor:.2f} s = {LINES / floor:.0f} lines/s")
        print(f"ratio to floor: {real / floor:.2f}× (target ≤ 5×) "
              f"{'OK' if real / floor <= 5 else 'MISSED'}")
        print(f"dry run of {LINES} lines: {dry:.2f} s (target ≤ 3 s) "
              f"{'OK' if dry <= 3 else 'MISSED'}")
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
