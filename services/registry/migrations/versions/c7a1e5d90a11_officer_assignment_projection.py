"""officer assignment projection (from notifications' officer.assigned events)

Revision ID: c7a1e5d90a11
Revises: ba67071eb77b
Create Date: 2026-12-02 15:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'c7a1e5d90a11'
down_revision: str | None = 'ba67071eb77b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'officer_assignment',
        sa.Column('uscc', sa.String(length=18), nullable=False),
        sa.Column('officer_id', sa.String(length=64), nullable=False),
        sa.Column('prefecture_code', sa.String(length=4), nullable=False),
        sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('uscc'),
    )
    op.create_index(op.f('ix_officer_assignment_officer_id'), 'officer_assignment', ['officer_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_officer_assignment_officer_id'), table_name='officer_assignment')
    op.drop_table('officer_assignment')
