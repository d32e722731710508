"""Events the eligibility service reacts to: every registry event carries the enterprise's new
snapshot; each one re-assesses that enterprise (no call back to the registry)."""

from __future__ import annotations

from services.eligibility.assessments import reassess_from_snapshot
from services.eligibility.config import EligibilitySettings
from services.eligibility.persistence.tables import officer_assignment
from shared.events.catalogue import (
    EnterpriseRegistered,
    EnterpriseSnapshot,
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


async def reassess_enterprise(envelope: Envelope, uow: UnitOfWork) -> None:
    snapshot = EnterpriseSnapshot.model_validate(envelope.data["enterprise"])
    assert isinstance(uow.settings, EligibilitySettings), "the eligibility runtime carries its own settings"
    year = uow.settings.assessment_year
    await reassess_from_snapshot(uow, snapshot, year, trigger=envelope.type)


EVENT_HANDLERS: dict[str, list[EventHandler]] = {
    event.TYPE: [reassess_enterprise]
    for event in (EnterpriseRegistered, EnterpriseUpdated, FinancialsReported, RecognitionGranted, RecognitionExpired)
}
# An officer reads the assessments of the enterprises assigned to them (shared.tenancy).
EVENT_HANDLERS[OfficerAssigned.TYPE] = [officer_projection_handler(officer_assignment)]
