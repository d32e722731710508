"""GB 32100-2015 unified social credit codes: valid codes pass, each kind of corruption is named."""

from __future__ import annotations

import pytest

from services.registry.domain.uscc import UsccError, complete_uscc, validate_uscc

REAL_CODES = ["91110000100006485K", "91440300708461136T", "91350100M000100Y43", "91530100MA6K7U9X3K"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_published_codes_are_valid(code: str) -> None:
    assert validate_uscc(code) == code


def test_generated_codes_are_valid_and_carry_both_check_characters() -> None:
    code = complete_uscc("9153010200001234")
    assert len(code) == 18 and validate_uscc(code) == code
    assert complete_uscc("91530100MA6K7U9X") == "91530100MA6K7U9X3K"  # reproduces a published code


def failing_rule(code: str) -> str:
    with pytest.raises(UsccError) as raised:
        validate_uscc(code)
    assert raised.value.zh and raised.value.en
    return raised.value.rule


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("91530100MA6K7U9X3", "length"),
        ("91530100MA6K7U9X3KK", "length"),
        ("91530100MA6K7U9I3K", "charset"),
        ("91530100MA6K7U9O3K", "charset"),
        ("91530100MA6K7U9Z3K", "charset"),
        ("91530100MA6K7U9S3K", "charset"),
        ("91530100MA6K7U9V3K", "charset"),
        ("B1530100MA6K7U9X3K", "registration_authority"),
        ("98530100MA6K7U9X3K", "entity_type"),
        ("9153A100MA6K7U9X3K", "division"),
        ("91530100MA6K7U9X4K", "organisation_check"),
        ("91530100MA6K7U9X3L", "final_check"),
    ],
)
def test_each_corruption_names_the_rule_it_breaks(code: str, rule: str) -> None:
    assert failing_rule(code) == rule


def test_a_transposition_of_adjacent_characters_is_caught() -> None:
    code = "91440300708461136T"
    swapped = code[:10] + code[11] + code[10] + code[12:]
    assert swapped != code
    assert failing_rule(swapped) in {"organisation_check", "final_check"}


def test_normalisation_is_only_nfkc_case_and_surrounding_spaces() -> None:
    full_width = "９１５３０１００ＭＡ６Ｋ７Ｕ９Ｘ３Ｋ"
    assert validate_uscc(f"\u3000{full_width} ") == "91530100MA6K7U9X3K"
    assert validate_uscc("91530100ma6k7u9x3k") == "91530100MA6K7U9X3K"
    assert failing_rule("91530100 MA6K7U9X3K") == "length"  # inner spaces are not "cleaned"
