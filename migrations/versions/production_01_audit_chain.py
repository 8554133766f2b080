"""production: tamper-evident audit chain (hash, previous hash, position), request ids

Revision ID: production_01
Revises: d1_operations
Create Date: 2026-12-01 10:40:00

Safe while old workers serve: only nullable columns and a new table are added; old code
keeps inserting events (unchained, and reported as such by ``audit verify``).
"""
from alembic import op
import sqlalchemy as sa

revision = 'production_01'
down_revision = 'security_01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_chain_heads',
    sa.Column('company_key', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('company_key', name=op.f('pk_audit_chain_heads'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('chain_seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('chain_seq')
        batch_op.drop_column('request_id')
    op.drop_table('audit_chain_heads')
