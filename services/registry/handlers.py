"""Events registry reacts to."""

from shared.events.consumer import EventHandler

EVENT_HANDLERS: dict[str, list[EventHandler]] = {}
