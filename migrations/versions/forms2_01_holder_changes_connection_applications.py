"""forms2: contract holder changes (re-registration), signatory on the company, connection
applications filed by operator staff before the company exists

Revision ID: forms2_01
Revises: billing2_01
Create Date: 2026-12-01 13:00:00

"""
from alembic import op
import sqlalchemy as sa

import core.db  # noqa: F401 - custom column types
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'forms2_01'
down_revision = 'billing2_01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signatory_name', sa.String(length=200), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('signatory_position', sa.String(length=200),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('authority_basis', sa.String(length=200), nullable=False,
                                      server_default=''))
    op.create_table('contract_holder_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('before', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('after', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'],
                            name=op.f('fk_contract_holder_changes_company_id_companies')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'],
                            name=op.f('fk_contract_holder_changes_contract_id_contracts')),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'],
                            name=op.f('fk_contract_holder_changes_decided_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_holder_changes'))
    )
    with op.batch_alter_table('contract_holder_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_holder_changes_company_id'),
                              ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_holder_changes_contract_id'),
                              ['contract_id'], unique=False)
    # A connection application is filed by operator staff before its company exists.
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.alter_column('company_id', existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table('generated_documents', schema=None) as batch_op:
        batch_op.alter_column('company_id', existing_type=sa.Integer(), nullable=True)


def downgrade():
    op.execute("DELETE FROM request_comments WHERE request_id IN "
               "(SELECT id FROM requests WHERE company_id IS NULL)")
    op.execute("DELETE FROM request_attachments WHERE request_id IN "
               "(SELECT id FROM requests WHERE company_id IS NULL)")
    op.execute("DELETE FROM requests WHERE company_id IS NULL")
    op.execute("DELETE FROM generated_documents WHERE company_id IS NULL")
    with op.batch_alter_table('generated_documents', schema=None) as batch_op:
        batch_op.alter_column('company_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.alter_column('company_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('contract_holder_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_holder_changes_contract_id'))
        batch_op.drop_index(batch_op.f('ix_contract_holder_changes_company_id'))
    op.drop_table('contract_holder_changes')
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.drop_column('authority_basis')
        batch_op.drop_column('signatory_position')
        batch_op.drop_column('signatory_name')
