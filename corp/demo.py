"""Demo data: two companies, their trees, 1,500 lines with usage, and the demo logins.

Deterministic: one seeded random generator, so every run builds the same rows (dates are
relative to the current month, so "this month" always has usage). ``--large`` adds a
100,000-line, 1,000-node company for the benchmarks.
"""

import random
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, insert, inspect, select

from auth.models import User
from auth.passwords import hash_password
from core.extensions import db
from corp.billing import rating
from corp.billing.charges import terms_of
from corp.billing.close import close_month, receive_payment
from corp.billing.models import FinancialDocument
from corp.models import (
    BillingAccount,
    Company,
    Contract,
    Line,
    LineMonthlyUsage,
    LineService,
    Payment,
    Service,
    Tariff,
    UsageRecord,
    line_search_text,
)
from corp.validators import (
    bank_account_key_digit,
    inn_check_digits,
    luhn_check_digit,
    ogrn_check_digit,
)
from hierarchy.models import Node
from roles.service import assign_predefined, ensure_predefined_roles

DEMO_PASSWORD = "Demo-pass-2026"  # noqa: S105 - the documented demo password

DEMO_LOGINS = (
    ("admin@romashka.example", "ООО «Ромашка»", "global administrator"),
    ("sales.head@romashka.example", "ООО «Ромашка»", "line operator on Москва / Продажи"),
    ("accountant@romashka.example", "ООО «Ромашка»", "accountant"),
    ("admin@vector.example", "АО «Вектор»", "global administrator"),
    ("staff@operator.example", "—", "operator staff"),
)

TARIFFS = [
    # code, name, fee, minutes, sms, mb, options, (minute, sms, MB prices beyond the package)
    ("biz_start", "Бизнес Старт", "350", 300, 100, 5_000, {}, ("2.50", "1.90", "0.50")),
    ("biz_optimum", "Бизнес Оптимум", "650", 800, 300, 15_000,
     {"favourite_numbers": {"type": "msisdn_list", "max": 3}}, ("2.00", "1.50", "0.40")),
    ("biz_max", "Бизнес Максимум", "1200", 3000, 1000, 40_000,
     {"favourite_numbers": {"type": "msisdn_list", "max": 5},
      "data_package_mb": {"type": "choice", "values": [20_000, 40_000, 60_000]}},
     ("1.50", "1.00", "0.30")),
    ("biz_data", "Бизнес Интернет", "500", 100, 50, 30_000,
     {"data_package_mb": {"type": "choice", "values": [15_000, 30_000, 50_000]}},
     ("3.00", "2.00", "0.20")),
    ("biz_iot", "Телеметрия", "90", 0, 50, 500, {}, ("3.50", "2.50", "1.00")),
    ("biz_unlim", "Безлимит для бизнеса", "1900", 10_000, 3000, 100_000, {},
     ("1.00", "1.00", "0.10")),
]

SERVICES = [
    # code, name, category, monthly, one-off, incompatible, tariffs
    ("roaming_intl", "Международный роуминг", "roaming", "0", "0", [], []),
    ("roaming_easy", "Роуминг без забот", "roaming", "300", "0", [], []),
    ("caller_id", "Определитель номера", "calls", "0", "0", ["anti_id"], []),
    ("anti_id", "АнтиАОН", "calls", "60", "0", ["caller_id"], []),
    ("conference", "Конференц-связь", "calls", "0", "0", [], []),
    ("voicemail", "Голосовая почта", "calls", "30", "0", [], []),
    ("extra_gb", "Дополнительный интернет 5 ГБ", "internet", "150", "0", [],
     ["biz_start", "biz_optimum", "biz_max"]),
    ("unlim_messengers", "Безлимитные мессенджеры", "internet", "90", "0", [], []),
    ("content_block", "Запрет контента", "security", "0", "0", [], []),
    ("sms_pack", "Пакет SMS 500", "sms", "120", "0", [], ["biz_start", "biz_optimum"]),
    ("static_ip", "Статический IP", "internet", "200", "500", [], ["biz_iot", "biz_data"]),
    ("gps", "Мобильные сотрудники", "business", "190", "0", [], []),
]

FIRST = ["Анна", "Иван", "Ольга", "Сергей", "Мария", "Алексей", "Елена", "Дмитрий", "Наталья",
         "Андрей", "Татьяна", "Павел", "Юлия", "Михаил", "Ирина", "Николай", "Светлана", "Артём"]
