"""Events the finance_match service produces (topic ``srdi.finance_match.events``)."""

from __future__ import annotations

from shared.events.catalogue.base import IntegrationEvent  # noqa: F401
