"""Reference data shipped with the registry: divisions, industries, size thresholds."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.registry.domain import industries, regions
from services.registry.domain.sme_size import classify


def test_yunnan_has_16_prefectures_and_129_counties() -> None:
    assert len(regions.prefectures()) == 16
    assert len(regions.counties()) == 129
    assert regions.prefecture_of("530481") == "5304"  # 澄江市 (2019 code)
    assert regions.is_county("532302") and not regions.is_county("5301") and not regions.is_county("110101")
    weights = regions.prefecture_weights()  # relative weights for demo data, one per prefecture
    assert set(weights) == {p.code for p in regions.prefectures()} and all(w > 0 for w in weights.values())


CLASSES = [("C3985", True), ("3985", True), ("I6513", True), ("I3985", False), ("C9999", False), ("C398", False),
           ("F5131", True), ("Z1234", False)]  # fmt: skip


@pytest.mark.parametrize(("code", "valid"), CLASSES)
def test_industry_classes(code: str, valid: bool) -> None:
    assert industries.is_valid_class(code) is valid


def test_industry_codes_are_canonical_with_their_section_letter() -> None:
    assert industries.canonical("6513") == "I6513"
    assert industries.lookup("C3985") is not None


@pytest.mark.parametrize(
    ("industry", "employees", "revenue", "expected"),
    [
        ("C3985", 1000, 400_000_000, "large"),  # both thresholds reached: not an SME
        ("C3985", 999, 400_000_000, "medium"),
        ("C3985", 300, 20_000_000, "medium"),
        ("C3985", 299, 20_000_000, "small"),
        ("C3985", 20, 3_000_000, "small"),
        ("C3985", 20, 2_999_999, "micro"),
        ("I6513", 100, 10_000_000, "medium"),
        ("I6513", 10, 500_000, "small"),
        ("I6513", 9, 500_000, "micro"),
    ],
)
def test_size_class_on_each_threshold(industry: str, employees: int, revenue: int, expected: str) -> None:
    assert classify(industry, employees, Decimal(revenue)).size_class == expected


def test_size_class_is_undecided_without_the_facts_it_needs() -> None:
    result = classify("C3985", None, Decimal(1))
    assert result.size_class is None and "employees" in result.en
