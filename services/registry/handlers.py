"""Events the registry reacts to: none — it is the source of enterprise facts. Its background job
(announcing expired recognitions) lives in ``jobs.py``."""

from shared.events.consumer import EventHandler

EVENT_HANDLERS: dict[str, list[EventHandler]] = {}