LAST = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов", "Новиков",
        "Морозов", "Петров", "Волков", "Соловьёв", "Васильев", "Зайцев", "Павлов", "Семёнов"]
POSITIONS = {
    "Продажи": ["менеджер по продажам", "старший менеджер", "руководитель группы продаж"],
    "Бухгалтерия": ["бухгалтер", "главный бухгалтер", "экономист"],
    "ИТ": ["инженер", "системный администратор", "разработчик"],
    "Логистика": ["водитель", "логист", "кладовщик"],
    "Руководство": ["генеральный директор", "заместитель директора", "помощник руководителя"],
}


@dataclass
class CompanySpec:
    """What to build for one company."""

    name: str
    inn9: str  # first 9 digits; the check digit is computed
    ogrn12: str
    kpp: str
    bik: str
    contract: str
    msisdn_prefix: str  # the first 3 digits after 9
    lines: int
    accounts: int
    tree: dict = field(default_factory=dict)
    domain: str = "example"
    city: str = "Москва"
    usage_per_month: int = 20


def _female(first: str) -> bool:
    return first[-1] in "аяь" and first not in ("Никита",)


def _employee(rng: random.Random) -> str:
    first = rng.choice(FIRST)
    last = rng.choice(LAST)
    return f"{last}{'а' if _female(first) else ''} {first}"


def company_details(spec: CompanySpec) -> dict:
    """The legal entity's details, with valid INN, OGRN and bank account check digits."""
    inn = spec.inn9 + inn_check_digits(spec.inn9)
    ogrn = spec.ogrn12 + ogrn_check_digit(spec.ogrn12)
    account = "40702810" + "0" + "38000" + spec.inn9[-6:]
    account = account[:8] + bank_account_key_digit(account, spec.bik) + account[9:]
    return {
        "name": spec.name,
        "inn": inn,
        "kpp": spec.kpp,
        "ogrn": ogrn,
        "legal_address": f"г. {spec.city}, ул. Тверская, д. 7",
        "postal_address": f"г. {spec.city}, ул. Тверская, д. 7, офис 12",
        "bank_name": "ПАО «Банк»",
        "bik": spec.bik,
        "bank_account": account,
        "correspondent_account": "30101810400000000225",
        "contact_name": "Петрова Анна Сергеевна",
        "contact_phone": "9161000001",
        "contact_email": f"office@{spec.domain}",
    }


def ensure_catalogue() -> dict[str, Tariff]:
    """The tariff and service catalogue (shared by every company)."""
    tariffs = {t.code: t for t in db.session.scalars(select(Tariff))}
    for code, name, fee, minutes, sms, mb, options, prices in TARIFFS:
        if code not in tariffs:
            tariffs[code] = Tariff(code=code, name=name, monthly_fee=Decimal(fee),
                                   included_minutes=minutes, included_sms=sms, included_mb=mb,
                                   options=options, minute_price=Decimal(prices[0]),
                                   sms_price=Decimal(prices[1]), mb_price=Decimal(prices[2]))
            db.session.add(tariffs[code])
    existing = set(db.session.scalars(select(Service.code)))
    for code, name, category, monthly, one_off, incompatible, tariff_codes in SERVICES:
        if code not in existing:
            db.session.add(Service(code=code, name=name, category=category,
                                   monthly_fee=Decimal(monthly), one_off_fee=Decimal(one_off),
                                   incompatible_with=incompatible, tariff_codes=tariff_codes))
    db.session.flush()
    return tariffs


def add_node(company: Company, parent: Node | None, name: str, kind: str, cost_centre=None):
    """Insert a node and give it its materialised path."""
    node = Node(company_id=company.id, parent_id=parent.id if parent else None, name=name,
                kind=kind, cost_centre=cost_centre, depth=(parent.depth + 1) if parent else 0)
    db.session.add(node)
    db.session.flush()
    node.path = f"{parent.path if parent else '/'}{node.id}/"
    return node


def build_tree(company: Company, spec: CompanySpec) -> list[Node]:
    """The company's tree from a nested dict {name: (kind, {children})}; returns leaves."""
    root = add_node(company, None, company.name, "root")
    leaves = []

    def walk(parent, children):
        for i, (name, (kind, sub)) in enumerate(children.items()):
            node = add_node(company, parent, name, kind, f"CC-{parent.id:03d}-{i + 1:02d}")
            if sub:
                walk(node, sub)
            else:
                leaves.append(node)

    walk(root, spec.tree)
    return leaves or [root]


