"""Benchmark the reports on the 100,000-line company, each figure beside a floor measured in
the same run.

    python bench/bench_reports.py                        # temp SQLite file
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/<db> python bench/...
    BENCH_COMPANY_LINES=20000 python bench/bench_reports.py   # a quicker, smaller run

Targets (issue 8):
- call detail PDF, one line, one month: ≤ 2 s;
- expenses summary PDF (by node, ~1,000 nodes): ≤ 20 s;
- inventory XLSX of all lines: ≤ 15 s, peak RSS at 100,000 rows within 100 MB of 10,000;
- tariff advice for all lines: ≤ 60 s;
- a 5,000-row call detail PDF in ≤ 0.6× WeasyPrint rendering the same rows as one plain
  document.
The floor of a PDF figure is WeasyPrint rendering a plain table of the same rows in one
document; of the XLSX, the same rows written from memory by the same writer; of tariff
advice, reading the usage it aggregates.
"""

import io
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_login import login_user
from pypdf import PdfReader
from sqlalchemy import create_engine, func, insert, select, text
from weasyprint import HTML

from app import create_app
from auth.models import User
from core.downloads import write_xlsx
from core.extensions import db
from corp.billing.service import parse_period
from corp.demo import ensure_schema, load_large
from corp.models import Line, UsageRecord
from corp.reports import builders, formats
from corp.reports.formats import screen_cell, table_rows
from hierarchy.models import Node

COMPANY_LINES = int(os.environ.get("BENCH_COMPANY_LINES", "100000"))
USAGE_PER_MONTH = int(os.environ.get("BENCH_USAGE_PER_MONTH", "2"))
LONG_ROWS = int(os.environ.get("BENCH_LONG_ROWS", "5000"))
SCHEMA = "bench_reports"


