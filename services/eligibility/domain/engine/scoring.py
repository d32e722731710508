"""Scalar scoring: each indicator's band and points, with a bilingual explanation.

A missing fact scores 0 and says "未提供 / not supplied"; an undefined ratio (zero base) scores 0
and says why. Ladders and per-item indicators read their conditions in three-valued logic: the
`otherwise` band needs every step to be known not to hold, so an unsupplied fact never earns the
"other" points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from services.eligibility.domain.engine import display
from services.eligibility.domain.engine.evaluation import (
    Env,
    Outcome,
    Reading,
    evaluate,
    first_missing,
    read,
    years_en,
    years_zh,
)
from services.eligibility.domain.engine.results import IndicatorResult
from services.eligibility.domain.rulebook.ruleset import (
    Band,
    BandTable,
    BestOfIndicator,
    Indicator,
    LadderIndicator,
    PerFullStepIndicator,
    PointsPerItemIndicator,
)
from services.eligibility.domain.text import Text, join
from services.eligibility.domain.vocabulary import Status


@dataclass(frozen=True, slots=True)
class Scored:
    rule: Indicator
    group: str | None
    result: IndicatorResult
    readings: tuple[Reading, ...] = ()
    steps: tuple[Outcome, ...] = ()


def band_index(table: BandTable, value: Fraction) -> int:
    """Best band first; the first band whose edge the value reaches. Edges are inclusive, so a value
    exactly on an edge lands in the better band."""
    for index, band in enumerate(table.bands):
        edge = band.at_least if table.better == "higher" else band.at_most
        if edge is None:
            return index
        if (value >= edge) if table.better == "higher" else (value <= edge):
            return index
    raise AssertionError("the last band has no edge")  # guaranteed by BandTable's validator


def _edge(band: Band) -> Fraction | None:
    edge = band.at_least if band.at_least is not None else band.at_most
    return None if edge is None else Fraction(edge)


def band_range(table: BandTable, index: int) -> Text:
    unit_of = display.quantity_text
    unit = (
        "ratio"
        if display.CATALOGUE[table.metric].unit in ("ratio", "growth_factor")
        else display.CATALOGUE[table.metric].unit
    )
    own = _edge(table.bands[index])
    previous = _edge(table.bands[index - 1]) if index > 0 else None
    higher = table.better == "higher"
    parts_zh: list[str] = []
    parts_en: list[str] = []
    if own is not None:
        op = "≥" if higher else "≤"
        parts_zh.append(f"{op}{unit_of(unit, own).zh}")
        parts_en.append(f"{op} {unit_of(unit, own).en}")
    if previous is not None:
        op = "<" if higher else ">"
        parts_zh.append(f"{op}{unit_of(unit, previous).zh}")
        parts_en.append(f"{op} {unit_of(unit, previous).en}")
    if not parts_zh:
        return Text("全部", "any value")
    return Text(" 且 ".join(parts_zh), " and ".join(parts_en))


def score_indicator(rule: Indicator, group: str | None, env: Env) -> Scored:
    if isinstance(rule, BestOfIndicator):
        return _best_of(rule, group, env)
    if isinstance(rule, BandTable):
        return _bands(rule, rule, group, env)
    if isinstance(rule, PerFullStepIndicator):
        return _per_full_step(rule, group, env)
    if isinstance(rule, LadderIndicator):
        return _ladder(rule, group, env)
    return _per_item(rule, group, env)


def _label(rule: Indicator) -> Text:
    return Text(rule.label.zh, rule.label.en)


def _result(
    rule: Indicator, group: str | None, value: display.DisplayValue, band: str | None, points: int, text: Text
) -> IndicatorResult:
    return IndicatorResult(rule.code, _label(rule), value, band, points, rule.max_points, text, group)


def _zero_text(name: Text, missing: Text, reading: Reading | None, env: Env) -> Text:
    zh = years_zh(reading, env) if reading else ""
    en = years_en(reading, env) if reading else ""
    return Text(f"{name.zh}{zh}：{missing.zh}，计0分", f"{name.en}{en}: {missing.en}; 0 points")


def table_points(table: BandTable, env: Env) -> tuple[Reading, int | None]:
    """The reading and the band index (None when the value is unknown)."""
    reading = read(table, env)
    if not reading.combined.known:
        return reading, None
    assert isinstance(reading.combined.value, Fraction)
    return reading, band_index(table, reading.combined.value)


def _bands(rule: Indicator, table: BandTable, group: str | None, env: Env, label: Text | None = None) -> Scored:
    reading, index = table_points(table, env)
    name = label or _label(rule)
    if index is None:
        assert reading.combined.missing is not None
        text = _zero_text(name, reading.combined.missing, reading, env)
        return Scored(rule, group, _result(rule, group, None, None, 0, text), (reading,))
    band = table.bands[index]
    shown = display.value_text(table.metric, reading.combined.value)
    span = band_range(table, index)
    text = Text(
        f"{name.zh}{years_zh(reading, env)}：{shown.zh}，落在{span.zh}区间，{band.band}档，得{band.points}分",
        f"{name.en}{years_en(reading, env)}: {shown.en}, band {band.band} ({span.en}): "
        f"{band.points} of {rule.max_points} points",
    )
    value = display.response_value(table.metric, reading.combined.value)
    return Scored(rule, group, _result(rule, group, value, band.band, band.points, text), (reading,))


def _best_of(rule: BestOfIndicator, group: str | None, env: Env) -> Scored:
    options = [_bands(rule, option, group, env, display.CATALOGUE[option.metric].label) for option in rule.options]
    best = max(options, key=lambda s: s.result.points)  # the first of equals: the order in the file
    text = join([o.result.explanation for o in options]) + Text(
        f"；取较优者，得{best.result.points}分", f"; the better counts: {best.result.points} points"
    )
    result = _result(rule, group, best.result.value, best.result.band, best.result.points, text)
    return Scored(rule, group, result, tuple(r for o in options for r in o.readings))


def _per_full_step(rule: PerFullStepIndicator, group: str | None, env: Env) -> Scored:
    reading = read(rule, env)
    if not reading.combined.known:
        assert reading.combined.missing is not None
        text = _zero_text(_label(rule), reading.combined.missing, reading, env)
        return Scored(rule, group, _result(rule, group, None, None, 0, text), (reading,))
    assert isinstance(reading.combined.value, Fraction)
    steps = max(0, math.floor(reading.combined.value / rule.step))
    points = min(rule.cap, steps * rule.points_per_step)
    shown = display.value_text(rule.metric, reading.combined.value)
    text = Text(
        f"{rule.label.zh}：{shown.zh}，每满{rule.step}年得{rule.points_per_step}分（最高{rule.cap}分），得{points}分",
        f"{rule.label.en}: {shown.en}; {rule.points_per_step} point per full {rule.step} years "
        f"(at most {rule.cap}): {points} points",
    )
    value = display.response_value(rule.metric, reading.combined.value)
    return Scored(rule, group, _result(rule, group, value, None, points, text), (reading,))


def _ladder(rule: LadderIndicator, group: str | None, env: Env) -> Scored:
    steps = tuple(evaluate(step.when, env.kleene()) for step in rule.steps)
    for step, outcome in zip(rule.steps, steps, strict=True):
        if outcome.status is Status.MET:
            text = Text(
                f"{rule.label.zh}：{outcome.explanation.zh}；{step.band}档，得{step.points}分",
                f"{rule.label.en}: {outcome.explanation.en}; band {step.band}: {step.points} points",
            )
            return Scored(rule, group, _result(rule, group, outcome.value, step.band, step.points, text), steps=steps)
    if all(o.status is Status.NOT_MET for o in steps):
        other = rule.otherwise
        text = Text(
            f"{rule.label.zh}：不属于以上各档，{other.band}档，得{other.points}分",
            f"{rule.label.en}: none of the higher bands, band {other.band}: {other.points} points",
        )
        return Scored(rule, group, _result(rule, group, None, other.band, other.points, text), steps=steps)
    unknown = next(o for o in steps if o.status is Status.UNDETERMINED)
    reason = first_missing(unknown) or Text("未提供", "not supplied")
    text = Text(f"{rule.label.zh}：{reason.zh}，计0分", f"{rule.label.en}: {reason.en}; 0 points")
    return Scored(rule, group, _result(rule, group, None, None, 0, text), steps=steps)


def _per_item(rule: PointsPerItemIndicator, group: str | None, env: Env) -> Scored:
    steps = tuple(evaluate(item.when, env.kleene()) for item in rule.items)
    if all(o.status is Status.UNDETERMINED for o in steps):
        text = Text(f"{rule.label.zh}：未提供，计0分", f"{rule.label.en}: not supplied; 0 points")
        return Scored(rule, group, _result(rule, group, None, None, 0, text), steps=steps)
    earned = sum(item.points for item, o in zip(rule.items, steps, strict=True) if o.status is Status.MET)
    points = min(rule.cap, earned)
    met = sum(1 for o in steps if o.status is Status.MET)
    text = Text(
        f"{rule.label.zh}：满足{met}项（每项{rule.items[0].points}分，最高{rule.cap}分），得{points}分；"
        + "；".join(o.explanation.zh for o in steps),
        f"{rule.label.en}: {met} items met ({rule.items[0].points} each, at most {rule.cap}): {points} points; "
        + "; ".join(o.explanation.en for o in steps),
    )
    return Scored(rule, group, _result(rule, group, met, None, points, text), steps=steps)