def build_company(spec: CompanySpec, rng: random.Random, tariffs: dict, today: date,
                  echo=lambda *_: None) -> Company:
    """One company: contract, accounts, tree, lines, services, usage, payments."""
    company = Company(**company_details(spec))
    db.session.add(company)
    db.session.flush()
    contract = Contract(company_id=company.id, number=spec.contract, signed_on=date(2021, 3, 15))
    db.session.add(contract)
    db.session.flush()
    accounts = []
    for i in range(spec.accounts):
        number = f"{spec.contract[-4:]}{company.id:02d}{i + 1:06d}"[-12:].rjust(12, "7")
        method = "credit" if i % 2 else "advance"
        accounts.append(BillingAccount(
            company_id=company.id, contract_id=contract.id, number=number,
            settlement_method=method,
            balance=Decimal(rng.randrange(-5_000, 150_000)) if method == "credit"
            else Decimal(rng.randrange(200, 90_000)),
            credit_limit=Decimal(300_000 if method == "credit" else 0),
            bill_delivery_email=f"billing@{spec.domain}",
        ))
    db.session.add_all(accounts)
    db.session.flush()
    leaves = build_tree(company, spec)
    echo(f"  {spec.name}: tree of {len(leaves)} leaf nodes")

    tariff_list = list(tariffs.values())
    services = list(db.session.scalars(select(Service)))
    line_rows = []
    for i in range(spec.lines):
        node = leaves[i % len(leaves)]
        name = _employee(rng)
        dept = node.name if node.name in POSITIONS else rng.choice(list(POSITIONS))
        position = rng.choice(POSITIONS[dept])
        iccid18 = f"897010{company.id:03d}{i:09d}"
        status, kind = "active", None
        roll = rng.random()
        if roll < 0.05:
            status, kind = "blocked", rng.choice(["voluntary", "loss", "financial"])
        elif roll < 0.06:
            status, kind = "terminated", "permanent"
        email = f"user{i + 1}@{spec.domain}"
        line_rows.append({
            "company_id": company.id,
            "msisdn": f"9{spec.msisdn_prefix}{i:06d}",
            "iccid": iccid18 + luhn_check_digit(iccid18),
            "status": status,
            "block_kind": kind,
            "tariff_id": rng.choice(tariff_list).id,
            "tariff_options": {},
            "billing_account_id": accounts[i % len(accounts)].id,
            "node_id": node.id,
            "employee_name": name,
            "employee_position": position,
            "employee_email": email,
            "personnel_number": f"{i + 1:05d}",
            "search_text": line_search_text(name, position, email, f"{i + 1:05d}"),
            "activated_on": date(2021, 4, 1) + timedelta(days=i % 900),
            "version": 1,
            "updated_at": datetime.now(UTC),
        })
    for chunk in _chunks(line_rows, 5_000):
        db.session.execute(insert(Line), chunk)
    line_ids = db.session.scalars(
        select(Line.id).where(Line.company_id == company.id).order_by(Line.id)
    ).all()
    tariff_by_line = dict(db.session.execute(
        select(Line.id, Line.tariff_id).where(Line.company_id == company.id)).all())
    tariff_codes = {t.id: t.code for t in tariff_list}
    echo(f"  {spec.name}: {len(line_ids)} lines")

    # Services: a few per line, respecting the catalogue's compatibility rules.
    service_rows = []
    for line_id in line_ids:
        chosen = set()
        for service in rng.sample(services, rng.randrange(0, 4)):
            code = tariff_codes[tariff_by_line[line_id]]
            if service.tariff_codes and code not in service.tariff_codes:
                continue
            if any(c.code in service.incompatible_with for c in chosen):
                continue
            chosen.add(service)
        service_rows.extend({"line_id": line_id, "service_id": s.id,
                             "connected_at": datetime(2024, 1, 10, tzinfo=UTC)} for s in chosen)
    for chunk in _chunks(service_rows, 10_000):
        db.session.execute(insert(LineService), chunk)

    terms = {t.id: terms_of(t) for t in tariff_list}
    roaming_ids = {s.id for s in services if s.category == "roaming"}
    roamers = {row["line_id"] for row in service_rows if row["service_id"] in roaming_ids}
    line_info = db.session.execute(select(Line.id, Line.tariff_id, Line.activated_on, Line.status)
                                   .where(Line.company_id == company.id).order_by(Line.id)).all()
    _build_usage([(i, terms[t], a, st, i in roamers) for i, t, a, st in line_info], rng, today,
                 spec.usage_per_month, echo, spec.name)
    for account in accounts:
        for month in range(3):
            paid = _month_start(today, -month) + timedelta(days=rng.randrange(1, 25))
            if paid > today:
                continue
            db.session.add(Payment(billing_account_id=account.id, amount=Decimal(
                rng.randrange(5_000, 80_000)), paid_at=datetime(paid.year, paid.month, paid.day,
                                                                10, tzinfo=UTC),
                reference=f"ПП-{rng.randrange(1000, 9999)}"))
    db.session.flush()
    return company


