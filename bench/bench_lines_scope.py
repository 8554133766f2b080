"""Lines list for a scoped user vs the global administrator on the large company.

    python bench/bench_lines_scope.py [--lines 100000] [--db /tmp/vm-bench-lines.sqlite]

Builds (once) a SQLite database with the demo and the large company (no usage rows), gives a
line operator one region (a tenth of the lines), then times the first page of the lines list
with its total count (``corp.service.list_lines``, what page and API run) for both users.
Prints p50s and the ratio scoped / global administrator (the issue asks ≤ 1.2).
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROUNDS = 30


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--db", default=str(Path(tempfile.gettempdir()) / "vm-bench-lines.sqlite"))
    args = parser.parse_args()
    from sqlalchemy import select

    from app import create_app
    from auth.models import User
    from core.extensions import db
    from corp import demo
    from corp.models import Company
    from corp.service import LineFilter, list_lines
    from hierarchy.models import Node
    from roles.service import assign_predefined

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{args.db}",
                      "SECRET_KEY": "bench"})
    with app.app_context():
        demo.ensure_schema()
        if not demo.database_has_data():
            demo.load_demo()
            db.session.commit()
        company = db.session.scalar(select(Company).where(Company.name == "ООО «Гигант»"))
        if company is None:
            print(f"building the large company ({args.lines} lines)...", flush=True)
            company = demo.load_large(args.lines, 0)
            db.session.commit()
        admin = db.session.scalar(select(User).where(User.email == "admin@gigant.example"))
        scoped = db.session.scalar(select(User).where(User.email == "region@gigant.example"))
        if scoped is None:
            region = db.session.scalar(select(Node).where(Node.company_id == company.id,
                                                          Node.name == "Регион 1"))
            scoped = User(email="region@gigant.example", name="Region", password_hash="!",  # noqa: S106 - cannot sign in
                          company_id=company.id)
            db.session.add(scoped)
            db.session.flush()
            assign_predefined(scoped, "line_operator", node=region)
            db.session.commit()

        def p50(user):
            times, total = [], 0
            for _ in range(ROUNDS):
                with app.test_request_context():
                    start = time.perf_counter()
                    _items, total = list_lines(user, LineFilter(), page=1, per_page=50)
                    times.append((time.perf_counter() - start) * 1000)
            return statistics.median(times), total

        p50(admin), p50(scoped)  # warm caches
        admin_ms, admin_total = p50(admin)
        scoped_ms, scoped_total = p50(scoped)
        print(f"global administrator: {admin_total} lines, p50 {admin_ms:.2f} ms")
        print(f"scoped line operator: {scoped_total} lines, p50 {scoped_ms:.2f} ms")
        print(f"ratio scoped / global administrator: {scoped_ms / admin_ms:.2f} (goal ≤ 1.2)")


if __name__ == "__main__":
    main()
