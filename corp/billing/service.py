"""Reading billing within the actor's company and scope: documents, statements, call detail.

Billing accounts and their documents are company-wide objects (they sit at the root scope):
the actor needs the permission on the whole company, else the account is a 404 exactly
like an unknown one. A line's usage follows the line's node.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from core.errors import InvalidInput, NotFound
from core.extensions import db
from corp import service as corp_service
from corp.billing import rating
from corp.billing.charges import month_charges
from corp.billing.close import promised_credit
from corp.billing.models import DOCUMENT_KINDS, AccountBalance, FinancialDocument
from corp.models import BillingAccount, Line, Payment, UsageRecord
from roles import access
from roles.permissions import COMPANY_SCOPE

MAX_PERIOD_DAYS = 366


@dataclass(frozen=True)
class Period:
    """A closed range of days ``first``…``last``."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime(self.first.year, self.first.month, self.first.day, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        after = self.last + timedelta(days=1)
        return datetime(after.year, after.month, after.day, tzinfo=UTC)

    def months(self) -> list[str]:
        """Every "YYYY-MM" the range touches."""
        out, day = [], self.first.replace(day=1)
        while day <= self.last:
            out.append(rating.period_of(day))
            day = rating.next_month(day)
        return out

    def label(self) -> str:
        return f"{self.first:%d.%m.%Y} – {self.last:%d.%m.%Y}"


def parse_period(first, last, default_month: bool = True) -> Period:
    """Read ``from`` / ``to`` (YYYY-MM-DD or dates); missing ones mean this month."""
    today = date.today()
    errors = {}

    def read(value, field, fallback):
        if value in (None, ""):
            return fallback
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            errors[field] = _("Enter a date as YYYY-MM-DD.")
            return None

    start = read(first, "from", today.replace(day=1) if default_month else None)
    end = read(last, "to", today if default_month else None)
    if errors:
        raise InvalidInput(errors)
    if start is None or end is None:
        raise InvalidInput({"from": _("Choose the period.")})
    if start > end:
        raise InvalidInput({"to": _("The end of the period is before its start.")})
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise InvalidInput({"to": _("The period is at most a year.")})
    return Period(start, end)


def get_account(actor, account_id: int, permission: str = "finance.documents"
                ) -> BillingAccount:
    """A billing account of the actor's company, if the actor holds ``permission`` on the
    whole company; otherwise (and for another company's account) 404."""
    account = db.session.scalar(select(BillingAccount).where(
        BillingAccount.id == account_id, BillingAccount.company_id == actor.company_id))
    if account is None or not access.can(actor, permission, COMPANY_SCOPE):
        raise NotFound()
    return account


def accounts(actor, permission: str = "finance.documents") -> list[BillingAccount]:
    """The company's billing accounts, if the actor may see them company-wide."""
    if not access.can(actor, permission, COMPANY_SCOPE):
        return []
    return db.session.scalars(select(BillingAccount).where(
        BillingAccount.company_id == actor.company_id).order_by(BillingAccount.number)).all()


def documents(actor, account: BillingAccount | None = None, period: Period | None = None,
              kinds=DOCUMENT_KINDS) -> list[FinancialDocument]:
    """Financial documents of one account (or of the company), newest first."""
    if not access.can(actor, "finance.documents", COMPANY_SCOPE):
        return []
    query = select(FinancialDocument).where(FinancialDocument.company_id == actor.company_id,
                                            FinancialDocument.kind.in_(kinds))
    if account is not None:
        query = query.where(FinancialDocument.billing_account_id == account.id)
    if period is not None:
        query = query.where(FinancialDocument.period.in_(period.months()))
    return db.session.scalars(query.order_by(
        FinancialDocument.period.desc(), FinancialDocument.billing_account_id,
        FinancialDocument.kind)).all()


def get_document(actor, document_id: int) -> FinancialDocument:
    """One financial document of the actor's company (finance.documents company-wide)."""
    document = db.session.scalar(select(FinancialDocument).where(
        FinancialDocument.id == document_id,
        FinancialDocument.company_id == actor.company_id))
    if document is None or not access.can(actor, "finance.documents", COMPANY_SCOPE):
        raise NotFound()
    return document


def _paid(account_id: int, lo: datetime | None, hi: datetime | None) -> Decimal:
    """Payments to the account from ``lo`` (inclusive) to ``hi`` (exclusive)."""
    query = select(func.sum(Payment.amount)).where(Payment.billing_account_id == account_id)
    if lo is not None:
        query = query.where(Payment.paid_at >= lo)
    if hi is not None:
        query = query.where(Payment.paid_at < hi)
    return Decimal(db.session.scalar(query) or 0)


