"""Lines list and tree on a 100,000-line company vs a 1,000-line one, global vs scoped user.

    python bench/bench_lines.py            # SQLite file under bench/results/ (built once)
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/bench python bench/bench_lines.py

Builds (first run only) the demo, a 1,000-line company with 10 departments of 100 lines,
and the 100,000-line, 1,000-node company with 3 months of usage (20 records per line per
month unless --usage-per-month says otherwise). Then times, as server time through the
Flask test client, the lines list (50 rows, a department subtree and a search term) and the
tree with counts, and prints the ratios the issues set: 100k/1k list ≤ 2×, scoped/global
≤ 1.2×, p95 under 150 ms. The floor is the same list query as bare SQL in the same run.
"""

import argparse
import random
import time

from common import database_url, make_app, p, summary, timed
from sqlalchemy import select, text

from auth.models import User
from core.extensions import db
from corp import demo
from corp.models import Company
from hierarchy.models import Node
from roles.service import assign_predefined, ensure_predefined_roles

SEARCH = "ов"  # a fragment of many Russian surnames: the search does real filtering


def build(app, usage_per_month: int) -> None:
    """Create the companies unless the database already has them."""
    with app.app_context():
        demo.ensure_schema()
        if not demo.database_has_data():
            demo.load_demo(print)
            db.session.commit()
        if not db.session.scalar(select(Company.id).where(Company.name == "ООО «Малая»")):
            rng = random.Random(1000)  # noqa: S311
            ensure_predefined_roles()
            tariffs = demo.ensure_catalogue()
            small = demo.CompanySpec(
                name="ООО «Малая»", inn9="773300111", ogrn12="107773300111",
                kpp="773301001", bik="044525225", contract="КД-2020-001000",
                msisdn_prefix="777", lines=1000, accounts=2, domain="malaya.example",
                tree={f"Филиал {b}": ("branch", {f"Отдел {b}.{d}": ("department", {})
                                                 for d in range(1, 6)}) for b in (1, 2)},
                usage_per_month=usage_per_month)
            company = demo.build_company(small, rng, tariffs, __import__("datetime").date.today(),
                                         print)
            admin = User(email="admin@malaya.example", name="Админ", company_id=company.id,
                         password_hash=demo.hash_password(demo.DEMO_PASSWORD))
            db.session.add(admin)
            db.session.flush()
            assign_predefined(admin, "global_admin")
            db.session.commit()
        if not db.session.scalar(select(Company.id).where(Company.name == "ООО «Гигант»")):
            started = time.perf_counter()
            company = demo.load_large(100_000, usage_per_month, print)
            db.session.flush()
            _scoped_user(company)
            db.session.commit()
            demo.analyze()
            db.session.commit()
            print(f"large company built in {time.perf_counter() - started:.0f} s")
        demo.ensure_schema()


def _scoped_user(company) -> None:
    """A line operator scoped to one region of the large company."""
    region = db.session.scalar(select(Node).where(Node.company_id == company.id,
                                                  Node.name == "Регион 1"))
    user = User(email="region1@gigant.example", name="Региональный", company_id=company.id,
                password_hash=demo.hash_password(demo.DEMO_PASSWORD))
    db.session.add(user)
    db.session.flush()
    assign_predefined(user, "line_operator", node=region)


def department_of(app, company_name: str, under: str | None = None) -> int:
    """The id of a department node (under a region for the large company)."""
    with app.app_context():
        company_id = db.session.scalar(select(Company.id).where(Company.name == company_name))
        query = select(Node).where(Node.company_id == company_id, Node.kind == "department")
        if under:
            region = db.session.scalar(select(Node).where(Node.company_id == company_id,
                                                          Node.name == under))
            query = query.where(Node.path.startswith(region.path))
        return db.session.scalars(query.order_by(Node.id)).first().id


def signed_in(app, email):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": "Demo-pass-2026"})
    assert response.status_code == 302, response.status_code
    return client


