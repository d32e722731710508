"""The eligibility service's messaging tables: the shared step (shared.migrations.upgrade_messaging). 2026-11-22 22:43:36.441816"""

from shared import migrations as shared_migrations

revision, down_revision, branch_labels, depends_on = "514bd25630a5", None, None, None
upgrade, downgrade = shared_migrations.upgrade_messaging, shared_migrations.downgrade_messaging
