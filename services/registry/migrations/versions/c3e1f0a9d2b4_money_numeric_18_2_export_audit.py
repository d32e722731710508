"""Money as NUMERIC(18, 2) (exact integer cents on SQLite); export audit log

Revision ID: c3e1f0a9d2b4
Revises: 2fd494dcf491
Create Date: 2026-12-02 15:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'c3e1f0a9d2b4'
down_revision: str | None = '2fd494dcf491'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = ('operating_revenue', 'main_business_revenue', 'rd_expense', 'net_profit', 'total_assets',
         'total_liabilities', 'new_equity_financing')


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite held these as binary floats (yuan); they become exact integer cents (shared.money.MoneyType).
        for column in MONEY:
            op.execute(f'UPDATE financial_report SET {column} = CAST(ROUND({column} * 100) AS INTEGER) '
                       f'WHERE {column} IS NOT NULL')
    with op.batch_alter_table('financial_report', schema=None) as batch_op:
        for column in MONEY:
            batch_op.alter_column(column, existing_type=sa.Numeric(precision=20, scale=2),
                                  type_=sa.Numeric(precision=18, scale=2), existing_nullable=True)
    op.create_table(
        'export_audit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('tenant', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('export', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('filter', sa.JSON(), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('contacts_unmasked', sa.Boolean(), nullable=False),
        sa.Column('exported_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('export_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_audit_subject'), ['subject'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_audit_exported_at'), ['exported_at'], unique=False)


def downgrade() -> None:
    op.drop_table('export_audit')
    with op.batch_alter_table('financial_report', schema=None) as batch_op:
        for column in MONEY:
            batch_op.alter_column(column, existing_type=sa.Numeric(precision=18, scale=2),
                                  type_=sa.Numeric(precision=20, scale=2), existing_nullable=True)
    if op.get_bind().dialect.name == 'sqlite':
        for column in MONEY:
            op.execute(f'UPDATE financial_report SET {column} = {column} / 100.0 WHERE {column} IS NOT NULL')
