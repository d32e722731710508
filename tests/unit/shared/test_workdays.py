"""Working days on the Chinese calendar: holidays skipped, make-up working days (调休) counted."""

from __future__ import annotations

from datetime import date

from shared.workdays import add_working_days, is_working_day, known_years, working_days_between


def test_weekday_and_weekend() -> None:
    assert is_working_day(date(2026, 12, 2))  # a Wednesday
    assert not is_working_day(date(2026, 12, 5))  # a Saturday


def test_friday_plus_three_working_days_is_wednesday() -> None:
    assert add_working_days(date(2026, 11, 27), 3) == date(2026, 12, 2)


def test_national_day_2026_skips_the_holiday_and_counts_the_makeup_saturday() -> None:
    # 2026: 1–7 October off; Saturday 10 October is a make-up working day (调休上班).
    assert not is_working_day(date(2026, 10, 1))
    assert not is_working_day(date(2026, 10, 7))
    assert is_working_day(date(2026, 10, 10))
    # Posted on 30 September (Wednesday): 8 Oct (Thu), 9 Oct (Fri), 10 Oct (Sat, make-up day).
    assert add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 10)) == 3


def test_past_the_known_years_weekdays_count() -> None:
    _, last = known_years()
    year = last + 2
    # 2 January of that year, then the next Monday-Friday rule applies without error.
    start = date(year, 1, 2)
    due = add_working_days(start, 5)
    assert (due - start).days in (5, 6, 7)
    assert is_working_day(due)
    assert due.weekday() < 5


def test_zero_days_is_the_same_day() -> None:
    assert add_working_days(date(2026, 12, 2), 0) == date(2026, 12, 2)
