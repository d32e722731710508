"""Bilingual text and the number formats used in explanations (zh-CN first, English beside it)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal
from fractions import Fraction

TEN_THOUSAND = Decimal(10000)


@dataclass(frozen=True, slots=True)
class Text:
    zh: str
    en: str

    def __add__(self, other: Text) -> Text:
        return Text(self.zh + other.zh, self.en + other.en)


NOT_SUPPLIED = Text("未提供", "not supplied")


def join(parts: list[Text], zh_sep: str = "；", en_sep: str = "; ") -> Text:
    return Text(zh_sep.join(p.zh for p in parts), en_sep.join(p.en for p in parts))


def to_decimal(value: Fraction | Decimal | int, places: int = 6) -> Decimal:
    """A display value; never used for a decision (decisions compare exact fractions)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    quantum = Decimal(1).scaleb(-places)
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(quantum, ROUND_HALF_EVEN)


def _trim(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def percent(value: Fraction | Decimal, edge: Fraction | Decimal | None = None) -> str:
    """12.5% style. Near an edge, add digits until the value and the edge print differently,
    so that "2.999% < 3%" never reads as "3% < 3%"."""
    exact = Fraction(value) * 100
    shown = to_decimal(exact, 2)
    if edge is None:
        return f"{_trim(shown)}%"
    edge_exact = Fraction(edge) * 100
    for places in (2, 4, 6, 8):
        shown = to_decimal(exact, places)
        if exact == edge_exact or shown != to_decimal(edge_exact, places):
            return f"{_trim(shown)}%"
    return f"{_trim(to_decimal(exact, 10))}%"


def yuan_zh(amount: Fraction | Decimal | int) -> str:
    """Amounts of 10,000 yuan and more in 万元 (exact, trailing zeros dropped), smaller ones in 元."""
    value = to_decimal(Fraction(amount), 2)
    if abs(value) >= TEN_THOUSAND:
        return f"{_trim(value / TEN_THOUSAND)}万元"
    return f"{_trim(value)}元"


def yuan_en(amount: Fraction | Decimal | int) -> str:
    value = to_decimal(Fraction(amount), 2)
    whole = value == value.to_integral_value()
    return f"{value:,.0f} yuan" if whole else f"{value:,.2f} yuan"


def ceil_yuan(amount: Fraction) -> Decimal:
    """Shortfalls are rounded up to the whole yuan: closing a gap by 0.4 yuan less would not close it."""
    return (Decimal(amount.numerator) / Decimal(amount.denominator)).quantize(Decimal(1), ROUND_CEILING)


def number(value: Fraction | Decimal | int) -> str:
    return _trim(to_decimal(Fraction(value), 4))
