"""Outgoing webhooks: Standard Webhooks signing and a durable, retried delivery any service can host.

**Signing** (https://www.standardwebhooks.com): every request carries ``webhook-id`` (the message id,
the same on every retry so receivers can deduplicate), ``webhook-timestamp`` (Unix seconds of this
attempt) and ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``. Secrets are
``whsec_<base64 of ≥ 24 random bytes>``; while a secret is being rotated the header carries one
signature per valid secret, space-separated, so the receiver may verify with either.

- :func:`generate_secret` → ``"whsec_…"``
- :func:`sign` (one ``v1,…`` signature), :func:`signed_headers` (the three headers, several secrets)
- :func:`verify` (for our own receivers and the example client; raises :class:`WebhookVerificationError`)

**Delivery** — three tables on the hosting service's own ``MetaData`` (:func:`webhook_tables`, like
``shared.events.tables.messaging_tables``): ``webhook_subscription`` (owner = the tenant, e.g. a bank
id; url; event types, empty = all; current secret and, during rotation, the previous one until it
expires), ``webhook_delivery`` (one message to one subscription; its id is the replay cursor) and
``webhook_attempt`` (the delivery log: every attempt's status code, latency, error).

- :func:`create_subscription`, :func:`rotate_secret`, :func:`set_active` (a paused subscription's
  deliveries wait), :func:`list_subscriptions`
- :func:`enqueue` — call it inside the transaction that changes state (like the outbox): one delivery
  per active subscription of the owner that wants the event type; idempotent per (subscription, id).
- :func:`enqueue_to` — one message to one subscription (a backfill).
- :func:`replay` — due again every delivery of a subscription after a cursor (a delivery id), or the
  given ones; the schedule restarts, the log keeps every earlier attempt.
- :func:`list_deliveries`, :func:`list_attempts` — the delivery log.
- :class:`WebhookWorker` — ``run_forever()`` (host it with ``ServiceRuntime.spawn``), ``deliver_due()``
  for one pass, ``wake()``, ``request_stop()``. It claims due deliveries with a lease (``FOR UPDATE SKIP
  LOCKED`` on PostgreSQL, so replicas share the work), POSTs them with one ``httpx.AsyncClient``, records
  the attempt, and schedules the next one from ``schedule``; a 2xx succeeds, anything else (or no
  answer) retries; after the last delay the delivery is ``failed``. A 410 Gone fails the delivery at
  once and deactivates the subscription (the receiver said it is gone).

The default :data:`DEFAULT_SCHEDULE` — delays before attempt 1, 2, …: 0, 5 s, 5 min, 30 min, 2 h, 5 h,
10 h, 6 h — puts the last attempt 23.6 hours after the first, inside the 24 hours promised to banks.
``schedule[0]`` is the first attempt (due as soon as it is enqueued); ``schedule[i]`` is the wait after
the i-th failed attempt, so a delivery gets ``len(schedule)`` attempts. Tests pass a compressed schedule.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets as _secrets
import socket
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import httpx
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.metrics import WEBHOOK_ATTEMPTS

log = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"
SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE_SECONDS = 300
DEFAULT_SCHEDULE: tuple[float, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 21600)
DEFAULT_ROTATION_GRACE = timedelta(hours=24)

PENDING = "pending"
SUCCEEDED = "succeeded"
FAILED = "failed"

_BigId = BigInteger().with_variant(Integer(), "sqlite")


# --------------------------------------------------------------------------------------------- signing


class WebhookVerificationError(ValueError):
    pass


def generate_secret(nbytes: int = 32) -> str:
    return SECRET_PREFIX + base64.b64encode(_secrets.token_bytes(nbytes)).decode()


def _key(secret: str) -> bytes:
    raw = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
    try:
        key = base64.b64decode(raw, validate=True)
    except ValueError as exc:
        raise ValueError("webhook secret must be whsec_<base64>") from exc
    if len(key) < 24:
        raise ValueError("webhook secret must hold at least 24 bytes")
    return key


def _body_bytes(body: bytes | str) -> bytes:
    return body.encode() if isinstance(body, str) else body


def sign(secret: str, msg_id: str, timestamp: int, body: bytes | str) -> str:
    """One signature ``v1,<base64>`` of ``{msg_id}.{timestamp}.{body}``."""
    content = f"{msg_id}.{timestamp}.".encode() + _body_bytes(body)
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode()}"


def signed_headers(
    secrets: Sequence[str], msg_id: str, body: bytes | str, timestamp: int | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers, one signature per secret (space-separated)."""
    if not secrets:
        raise ValueError("at least one secret is needed")
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": " ".join(sign(s, msg_id, ts, body) for s in secrets),
    }


