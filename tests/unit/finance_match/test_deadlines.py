"""Response deadlines in working days across the 2026 National Day holiday and its make-up Saturday."""

from __future__ import annotations

from datetime import date

from services.finance_match.domain.deadlines import is_overdue, response_due, response_working_days


def test_a_need_shared_before_national_day_is_due_on_the_make_up_saturday() -> None:
    # Shared Wed 30 Sep 2026; 1–7 Oct off; Thu 8, Fri 9, Sat 10 Oct (调休上班) are the three working days.
    assert response_due(date(2026, 9, 30)) == date(2026, 10, 10)
    assert not is_overdue(date(2026, 9, 30), 3, date(2026, 10, 10))
    assert not is_overdue(date(2026, 9, 30), 3, date(2026, 10, 5))  # the holiday does not count
    assert is_overdue(date(2026, 9, 30), 3, date(2026, 10, 11))


def test_a_response_during_the_holiday_took_no_working_day() -> None:
    assert response_working_days(date(2026, 9, 30), date(2026, 10, 6)) == 0
    assert response_working_days(date(2026, 9, 30), date(2026, 10, 9)) == 2


def test_a_friday_share_with_two_committed_days_is_due_tuesday() -> None:
    assert response_due(date(2026, 11, 27), 2) == date(2026, 12, 1)
