"""Alembic environment: shared by every service (see shared/migrations.py)."""

from shared.migrations import run_env

run_env()
