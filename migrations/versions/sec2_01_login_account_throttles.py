"""sec2: account-wide sign-in throttle (slow guessing from many addresses)

Revision ID: sec2_01
Revises: forms2_01
Create Date: 2026-12-01 13:20:00
"""
from alembic import op
import sqlalchemy as sa

import core.db  # noqa: F401 - custom column types

revision = 'sec2_01'
down_revision = 'forms2_01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_account_throttles',
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('window_started_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locks', sa.Integer(), nullable=False),
    sa.Column('locked_until', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('email', name=op.f('pk_login_account_throttles'))
    )
    with op.batch_alter_table('login_account_throttles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_account_throttles_updated_at'),
                              ['updated_at'], unique=False)


def downgrade():
    op.drop_table('login_account_throttles')
