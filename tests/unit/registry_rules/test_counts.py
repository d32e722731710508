"""Integers as callers send them, in the register's API and its import: 3.0 is the count 3, 3.5 is
refused with the field named."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from services.registry.api.schemas import EnterpriseUpdate, FinancialReportIn, IpSummary
from services.registry.domain.importing import CellError, parse_cell


@pytest.mark.parametrize("sent", [230, 230.0, "230", "230.0", " 230.00 ", Decimal("230.0")])
def test_a_whole_count_is_accepted_in_any_form(sent: Any) -> None:
    assert FinancialReportIn(employees=sent, rd_staff=3.0).employees == 230
    assert IpSummary(class1=sent).class1 == 230


@pytest.mark.parametrize("sent", [230.5, "230.5", "2.3e2", "二百三十", Decimal("230.01")])
def test_a_fractional_or_malformed_count_is_refused_naming_the_field(sent: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        FinancialReportIn(employees=sent)
    assert [error["loc"] for error in caught.value.errors()] == [("employees",)]


def test_years_and_levels_in_updates_accept_integral_floats() -> None:
    update = EnterpriseUpdate(niche_since=2014.0, digital_level="3.0")
    assert (update.niche_since, update.digital_level) == (2014, 3)
    with pytest.raises(ValidationError, match="niche_since"):
        EnterpriseUpdate(niche_since=2014.5)


@pytest.mark.parametrize(("raw", "expected"), [("230.0", 230), ("２３０.００", 230), (230.0, 230), ("-3", -3)])
def test_the_import_reads_integral_text_as_a_whole_number(raw: Any, expected: int) -> None:
    assert parse_cell("int", raw, "从业人员") == expected


@pytest.mark.parametrize("raw", ["230.5", "230.", "2,300", "230人"])
def test_the_import_still_refuses_other_numbers(raw: Any) -> None:
    with pytest.raises(CellError):
        parse_cell("int", raw, "从业人员")