def _month_start(today: date, offset: int) -> date:
    month = today.month - 1 + offset
    return date(today.year + month // 12, month % 12 + 1, 1)


def _chunks(rows, size):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


ROAMING_COUNTRIES = ("BY", "KZ", "TR", "AE", "DE")


def _build_usage(lines, rng, today, per_month, echo, name):
    """About ``per_month`` usage records per line for this month and the two before, rated
    by the billing engine as the operator would (package first, then per-unit prices).

    ``lines`` are ``(id, Terms, activated_on, status, roams)``. Terminated and blocked lines
    and about one active line in twenty have no usage (the idle lines); about one in seven
    is a heavy user who exhausts the package; lines with a roaming service travel."""
    usage_rows = []
    monthly = []
    total = 0
    profiles = {}
    for line_id, _terms, _activated, status, _roams in lines:
        roll = rng.random()
        profiles[line_id] = ("idle" if status != "active" or roll < 0.05
                             else "heavy" if roll < 0.2 else "normal")
    for month_offset in (-2, -1, 0):
        start = _month_start(today, month_offset)
        days = (_month_start(today, month_offset + 1) - start).days
        if month_offset == 0:
            days = max(today.day, 1)
        period = f"{start.year:04d}-{start.month:02d}"
        for line_id, terms, activated, _status, roams in lines:
            profile = profiles[line_id]
            if profile == "idle":
                continue
            heavy = profile == "heavy"
            abroad = rng.choice(ROAMING_COUNTRIES) if roams and rng.random() < 0.4 else None
            records = []
            for _ in range(per_month if month_offset else max(per_month * days // 30, 1)):
                day = start + timedelta(days=rng.randrange(days))
                at = datetime(day.year, day.month, day.day, rng.randrange(8, 21),
                              rng.randrange(60), rng.randrange(60), tzinfo=UTC)
                country = abroad if abroad and rng.random() < 0.25 else None
                roll = rng.random()
                if roll < 0.55:
                    kind = "call"
                    qty = rng.randrange(10, 3600 if heavy else 900)
                    direction = "in" if rng.random() < 0.3 else "out"
                    counterpart = f"9{rng.randrange(10**8, 10**9)}"
                elif roll < 0.7:
                    kind, qty = "sms", 1
                    direction = "in" if rng.random() < 0.2 else "out"
                    counterpart = f"9{rng.randrange(10**8, 10**9)}"
                else:
                    kind, direction, counterpart = "data", "out", "internet"
                    # Abroad, sessions are short (a map, a message): roaming MB are dear.
                    qty = rng.randrange(100, 5_000 if country else
                                        2_000_000 if heavy else 200_000)
                records.append((at, kind, qty, direction, country, counterpart))
            records.sort(key=lambda r: r[0])
            segments = rating.segments_for(period, [], terms, active_from=activated)
            charges = rating.rate_month(period, segments,
                                        [rating.Usage(*r[:5]) for r in records])
            for (at, kind, qty, direction, country, counterpart), rated in zip(
                    records, charges.rated, strict=True):
                usage_rows.append({"line_id": line_id, "occurred_at": at, "kind": kind,
                                   "quantity": qty, "counterpart": counterpart,
                                   "direction": direction, "country": country,
                                   "amount": rated.amount})
            monthly.append({"line_id": line_id, "period": period,
                            "minutes": charges.totals["minutes"], "sms": charges.totals["sms"],
                            "mb": charges.totals["mb"],
                            "amount": sum((r.amount for r in charges.rated), Decimal(0))})
            if len(usage_rows) >= 50_000:
                db.session.execute(insert(UsageRecord), usage_rows)
                total += len(usage_rows)
                usage_rows = []
    if usage_rows:
        db.session.execute(insert(UsageRecord), usage_rows)
        total += len(usage_rows)
    for chunk in _chunks(monthly, 10_000):
        db.session.execute(insert(LineMonthlyUsage), chunk)
    echo(f"  {name}: {total} usage records")


def close_past_months(today: date, echo=lambda *_: None, company_id=None) -> None:
    """Close the demo's past months (as the operator's month close would have); each
    company pays its invoice in the next month (on the 5th, or today if earlier), so the
    balances stay about where the demo set them."""
    for offset in (-2, -1):
        start = _month_start(today, offset)
        period = f"{start.year:04d}-{start.month:02d}"
        counts = close_month(period, company_id=company_id)
        paid_on = min(_month_start(today, offset + 1) + timedelta(days=4), today)
        query = select(FinancialDocument).where(FinancialDocument.period == period,
                                                FinancialDocument.kind == "invoice")
        if company_id is not None:
            query = query.where(FinancialDocument.company_id == company_id)
        for invoice in db.session.scalars(query).all():
            receive_payment(db.session.get(BillingAccount, invoice.billing_account_id),
                            invoice.total,
                            datetime(paid_on.year, paid_on.month, paid_on.day, 9, tzinfo=UTC),
                            reference=f"ПП по {invoice.number}")
        echo(f"  month {start:%Y-%m} closed: {counts['documents']} documents")


ROMASHKA_TREE = {
    "Москва": ("branch", {"Продажи": ("department", {}), "Бухгалтерия": ("department", {}),
                          "ИТ": ("department", {}), "Логистика": ("department", {}),
                          "Руководство": ("department", {})}),
    "Санкт-Петербург": ("branch", {"Продажи": ("department", {}),
                                   "Бухгалтерия": ("department", {}),
                                   "ИТ": ("department", {}), "Логистика": ("department", {})}),
    "Казань": ("branch", {"Продажи": ("department", {}), "Бухгалтерия": ("department", {}),
                          "ИТ": ("department", {}), "Логистика": ("department", {})}),
}

VECTOR_TREE = {
    "Центральный офис": ("branch", {"Дирекция": ("department", {}),
                                    "Финансы": ("department", {})}),
    "Производство": ("branch", {"Цех 1": ("department", {}), "Цех 2": ("department", {}),
                                "Склад": ("department", {})}),
}

ROMASHKA = CompanySpec(name="ООО «Ромашка»", inn9="772812345", ogrn12="102773912345",
                       kpp="772801001", bik="044525225", contract="КД-2021-000117",
                       msisdn_prefix="161", lines=1200, accounts=4, tree=ROMASHKA_TREE,
                       domain="romashka.example")
VECTOR = CompanySpec(name="АО «Вектор»", inn9="500112233", ogrn12="105500123456",
                     kpp="500101001", bik="044525225", contract="КД-2022-000342",
                     msisdn_prefix="262", lines=300, accounts=2, tree=VECTOR_TREE,
                     domain="vector.example", city="Подольск")


def large_tree(nodes: int = 1000) -> dict:
    """A 1,000-node tree: 10 regions → 9 cities → 10 departments, plus one deep chain."""
    tree = {}
    count = 0
    for r in range(10):
        cities = {}
        count += 1
        for c in range(9):
            depts = {}
            count += 1
            for d in range(10):
                depts[f"Отдел {r + 1}.{c + 1}.{d + 1}"] = ("department", {})
                count += 1
            cities[f"Город {r + 1}.{c + 1}"] = ("city", depts)
        tree[f"Регион {r + 1}"] = ("branch", cities)
    # A chain 10 levels deep so deep trees are exercised too.
    chain: dict = {}
    level = chain
    while count < nodes - 1:
        name = f"Уровень {count}"
        level[name] = ("group", {})
        level = level[name][1]
        count += 1
    tree["Глубокая ветка"] = ("branch", chain)
    return tree


def large_spec(lines: int = 100_000, usage_per_month: int = 20) -> CompanySpec:
    """The benchmark company: 100,000 lines, 1,000 nodes, 3 months of usage."""
    return CompanySpec(name="ООО «Гигант»", inn9="771199887", ogrn12="117746012345",
                       kpp="771101001", bik="044525225", contract="КД-2019-009001",
                       msisdn_prefix="850", lines=lines, accounts=20, tree=large_tree(),
                       domain="gigant.example", usage_per_month=usage_per_month)


def ensure_schema() -> None:
    """Bring the schema up to date (runs the migrations; a no-op when already current)."""
    from flask_migrate import upgrade

    upgrade(directory=current_app.extensions["migrate"].directory)


def database_has_data() -> bool:
    """Whether any company or user exists already."""
    if not inspect(db.engine).has_table("companies"):
        return False
    return bool(db.session.scalar(select(func.count()).select_from(Company))) or bool(
        db.session.scalar(select(func.count()).select_from(User)))


def load_demo(echo=lambda *_: None, today: date | None = None) -> None:
    """Build the two demo companies with their users and roles (caller commits)."""
    rng = random.Random(2026)  # noqa: S311 - reproducible demo data, not security
    today = today or date.today()
    ensure_predefined_roles()
    tariffs = ensure_catalogue()
    romashka = build_company(ROMASHKA, rng, tariffs, today, echo)
    vector = build_company(VECTOR, rng, tariffs, today, echo)
    password = hash_password(DEMO_PASSWORD)

    def user(email, name, company=None, staff=False):
        u = User(email=email, name=name, password_hash=password,
                 company_id=company.id if company else None, is_operator_staff=staff)
        db.session.add(u)
        db.session.flush()
        return u

    sales = db.session.scalar(select(Node).where(
        Node.company_id == romashka.id, Node.name == "Продажи",
        Node.parent.has(Node.name == "Москва")))
    assign_predefined(user("admin@romashka.example", "Петрова Анна", romashka), "global_admin")
    assign_predefined(user("sales.head@romashka.example", "Соколов Игорь", romashka),
                      "line_operator", node=sales)
    assign_predefined(user("accountant@romashka.example", "Морозова Елена", romashka),
                      "accountant")
    assign_predefined(user("admin@vector.example", "Волков Павел", vector), "global_admin")
    user("staff@operator.example", "Оператор Поддержки", staff=True)
    close_past_months(today, echo)


def load_large(lines: int, usage_per_month: int, echo=lambda *_: None) -> Company:
    """Add the large benchmark company with a global administrator (caller commits)."""
    rng = random.Random(100_000)  # noqa: S311
    ensure_predefined_roles()
    tariffs = ensure_catalogue()
    company = build_company(large_spec(lines, usage_per_month), rng, tariffs, date.today(), echo)
    close_past_months(date.today(), echo, company_id=company.id)
    admin = User(email="admin@gigant.example", name="Администратор Гиганта",
                 password_hash=hash_password(DEMO_PASSWORD), company_id=company.id)
    db.session.add(admin)
    db.session.flush()
    assign_predefined(admin, "global_admin")
    return company


def analyze() -> None:
    """Refresh the planner's statistics after a bulk load (SQLite and PostgreSQL)."""
    from sqlalchemy import text

    db.session.execute(text("ANALYZE"))


def print_logins(echo=click.echo) -> None:
    """The demo logins, as the README lists them."""
    echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for email, company, role in DEMO_LOGINS:
        echo(f"  {email:<32} {company:<16} {role}")


@click.command("demo")
@click.option("--large", is_flag=True, help="Also add the 100,000-line benchmark company.")
@click.option("--large-lines", default=100_000, show_default=True)
@click.option("--usage-per-month", default=20, show_default=True,
              help="Usage records per line per month for the large company.")
@with_appcontext
def demo_command(large, large_lines, usage_per_month):
    """Load the demo data into the database DATABASE_URL names (migrating a new one first)."""
    ensure_schema()
    if large and db.session.scalar(select(Company.id).where(Company.inn.like("771199887%"))):
        click.echo("The large company is already loaded; nothing changed.")
        return
    if large:
        if not database_has_data():
            load_demo(click.echo)
        load_large(large_lines, usage_per_month, click.echo)
        db.session.commit()
        analyze()
        db.session.commit()
        click.echo("Large company loaded: admin@gigant.example")
        return
    if database_has_data():
        click.echo("The database already holds data; the demo was not loaded (nothing changed).",
                   err=True)
        print_logins()
        sys.exit(1)
    load_demo(click.echo)
    db.session.commit()
    analyze()
    db.session.commit()
    click.echo("Demo data loaded.")
    print_logins()


@click.command("serve-demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@with_appcontext
def serve_demo_command(host, port):
    """Migrate, load the demo data if the database is empty, print the logins, serve."""
    ensure_schema()
    if not database_has_data():
        load_demo(click.echo)
        db.session.commit()
        click.echo("Demo data loaded.")
    print_logins()
    click.echo(f"Virtual Manager: http://{host}:{port}/")
    db.session.remove()
    from werkzeug.serving import run_simple

    # The development server; production runs the WSGI app under gunicorn or similar.
    run_simple(host, port, current_app._get_current_object(), threaded=True)
