"""requests: the day an approved termination or porting out is carried out

Revision ID: requests_due_01
Revises: sec2_01
Create Date: 2026-12-01 16:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'requests_due_01'
down_revision = 'sec2_01'
branch_labels = None
depends_on = None


def upgrade():
    # A nullable column with no default: old workers that don't know it keep working.
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('effective_on', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_requests_effective_on'), ['effective_on'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_requests_effective_on'))
        batch_op.drop_column('effective_on')
