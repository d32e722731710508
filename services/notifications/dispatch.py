"""From an event to messages: the matching rules, their recipients, one message per (event,
recipient), one delivery per (message, channel) as the recipient's preferences allow — and bursts
folded into digests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select

from services.notifications.config import NotificationsSettings
from services.notifications.domain.quiet import next_allowed
from services.notifications.domain.rules import Rule, default_rules, rules_for
from services.notifications.domain.templates import Rendered, default_templates
from services.notifications.persistence.tables import (
    Assignment,
    DigestWindow,
    EnterpriseView,
    Message,
    Officer,
    Preference,
    webhooks,
)
from services.notifications.persistence.tables import (
    Delivery as DeliveryRow,
)
from shared.uow import UnitOfWork

PROVINCE = "53"
DIGEST_SAMPLE = 50
CATEGORY_ZH = {"eligibility": "梯度评估", "finance": "融资", "cultivation": "培育", "recognition": "认定",
               "deadline": "截止日期", "exchange": "诉求", "general": "一般"}  # fmt: skip


@dataclass(frozen=True)
class Recipient:
    key: str  # role:tenant
    kind: str
    tenant: str


def recipient_key(role: str, tenant: str | None) -> str:
    return f"{role}:{tenant or ''}"


def resolve_recipients(kind: str, uscc: str | None, officer_id: str | None, prefecture: str | None) -> list[str]:
    if kind == "officer":
        return [recipient_key("officer", officer_id)] if officer_id else []
    if kind == "enterprise" and uscc:
        return [recipient_key("enterprise", uscc)]
    if kind == "prefecture_operator" and prefecture:
        return [recipient_key("prefecture_operator", prefecture)]
    if kind == "provincial_operator":
        return [recipient_key("provincial_operator", PROVINCE)]
    return []


@dataclass
class Lookups:
    """What addressing a batch of messages needs, read once: preferences, officers, enterprise contacts."""

    preferences: dict[str, Preference]
    officers: dict[str, Officer]
    contacts: dict[str, str | None]
    subscribed: set[str]  # recipients with an active webhook subscription

    def address(self, recipient: str, channel: str) -> str | None:
        role, _, tenant = recipient.partition(":")
        preference = self.preferences.get(recipient)
        officer = self.officers.get(tenant) if role == "officer" else None
        if channel == "email":
            if preference is not None and preference.email:
                return preference.email
            if officer is not None:
                return officer.email or None
            return self.contacts.get(tenant) if role == "enterprise" else None
        if channel == "sms":
            if preference is not None and preference.phone:
                return preference.phone
            return (officer.phone or None) if officer is not None else None
        if channel == "webhook":
            return recipient if recipient in self.subscribed else None  # shared/webhooks routes by owner
        return None


async def lookups(uow: UnitOfWork, recipients: set[str], contacts: dict[str, str | None] | None = None) -> Lookups:
    preferences: dict[str, Preference] = {}
    officers: dict[str, Officer] = {}
    for chunk in _chunks(sorted(recipients)):
        preferences.update(
            {
                p.recipient: p
                for p in await uow.session.exec(select(Preference).where(col(Preference.recipient).in_(chunk)))
            }
        )
    officer_ids = sorted({r.partition(":")[2] for r in recipients if r.startswith("officer:")})
    for chunk in _chunks(officer_ids):
        officers.update({o.id: o for o in await uow.session.exec(select(Officer).where(col(Officer.id).in_(chunk)))})
    if contacts is None:
        contacts = {}
        enterprises = sorted({r.partition(":")[2] for r in recipients if r.startswith("enterprise:")})
        for chunk in _chunks(enterprises):
            rows = await uow.session.execute(
                select(EnterpriseView.uscc, EnterpriseView.contact_email).where(col(EnterpriseView.uscc).in_(chunk))
            )
            contacts.update(dict(rows.all()))
    subscription = webhooks.subscription
    subscribed: set[str] = set()
    for chunk in _chunks(sorted(recipients)):
        rows = await uow.session.execute(
            select(subscription.c.owner).where(subscription.c.owner.in_(chunk), subscription.c.active.is_(True))
        )
        subscribed.update(rows.scalars())
    return Lookups(preferences, officers, contacts, subscribed)


def chosen_channels(rule: Rule, preference: Preference | None) -> list[str]:
    """The rule's channels, narrowed by the recipient's choice for the category — never for a
    critical rule, and never without the inbox."""
    channels = list(rule.channels)
    if rule.critical or preference is None or rule.category not in preference.channels:
        return channels
    wanted = set(preference.channels[rule.category] or [])
    return [c for c in channels if c == "inbox" or c in wanted]


def _chunks(values: list[str], size: int = 500) -> list[list[str]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


MESSAGE_COLUMNS = tuple(Message.model_fields)


async def insert_messages(uow: UnitOfWork, messages: list[Message], deliveries: list[dict[str, Any]]) -> None:
    """Set-wise inserts (a burst of thousands costs a few statements, not thousands of ORM flushes)."""
    if messages:
        rows = [{column: getattr(m, column) for column in MESSAGE_COLUMNS} for m in messages]
        await uow.session.execute(insert(Message), rows)
    if deliveries:
        await uow.session.execute(insert(DeliveryRow), deliveries)


def window_start(now: datetime, seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


class Dispatcher:
    def __init__(self, settings: NotificationsSettings, rules: tuple[Rule, ...] | None = None) -> None:
        self.settings = settings
        self.rules = rules if rules is not None else default_rules()
        self.templates = default_templates()
        self.tz = ZoneInfo(settings.notifications_timezone)

    async def notify(
        self, uow: UnitOfWork, event_id: str, event_type: str, data: dict[str, Any], now: datetime | None = None
    ) -> list[Message]:
        return await self.notify_many(uow, [(event_id, event_type, data)], now)

    async def notify_many(
        self, uow: UnitOfWork, events: list[tuple[str, str, dict[str, Any]]], now: datetime | None = None
    ) -> list[Message]:
        """Apply the rules to events (one, as the consumer delivers them, or many at once): the
        enterprises, officers and messages they touch are read set-wise, so a burst costs little."""
        now = now or datetime.now(UTC)
        matched = [(event, rules) for event in events if (rules := rules_for(event[1], event[2], self.rules))]
        if not matched:
            return []
        usccs = sorted({data["uscc"] for (_, _, data), _ in matched if data.get("uscc")})
        names: dict[str, tuple[str, str]] = {}
        contacts: dict[str, str | None] = {}
        officers: dict[str, str] = {}
        for chunk in _chunks(usccs):
            rows = await uow.session.execute(
                select(
                    EnterpriseView.uscc,
                    EnterpriseView.name,
                    EnterpriseView.prefecture_code,
                    EnterpriseView.contact_email,
                ).where(col(EnterpriseView.uscc).in_(chunk))
            )
            for uscc, name, code, email in rows.all():
                names[uscc], contacts[uscc] = (name, code), email
            assigned = await uow.session.execute(
                select(Assignment.uscc, Assignment.officer_id).where(
                    col(Assignment.uscc).in_(chunk), col(Assignment.ended_at).is_(None)
                )
            )
            officers.update(dict(assigned.all()))
        existing: set[tuple[str, str]] = set()
        for chunk in _chunks(sorted({event_id for (event_id, _, _), _ in matched})):
            rows = await uow.session.execute(
                select(Message.event_id, Message.recipient).where(col(Message.event_id).in_(chunk))
            )
            existing.update((event_id, recipient) for event_id, recipient in rows.all())
        notices: list[tuple[tuple[Rule, str, str, str, str | None, dict[str, Any]], str, bool]] = []
        for (event_id, event_type, data), rules in matched:
            uscc = data.get("uscc")
            name, code = names.get(uscc, (uscc or "", None)) if uscc else ("", None)
            prefecture = data.get("prefecture_code") or code
            context = data | {"enterprise_name": name, "uscc": uscc or ""}
            for rule in rules:
                for kind in rule.recipients:
                    for recipient in resolve_recipients(kind, uscc, officers.get(uscc or ""), prefecture):
                        if (event_id, recipient) in existing:
                            continue  # one event → at most one message per recipient, however often it arrives
                        existing.add((event_id, recipient))
                        # Digests gather what one person receives about many enterprises; an
                        # enterprise's own notices are about itself and always come one by one.
                        foldable = rule.digest and not recipient.startswith("enterprise:")
                        notices.append(((rule, recipient, event_id, event_type, uscc, context), name, foldable))
        candidates = [i for i, (_, _, foldable) in enumerate(notices) if foldable]
        folded = await self._fold(uow, [(notices[i][0][0], notices[i][0][1], notices[i][0][4], notices[i][1])
                                        for i in candidates], now)  # fmt: skip
        into_digest = {i for i, digested in zip(candidates, folded, strict=True) if digested}
        pending = [notice for i, (notice, _, _) in enumerate(notices) if i not in into_digest]
        found = await lookups(uow, {p[1] for p in pending}, contacts)
        created: list[Message] = []
        deliveries: list[dict[str, Any]] = []
        for rule, recipient, event_id, event_type, uscc, context in pending:
            rendered = self.templates.render(rule.template, context)
            message, channel_rows = self.build(found, rule, recipient, event_id, event_type, uscc, rendered, now)
            created.append(message)
            deliveries += channel_rows
        await insert_messages(uow, created, deliveries)
        return created

    async def _fold(
        self, uow: UnitOfWork, notices: list[tuple[Rule, str, str | None, str]], now: datetime
    ) -> list[bool]:
        """Count each notice (rule, recipient, uscc, name) in its window; past the threshold it goes
        into the window's digest (True) instead of being sent on its own.

        One atomic upsert per window (INSERT … ON CONFLICT DO UPDATE count + n), in the windows' key
        order: consumers applying batches side by side, and replicas, count in the same windows without
        racing to create them or locking them in opposite orders (a deadlock); each row stays locked
        by this transaction until it commits, so the digest's sample is read and written safely."""
        start = window_start(now, self.settings.notifications_digest_window_seconds)
        table = DigestWindow.__table__  # type: ignore[attr-defined]
        upsert = pg_insert if uow.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        by_window: dict[tuple[str, str], list[int]] = {}
        for index, (rule, recipient, _, _) in enumerate(notices):
            by_window.setdefault((recipient, rule.id), []).append(index)
        folded = [False] * len(notices)
        threshold = self.settings.notifications_digest_threshold
        for (recipient, rule_id), indexes in sorted(by_window.items()):
            n = len(indexes)
            counted = (
                upsert(table)
                .values(recipient=recipient, rule_id=rule_id, window_start=start, count=n, digested=0, items=[])
                .on_conflict_do_update(index_elements=["recipient", "rule_id", "window_start"],
                                       set_={"count": table.c["count"] + n})
                .returning(table.c["count"], table.c["items"])
            )  # fmt: skip
            total, items = (await uow.session.execute(counted)).one()
            into_digest = [i for position, i in enumerate(indexes, start=total - n + 1) if position > threshold]
            if not into_digest:
                continue
            sample = list(items or [])
            for i in into_digest:
                folded[i] = True
                if len(sample) < DIGEST_SAMPLE:
                    sample.append({"uscc": notices[i][2], "name": notices[i][3]})
            key = (table.c["recipient"] == recipient) & (table.c["rule_id"] == rule_id)
            key &= table.c["window_start"] == start
            await uow.session.execute(table.update().where(key).values(
                digested=table.c["digested"] + len(into_digest), items=sample))  # fmt: skip
        return folded

    def build(
        self, found: Lookups, rule: Rule, recipient: str, event_id: str, event_type: str,
        uscc: str | None, rendered: Rendered, now: datetime, *, category: str | None = None,
    ) -> tuple[Message, list[dict[str, Any]]]:  # fmt: skip
        """The message and one delivery per channel the recipient takes (rows for a set-wise insert)."""
        message = Message(
            id=str(uuid.uuid4()), recipient=recipient, category=category or rule.category, rule_id=rule.id,
            event_id=event_id, event_type=event_type, uscc=uscc, title=rendered.title, title_zh=rendered.title_zh,
            body=rendered.body, body_zh=rendered.body_zh, critical=rule.critical, created_at=now,
        )  # fmt: skip
        rows: list[dict[str, Any]] = []
        preference = found.preferences.get(recipient)
        for channel in chosen_channels(rule, preference):
            if channel == "inbox":
                inbox = {
                    "message_id": message.id,
                    "recipient": recipient,
                    "channel": "inbox",
                    "address": None,
                    "status": "delivered",
                    "next_attempt_at": None,
                    "created_at": now,
                    "updated_at": now,
                }
                rows.append(inbox)
                continue
            address = found.address(recipient, channel)
            if address is None:
                continue  # no address for this channel: the inbox still has it
            quiet = not rule.critical and (preference is None or preference.quiet_hours)
            due = next_allowed(now, self.tz, self.settings.notifications_working_hours) if quiet else now
            rows.append({"message_id": message.id, "recipient": recipient, "channel": channel, "address": address,
                         "status": "queued", "next_attempt_at": due, "created_at": now, "updated_at": now})  # fmt: skip
        return message, rows

    async def flush_digests(self, uow: UnitOfWork, now: datetime | None = None) -> list[Message]:
        """Close the windows that ended: one digest message per (recipient, rule, window)."""
        now = now or datetime.now(UTC)
        span = timedelta(seconds=self.settings.notifications_digest_window_seconds)
        query = select(DigestWindow).where(
            col(DigestWindow.flushed_at).is_(None), col(DigestWindow.window_start) <= now - span
        )
        rules = {rule.id: rule for rule in self.rules}
        created: list[Message] = []
        for window in list(await uow.session.exec(query)):
            window.flushed_at = now
            uow.session.add(window)
            rule = rules.get(window.rule_id)
            if not window.digested or rule is None:
                continue
            start = window.window_start if window.window_start.tzinfo else window.window_start.replace(tzinfo=UTC)
            sample = [item.get("name") or item.get("uscc") for item in window.items[:10]]
            rendered = self.templates.render("digest", {
                "count": window.digested, "shown": len(sample), "sample": "、".join(str(s) for s in sample),
                "rule_id": rule.id, "category": rule.category, "category_zh": CATEGORY_ZH.get(rule.category, ""),
                "window_start": start.astimezone(self.tz).strftime("%Y-%m-%d %H:%M"),
            })  # fmt: skip
            event_id = f"digest:{rule.id}:{start.isoformat()}"
            found = await lookups(uow, {window.recipient})
            message, rows = self.build(found, rule, window.recipient, event_id, "srdi.notifications.digest",
                                       None, rendered, now, category="digest")  # fmt: skip
            await insert_messages(uow, [message], rows)
            created.append(message)
        return created