def floor_query(app, node_id: int, company_email: str):
    """The list's query as bare SQL (no ORM objects, no template) — the floor."""
    sql = text("""
        SELECT l.id, l.msisdn, l.employee_name, l.status FROM lines l
        JOIN hierarchy_nodes n ON n.id = l.node_id
        WHERE l.company_id = (SELECT company_id FROM users WHERE email = :email)
          AND l.node_id IN (SELECT id FROM hierarchy_nodes
                            WHERE path LIKE (SELECT path FROM hierarchy_nodes WHERE id = :node)
                                            || '%')
          AND l.search_text LIKE :q
        ORDER BY l.msisdn LIMIT 50""")

    def run():
        with app.app_context():
            db.session.execute(sql, {"email": company_email, "node": node_id,
                                     "q": f"%{SEARCH}%"}).all()
            db.session.remove()
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--usage-per-month", type=int, default=20)
    args = parser.parse_args()
    url = database_url("lines")
    app = make_app(url)
    print(f"database: {url.split('@')[-1]}")
    build(app, args.usage_per_month)

    small_dept = department_of(app, "ООО «Малая»")
    large_dept = department_of(app, "ООО «Гигант»", under="Регион 1")
    small = signed_in(app, "admin@malaya.example")
    large = signed_in(app, "admin@gigant.example")
    scoped = signed_in(app, "region1@gigant.example")

    def page(client, node):
        def run():
            response = client.get(f"/lines?node_id={node}&q={SEARCH}")
            assert response.status_code == 200, response.status_code
        return run

    def api(client, node):
        def run():
            response = client.get(f"/api/v1/lines?node_id={node}&q={SEARCH}&per_page=50")
            assert response.status_code == 200, response.status_code
        return run

    def tree(client):
        def run():
            assert client.get("/hierarchy").status_code == 200
        return run

    cases = {
        "floor: bare SQL of the list, 100k company": floor_query(app, large_dept,
                                                                   "admin@gigant.example"),
        "lines page, 1k company (global admin)": page(small, small_dept),
        "lines page, 100k company (global admin)": page(large, large_dept),
        "lines page, 100k company (scoped user)": page(scoped, large_dept),
        "lines API, 100k company (global admin)": api(large, large_dept),
        "lines page, no filter, 100k company": (lambda: large.get("/lines").status_code),
        "tree with counts, 1k company": tree(small),
        "tree with counts, 100k company (global admin)": tree(large),
        "tree with counts, 100k company (scoped user)": tree(scoped),
    }
    results = {name: [] for name in cases}
    for fn in cases.values():
        timed(fn, 3)  # warm caches (enforcer, statement cache)
    # Round-robin, so a noisy neighbour slows every case alike and the ratios stay fair.
    for _ in range(args.requests):
        for name, fn in cases.items():
            results[name].extend(timed(fn, 1))
    for name, samples in results.items():
        print(f"{name:<48} {summary(samples)}")

    def ratio(a, b):
        return p(results[a], .5) / p(results[b], .5)

    print()
    print(f"100k / 1k lines page (p50):        {ratio('lines page, 100k company (global admin)', 'lines page, 1k company (global admin)'):.2f}×  (target ≤ 2)")  # noqa: E501
    print(f"scoped / global lines page (p50):  {ratio('lines page, 100k company (scoped user)', 'lines page, 100k company (global admin)'):.2f}×  (target ≤ 1.2)")  # noqa: E501
    print(f"lines page / bare SQL floor (p50): {ratio('lines page, 100k company (global admin)', 'floor: bare SQL of the list, 100k company'):.2f}×")  # noqa: E501
    for name in ("lines page, 100k company (global admin)",
                 "lines page, 100k company (scoped user)",
                 "tree with counts, 100k company (global admin)"):
        verdict = "OK" if p(results[name], .95) < 150 else "OVER"
        print(f"p95 {name}: {p(results[name], .95):.1f} ms (target < 150 ms) {verdict}")


if __name__ == "__main__":
    main()