def verify(
    secrets: Sequence[str] | str,
    headers: Mapping[str, str],
    body: bytes | str,
    *,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> None:
    """Raise :class:`WebhookVerificationError` unless one signature matches one of ``secrets``."""
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        msg_id, ts_text, signatures = lower["webhook-id"], lower["webhook-timestamp"], lower["webhook-signature"]
        timestamp = int(ts_text)
    except (KeyError, ValueError) as exc:
        raise WebhookVerificationError("missing or malformed webhook headers") from exc
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        raise WebhookVerificationError("webhook timestamp outside the tolerance")
    candidates = [secrets] if isinstance(secrets, str) else list(secrets)
    offered = [part for part in signatures.split(" ") if part.startswith(f"{SIGNATURE_VERSION},")]
    for secret in candidates:
        expected = sign(secret, msg_id, timestamp, body)
        if any(hmac.compare_digest(expected, candidate) for candidate in offered):
            return
    raise WebhookVerificationError("no matching webhook signature")


# ---------------------------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class WebhookTables:
    subscription: Table
    delivery: Table
    attempt: Table


def webhook_tables(metadata: MetaData) -> WebhookTables:
    subscription = Table(
        "webhook_subscription",
        metadata,
        Column("id", String(36), primary_key=True),
        Column("owner", String(100), nullable=False, index=True),
        Column("url", String(2000), nullable=False),
        Column("event_types", JSON, nullable=False),
        Column("description", String(500), nullable=False, default=""),
        Column("secret", String(200), nullable=False),
        Column("previous_secret", String(200), nullable=True),
        Column("previous_secret_expires_at", DateTime(timezone=True), nullable=True),
        Column("active", Boolean, nullable=False, default=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("rotated_at", DateTime(timezone=True), nullable=True),
    )
    delivery = Table(
        "webhook_delivery",
        metadata,
        Column("id", _BigId, primary_key=True, autoincrement=True),
        Column("subscription_id", String(36), ForeignKey("webhook_subscription.id"), nullable=False),
        Column("message_id", String(100), nullable=False),
        Column("event_type", String(200), nullable=False),
        Column("body", Text, nullable=False),
        Column("state", String(20), nullable=False),
        Column("attempts", Integer, nullable=False, default=0),  # all attempts ever (log numbering)
        Column("round_attempts", Integer, nullable=False, default=0),  # attempts since (re)queued
        Column("next_attempt_at", DateTime(timezone=True), nullable=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("last_attempt_at", DateTime(timezone=True), nullable=True),
        Column("delivered_at", DateTime(timezone=True), nullable=True),
        Column("last_status_code", Integer, nullable=True),
        Column("last_error", Text, nullable=True),
        Column("claim_token", String(36), nullable=True),
        UniqueConstraint("subscription_id", "message_id", name="uq_webhook_delivery_message"),
        Index("ix_webhook_delivery_due", "state", "next_attempt_at"),
        Index("ix_webhook_delivery_subscription", "subscription_id", "id"),
    )
    attempt = Table(
        "webhook_attempt",
        metadata,
        Column("id", _BigId, primary_key=True, autoincrement=True),
        Column("delivery_id", _BigId, ForeignKey("webhook_delivery.id"), nullable=False, index=True),
        Column("number", Integer, nullable=False),
        Column("attempted_at", DateTime(timezone=True), nullable=False),
        Column("status_code", Integer, nullable=True),
        Column("latency_ms", Float, nullable=False),
        Column("error", Text, nullable=True),
        Column("response_excerpt", Text, nullable=True),
    )
    return WebhookTables(subscription, delivery, attempt)


class Executor(Protocol):
    """An ``AsyncConnection`` or an ``AsyncSession`` (a unit of work's session)."""

    async def execute(self, statement: Any, parameters: Any = None, /) -> Any: ...


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    # SQLite returns naive datetimes for timezone-aware columns.
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Not a public unicast address: loopback, private, link-local, shared (100.64/10, where some
    clouds keep their metadata service), documentation, reserved, multicast or unspecified."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def validate_url(url: str, *, allow_private: bool = True) -> str:
    """An absolute http(s) URL; with ``allow_private=False`` not one naming localhost or an internal
    address literally (so a subscriber cannot aim deliveries at internal hosts). Host names are
    checked by :func:`validate_url_resolved`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or not parts.hostname:
        raise ValueError("webhook url must be an absolute http(s) URL")
    if not allow_private:
        host = parts.hostname.lower()
        if host == "localhost" or host.endswith(".localhost"):
            raise ValueError("webhook url must not point at localhost")
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return url
        if _internal(address):
            raise ValueError("webhook url must not point at a private, loopback or link-local address")
    return url


async def validate_url_resolved(url: str, *, allow_private: bool = True, timeout_seconds: float = 5.0) -> str:
    """:func:`validate_url`, and with ``allow_private=False`` the host name resolved as the sender
    would resolve it: a name that does not resolve (within ``timeout_seconds``), or resolves to any internal address
    (``127.0.0.1.nip.io``, ``2130706433``, a DNS entry of the attacker's), is refused.
    The sender resolves it again at every delivery and connects to the address it checked
    (:func:`pinned_target`), so a DNS answer changed in between (rebinding) is caught there."""
    validate_url(url, allow_private=allow_private)
    if allow_private:
        return url
    await _public_addresses(url, timeout_seconds)
    return url


async def _public_addresses(url: str, timeout_seconds: float) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Every address the URL's host resolves to, all public — or ValueError naming the first that is not."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        lookup = asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        infos = await asyncio.wait_for(lookup, timeout=timeout_seconds)
    except (OSError, UnicodeError, TimeoutError) as error:
        raise ValueError(f"webhook url host {host!r} does not resolve") from error
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    for address in addresses:
        if _internal(address):
            raise ValueError(f"webhook url host {host!r} resolves to an internal address ({address})")
    if not addresses:
        raise ValueError(f"webhook url host {host!r} does not resolve")
    return addresses


@dataclass(frozen=True)
class PinnedTarget:
    """A request aimed at one checked address: the URL with the address for host, the ``Host``
    header and the TLS server name (SNI, and the name the certificate must carry) of the original."""

    url: str
    host_header: str
    sni_hostname: str


def pin(url: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> PinnedTarget:
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if isinstance(address, ipaddress.IPv6Address) else str(address)
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    return PinnedTarget(urlunsplit(parts._replace(netloc=netloc)), host_header, host)


async def pinned_target(url: str, timeout_seconds: float = 5.0) -> PinnedTarget:
    """At delivery, with private URLs refused: resolve the host now, refuse it if any address is
    internal, and connect to the first checked address — what the name resolves to a moment later
    (DNS rebinding) no longer matters."""
    validate_url(url, allow_private=False)
    return pin(url, (await _public_addresses(url, timeout_seconds))[0])


# --------------------------------------------------------------------------------------- subscriptions


def _public(row: Any) -> dict[str, Any]:
    """A subscription without its secrets."""
    return {
        "id": row.id,
        "owner": row.owner,
        "url": row.url,
        "event_types": list(row.event_types or []),
        "description": row.description,
        "active": bool(row.active),
        "created_at": _aware(row.created_at),
        "rotated_at": _aware(row.rotated_at),
        "previous_secret_expires_at": _aware(row.previous_secret_expires_at),
    }


async def create_subscription(
    db: Executor,
    tables: WebhookTables,
    *,
    owner: str,
    url: str,
    event_types: Iterable[str] = (),
    description: str = "",
    secret: str | None = None,
    subscription_id: str | None = None,
) -> dict[str, Any]:
    """Create a subscription; the returned dict holds ``secret`` (shown once to the subscriber)."""
    new_secret = secret or generate_secret()
    _key(new_secret)
    values = {
        "id": subscription_id or str(uuid.uuid4()),
        "owner": owner,
        "url": validate_url(url),
        "event_types": sorted(set(event_types)),
        "description": description,
        "secret": new_secret,
        "previous_secret": None,
        "previous_secret_expires_at": None,
        "active": True,
        "created_at": _now(),
        "rotated_at": None,
    }
    await db.execute(tables.subscription.insert().values(**values))
    row = (await db.execute(select(tables.subscription).where(tables.subscription.c.id == values["id"]))).one()
    return {**_public(row), "secret": new_secret}


async def get_subscription(db: Executor, tables: WebhookTables, subscription_id: str) -> dict[str, Any] | None:
    row = (
        await db.execute(select(tables.subscription).where(tables.subscription.c.id == subscription_id))
    ).one_or_none()
    return None if row is None else _public(row)


async def list_subscriptions(db: Executor, tables: WebhookTables, owner: str | None = None) -> list[dict[str, Any]]:
    s = tables.subscription
    query = select(s).order_by(s.c.created_at, s.c.id)
    if owner is not None:
        query = query.where(s.c.owner == owner)
    return [_public(row) for row in (await db.execute(query)).all()]


async def rotate_secret(
    db: Executor,
    tables: WebhookTables,
    subscription_id: str,
    *,
    grace: timedelta = DEFAULT_ROTATION_GRACE,
    new_secret: str | None = None,
) -> str:
    """A new secret; the old one keeps signing (beside the new) until ``grace`` has passed."""
    s = tables.subscription
    row = (await db.execute(select(s.c.secret).where(s.c.id == subscription_id))).one_or_none()
    if row is None:
        raise KeyError(subscription_id)
    secret = new_secret or generate_secret()
    _key(secret)
    now = _now()
    await db.execute(
        update(s)
        .where(s.c.id == subscription_id)
        .values(secret=secret, previous_secret=row.secret, previous_secret_expires_at=now + grace, rotated_at=now)
    )
    return secret


async def set_active(db: Executor, tables: WebhookTables, subscription_id: str, active: bool) -> None:
    s = tables.subscription
    await db.execute(update(s).where(s.c.id == subscription_id).values(active=active))


def signing_secrets(row: Any, now: datetime | None = None) -> list[str]:
    """The secrets a delivery is signed with now: the current one, plus the previous during its grace."""
    current = now or _now()
    found = [row.secret]
    expires = _aware(row.previous_secret_expires_at)
    if row.previous_secret and expires is not None and expires > current:
        found.append(row.previous_secret)
    return found


# -------------------------------------------------------------------------------------------- deliveries


def encode_body(payload: Any) -> str:
    """The JSON body as sent (and signed): compact, UTF-8, keys sorted."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


async def enqueue(
    db: Executor,
    tables: WebhookTables,
    *,
    owner: str,
    event_type: str,
    message_id: str,
    payload: Any,
) -> list[int]:
    """Queue one delivery per active subscription of ``owner`` that wants ``event_type``.

    Call inside the transaction that makes the change. Enqueuing the same ``message_id`` twice for a
    subscription is a no-op (so a redelivered event does not send twice). Returns the new delivery ids.
    """
    s, d = tables.subscription, tables.delivery
    subs = (await db.execute(select(s.c.id, s.c.event_types).where(s.c.owner == owner, s.c.active.is_(True)))).all()
    wanted = [row.id for row in subs if not row.event_types or event_type in row.event_types]
    if not wanted:
        return []
    existing = set(
        (
            await db.execute(
                select(d.c.subscription_id).where(d.c.message_id == message_id, d.c.subscription_id.in_(wanted))
            )
        ).scalars()
    )
    body = payload if isinstance(payload, str) else encode_body(payload)
    now = _now()
    ids: list[int] = []
    for subscription_id in wanted:
        if subscription_id in existing:
            continue
        result = await db.execute(
            d.insert().values(
                subscription_id=subscription_id,
                message_id=message_id,
                event_type=event_type,
                body=body,
                state=PENDING,
                attempts=0,
                round_attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
        ids.append(int(result.inserted_primary_key[0]))
    return ids


async def enqueue_to(
    db: Executor,
    tables: WebhookTables,
    subscription_id: str,
    *,
    event_type: str,
    message_id: str,
    payload: Any,
) -> tuple[int, bool]:
    """Queue one message to one subscription (e.g. a backfill on replay). Returns (delivery id, created);
    an existing delivery of the same message is returned as it is (``replay`` it to send it again)."""
    d = tables.delivery
    found = (
        await db.execute(select(d.c.id).where(d.c.subscription_id == subscription_id, d.c.message_id == message_id))
    ).scalar()
    if found is not None:
        return int(found), False
    now = _now()
    result = await db.execute(
        d.insert().values(
            subscription_id=subscription_id,
            message_id=message_id,
            event_type=event_type,
            body=payload if isinstance(payload, str) else encode_body(payload),
            state=PENDING,
            attempts=0,
            round_attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
    return int(result.inserted_primary_key[0]), True


async def replay(
    db: Executor,
    tables: WebhookTables,
    subscription_id: str,
    *,
    after_id: int | None = None,
    delivery_ids: Sequence[int] | None = None,
) -> int:
    """Make deliveries of one subscription due again: those with id > ``after_id`` (the cursor) or the
    given ids. Same ``webhook-id`` as before, so receivers can tell a replay from a new message."""
    d = tables.delivery
    query = update(d).where(d.c.subscription_id == subscription_id)
    if delivery_ids is not None:
        query = query.where(d.c.id.in_(list(delivery_ids)))
    elif after_id is not None:
        query = query.where(d.c.id > after_id)
    result = await db.execute(query.values(state=PENDING, round_attempts=0, next_attempt_at=_now()))
    return int(result.rowcount or 0)


def _delivery(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "subscription_id": row.subscription_id,
        "message_id": row.message_id,
        "event_type": row.event_type,
        "state": row.state,
        "attempts": row.attempts,
        "next_attempt_at": _aware(row.next_attempt_at) if row.state == PENDING else None,
        "created_at": _aware(row.created_at),
        "last_attempt_at": _aware(row.last_attempt_at),
        "delivered_at": _aware(row.delivered_at),
        "last_status_code": row.last_status_code,
        "last_error": row.last_error,
    }


async def list_deliveries(
    db: Executor,
    tables: WebhookTables,
    subscription_id: str,
    *,
    after_id: int = 0,
    limit: int = 100,
    state: str | None = None,
) -> list[dict[str, Any]]:
    d = tables.delivery
    query = select(d).where(d.c.subscription_id == subscription_id, d.c.id > after_id).order_by(d.c.id).limit(limit)
    if state is not None:
        query = query.where(d.c.state == state)
    return [_delivery(row) for row in (await db.execute(query)).all()]


async def list_attempts(db: Executor, tables: WebhookTables, delivery_id: int) -> list[dict[str, Any]]:
    a = tables.attempt
    rows = (await db.execute(select(a).where(a.c.delivery_id == delivery_id).order_by(a.c.number))).all()
    return [
        {
            "number": row.number,
            "attempted_at": _aware(row.attempted_at),
            "status_code": row.status_code,
            "latency_ms": row.latency_ms,
            "error": row.error,
            "response_excerpt": row.response_excerpt,
        }
        for row in rows
    ]


# ------------------------------------------------------------------------------------------------ worker


@dataclass(frozen=True)
class _Claimed:
    id: int
    message_id: str
    body: str
    attempts: int
    round_attempts: int
    url: str
    secrets: list[str]
    subscription_id: str


class WebhookWorker:
    """Sends due deliveries. One per hosting process; on PostgreSQL several may run side by side."""

    def __init__(
        self,
        engine: AsyncEngine,
        tables: WebhookTables,
        *,
        schedule: Sequence[float] = DEFAULT_SCHEDULE,
        batch_size: int = 50,
        poll_seconds: float = 1.0,
        timeout_seconds: float = 10.0,
        lease_seconds: float = 60.0,
        client: httpx.AsyncClient | None = None,
        user_agent: str = "SRDI-Webhooks/1.0",
        service: str = "",
        allow_private: bool = True,
    ) -> None:
        if not schedule or schedule[0] < 0:
            raise ValueError("schedule needs at least one non-negative delay")
        self._engine = engine
        self._tables = tables
        self.schedule = tuple(float(s) for s in schedule)
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._timeout = timeout_seconds
        self._lease = timedelta(seconds=max(lease_seconds, timeout_seconds * 2))
        self._client = client
        self._owns_client = client is None
        self._user_agent = user_agent
        self._service = service
        # False where subscribers are outsiders (distributed mode): every delivery re-resolves and pins.
        self._allow_private = allow_private
        self._locking = engine.dialect.name == "postgresql"
        self._wakeup = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wakeup.set()

    def request_stop(self) -> None:
        self._stopping = True
        self._wakeup.set()

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self._timeout,
                follow_redirects=False,
                limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
            )
        return self._client

    async def aclose(self) -> None:
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def run_forever(self) -> None:
        try:
            while not self._stopping:
                try:
                    sent = await self.deliver_due()
                except Exception:
                    log.exception("webhook worker pass failed; retrying")
                    sent = 0
                    await asyncio.sleep(min(5.0, self._poll_seconds * 5))
                if sent:
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), timeout=self._poll_seconds)
                self._wakeup.clear()
        finally:
            await self.aclose()

    async def deliver_due(self) -> int:
        """One pass: claim up to a batch of due deliveries, send them concurrently, record each."""
        claimed = await self._claim()
        if claimed:
            await asyncio.gather(*(self._send(item) for item in claimed))
        return len(claimed)

    async def _claim(self) -> list[_Claimed]:
        d, s = self._tables.delivery, self._tables.subscription
        now = _now()
        columns = (d.c.id, d.c.message_id, d.c.body, d.c.attempts, d.c.round_attempts, d.c.subscription_id)
        query = (
            select(*columns)
            .where(
                d.c.state == PENDING,
                d.c.next_attempt_at <= now,
                # A paused subscription's deliveries wait for it to be resumed.
                d.c.subscription_id.in_(select(s.c.id).where(s.c.active.is_(True))),
            )
            .order_by(d.c.next_attempt_at, d.c.id)
            .limit(self._batch_size)
        )
        async with self._engine.begin() as conn:
            if self._locking:
                rows = (await conn.execute(query.with_for_update(skip_locked=True))).all()
                if rows:
                    # The lease: nobody picks these up until it runs out (a crashed worker's are retried).
                    await conn.execute(
                        update(d).where(d.c.id.in_([r.id for r in rows])).values(next_attempt_at=now + self._lease)
                    )
            else:
                # SQLite: one conditional UPDATE takes the lease (writers are serialised), then read back.
                token = str(uuid.uuid4())
                due = query.with_only_columns(d.c.id).scalar_subquery()  # same filter, order and limit
                await conn.execute(
                    update(d)
                    .where(d.c.id.in_(due), d.c.state == PENDING, d.c.next_attempt_at <= now)
                    .values(next_attempt_at=now + self._lease, claim_token=token)
                )
                rows = (await conn.execute(select(*columns).where(d.c.claim_token == token).order_by(d.c.id))).all()
            if not rows:
                return []
            subs = {
                row.id: row
                for row in (await conn.execute(select(s).where(s.c.id.in_({r.subscription_id for r in rows})))).all()
            }
        claimed: list[_Claimed] = []
        for row in rows:
            sub = subs[row.subscription_id]
            claimed.append(
                _Claimed(
                    row.id,
                    row.message_id,
                    row.body,
                    row.attempts,
                    row.round_attempts,
                    sub.url,
                    signing_secrets(sub, now),
                    sub.id,
                )
            )
        return claimed

    async def _send(self, item: _Claimed) -> None:
        body = item.body.encode()
        headers = signed_headers(item.secrets, item.message_id, body)
        headers["content-type"] = "application/json"
        headers["user-agent"] = self._user_agent
        status: int | None = None
        error: str | None = None
        excerpt: str | None = None
        started = time.perf_counter()
        url, extensions = item.url, {}
        if not self._allow_private:
            try:
                target = await pinned_target(item.url, self._timeout)
            except ValueError as refused:
                await self._record(item, None, f"refused: {refused}"[:1000], 0.0, None)
                return
            url, headers["host"], extensions = target.url, target.host_header, {"sni_hostname": target.sni_hostname}
        try:
            response = await self._http().post(url, content=body, headers=headers, extensions=extensions)
            status = response.status_code
            excerpt = response.text[:500]
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:1000]
        latency_ms = (time.perf_counter() - started) * 1000
        await self._record(item, status, error, latency_ms, excerpt)

    async def _record(
        self, item: _Claimed, status: int | None, error: str | None, latency_ms: float, excerpt: str | None
    ) -> None:
        d, a = self._tables.delivery, self._tables.attempt
        now = _now()
        number = item.attempts + 1
        round_number = item.round_attempts + 1
        gone = status == 410
        values: dict[str, Any] = {
            "attempts": number,
            "round_attempts": round_number,
            "last_attempt_at": now,
            "last_status_code": status,
            "last_error": error,
        }
        if error is None:
            values.update(state=SUCCEEDED, delivered_at=now, next_attempt_at=None)
        elif gone or round_number >= len(self.schedule):
            values.update(state=FAILED, next_attempt_at=None)
        else:
            values.update(next_attempt_at=now + timedelta(seconds=self.schedule[round_number]))
        async with self._engine.begin() as conn:
            await conn.execute(
                a.insert().values(
                    delivery_id=item.id,
                    number=number,
                    attempted_at=now,
                    status_code=status,
                    latency_ms=round(latency_ms, 3),
                    error=error,
                    response_excerpt=excerpt,
                )
            )
            await conn.execute(update(d).where(d.c.id == item.id).values(**values))
            if gone:
                await set_active(conn, self._tables, item.subscription_id, False)
        outcome = "succeeded" if error is None else ("failed" if values.get("state") == FAILED else "retrying")
        WEBHOOK_ATTEMPTS.labels(self._service, outcome).inc()
        if error is not None:
            log.info("webhook delivery %s attempt %s failed: %s", item.id, number, error)
