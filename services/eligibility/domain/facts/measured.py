"""A scalar metric's answer: the value, or `None` with the reason it is unknown."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from services.eligibility.domain.text import NOT_SUPPLIED, Text

if TYPE_CHECKING:  # the facts package reads rule shapes, never imports the rule loader
    from services.eligibility.domain.rulebook.ruleset import SizeStandard

Value = Fraction | bool | str | int


@dataclass(frozen=True, slots=True)
class Measured:
    value: Value | None
    missing: Text | None = None

    @property
    def known(self) -> bool:
        return self.value is not None


@dataclass(frozen=True, slots=True)
class Context:
    assessment_year: int
    size_standard: SizeStandard


def both(first: Measured, second: Measured) -> tuple[Fraction, Fraction] | Measured:
    """The two numbers, or the first of them that is unknown (its reason says why)."""
    if not first.known:
        return first
    if not second.known:
        return second
    assert isinstance(first.value, Fraction) and isinstance(second.value, Fraction)
    return first.value, second.value


def unknown(reason: Text) -> Measured:
    return Measured(None, reason)


def not_supplied(what: Text) -> Measured:
    return unknown(Text(f"{NOT_SUPPLIED.zh}：{what.zh}", f"{NOT_SUPPLIED.en}: {what.en}"))
