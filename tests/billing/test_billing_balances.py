"""The balance per account and closed month, recorded by the month close: the chain of
closing → opening balances is unbroken and ends at the live balance; statements are built
from the records, never derived backwards from the live balance."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

from sqlalchemy import func, select

from core.extensions import db
from corp.billing import rating
from corp.billing.close import close_month
from corp.billing.models import AccountBalance, MonthClose
from corp.billing.service import parse_period, statement
from corp.models import BillingAccount, Payment
from tests.factories import make_user

ACCOUNTANT = "accountant@romashka.example"


def _paid(account_id, lo, hi=None):
    query = select(func.sum(Payment.amount)).where(Payment.billing_account_id == account_id,
                                                   Payment.paid_at >= lo)
    if hi is not None:
        query = query.where(Payment.paid_at < hi)
    return D(db.session.scalar(query) or 0)


def _start(period):
    first = rating.parse_period(period)[0]
    return datetime(first.year, first.month, first.day, tzinfo=UTC)


def _end(period):
    end = rating.parse_period(period)[1]
    return datetime(end.year, end.month, end.day, tzinfo=UTC)


def assert_chain(account: BillingAccount) -> list[AccountBalance]:
    """Each month's closing = opening − charges + payments; the next closed month opens with
    it plus the payments in between; the last closing plus the payments since is the live
    balance."""
    records = db.session.scalars(select(AccountBalance).where(
        AccountBalance.billing_account_id == account.id).order_by(AccountBalance.period)).all()
    assert records
    for record in records:
        assert record.closing == record.opening - record.charges + record.payments
        assert record.payments == _paid(account.id, _start(record.period), _end(record.period))
        close = db.session.scalar(select(MonthClose).where(
            MonthClose.billing_account_id == account.id, MonthClose.period == record.period))
        assert record.charges == close.total
    for before, after in zip(records, records[1:], strict=False):
        between = _paid(account.id, _end(before.period), _start(after.period))
        assert after.opening == before.closing + between, (before.period, after.period)
    assert records[-1].closing + _paid(account.id, _end(records[-1].period)) == account.balance
    return records


def test_demo_accounts_chain_is_unbroken_and_ends_at_the_live_balance(client, api_token):
    accounts = db.session.scalars(select(BillingAccount).where(
        BillingAccount.company_id == 1)).all()
    assert accounts
    headers = api_token(ACCOUNTANT)
    for account in accounts:
        records = assert_chain(account)
        # The statement from the first closed month to today ends at the live balance and
        # opens with the first record's opening.
        first = rating.parse_period(records[0].period)[0]
        body = client.get(f"/api/v1/billing-accounts/{account.id}/statement",
                          query_string={"from": first.isoformat(),
                                        "to": date.today().isoformat()},
                          headers=headers).json
        assert D(body["opening_balance"]) == records[0].opening
        assert D(body["closing_balance"]) == account.balance
        assert D(body["charges"]) == sum(r.charges for r in records)
        # Each closed month's statement is exactly its record.
        for record in records:
            first, end = rating.parse_period(record.period)
            month = client.get(f"/api/v1/billing-accounts/{account.id}/statement",
                               query_string={"from": first.isoformat(),
                                             "to": (end - timedelta(days=1)).isoformat()},
                               headers=headers).json
            assert (D(month["opening_balance"]), D(month["charges"]), D(month["payments"]),
                    D(month["closing_balance"])) == (record.opening, record.charges,
                                                     record.payments, record.closing)


def test_close_records_the_balance_debits_the_account_and_a_late_close_keeps_the_chain(
        small_company):
    """By hand: the live balance 1,000 ₽ already holds two payments (500 ₽ on 10 December,
    200 ₽ on 15 January); each month costs 890 ₽ (two lines at 350 ₽, GPS at 190 ₽)."""
    company, account = small_company["company"], small_company["account"]
    for day, amount in ((date(2025, 12, 10), "500.00"), (date(2026, 1, 15), "200.00")):
        db.session.add(Payment(billing_account_id=account.id, amount=D(amount),
                               paid_at=datetime(day.year, day.month, day.day, 10, tzinfo=UTC),
                               reference=f"ПП-{day:%m%d}"))
    db.session.flush()

    close_month("2026-01", company_id=company.id)
    january = db.session.scalar(select(AccountBalance).where(
        AccountBalance.billing_account_id == account.id, AccountBalance.period == "2026-01"))
    assert (january.opening, january.charges, january.payments, january.closing) == (
        D("800.00"), D("890.00"), D("200.00"), D("110.00"))
    assert account.balance == D("110.00")

    # December closed late: it opens with January's opening less December's payments, and
    # January moves down by December's charges.
    close_month("2025-12", company_id=company.id)
    december = db.session.scalar(select(AccountBalance).where(
        AccountBalance.billing_account_id == account.id, AccountBalance.period == "2025-12"))
    assert (december.opening, december.charges, december.payments, december.closing) == (
        D("300.00"), D("890.00"), D("500.00"), D("-90.00"))
    db.session.refresh(january)
    assert (january.opening, january.closing) == (D("-90.00"), D("-780.00"))
    assert account.balance == D("-780.00")
    assert_chain(account)

    # Running the close again changes nothing, the balance included.
    assert close_month("2026-01", company_id=company.id)["accounts"] == 0
    assert account.balance == D("-780.00")

    # The statement of December reads the record, entry by entry.
    admin = make_user(company.id, role="global_admin")
    s = statement(admin, account, parse_period("2025-12-01", "2025-12-31"))
    assert (s["opening_balance"], s["charges"], s["payments"], s["closing_balance"]) == (
        D("300.00"), D("890.00"), D("500.00"), D("-90.00"))
    assert [(e["kind"], e["amount"], e["balance"]) for e in s["entries"]] == [
        ("payment", D("500.00"), D("800.00")), ("charge", D("-890.00"), D("-90.00"))]
    # A period before the first closed month: back from its opening.
    before = statement(admin, account, parse_period("2025-11-01", "2025-11-30"))
    assert before["opening_balance"] == before["closing_balance"] == D("300.00")
    # Both months and today: ends at the live balance.
    both = statement(admin, account, parse_period("2025-12-01", "2026-06-30"))
    assert both["closing_balance"] == account.balance


def test_a_promised_payment_is_a_temporary_credit_outside_the_chain(small_company):
    """A promised payment raises the live balance until it expires; no month's record holds
    it: the live balance is the chain's balance plus the promised payments in force."""
    from corp.operations.models import PromisedPayment
    from corp.operations.service import run_due

    company, account = small_company["company"], small_company["account"]
    db.session.add(PromisedPayment(billing_account_id=account.id, amount=D("300.00"),
                                   expires_on=date.today() + timedelta(days=3)))
    account.balance += D("300.00")  # as the operator's gateway grants it
    db.session.flush()
    close_month("2025-12", company_id=company.id)
    record = db.session.scalar(select(AccountBalance).where(
        AccountBalance.billing_account_id == account.id))
    assert (record.opening, record.closing) == (D("1000.00"), D("110.00"))
    assert account.balance == D("410.00")
    admin = make_user(company.id, role="global_admin")
    now = statement(admin, account, parse_period("2025-12-01", "2026-06-30"))
    assert now["closing_balance"] == D("110.00")
    assert now["promised_credit"] == D("300.00") and now["live_balance"] == D("410.00")
    assert run_due(date.today() + timedelta(days=3))["expired_promised_payments"] == 1
    assert account.balance == D("110.00")
    assert_chain(account)


def test_the_migration_fills_the_records_of_months_closed_before_it():
    """``billing2_01`` rebuilds the records back from the live balance: on the demo data
    (closed by the month close, balances consistent) it finds exactly what the close
    recorded."""
    import importlib.util
    from pathlib import Path

    from sqlalchemy import delete

    path = (Path(__file__).resolve().parents[2] / "migrations" / "versions"
            / "billing2_01_account_balances.py")
    spec = importlib.util.spec_from_file_location("billing2_01", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)

    def snapshot():
        return sorted((r.billing_account_id, r.period, r.opening, r.charges, r.payments,
                       r.closing) for r in db.session.scalars(select(AccountBalance)))

    recorded = snapshot()
    assert recorded
    db.session.execute(delete(AccountBalance))
    migration._backfill(db.session.connection())
    db.session.expire_all()
    assert snapshot() == recorded
