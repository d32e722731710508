"""assessment: explained (false for a batch decided on the vectorised path) and snapshot_version

Revision ID: b3c8e5a1d7f4
Revises: 91acdb58b4f3
Create Date: 2026-12-03 10:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b3c8e5a1d7f4"
down_revision: str | None = "91acdb58b4f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        # Every assessment stored before this revision holds its explanations.
        batch_op.add_column(sa.Column("explained", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column("snapshot_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_column("snapshot_version")
        batch_op.drop_column("explained")
