"""Events notifications reacts to.

- registry: every event carries the enterprise's snapshot → the service's own view of it (name,
  prefecture, contact, SRDI status, recognitions) and, when it has none or moved prefecture, an officer.
- eligibility, finance_match: the notification rules (``data/rules.yaml``) turn them into messages.
  finance_match's events are handled by type string: the rules name them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from services.notifications.assignments import assign_automatically
from services.notifications.config import NotificationsSettings
from services.notifications.dispatch import Dispatcher
from services.notifications.domain.coverage import is_srdi
from services.notifications.domain.rules import handled_event_types
from services.notifications.persistence.tables import EnterpriseView
from shared.events.catalogue import (
    EnterpriseRegistered,
    EnterpriseSnapshot,
    EnterpriseUpdated,
    FinancialsReported,
    RecognitionExpired,
    RecognitionGranted,
)
from shared.events.consumer import EventHandler, batched
from shared.events.envelope import Envelope
from shared.uow import UnitOfWork

FINANCE_EVENTS = tuple(
    f"srdi.finance.{name}.v1"
    for name in ("need.posted", "need.matched", "need.accepted", "need.approved", "need.disbursed",
                 "need.declined", "need.withdrawn", "need.expired", "need.overdue", "pairing.assigned")
)  # fmt: skip
REGISTRY_EVENTS = (EnterpriseRegistered, EnterpriseUpdated, FinancialsReported, RecognitionGranted, RecognitionExpired)


def settings_of(uow: UnitOfWork) -> NotificationsSettings:
    settings = uow.settings
    assert isinstance(settings, NotificationsSettings), "the notifications runtime carries its own settings"
    return settings


async def project_enterprise(envelope: Envelope, uow: UnitOfWork) -> None:
    snapshot = EnterpriseSnapshot.model_validate(envelope.data["enterprise"])
    if not await upsert_view(uow, snapshot):
        return  # an older snapshot arriving late changes nothing
    reason = "auto" if envelope.type == EnterpriseRegistered.TYPE else "prefecture_changed"
    await assign_automatically(uow, snapshot.uscc, snapshot.prefecture_code, reason=reason)


async def upsert_view(uow: UnitOfWork, snapshot: EnterpriseSnapshot) -> bool:
    """The service's view of the enterprise from its snapshot; False when a newer one is held."""
    view = await uow.session.get(EnterpriseView, snapshot.uscc)
    if view is not None and view.snapshot_version > snapshot.version:
        return False
    recognitions = [r.model_dump(mode="json") for r in snapshot.recognitions]
    values: dict[str, Any] = {
        "name": snapshot.name, "prefecture_code": snapshot.prefecture_code, "contact_email": snapshot.contact_email,
        "srdi": is_srdi(recognitions, date.today()), "recognitions": recognitions,
        "snapshot_version": snapshot.version, "updated_at": datetime.now(UTC),
    }  # fmt: skip
    if view is None:
        view = EnterpriseView(uscc=snapshot.uscc, **values)
    else:
        for key, value in values.items():
            setattr(view, key, value)
    uow.session.add(view)
    await uow.session.flush()
    return True


async def apply_rules(envelope: Envelope, uow: UnitOfWork) -> None:
    await Dispatcher(settings_of(uow)).notify(uow, envelope.id, envelope.type, envelope.data)


async def apply_rules_to_run(envelopes: Sequence[Envelope], uow: UnitOfWork) -> None:
    """A run of events at once: one pass of the rules, so the digest windows it counts in are locked
    in one order (two consumers' batches never wait on each other in opposite orders)."""
    await Dispatcher(settings_of(uow)).notify_many(uow, [(e.id, e.type, e.data) for e in envelopes])


APPLY_RULES = batched(apply_rules, apply_rules_to_run)


EVENT_HANDLERS: dict[str, list[EventHandler]] = {event.TYPE: [project_enterprise] for event in REGISTRY_EVENTS}
for _type in sorted(handled_event_types() | set(FINANCE_EVENTS)):
    if _type.startswith("srdi.notifications."):
        continue  # the service's own triggers (scheduled reminders, escalations) go straight to the dispatcher
    EVENT_HANDLERS.setdefault(_type, []).append(APPLY_RULES)