def _utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def balance_records(account: BillingAccount) -> list[AccountBalance]:
    """The account's balance per closed month, oldest first."""
    return db.session.scalars(select(AccountBalance).where(
        AccountBalance.billing_account_id == account.id).order_by(AccountBalance.period)).all()


def balance_at(account: BillingAccount, records: list[AccountBalance], day: date) -> Decimal:
    """The account's balance at the start of ``day``, from the closed months' records and
    the payments since (charges are booked on a closed month's last day)."""
    month = rating.period_of(day)
    at = _utc(day)
    for record in records:
        if record.period == month:
            return record.opening + _paid(account.id, _utc(rating.parse_period(month)[0]), at)
    earlier = [r for r in records if r.period < month]
    if earlier:
        last = earlier[-1]
        return last.closing + _paid(account.id, _utc(rating.parse_period(last.period)[1]), at)
    if records:  # before the first closed month: back from its opening
        first = records[0]
        return first.opening - _paid(account.id, at,
                                     _utc(rating.parse_period(first.period)[0]))
    return Decimal(account.balance) - _paid(account.id, at, None)


def statement(actor, account: BillingAccount, period: Period) -> dict:
    """Charges (closed months, on their last day), payments and the balance.

    The balance comes from the records the month close keeps per account and month
    (opening, charges, payments, closing) and the payments of the months since; the
    month still open is shown as accrued (not yet invoiced), outside the balance. The live
    balance is the statement's balance today plus the promised payments in force."""
    records = balance_records(account)
    docs = {d.period: d for d in db.session.scalars(select(FinancialDocument).where(
        FinancialDocument.billing_account_id == account.id,
        FinancialDocument.kind == "invoice"))}
    payments = db.session.scalars(select(Payment).where(
        Payment.billing_account_id == account.id, Payment.paid_at >= period.start,
        Payment.paid_at < period.end).order_by(Payment.paid_at)).all()
    entries = []
    for record in records:
        day = rating.parse_period(record.period)[1] - timedelta(days=1)
        if not period.first <= day <= period.last:
            continue
        doc = docs.get(record.period)
        entries.append({"date": day, "kind": "charge", "period": record.period,
                        "amount": -Decimal(record.charges),
                        "document": doc.number if doc else None,
                        "document_id": doc.id if doc else None})
    for payment in payments:
        day = payment.paid_at.date()
        entries.append({"date": day, "kind": "payment", "period": rating.period_of(day),
                        "amount": Decimal(payment.amount), "document": payment.reference,
                        "document_id": None})
    entries.sort(key=lambda e: (e["date"], e["kind"] != "payment"))
    opening = balance_at(account, records, period.first)
    running = opening
    for entry in entries:
        running += entry["amount"]
        entry["balance"] = running
    charged = -sum((e["amount"] for e in entries if e["kind"] == "charge"), Decimal(0))
    paid = sum((e["amount"] for e in entries if e["kind"] == "payment"), Decimal(0))
    open_period = rating.period_of(date.today())
    accrued = None
    if open_period in period.months():
        accrued = accrued_charges(account, open_period)
    return {"account": account.number, "period": period, "opening_balance": opening,
            "charges": charged, "payments": paid, "closing_balance": running,
            "entries": entries, "accrued": accrued, "accrued_period": open_period,
            "promised_credit": promised_credit(account.id),
            "live_balance": Decimal(account.balance)}


def accrued_until(period: str) -> date | None:
    """The day a month's accrued charges stop: tomorrow for this month (today counts),
    none (the whole month) for a past month not closed yet."""
    tomorrow = date.today() + timedelta(days=1)
    return tomorrow if rating.parse_period(period)[1] > tomorrow else None


def accrued_month_charges(line_rows, period: str) -> dict[int, dict]:
    """Per line, what a month not closed yet has accrued so far (``month_charges`` with the
    fees up to today for this month)."""
    return month_charges(line_rows, period, until=accrued_until(period))


def accrued_charges(account: BillingAccount, period: str) -> Decimal:
    """What the account's lines have cost so far in a month not yet closed: rated usage
    and the fees of the days so far (the same rules as the close)."""
    end = rating.parse_period(period)[1]
    rows = db.session.execute(
        select(Line.id, Line.status, Line.activated_on, Line.tariff_id)
        .where(Line.billing_account_id == account.id, Line.activated_on < end)
        .order_by(Line.id)).all()
    charges = accrued_month_charges(rows, period)
    return sum((c["total"] for c in charges.values()), Decimal("0.00"))


