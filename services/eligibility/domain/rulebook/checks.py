"""Checks a rule file's meaning after pydantic has checked its shape.

Each problem is reported with the path of the offending node so the loader can name the line.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction
from typing import Any

from pydantic import BaseModel, ValidationError

from services.eligibility.domain.facts.catalogue import MetricSpec
from services.eligibility.domain.facts.metrics import CATALOGUE
from services.eligibility.domain.rulebook.ruleset import (
    BandsIndicator,
    BandTable,
    BestOfIndicator,
    ChoiceCondition,
    CompareCondition,
    Conventions,
    FlagCondition,
    Indicator,
    LadderIndicator,
    MetricLeaf,
    PerFullStepIndicator,
    PointsPerItemIndicator,
    ProvinceIndicators,
    Scoring,
    TierRuleSet,
)

Loc = tuple[str | int, ...]
Problem = tuple[Loc, str]
# The batch path compares a/b >= p/q as a*q >= p*b in int64; small q keeps that far from overflow.
MAX_THRESHOLD_DENOMINATOR = 10**6
BAND_ONLY_COMBINES = {None, "sum", "mean", "latest"}
KIND_COMBINES = {
    "number": {"sum", "mean", "min", "max", "latest"},
    "flag": {"any", "all", "latest"},
    "choice": {"latest"},
}


def walk(node: Any, loc: Loc = ()) -> Iterator[tuple[Loc, Any]]:
    """Every pydantic model in the tree, with its path as the YAML spells it."""
    if isinstance(node, BaseModel):
        yield loc, node
        for name in type(node).model_fields:
            yield from walk(getattr(node, name), (*loc, name))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from walk(item, (*loc, index))


def resolve_offsets(leaf: MetricLeaf, conventions: Conventions | None) -> tuple[int, ...]:
    if leaf.years is None:
        return ()
    if isinstance(leaf.years, str):
        if conventions is None or leaf.years not in conventions.windows:
            raise KeyError(leaf.years)
        return tuple(conventions.windows[leaf.years])
    return tuple(leaf.years)


def check_leaf(
    leaf: MetricLeaf,
    loc: Loc,
    conventions: Conventions | None,
    *,
    in_band: bool,
    province: ProvinceIndicators | None = None,
) -> list[Problem]:
    metric = CATALOGUE.get(leaf.metric)
    if metric is None:
        return [((*loc, "metric"), f"unknown metric {leaf.metric!r}")]
    problems = _check_years(leaf, loc, metric, conventions, in_band)
    problems += _check_args(leaf, loc, metric)
    problems += _check_kind(leaf, loc, metric, province)
    return problems


def _check_years(
    leaf: MetricLeaf, loc: Loc, metric: MetricSpec, conventions: Conventions | None, in_band: bool
) -> list[Problem]:
    where = (*loc, "years")
    if not metric.per_year:
        if leaf.years is not None or leaf.combine is not None:
            return [(where, f"{metric.name} is not read per year; drop years/combine")]
        return []
    if leaf.years is None:
        return [(where, f"{metric.name} is read per year: say which years (a window name or offsets)")]
    try:
        offsets = resolve_offsets(leaf, conventions)
    except KeyError:
        return [(where, f"unknown year window {leaf.years!r} (not in conventions.windows)")]
    if not offsets or any(o not in metric.offsets for o in offsets):
        return [(where, f"{metric.name} can be read for offsets {list(metric.offsets)}, not {list(offsets)}")]
    if len(offsets) == 1 and leaf.combine is not None:
        return [((*loc, "combine"), "one year needs no combine")]
    if len(offsets) > 1 and leaf.combine not in KIND_COMBINES[metric.kind]:
        return [((*loc, "combine"), f"combine must be one of {sorted(KIND_COMBINES[metric.kind])}")]
    if in_band and leaf.combine not in BAND_ONLY_COMBINES:
        return [((*loc, "combine"), "bands and steps take a single value: use sum, mean or latest")]
    if leaf.combine == "sum" and metric.unit not in ("money", "count"):
        return [((*loc, "combine"), f"cannot sum a {metric.unit}")]
    return []


def _check_args(leaf: MetricLeaf, loc: Loc, metric: MetricSpec) -> list[Problem]:
    where = (*loc, "args")
    if metric.args is None:
        return [(where, f"{metric.name} takes no args")] if leaf.args else []
    try:
        metric.args.model_validate(leaf.args)
    except ValidationError as exc:
        first = exc.errors()[0]
        return [((*where, *first["loc"]), f"args of {metric.name}: {first['msg']}")]
    return []


def _check_kind(leaf: MetricLeaf, loc: Loc, metric: MetricSpec, province: ProvinceIndicators | None) -> list[Problem]:
    if isinstance(leaf, CompareCondition | BandTable | PerFullStepIndicator) and metric.kind != "number":
        return [((*loc, "metric"), f"{metric.name} is a {metric.kind}, not a number")]
    if isinstance(leaf, FlagCondition) and metric.kind != "flag":
        return [((*loc, "metric"), f"{metric.name} is a {metric.kind}, not a flag")]
    if isinstance(leaf, ChoiceCondition):
        if metric.kind != "choice":
            return [((*loc, "metric"), f"{metric.name} is a {metric.kind}, not a choice")]
        return _check_choices(leaf, loc, metric, province)
    thresholds: list[Decimal] = []
    if isinstance(leaf, CompareCondition):
        thresholds = [leaf.threshold]
    elif isinstance(leaf, BandTable):
        thresholds = [e for b in leaf.bands for e in (b.at_least, b.at_most) if e is not None]
    for value in thresholds:
        if Fraction(value).denominator > MAX_THRESHOLD_DENOMINATOR:
            return [(loc, f"threshold {value} has too many decimal places for exact batch comparison")]
    return []


def _check_choices(
    leaf: ChoiceCondition, loc: Loc, metric: MetricSpec, province: ProvinceIndicators | None
) -> list[Problem]:
    if metric.name == "province_feature":
        key = leaf.args.get("key")
        feature = province.features.get(str(key)) if province is not None else None
        if feature is None:
            return [((*loc, "args", "key"), f"province feature {key!r} is not defined in the features block")]
        allowed: list[Any] = [True, False] if feature.kind == "flag" else list(feature.values)
    else:
        allowed = list(metric.choices)
    unknown = [v for v in leaf.values if v not in allowed]
    return [((*loc, "values"), f"values {unknown} not among {allowed}")] if unknown else []


def best_points(indicator: Indicator) -> int:
    if isinstance(indicator, BandsIndicator):
        return max(b.points for b in indicator.bands)
    if isinstance(indicator, LadderIndicator):
        return max([s.points for s in indicator.steps] + [indicator.otherwise.points])
    if isinstance(indicator, PointsPerItemIndicator):
        return min(indicator.cap, sum(i.points for i in indicator.items))
    if isinstance(indicator, PerFullStepIndicator):
        return indicator.cap
    assert isinstance(indicator, BestOfIndicator)
    return max(b.points for option in indicator.options for b in option.bands)


def check_indicators(indicators: list[Indicator], loc: Loc, groups: set[str] | None) -> list[Problem]:
    problems: list[Problem] = []
    for index, indicator in enumerate(indicators):
        here = (*loc, index)
        if best_points(indicator) != indicator.max_points:
            problems.append(
                (
                    (*here, "max_points"),
                    f"max_points {indicator.max_points} but the best the bands give is {best_points(indicator)}",
                )
            )
        if groups is not None and indicator.group is not None and indicator.group not in groups:
            problems.append(((*here, "group"), f"unknown group {indicator.group!r}"))
    return problems


def check_tier_rule_set(rules: TierRuleSet, province: ProvinceIndicators | None) -> list[Problem]:
    problems: list[Problem] = []
    for loc, node in walk(rules):
        if isinstance(node, MetricLeaf):
            in_band = isinstance(node, BandTable | PerFullStepIndicator)
            problems += check_leaf(node, loc, rules.conventions, in_band=in_band)
    if rules.scoring is not None:
        problems += _check_scoring(rules.scoring, province)
    problems += _check_codes(rules)
    return problems


def _check_scoring(scoring: Scoring, province: ProvinceIndicators | None) -> list[Problem]:
    loc: Loc = ("scoring",)
    group_codes = {g.code for g in scoring.groups}
    problems = check_indicators(scoring.indicators, (*loc, "indicators"), group_codes)
    total = sum(i.max_points for i in scoring.indicators)
    if scoring.province_indicators is not None:
        if scoring.province_max_points is None or scoring.province_group not in group_codes:
            problems.append(
                (
                    (*loc, "province_indicators"),
                    "province indicators need province_max_points and a known province_group",
                )
            )
        else:
            total += scoring.province_max_points
        if province is not None and province.max_points != scoring.province_max_points:
            problems.append(((*loc, "province_max_points"), f"the province file gives {province.max_points}"))
    if total != scoring.total_points:
        problems.append(((*loc, "total_points"), f"indicators add up to {total}, not {scoring.total_points}"))
    return problems


def _check_codes(rules: TierRuleSet) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    sections = [("gate", rules.gate), ("conditions", rules.conditions), ("direct", rules.direct)]
    for section, items in sections:
        for index, item in enumerate(items):
            if item.code in seen:
                problems.append(((section, index, "code"), f"duplicate code {item.code!r}"))
            seen.add(item.code)
    if rules.re_review is not None:
        for index, code in enumerate(rules.re_review.omit):
            if code not in seen:
                problems.append((("re_review", "omit", index), f"no condition {code!r} to omit"))
        for index, item in enumerate(rules.re_review.replace):
            if item.code not in seen:
                problems.append((("re_review", "replace", index, "code"), f"no condition {item.code!r}"))
    return problems


def check_province(province: ProvinceIndicators, conventions: Conventions | None) -> list[Problem]:
    problems = check_indicators(province.indicators, ("indicators",), None)
    for loc, node in walk(province):
        if isinstance(node, MetricLeaf):
            problems += check_leaf(node, loc, conventions, in_band=False, province=province)
    total = sum(i.max_points for i in province.indicators)
    if total != province.max_points:
        problems.append((("max_points",), f"indicators add up to {total}, not {province.max_points}"))
    return problems
