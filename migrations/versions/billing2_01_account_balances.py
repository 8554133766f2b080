"""billing2: a billing account's balance per closed month (opening, charges, payments, closing)

Revision ID: billing2_01
Revises: billing_01
Create Date: 2026-12-01 13:20:00

Months closed before this revision get their records from what was known then: the live
balance, the payments and the closed months' totals, going backwards from the newest closed
month (the statements show the same figures as before the upgrade).
"""
from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

import core.db  # noqa: F401 - custom column types

# revision identifiers, used by Alembic.
revision = 'billing2_01'
down_revision = 'billing_01'
branch_labels = None
depends_on = None


def _month_start(period: str) -> datetime:
    year, month = (int(x) for x in period.split("-"))
    return datetime(year, month, 1, tzinfo=UTC)


def _next_start(period: str) -> datetime:
    start = _month_start(period)
    return datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)


def upgrade():
    op.create_table('billing_account_balances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('billing_account_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('opening', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('charges', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('payments', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('closing', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('recorded_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['billing_account_id'], ['billing_accounts.id'], name=op.f('fk_billing_account_balances_billing_account_id_billing_accounts')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_billing_account_balances_company_id_companies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_account_balances')),
    sa.UniqueConstraint('billing_account_id', 'period', name='uq_billing_account_balances_account_period')
    )
    with op.batch_alter_table('billing_account_balances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_account_balances_company_id'), ['company_id'], unique=False)
    _backfill(op.get_bind())


def _backfill(bind):
    """Records for the months already closed, backwards from the live balance."""
    accounts = sa.table('billing_accounts', sa.column('id', sa.Integer),
                        sa.column('balance', sa.Numeric(14, 2)))
    closes = sa.table('billing_month_closes', sa.column('company_id', sa.Integer),
                      sa.column('billing_account_id', sa.Integer),
                      sa.column('period', sa.String), sa.column('total', sa.Numeric(14, 2)))
    payments = sa.table('payments', sa.column('billing_account_id', sa.Integer),
                        sa.column('paid_at', core.db.UTCDateTime(timezone=True)),
                        sa.column('amount', sa.Numeric(14, 2)))
    balances = sa.table('billing_account_balances', sa.column('company_id', sa.Integer),
                        sa.column('billing_account_id', sa.Integer),
                        sa.column('period', sa.String), sa.column('opening', sa.Numeric(14, 2)),
                        sa.column('charges', sa.Numeric(14, 2)),
                        sa.column('payments', sa.Numeric(14, 2)),
                        sa.column('closing', sa.Numeric(14, 2)),
                        sa.column('recorded_at', core.db.UTCDateTime(timezone=True)))
    by_account = {}
    for company_id, account_id, period, total in bind.execute(sa.select(
            closes.c.company_id, closes.c.billing_account_id, closes.c.period,
            closes.c.total).order_by(closes.c.billing_account_id, closes.c.period)):
        by_account.setdefault(account_id, []).append((company_id, period, Decimal(total)))
    now = datetime.now(UTC)
    rows = []
    for account_id, months in by_account.items():
        live = Decimal(bind.execute(sa.select(accounts.c.balance).where(
            accounts.c.id == account_id)).scalar() or 0)
        paid = [(at if at.tzinfo else at.replace(tzinfo=UTC), Decimal(amount))
                for at, amount in bind.execute(sa.select(
                    payments.c.paid_at, payments.c.amount).where(
                    payments.c.billing_account_id == account_id))]

        def paid_between(lo, hi, paid=paid):
            return sum((a for at, a in paid if lo <= at and (hi is None or at < hi)),
                       Decimal(0))

        # The balance at the start of ``after`` (a later month, or None for now).
        balance, after = live, None
        for company_id, period, total in reversed(months):
            closing = balance - paid_between(_next_start(period), after)
            in_month = paid_between(_month_start(period), _next_start(period))
            opening = closing + total - in_month
            rows.append({"company_id": company_id, "billing_account_id": account_id,
                         "period": period, "opening": opening, "charges": total,
                         "payments": in_month, "closing": closing, "recorded_at": now})
            balance, after = opening, _month_start(period)
    if rows:
        bind.execute(balances.insert(), rows)


def downgrade():
    with op.batch_alter_table('billing_account_balances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_account_balances_company_id'))
    op.drop_table('billing_account_balances')
