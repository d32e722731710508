"""The registry service's messaging tables: the shared step (shared.migrations.upgrade_messaging). 2026-11-22 22:43:34.879138"""

from shared import migrations as shared_migrations

revision, down_revision, branch_labels, depends_on = "43391450bafa", None, None, None
upgrade, downgrade = shared_migrations.upgrade_messaging, shared_migrations.downgrade_messaging
