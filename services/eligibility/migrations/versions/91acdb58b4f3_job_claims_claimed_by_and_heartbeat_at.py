"""Job claims on reassessment_job: claimed_by and heartbeat_at (shared.jobs; the step is shared.migrations)."""

from shared import migrations as shared_migrations

revision, down_revision, branch_labels, depends_on = "91acdb58b4f3", "e2b4d6f81c22", None, None


def upgrade() -> None:
    shared_migrations.add_job_claims("reassessment_job")


def downgrade() -> None:
    shared_migrations.drop_job_claims("reassessment_job")
