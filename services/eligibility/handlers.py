"""Events the eligibility service reacts to: every registry event carries the enterprise's new
snapshot; each one re-assesses that enterprise (no call back to the registry).

Handlers receive the typed event (parsed from the envelope by its class), and the rule book and
settings the service started with.
"""

from __future__ import annotations

from services.eligibility.api.deps import Runtime, rule_book_of
from services.eligibility.persistence.tables import officer_assignment
from services.eligibility.usecases.assessments import reassess_from_snapshot
from shared.events.catalogue import (
    EnterpriseRegistered,
    EnterpriseUpdated,
    FinancialsReported,
    OfficerAssigned,
    RecognitionExpired,
    RecognitionGranted,
)
from shared.events.consumer import EventHandler
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

    handlers: dict[str, list[EventHandler]] = {event_type: [reassess_enterprise] for event_type in SNAPSHOT_EVENTS}
    # An officer reads the assessments of the enterprises assigned to them (shared.tenancy).
    handlers[OfficerAssigned.TYPE] = [officer_projection_handler(officer_assignment)]
    return handlers
