"""The month close: per line charges and the account's numbered financial documents.

``close_month(period)`` closes every billing account's month once: a closed month is
recorded in ``billing_month_closes`` and running the close again changes nothing. Each
account with charges gets an invoice (счёт на оплату), an act (акт оказанных услуг) and a
VAT invoice (счёт-фактура) dated the month's last day, with the VAT rate in force then.
The close also records each account's balance over the month (``billing_account_balances``:
opening, charges, payments, closing) and debits the month's charges from the live balance.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, insert, select

from core import audit
from core.extensions import db
from corp import validators
from corp.billing import rating
from corp.billing.charges import month_charges
from corp.billing.models import AccountBalance, FinancialDocument, LineCharge, MonthClose
from corp.billing.money import kopecks, split_gross, vat_rate_on
from corp.models import BillingAccount, Company, Contract, Line, Payment
from corp.operations.models import PromisedPayment

KINDS = rating.CHARGE_KINDS
NUMBER_PREFIX = {"invoice": "СЧ", "act": "АКТ", "vat_invoice": "СФ"}


def seller_details() -> dict:
    """The operator's details as the documents print them (settings, not the brand)."""
    inn9 = "770012345"
    default = {
        "name": current_app.config.get("OPERATOR_NAME") or "Оператор связи",
        "inn": inn9 + validators.inn_check_digits(inn9),
        "kpp": "770901001",
        "address": "г. Москва, ул. Связистов, д. 1",
        "bank_name": "ПАО «Банк»",
        "bik": "044525225",
        "bank_account": "40702810900000012345",
        "correspondent_account": "30101810400000000225",
    }
    return {**default, **(current_app.config.get("OPERATOR_DETAILS") or {})}


def buyer_details(company: Company, account: BillingAccount, contract: Contract) -> dict:
    return {"name": company.name, "inn": company.inn, "kpp": company.kpp or "",
            "address": company.legal_address, "postal_address": company.postal_address,
            "account_number": account.number, "contract": contract.number,
            "contract_date": contract.signed_on.isoformat()}


def last_day(period: str) -> date:
    return rating.parse_period(period)[1] - timedelta(days=1)


def closed_periods_before(today: date, months: int) -> list[str]:
    """The ``months`` periods before ``today``'s month, oldest first."""
    periods = []
    day = date(today.year, today.month, 1)
    for _ in range(months):
        day = (day - timedelta(days=1)).replace(day=1)
        periods.append(rating.period_of(day))
    return periods[::-1]


def document_lines(by_kind: dict, rate: Decimal, units: dict) -> list[dict]:
    """The document's lines: one per charge kind with money, VAT extracted per line."""
    lines = []
    for kind in KINDS:
        gross = kopecks(by_kind.get(kind, 0))
        if not gross:
            continue
        net, vat = split_gross(gross, rate)
        lines.append({"kind": kind, "unit": "усл. ед.", "quantity": units.get(kind, 1),
                      "net": str(net), "vat": str(vat), "gross": str(gross)})
    return lines


def _next_numbers(kind: str, year: int, count: int) -> list[str]:
    prefix = f"{NUMBER_PREFIX[kind]}-{year}-"
    last = db.session.scalar(select(func.max(FinancialDocument.number)).where(
        FinancialDocument.kind == kind, FinancialDocument.number.like(prefix + "%")))
    start = int(last[len(prefix):]) + 1 if last else 1
    return [f"{prefix}{n:06d}" for n in range(start, start + count)]


def _utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def promised_credit(account_id: int) -> Decimal:
    """Promised payments in force: a temporary credit on the live balance, not a payment
    (it leaves the balance when it expires), so no month's record holds it."""
    return Decimal(db.session.scalar(select(func.sum(PromisedPayment.amount)).where(
        PromisedPayment.billing_account_id == account_id,
        PromisedPayment.status == "active")) or 0)


def record_balance(account: BillingAccount, period: str, total: Decimal) -> AccountBalance:
    """The account's balance over the closed month, and the month's charges debited from
    the live balance (the operator charges an account when its month closes).

    The month opens with the closing of the latest month closed before it plus the payments
    since; with none before it, with the opening of the next closed month less the payments
    up to it; with no record at all, with the live balance less every payment since the
    month began and any promised credit. Months closed after this one (a late close) move
    down by its charges, so the chain closing → opening stays unbroken and ends at the live
    balance (less the promised payments in force)."""
    start, end = (_utc(d) for d in rating.parse_period(period))
    records = db.session.scalars(select(AccountBalance).where(
        AccountBalance.billing_account_id == account.id).order_by(AccountBalance.period)).all()
    before = [r for r in records if r.period < period]
    after = [r for r in records if r.period > period]

    def paid(lo, hi=None) -> Decimal:
        query = select(func.sum(Payment.amount)).where(
            Payment.billing_account_id == account.id, Payment.paid_at >= lo)
        if hi is not None:
            query = query.where(Payment.paid_at < hi)
        return Decimal(db.session.scalar(query) or 0)

    if before:
        previous = before[-1]
        opening = previous.closing + paid(_utc(rating.parse_period(previous.period)[1]), start)
    elif after:
        opening = after[0].opening - paid(start, _utc(rating.parse_period(after[0].period)[0]))
    else:  # the live balance holds every payment and any promised (temporary) credit
        opening = Decimal(account.balance) - promised_credit(account.id) - paid(start)
    payments = paid(start, end)
    record = AccountBalance(company_id=account.company_id, billing_account_id=account.id,
                            period=period, opening=opening, charges=total, payments=payments,
                            closing=opening - total + payments)
    db.session.add(record)
    for later in after:
        later.opening -= total
        later.closing -= total
    if total:
        account.balance = Decimal(account.balance) - total
    return record


