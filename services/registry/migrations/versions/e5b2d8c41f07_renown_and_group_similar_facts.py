"""2026 readings' facts the register now carries: renown attested, a group's similar little giant

The other 2026 facts (nested Class I IP counts, industry category and key chain link, award kind and
certificate date, champion's revenue / profit leading, data falsification records) live in the
enterprise row's JSON blocks and need no column.

Revision ID: e5b2d8c41f07
Revises: c3e1f0a9d2b4
Create Date: 2026-12-02 19:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e5b2d8c41f07"
down_revision: str | None = "c3e1f0a9d2b4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("enterprise", schema=None) as batch_op:
        batch_op.add_column(sa.Column("renown_attested", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("group_little_giant_similar", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("enterprise", schema=None) as batch_op:
        batch_op.drop_column("group_little_giant_similar")
        batch_op.drop_column("renown_attested")
