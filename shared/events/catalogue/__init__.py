"""The catalogue of integration events: one pydantic model per versioned event type, one module per
producing service (``registry``, ``eligibility``, ``finance_match``, ``notifications``).

Producers build these and emit them through the unit of work; consumers read ``envelope.data`` back
with the same model. The AsyncAPI document under ``docs/`` is generated from this package
(``srdi asyncapi``), and a unit test fails when the two drift apart.
A breaking change to an event means a new ``.v2`` type beside the old one, never an edit in place.
To add an event: a class in its producer's module; :data:`CATALOGUE` finds it.
"""

from __future__ import annotations

from shared.events.catalogue import eligibility, finance_match, notifications, registry
from shared.events.catalogue.base import IntegrationEvent
from shared.events.catalogue.eligibility import *  # noqa: F403
from shared.events.catalogue.finance_match import *  # noqa: F403
from shared.events.catalogue.notifications import *  # noqa: F403
from shared.events.catalogue.registry import *  # noqa: F403


def _events_of(*modules: object) -> dict[str, type[IntegrationEvent]]:
    found: dict[str, type[IntegrationEvent]] = {}
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, IntegrationEvent) and "TYPE" in vars(value):
                found[value.TYPE] = value
    return found


# Producer order: registry, eligibility, finance_match, notifications (the AsyncAPI file follows it).
CATALOGUE: dict[str, type[IntegrationEvent]] = _events_of(registry, eligibility, finance_match, notifications)
