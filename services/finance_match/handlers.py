"""Events finance_match reacts to: none yet."""

from shared.events.consumer import EventHandler

EVENT_HANDLERS: dict[str, list[EventHandler]] = {}