def receive_payment(account: BillingAccount, amount: Decimal, paid_at: datetime,
                    reference: str = "") -> Payment:
    """A payment credited to the account: a ``payments`` row and the live balance up by it
    (flush, no commit)."""
    payment = Payment(billing_account_id=account.id, amount=amount, paid_at=paid_at,
                      reference=reference)
    db.session.add(payment)
    account.balance = Decimal(account.balance) + amount
    db.session.flush()
    return payment


def close_month(period: str, company_id: int | None = None, actor=None) -> dict:
    """Close ``period`` for every account not closed yet (or one company's); flush, no
    commit. Returns counts of accounts closed, lines charged and documents issued."""
    start, end = rating.parse_period(period)
    if end > date.today():
        raise ValueError(f"{period} has not ended yet")
    query = select(BillingAccount).where(~select(MonthClose.id).where(
        MonthClose.billing_account_id == BillingAccount.id, MonthClose.period == period
    ).exists()).order_by(BillingAccount.id)
    if company_id is not None:
        query = query.where(BillingAccount.company_id == company_id)
    accounts = db.session.scalars(query).all()
    counts = {"accounts": 0, "lines": 0, "documents": 0}
    if not accounts:
        return counts
    by_id = {a.id: a for a in accounts}
    line_rows = db.session.execute(
        select(Line.id, Line.status, Line.activated_on, Line.tariff_id, Line.billing_account_id,
               Line.node_id, Line.company_id)
        .where(Line.billing_account_id.in_(list(by_id)), Line.activated_on < end)
        .order_by(Line.id)
    ).all()
    charges = month_charges(line_rows, period)
    account_sums = {a: {k: Decimal("0.00") for k in KINDS} for a in by_id}
    account_units = {a: {"calls": 0, "sms": 0, "data": 0} for a in by_id}
    rows = []
    for row in line_rows:
        c = charges[row.id]
        if not c["total"] and not c["usage_count"]:
            continue
        rows.append({"line_id": row.id, "period": period, "company_id": row.company_id,
                     "billing_account_id": row.billing_account_id, "node_id": row.node_id,
                     "tariff_id": row.tariff_id, **c})
        sums = account_sums[row.billing_account_id]
        for kind in KINDS:
            sums[kind] += c[kind]
        units = account_units[row.billing_account_id]
        units["calls"] += c["minutes"]
        units["sms"] += c["sms_count"]
        units["data"] += c["mb"]
    for chunk_start in range(0, len(rows), 10_000):
        db.session.execute(insert(LineCharge), rows[chunk_start:chunk_start + 10_000])
    counts["lines"] = len(rows)

    issued_on = last_day(period)
    rate = vat_rate_on(issued_on)
    seller = seller_details()
    companies = {c.id: c for c in db.session.scalars(
        select(Company).where(Company.id.in_({a.company_id for a in accounts})))}
    contracts = {c.id: c for c in db.session.scalars(
        select(Contract).where(Contract.id.in_({a.contract_id for a in accounts})))}
    billed = [a for a in accounts if sum(account_sums[a.id].values())]
    numbers = {kind: iter(_next_numbers(kind, issued_on.year, len(billed)))
               for kind in NUMBER_PREFIX}
    for account in accounts:
        sums = account_sums[account.id]
        total = sum(sums.values(), Decimal("0.00"))
        db.session.add(MonthClose(company_id=account.company_id, billing_account_id=account.id,
                                  period=period, total=total))
        record_balance(account, period, total)
        counts["accounts"] += 1
        if not total:
            continue
        lines = document_lines(sums, rate, account_units[account.id])
        net = sum((Decimal(x["net"]) for x in lines), Decimal("0.00"))
        vat = sum((Decimal(x["vat"]) for x in lines), Decimal("0.00"))
        assert net + vat == total  # every line splits exactly; totals are sums of lines
        buyer = buyer_details(companies[account.company_id], account,
                              contracts[account.contract_id])
        for kind in NUMBER_PREFIX:
            db.session.add(FinancialDocument(
                company_id=account.company_id, billing_account_id=account.id, kind=kind,
                number=next(numbers[kind]), issued_on=issued_on, period=period, vat_rate=rate,
                net_total=net, vat_total=vat, total=total, seller=seller, buyer=buyer,
                lines=lines))
            counts["documents"] += 1
    if actor is not None:
        audit.record("billing.close_month", actor=actor, object_type="period",
                     object_id=period, after=counts)
    db.session.flush()
    return counts
