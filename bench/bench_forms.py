"""Benchmark application forms: a one-page form (the first render in a process, then warm),
and «Информация о пользователях» for 1,000 lines beside a floor measured in the same run:
WeasyPrint rendering a plain table of the same rows (same fonts, no form furniture).

    python bench/bench_forms.py            # demo data in a SQLite file under bench/results/

Targets: one-page form ≤ 1 s warm; users information for 1,000 lines ≤ 10 s.
Each generation includes validation, the scoped line query, the record and the PDF.
"""

import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


import pypdf
from jinja2 import Environment
from sqlalchemy import inspect, select
from weasyprint import HTML

from auth.models import User
from bench.common import database_url, make_app
from core.extensions import db
from corp.demo import ensure_schema, load_demo
from corp.models import Company, Line
from forms import service
from forms.catalogue import LINE_COLUMN_LABELS, USERS_COLUMNS
from tests.forms.conftest import valid_fields

LINES = 1000
WARM_REPEAT = 5
FLOOR_TEMPLATE = """<!doctype html><html><head><meta charset="utf-8"><style>
@page { size: A4 portrait; margin: 15mm; }
html { font-family: "DejaVu Sans", sans-serif; font-size: 8.5pt; }
table { border-collapse: collapse; width: 100%; }
td, th { border: 0.5pt solid #555; padding: 1mm; }
</style></head><body><table>
<thead><tr>{% for c in columns %}<th>{{ c }}</th>{% endfor %}</tr></thead><tbody>
{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}
</tbody></table></body></html>"""


def ensure_demo(app) -> None:
    with app.app_context():
        if "companies" not in inspect(db.engine).get_table_names() or db.session.scalar(
                select(Company.id).limit(1)) is None:
            print("building the demo database (once)…", flush=True)
            ensure_schema()
            load_demo()
            db.session.commit()


def main() -> None:
    app = make_app(database_url("bench_forms"))
    ensure_demo(app)
    with app.test_request_context():
        admin = db.session.scalar(select(User).where(User.email == "admin@romashka.example"))
        ids = db.session.scalars(select(Line.id).where(Line.company_id == 1)
                                 .order_by(Line.id).limit(LINES)).all()
        claim = valid_fields(admin, "claim")

        def one_page():
            return service.generate(admin, "claim", claim)

        start = time.perf_counter()
        first = one_page()
        first_ms = (time.perf_counter() - start) * 1000
        warm = []
        for _ in range(WARM_REPEAT):
            start = time.perf_counter()
            one_page()
            warm.append((time.perf_counter() - start) * 1000)

        users_fields = valid_fields(admin, "users_info")
        start, cpu = time.perf_counter(), time.process_time()
        document = service.generate(admin, "users_info", users_fields, ids)
        users_ms = (time.perf_counter() - start) * 1000
        users_cpu = (time.process_time() - cpu) * 1000

        rows = [[service._line_cell(c, line) for c in USERS_COLUMNS]
                for line in service.load_lines(admin, ids)]
        html = Environment(autoescape=True).from_string(FLOOR_TEMPLATE).render(
            columns=[str(LINE_COLUMN_LABELS[c]) for c in USERS_COLUMNS], rows=rows)
        start, cpu = time.perf_counter(), time.process_time()
        floor_pdf = HTML(string=html).write_pdf()
        floor_ms = (time.perf_counter() - start) * 1000
        floor_cpu = (time.process_time() - cpu) * 1000
        db.session.rollback()  # the benchmark's documents are not kept

    pages = len(pypdf.PdfReader(io.BytesIO(document.pdf)).pages)
    floor_pages = len(pypdf.PdfReader(io.BytesIO(floor_pdf)).pages)
    warm_median = statistics.median(warm)
    print(f"one-page form (claim), first in process: {first_ms:8.0f} ms "
          f"({len(first.pdf) // 1024} KB)")
    print(f"one-page form (claim), warm median of {WARM_REPEAT}: {warm_median:8.0f} ms "
          f"(max {max(warm):.0f})   target ≤ 1000 ms: {'OK' if warm_median <= 1000 else 'MISS'}")
    print(f"users information, {LINES} lines: {users_ms:8.0f} ms (CPU {users_cpu:.0f} ms), "
          f"{pages} pages   "
          f"target ≤ 10000 ms: {'OK' if users_ms <= 10000 else 'MISS'}")
    print(f"floor: plain WeasyPrint table of the same rows: {floor_ms:8.0f} ms "
          f"(CPU {floor_cpu:.0f} ms), "
          f"{floor_pages} pages")
    print(f"ratio users information / floor: {users_ms / floor_ms:5.2f}× wall, "
          f"{users_cpu / floor_cpu:5.2f}× CPU")
    load = os.getloadavg()[0]
    print(f"machine: load average {load:.1f} on {os.cpu_count()} cores "
          f"(wall clock exceeds CPU time when other work shares the cores; the CPU time "
          f"{users_cpu:.0f} ms is what an idle machine would take: "
          f"{'OK' if users_cpu <= 10000 else 'MISS'})")


if __name__ == "__main__":
    main()
