"""Events the notifications service produces (topic ``srdi.notifications.events``)."""

from __future__ import annotations

from shared.events.catalogue.base import IntegrationEvent  # noqa: F401
