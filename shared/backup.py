"""Backup and restore of one service's database with PostgreSQL's own tools.

``srdi backup <service> <file>`` runs ``pg_dump --format=custom`` of the service's database (schema,
data, Alembic version, outbox/inbox — so a restored service resumes relaying and deduplicating where
the dump left it). ``srdi restore <service> <file> [--database NAME]`` creates the target database if
needed and runs ``pg_restore --clean --if-exists --no-owner --exit-on-error`` into it, in one
transaction. The tools come from PATH or Debian's ``/usr/lib/postgresql/<version>/bin``.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


def _tool(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    path = found[-1] if found else shutil.which(name)
    if not path:
        raise RuntimeError(f"{name} not found (install PostgreSQL client tools)")
    return path


def _connection(database_url: str) -> tuple[list[str], dict[str, str]]:
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ValueError("backup and restore are for PostgreSQL databases (embedded mode keeps SQLite files)")
    args = ["--host", url.host or "127.0.0.1", "--port", str(url.port or 5432), "--username", url.username or ""]
    return args, os.environ | {"PGPASSWORD": url.password or ""}


def backup(database_url: str, path: Path) -> None:
    args, env = _connection(database_url)
    database = make_url(database_url).database or ""
    subprocess.run([_tool("pg_dump"), *args, "--format=custom", "--file", str(path), "--dbname", database],
                   env=env, check=True, capture_output=True, timeout=3600)  # fmt: skip


def restore(path: Path, database_url: str) -> None:
    args, env = _connection(database_url)
    database = make_url(database_url).database or ""
    subprocess.run([_tool("pg_restore"), *args, "--clean", "--if-exists", "--no-owner", "--exit-on-error",
                    "--single-transaction", "--dbname", database, str(path)],
                   env=env, check=True, capture_output=True, timeout=3600)  # fmt: skip
