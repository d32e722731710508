"""The notifications service's messaging tables: the shared step (shared.migrations.upgrade_messaging). 2026-11-22 22:43:39.657238"""

from shared import migrations as shared_migrations

revision, down_revision, branch_labels, depends_on = "6de52b4c7f0f", None, None, None
upgrade, downgrade = shared_migrations.upgrade_messaging, shared_migrations.downgrade_messaging
