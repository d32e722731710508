"""Job claims on import_job: claimed_by and heartbeat_at (shared.jobs; the step is shared.migrations)."""

from shared import migrations as shared_migrations

revision, down_revision, branch_labels, depends_on = "2fd494dcf491", "c7a1e5d90a11", None, None


def upgrade() -> None:
    shared_migrations.add_job_claims("import_job")


def downgrade() -> None:
    shared_migrations.drop_job_claims("import_job")