def database_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        return f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench-reports.sqlite'}"
    if "+psycopg" not in url:
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:  # a schema of its own, rebuilt each run
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
    engine.dispose()
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{SCHEMA}"


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (parallel PDF workers)."""
    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                           resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


LAST_CPU = [0.0]


def timed(fn):
    """Wall-clock seconds of ``fn()`` and its value; its CPU seconds go to ``LAST_CPU``."""
    started, cpu = time.perf_counter(), cpu_seconds()
    value = fn()
    LAST_CPU[0] = cpu_seconds() - cpu
    return time.perf_counter() - started, value


def plain_pdf(columns, rows) -> bytes:
    """The floor: WeasyPrint rendering the rows as one plain table, nothing else."""
    head = "".join(f"<th>{escape(str(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>"
                   for row in rows)
    return HTML(string=f"<html><head><meta charset='utf-8'><style>@page {{ size: A4 landscape; "
                       f"}} table {{ border-collapse: collapse; font: 8pt 'DejaVu Sans'; }} "
                       f"td, th {{ border: 0.5pt solid #555; }}</style></head><body><table>"
                       f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></body>"
                       f"</html>").write_pdf()


def reset_peak_rss() -> None:
    """Start a new peak-RSS measurement (Linux: writing 5 to clear_refs resets VmHWM)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def rss_mb() -> float:
    """Peak resident memory since the last ``reset_peak_rss`` (the process's, if none)."""
    with open("/proc/self/status") as f:
        for row in f:
            if row.startswith("VmHWM:"):
                return int(row.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def line(name, seconds, floor, target, cpu=None):
    ratio = seconds / floor if floor else float("inf")
    verdict = "OK" if seconds <= target else "SLOW"
    cpu_text = f"  (CPU {cpu:.2f} s)" if cpu is not None else ""
    print(f"{name:<44} {seconds:8.2f} s  floor {floor:8.2f} s  ratio {ratio:5.2f}  "
          f"target ≤ {target:g} s  {verdict}{cpu_text}  load {os.getloadavg()[0]:.1f}",
          flush=True)


def main() -> None:
    url = database_url()
    # The portal's own settings for PDFs (parallel chunks over PDF_PARALLEL_MIN_ROWS rows).
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "OPERATIONS_EXECUTOR": "eager"})
    with app.test_request_context():
        started = time.perf_counter()
        ensure_schema()
        company = load_large(COMPANY_LINES, USAGE_PER_MONTH, lambda *_: None)
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        print(f"database: {db.engine.dialect.name}; built a {COMPANY_LINES}-line company with "
              f"closed months in {time.perf_counter() - started:.1f} s; "
              f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
        admin = db.session.scalar(select(User).where(User.email == "admin@gigant.example"))
        login_user(admin)
        today = datetime.now(UTC).date()
        last = today.replace(day=1) - timedelta(days=1)
        month = parse_period(last.replace(day=1), last)

        # Warm WeasyPrint up (fonts, CSS) so that no figure pays for the first render.
        plain_pdf(["warm-up"], [["Привет"]])

        # 1. Call detail, one line, one month.
        busy = db.session.execute(
            select(UsageRecord.line_id, func.count()).join(Line)
            .where(Line.company_id == company.id, UsageRecord.occurred_at >= month.start,
                   UsageRecord.occurred_at < month.end)
            .group_by(UsageRecord.line_id).order_by(func.count().desc()).limit(1)).first()
        # A realistic month of one line: 60 records, added to the busiest line.
        extra = [{"line_id": busy[0], "occurred_at": month.start + timedelta(hours=7 * i),
                  "kind": "call", "quantity": 60 + i, "direction": "out",
                  "counterpart": f"916{i:07d}", "amount": 0} for i in range(60)]
        db.session.execute(insert(UsageRecord), extra)
        db.session.commit()
        report = builders.call_detail(admin, month, {"line_id": busy[0]})
        seconds, _pdf = timed(lambda: formats.pdf_bytes(report))
        cpu = LAST_CPU[0]
        report = builders.call_detail(admin, month, {"line_id": busy[0]})
        rows = list(table_rows(report.detail, cell=screen_cell))
        floor, _ = timed(lambda: plain_pdf([c.label for c in report.detail.columns], rows))
        line(f"call detail PDF, one line, {len(rows) - 1} rows", seconds, floor, 2, cpu)

        # 2. Expenses summary PDF by node.
        def expenses_pdf():
            # The last two closed months (the first day of the month before ``last`` to
            # ``last``): a day of an open month would add its accrued table as well.
            first = (last.replace(day=1) - timedelta(days=1)).replace(day=1)
            r = builders.expenses(admin, parse_period(first, last), {})
            return r, formats.pdf_bytes(r)

        seconds, (report, _pdf) = timed(expenses_pdf)
        cpu = LAST_CPU[0]
        by_node = report.summary[0]
        rows = list(table_rows(by_node, cell=screen_cell))
        floor, _ = timed(lambda: plain_pdf([c.label for c in by_node.columns], rows))
        line(f"expenses summary PDF, {len(by_node.rows)} nodes", seconds, floor, 20, cpu)

        # 3. Inventory XLSX: 10,000 lines of a subtree first, then every line.
        from corp.service import node_labels  # noqa: F401 - warm imports before measuring

        region = db.session.scalar(select(Node).where(Node.company_id == company.id,
                                                      Node.depth == 1).order_by(Node.id))
        small = builders.inventory(admin, None, {"node_id": region.id})
        reset_peak_rss()
        with tempfile.TemporaryFile() as out:
            timed(lambda: formats.write(small, "xlsx", out))
        rss_small = rss_mb()
        report = builders.inventory(admin, None, {})
        reset_peak_rss()
        with tempfile.TemporaryFile() as out:
            seconds, _ = timed(lambda: formats.write(report, "xlsx", out))
        cpu = LAST_CPU[0]
        rss_large = rss_mb()
        report = builders.inventory(admin, None, {})
        rows = list(table_rows(report.detail))

        with tempfile.TemporaryFile() as out:
            floor, _ = timed(lambda: write_xlsx(out, [c.label for c in report.detail.columns],
                                                rows))
        line(f"inventory XLSX, {len(rows)} lines", seconds, floor, 15, cpu)
        print(f"{'':<44} peak RSS {rss_small:.0f} MB after the subtree "
              f"({region.name}), {rss_large:.0f} MB after all lines: "
              f"{rss_large - rss_small:+.0f} MB (target ≤ +100 MB)")
        del rows

        # 4. Tariff advice for every line.
        seconds, report = timed(lambda: builders.tariff_advice(admin, None, {}))
        cpu = LAST_CPU[0]
        floor, _ = timed(lambda: db.session.execute(
            select(UsageRecord.line_id, UsageRecord.kind, func.sum(UsageRecord.quantity))
            .group_by(UsageRecord.line_id, UsageRecord.kind)).all())
        line(f"tariff advice, {len(report.detail.rows)} lines", seconds, floor, 60, cpu)

        # 5. A long call detail: parallel chunks against one plain WeasyPrint document.
        target = db.session.scalar(select(Line.id).where(Line.company_id == company.id,
                                                         Line.id != busy[0]).order_by(Line.id))
        start = month.start
        rows = [{"line_id": target, "occurred_at": start + timedelta(minutes=8 * i),
                 "kind": "call", "quantity": 30 + i % 900, "direction": "out",
                 "counterpart": f"9{i:09d}", "amount": 0} for i in range(LONG_ROWS)]
        db.session.execute(insert(UsageRecord), rows)
        db.session.commit()
        report = builders.call_detail(admin, month, {"line_id": target})
        count = report.row_count
        seconds, data = timed(lambda: formats.pdf_bytes(report))
        cpu = LAST_CPU[0]
        report = builders.call_detail(admin, month, {"line_id": target})
        rows = list(table_rows(report.detail, cell=screen_cell, with_total=False))
        floor, _ = timed(lambda: plain_pdf([c.label for c in report.detail.columns], rows))
        floor_cpu = LAST_CPU[0]

        pages = len(PdfReader(io.BytesIO(data)).pages)
        print(f"{f'call detail PDF, {count} rows, {pages} pages':<44} {seconds:8.2f} s  "
              f"floor {floor:8.2f} s  ratio {seconds / floor:5.2f}  target ratio ≤ 0.6  "
              f"{'OK' if seconds <= 0.6 * floor else 'SLOW'}  (CPU {cpu:.2f} s, floor CPU "
              f"{floor_cpu:.2f} s)  load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
