"""Events the eligibility service reacts to: every registry event carries the enterprise's new
snapshot; each one re-assesses that enterprise (no call back to the registry).

Handlers receive the typed event (parsed from the envelope by its class), and the rule book and
settings the service started with. A batch of snapshot events (a consumer's fetched batch: an
imported register arriving) is re-assessed in one go, with the same effect as one by one.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.eligibility.api.deps import Runtime, rule_book_of
from services.eligibility.persistence.tables import officer_assignment
from services.eligibility.usecases.assessments import reassess_from_snapshot
from services.eligibility.usecases.batch_assessments import reassess_snapshots
from shared.events.catalogue import (
    EnterpriseRegistered,
    EnterpriseUpdated,
    FinancialsReported,
    OfficerAssigned,
    RecognitionExpired,
    RecognitionGranted,
)
from shared.events.consumer import EventHandler, batched
from shared.events.envelope import Envelope
from shared.officers import officer_projection_handler
from shared.uow import UnitOfWork

SnapshotEvent = EnterpriseRegistered | EnterpriseUpdated | FinancialsReported | RecognitionGranted | RecognitionExpired
SNAPSHOT_EVENTS: dict[str, type[SnapshotEvent]] = {
    event.TYPE: event
    for event in (EnterpriseRegistered, EnterpriseUpdated, FinancialsReported, RecognitionGranted, RecognitionExpired)
}


def event_handlers(runtime: Runtime) -> dict[str, list[EventHandler]]:
    book = rule_book_of(runtime)

    async def reassess_enterprise(envelope: Envelope, uow: UnitOfWork) -> None:
        event = SNAPSHOT_EVENTS[envelope.type].model_validate(envelope.data)
        year = runtime.settings.assessment_year
        await reassess_from_snapshot(uow, event.enterprise, year, trigger=envelope.type, book=book)

    async def reassess_enterprises(envelopes: Sequence[Envelope], uow: UnitOfWork) -> None:
        items = [(SNAPSHOT_EVENTS[e.type].model_validate(e.data).enterprise, e.type) for e in envelopes]
        settings = runtime.settings
        await reassess_snapshots(uow, items, settings.assessment_year, book, settings.eligibility_vectorised_batch_min)

    reassess = batched(reassess_enterprise, reassess_enterprises)
    handlers: dict[str, list[EventHandler]] = {event_type: [reassess] for event_type in SNAPSHOT_EVENTS}
    # An officer reads the assessments of the enterprises assigned to them (shared.tenancy).
    handlers[OfficerAssigned.TYPE] = [officer_projection_handler(officer_assignment)]
    return handlers
