"""How a metric's value reads: as a response value and as zh/en text, by the metric's unit."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction

from services.eligibility.domain.engine.results import DisplayValue
from services.eligibility.domain.facts.measured import Value
from services.eligibility.domain.facts.metrics import CATALOGUE
from services.eligibility.domain.text import Text, number, percent, to_decimal, yuan_en, yuan_zh

RATIO_PLACES = Decimal("0.0001")


def growth_from_factor(factor: Fraction) -> Fraction:
    """Display only: (R1/R3)^½ − 1, to 10 places."""
    with localcontext() as ctx:
        ctx.prec = 30
        root = (Decimal(factor.numerator) / Decimal(factor.denominator)).sqrt()
    return Fraction(root - 1).limit_denominator(10**10)


def response_value(metric: str, value: Value | None) -> DisplayValue:
    """The `value` field of a response: ratios to 4 places, money exact, counts as integers."""
    if value is None or isinstance(value, bool | str):
        return value
    unit = CATALOGUE[metric].unit
    exact = Fraction(value)
    if unit == "growth_factor":
        exact = growth_from_factor(exact)
    if unit in ("ratio", "growth_factor"):
        return to_decimal(exact, 6).quantize(RATIO_PLACES, ROUND_HALF_EVEN)
    if exact.denominator == 1:
        return int(exact)
    return to_decimal(exact, 2)


def threshold_value(metric: str, threshold: Decimal) -> DisplayValue:
    unit = CATALOGUE[metric].unit
    if unit in ("ratio", "growth_factor"):
        return threshold
    return int(threshold) if threshold == threshold.to_integral_value() else threshold


CHOICE_LABELS: dict[str, Text] = {
    "national": Text("国家级", "national"),
    "provincial": Text("省级", "provincial"),
    "municipal": Text("市级", "municipal"),
    "below_municipal": Text("市级以下", "below municipal"),
    "none": Text("无", "none"),
    "international": Text("国际领先", "internationally leading"),
    "domestic": Text("国内领先", "domestically leading"),
}


def choice_text(value: object) -> Text:
    if isinstance(value, bool):
        return Text("是", "yes") if value else Text("否", "no")
    return CHOICE_LABELS.get(str(value), Text(str(value), str(value)))


def value_text(metric: str, value: Value | None, edge: Fraction | None = None) -> Text:
    if value is None:
        return Text("未提供", "not supplied")
    if isinstance(value, bool | str):
        return choice_text(value)
    unit = CATALOGUE[metric].unit
    exact = Fraction(value)
    if unit == "growth_factor":
        exact = growth_from_factor(exact)
        unit = "ratio"
    return quantity_text(unit, exact, edge)


def quantity_text(unit: str, exact: Fraction, edge: Fraction | None = None) -> Text:
    if unit == "ratio":
        shown = percent(exact, edge)
        return Text(shown, shown)
    if unit == "money":
        return Text(yuan_zh(exact), yuan_en(exact))
    shown = number(exact)
    suffix = {
        "years": Text(f"{shown}年", f"{shown} years"),
        "rank": Text(f"第{shown}位", f"rank {shown}"),
        "level": Text(f"{shown}级", f"level {shown}"),
        "score": Text(f"{shown}分", f"{shown} points"),
    }
    return suffix.get(unit, Text(shown, shown))


def threshold_text(metric: str, threshold: Decimal) -> Text:
    unit = CATALOGUE[metric].unit
    return quantity_text("ratio" if unit == "growth_factor" else unit, Fraction(threshold))
