"""Quiet hours on the working-day calendar: outside working hours and on non-working days
(weekends, public holidays — but not make-up working days) only the inbox receives notices; the
other channels wait for the next working morning. Critical notices ignore quiet hours."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.workdays import is_working_day


def next_allowed(
    moment: datetime,
    tz: ZoneInfo,
    working_hours: tuple[int, int] = (9, 18),
    working_day: Callable[[date], bool] = is_working_day,
) -> datetime:
    """``moment`` itself when it falls in working hours on a working day, else the start of the next
    working period (UTC-aware, like ``moment``)."""
    local = moment.astimezone(tz)
    start, end = working_hours
    if working_day(local.date()) and start <= local.hour < end:
        return moment
    day = local.date()
    if not (working_day(day) and local.hour < start):
        day += timedelta(days=1)
        while not working_day(day):
            day += timedelta(days=1)
    return datetime.combine(day, time(start), tzinfo=tz).astimezone(moment.tzinfo)


def in_quiet_hours(moment: datetime, tz: ZoneInfo, working_hours: tuple[int, int] = (9, 18)) -> bool:
    return next_allowed(moment, tz, working_hours) != moment