USAGE_KINDS = ("call", "sms", "data")


def usage_query(line_id: int, period: Period):
    return (select(UsageRecord)
            .where(UsageRecord.line_id == line_id, UsageRecord.occurred_at >= period.start,
                   UsageRecord.occurred_at < period.end)
            .order_by(UsageRecord.occurred_at, UsageRecord.id))


def usage_totals(line_id: int, period: Period) -> dict:
    """Count, amount and units per kind of a line's usage in the period (in SQL)."""
    rows = db.session.execute(
        select(UsageRecord.kind, func.count(), func.sum(UsageRecord.amount),
               func.sum(UsageRecord.quantity))
        .where(UsageRecord.line_id == line_id, UsageRecord.occurred_at >= period.start,
               UsageRecord.occurred_at < period.end)
        .group_by(UsageRecord.kind)).all()
    by_kind = {k: {"count": 0, "amount": Decimal("0.00"), "quantity": 0} for k in USAGE_KINDS}
    for kind, count, amount, quantity in rows:
        by_kind[kind] = {"count": count, "amount": Decimal(amount or 0),
                         "quantity": int(quantity or 0)}
    return {"by_kind": by_kind, "count": sum(v["count"] for v in by_kind.values()),
            "amount": sum((v["amount"] for v in by_kind.values()), Decimal("0.00"))}


def line_for_usage(actor, line_id: int) -> Line:
    """The line whose call detail the actor asks for: 404 outside the view scope, 403
    (audited) without ``reports.view`` on the line."""
    return corp_service.get_line(actor, line_id, "reports.view")


def usage_row(record: UsageRecord) -> dict:
    """One record as plain values."""
    return {"occurred_at": record.occurred_at, "kind": record.kind,
            "direction": record.direction, "counterpart": record.counterpart,
            "quantity": record.quantity, "units": rating.units_of(rating.Usage(
                record.occurred_at, record.kind, record.quantity)),
            "country": record.country or "", "amount": Decimal(record.amount)}


# The usage API's page: a month of a busy line is some thousands of records.
USAGE_PAGE_ROWS = 500
USAGE_PAGE_MAX = 5000


def line_usage(actor, line: Line, period: Period, page: int = 1,
               per_page: int = USAGE_PAGE_ROWS) -> dict:
    """One page of a line's usage records of the period, with the totals of the whole period
    and the number of pages (a page past the end has no records)."""
    totals = usage_totals(line.id, period)
    query = usage_query(line.id, period).offset((page - 1) * per_page).limit(per_page)
    return {"line_id": line.id, "msisdn": line.msisdn, "period": period,
            "records": [usage_row(r) for r in db.session.scalars(query)],
            "totals": totals, "page": page, "per_page": per_page,
            "pages": max((totals["count"] + per_page - 1) // per_page, 1)}


CALL_DETAIL_PAGE_ROWS = 50


def line_card_call_detail(actor, line: Line, args) -> dict | None:
    """The line card's call-detail section as plain values: the period picked (``cd_from``,
    ``cd_to``; this month by default), one page (``cd_page``) of the records and the totals
    of the whole period. ``None`` (no section) without ``reports.view`` on the line's node;
    a bad period gives the field errors and no rows."""
    if not access.can(actor, "reports.view", line.node.path):
        return None
    picked = {"from": args.get("cd_from") or "", "to": args.get("cd_to") or ""}
    try:
        period = parse_period(picked["from"], picked["to"])
    except InvalidInput as error:
        return {"errors": error.errors, "args": picked, "period": None}
    totals = usage_totals(line.id, period)
    pages = max((totals["count"] + CALL_DETAIL_PAGE_ROWS - 1) // CALL_DETAIL_PAGE_ROWS, 1)
    try:
        page = min(max(int(args.get("cd_page") or 1), 1), pages)
    except ValueError:
        page = 1
    query = usage_query(line.id, period).offset((page - 1) * CALL_DETAIL_PAGE_ROWS).limit(
        CALL_DETAIL_PAGE_ROWS)
    # No records in the period: the totals say so, no query for an empty page.
    records = [usage_row(r) for r in db.session.scalars(query)] if totals["count"] else []
    return {"errors": {}, "args": picked, "period": period, "totals": totals,
            "records": records,
            "page": page, "pages": pages, "per_page": CALL_DETAIL_PAGE_ROWS,
            "first_row": (page - 1) * CALL_DETAIL_PAGE_ROWS + 1,
            "query": {"type": "call_detail", "line_id": line.id,
                      "from": period.first.isoformat(), "to": period.last.isoformat()}}
