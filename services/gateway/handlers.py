"""The gateway consumes no events (it only talks HTTP to the services)."""

from shared.events.consumer import EventHandler

EVENT_HANDLERS: dict[str, list[EventHandler]] = {}
