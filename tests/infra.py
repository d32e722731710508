"""Where the tests' Kafka broker and PostgreSQL server come from, chosen by themselves:

1. ``SRDI_KAFKA_BOOTSTRAP`` / ``SRDI_DATABASE_URL`` when set (servers you already run);
2. testcontainers when a Docker engine really answers (a docker client on PATH proves nothing);
3. otherwise the ``deploy/local`` scripts (Kafka from Maven Central jars, PostgreSQL from Debian
   or the pgserver wheel).
When none works the fixture fails loudly — a missing dependency never becomes a silent skip.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import functools
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / "deploy" / "local"
KAFKA_IMAGE = "apache/kafka:3.9.1"
POSTGRES_IMAGE = "postgres:16"


@functools.cache
def docker_engine_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


@contextlib.contextmanager
def _one_starter_at_a_time(name: str) -> Iterator[None]:
    """Parallel test workers (pytest-xdist) each ask for the same server: the first starts it, the
    others wait on the lock and then find it running (the scripts return at once when it is up)."""
    lock_dir = ROOT / "var"
    lock_dir.mkdir(exist_ok=True)
    with open(lock_dir / f".{name}.start-lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield


def _run_script(script: str, *arguments: str) -> str:
    with _one_starter_at_a_time(script):
        result = subprocess.run([str(LOCAL / script), "start", *arguments], capture_output=True, text=True,
                                timeout=900)  # fmt: skip
    if result.returncode != 0:
        command = " ".join(["start", *arguments])
        raise RuntimeError(f"deploy/local/{script} {command} failed:\n{result.stdout}\n{result.stderr}")
    last_line = result.stdout.strip().splitlines()[-1]
    return re.sub(r"\x1b\[[0-9;]*m", "", last_line).strip()  # no terminal colours in a URL


@functools.cache
def kafka_bootstrap() -> str:
    if os.environ.get("SRDI_KAFKA_BOOTSTRAP"):
        return os.environ["SRDI_KAFKA_BOOTSTRAP"]
    if docker_engine_answers():
        from testcontainers.kafka import KafkaContainer

        container = KafkaContainer(KAFKA_IMAGE).with_kraft()
        container.with_env("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
        container.start()
        atexit.register(container.stop)
        return str(container.get_bootstrap_server())
    return _run_script("kafka.sh")


@functools.cache
def postgres_url() -> str:
    if os.environ.get("SRDI_DATABASE_URL", "").startswith("postgresql"):
        return os.environ["SRDI_DATABASE_URL"]
    if docker_engine_answers():
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer(POSTGRES_IMAGE, username="srdi", password="srdi", dbname="srdi", driver="asyncpg")
        container.start()
        atexit.register(container.stop)
        return str(container.get_connection_url())
    return _run_script("postgres.sh")


@functools.cache
def redis_url() -> str:
    """Redis for the gateway's shared rate limits: ``SRDI_GATEWAY_REDIS_URL`` when set, else
    ``deploy/local/redis.sh`` (Debian's redis-server on 127.0.0.1:16379)."""
    if os.environ.get("SRDI_GATEWAY_REDIS_URL"):
        return os.environ["SRDI_GATEWAY_REDIS_URL"]
    return _run_script("redis.sh")


@functools.cache
def kafka_cluster_bootstrap() -> str:
    """A 3-broker cluster for fault tests (replication 3, min ISR 2): ``SRDI_KAFKA_CLUSTER_BOOTSTRAP``
    when set, else ``deploy/local/kafka.sh start --brokers 3``."""
    if os.environ.get("SRDI_KAFKA_CLUSTER_BOOTSTRAP"):
        return os.environ["SRDI_KAFKA_CLUSTER_BOOTSTRAP"]
    return _run_script("kafka.sh", "--brokers", "3")


def kafka_cluster_broker(action: str, node: int) -> None:
    """Stop or start one broker of the local 3-broker cluster (``stop-broker`` / ``start-broker``)."""
    subprocess.run([str(LOCAL / "kafka.sh"), action, str(node)], check=True, capture_output=True, timeout=120)
