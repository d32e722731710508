"""The Chinese working-day calendar: public holidays and the make-up working days (调休).

Backed by the maintained ``chinesecalendar`` package (the State Council's yearly holiday notices).
A deadline "within N working days" skips weekends and holidays but counts a make-up Saturday or
Sunday (调休上班) as a working day.

**Past the years the package knows** (it is updated when the State Council publishes the next
year's notice, usually in November or December): a date in an unknown year falls back to the plain
rule — Monday to Friday are working days — and a warning is logged once per year. Deadlines so
computed can be off by the holidays of that year; upgrading ``chinesecalendar`` fixes them.
"""

from __future__ import annotations

import functools
import logging
from datetime import date, timedelta

import chinese_calendar

log = logging.getLogger(__name__)


@functools.cache
def _warn_unknown_year(year: int) -> None:
    log.warning(
        "chinesecalendar has no holiday data for %s: Monday-Friday used as working days "
        "(节假日数据未覆盖该年份，按周一至周五计算)",
        year,
    )


def known_years() -> tuple[int, int]:
    """The first and last year the installed calendar has holiday data for."""
    years = sorted({d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays})
    return years[0], years[-1]


def is_working_day(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        _warn_unknown_year(day.year)
        return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself not counted).

    A need posted on Friday with a 3-working-day deadline is due on Wednesday; one posted on the
    eve of the National Day holiday is due after the holiday, counting the make-up Saturday.
    """
    if days < 0:
        raise ValueError("days must be ≥ 0")
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days in ``(start, end]``: how many working days a response took."""
    if end <= start:
        return 0
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count
