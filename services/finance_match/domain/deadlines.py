"""Response deadlines on the Chinese working-day calendar (holidays skipped, 调休 make-up days counted)."""

from __future__ import annotations

from datetime import date

from shared.workdays import add_working_days, working_days_between

DEFAULT_RESPONSE_WORKING_DAYS = 3


def response_due(shared_on: date, working_days: int = DEFAULT_RESPONSE_WORKING_DAYS) -> date:
    """The last day a bank may accept or decline a need shared with it on ``shared_on``."""
    return add_working_days(shared_on, working_days)


def is_overdue(shared_on: date, working_days: int, today: date) -> bool:
    return today > response_due(shared_on, working_days)


def response_working_days(shared_on: date, responded_on: date) -> int:
    return working_days_between(shared_on, responded_on)
