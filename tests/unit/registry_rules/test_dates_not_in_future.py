"""A founding date may be today, never after it — whether or not the process started today."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.registry.usecases import validation


@pytest.mark.parametrize("started", [date.today(), date.today() - timedelta(days=400)])
def test_a_date_after_today_is_refused_and_today_is_not(started: date, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validation, "_NOT_AFTER_TODAY", started)  # a long-running process started on that day
    today = date.today()
    for accepted in (None, date(1990, 1, 1), started, today - timedelta(days=1), today):
        assert validation.not_in_future(accepted) == accepted
    for refused in (today + timedelta(days=1), date(9999, 12, 31)):
        with pytest.raises(ValueError, match="日期不能晚于今天"):
            validation.not_in_future(refused)
