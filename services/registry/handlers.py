"""Events the registry reacts to: only notifications' officer assignments (projected so that an
officer may read their enterprises) — it is the source of enterprise facts. Its background job
(announcing expired recognitions) lives in ``jobs.py``."""

from services.registry.persistence.tables import officer_assignment
from shared.events.catalogue import OfficerAssigned
from shared.events.consumer import EventHandler
from shared.officers import officer_projection_handler

EVENT_HANDLERS: dict[str, list[EventHandler]] = {OfficerAssigned.TYPE: [officer_projection_handler(officer_assignment)]}
