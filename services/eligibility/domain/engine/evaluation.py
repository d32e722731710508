"""Scalar evaluation of conditions: one enterprise, one rule tree → an `Outcome` tree.

Three-valued (Kleene) logic throughout: a leaf whose fact is unknown is *undetermined*; `any_of` is
met if any child is met, `all_of` fails if any child fails. The rule set's convention then says what
an undetermined leaf becomes: "not_met" (2022 rules) or stays "undetermined" (2026 rules).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

from services.eligibility.domain.engine import display
from services.eligibility.domain.engine.results import ConditionResult, DisplayValue
from services.eligibility.domain.facts.catalogue import MetricArgs
from services.eligibility.domain.facts.measured import Context, Measured
from services.eligibility.domain.facts.metrics import CATALOGUE, measure, parse_args
from services.eligibility.domain.facts.model import Facts
from services.eligibility.domain.rulebook.checks import resolve_offsets
from services.eligibility.domain.rulebook.ruleset import (
    AllOf,
    AnyOf,
    ByCase,
    ChoiceCondition,
    CompareCondition,
    Condition,
    Conventions,
    FlagCondition,
    MetricLeaf,
    TopCondition,
)
from services.eligibility.domain.text import Text, join
from services.eligibility.domain.vocabulary import Status


@dataclass(frozen=True, slots=True)
class Env:
    facts: Facts
    ctx: Context
    conventions: Conventions
    undetermined_when_missing: bool

    def kleene(self) -> Env:
        """The same environment, keeping unknowns unknown (used inside indicators)."""
        return replace(self, undetermined_when_missing=True)


@dataclass(frozen=True, slots=True)
class Reading:
    """What a leaf read: each year's value, and the combined value where there is one."""

    metric: str
    offsets: tuple[int, ...]
    combine: str | None
    per_year: tuple[Measured, ...]
    combined: Measured


@dataclass(frozen=True, slots=True)
class Outcome:
    node: Condition
    status: Status
    value: DisplayValue
    threshold: DisplayValue
    explanation: Text
    children: tuple[Outcome, ...] = ()
    reading: Reading | None = None
    chosen: Outcome | None = None  # by_case: the branch that decided


# --- reading metrics -------------------------------------------------------------------------

_ARGS: dict[int, tuple[MetricLeaf, MetricArgs | None]] = {}


def leaf_args(leaf: MetricLeaf) -> MetricArgs | None:
    cached = _ARGS.get(id(leaf))
    if cached is None or cached[0] is not leaf:
        cached = (leaf, parse_args(leaf.metric, leaf.args))
        _ARGS[id(leaf)] = cached
    return cached[1]


def read(leaf: MetricLeaf, env: Env) -> Reading:
    offsets = resolve_offsets(leaf, env.conventions) or (0,)
    args = leaf_args(leaf)
    per_year = tuple(measure(env.facts, env.ctx, leaf.metric, o, args) for o in offsets)
    return Reading(leaf.metric, offsets, leaf.combine, per_year, combine(leaf.metric, leaf.combine, per_year))


def combine(metric: str, how: str | None, values: tuple[Measured, ...]) -> Measured:
    if how is None:
        return values[0]
    missing = next((v for v in values if not v.known), None)
    if how == "sum" and CATALOGUE[metric].missing_as_zero_in_sum:
        return Measured(sum((_fraction(v) for v in values if v.known), Fraction(0)))
    if how == "latest":
        return next((v for v in values if v.known), values[0])
    if how in ("any", "all"):
        return _kleene_flags(how, values)
    if missing is not None:
        return missing
    numbers = [_fraction(v) for v in values]
    if how == "sum":
        return Measured(sum(numbers, Fraction(0)))
    if how == "mean":
        return Measured(sum(numbers, Fraction(0)) / len(numbers))
    return Measured(min(numbers) if how == "min" else max(numbers))


def _kleene_flags(how: str, values: tuple[Measured, ...]) -> Measured:
    decisive = how == "any"  # any: one True decides; all: one False decides
    if any(v.value is decisive for v in values):
        return Measured(decisive)
    missing = next((v for v in values if not v.known), None)
    return missing if missing is not None else Measured(not decisive)


def _fraction(value: Measured) -> Fraction:
    assert isinstance(value.value, Fraction)
    return value.value


# --- three-valued logic ----------------------------------------------------------------------


def status_of(result: bool | None, env: Env) -> Status:
    if result is None:
        return Status.UNDETERMINED if env.undetermined_when_missing else Status.NOT_MET
    return Status.MET if result else Status.NOT_MET


def all_of(statuses: list[Status]) -> Status:
    if Status.NOT_MET in statuses:
        return Status.NOT_MET
    return Status.UNDETERMINED if Status.UNDETERMINED in statuses else Status.MET


def any_of(statuses: list[Status]) -> Status:
    if Status.MET in statuses:
        return Status.MET
    return Status.UNDETERMINED if Status.UNDETERMINED in statuses else Status.NOT_MET


def comparable_threshold(metric: str, threshold: Fraction) -> Fraction:
    """A compound growth rate t is compared on the stored factor R1/R3 as (1+t)² — exact, no roots."""
    if CATALOGUE[metric].unit == "growth_factor":
        return (1 + threshold) ** 2
    return threshold


def compare(value: Measured, node: CompareCondition) -> bool | None:
    if not value.known:
        return None
    target = comparable_threshold(node.metric, Fraction(node.threshold))
    return _fraction(value) >= target if node.at_least is not None else _fraction(value) <= target


def per_year_aggregate(node: CompareCondition) -> str:
    """ "Each year ≥ t" is min ≥ t (all years); "either year ≥ t" is max ≥ t (any year)."""
    wants_all = (node.combine == "min") == (node.at_least is not None)
    return "all" if wants_all else "any"


def _kleene(how: str, results: list[bool | None]) -> bool | None:
    decisive = how == "any"
    if decisive in results:
        return decisive
    return None if None in results else not decisive


# --- evaluation ------------------------------------------------------------------------------


def evaluate(node: Condition, env: Env) -> Outcome:
    if isinstance(node, CompareCondition):
        return _compare_leaf(node, env)
    if isinstance(node, FlagCondition | ChoiceCondition):
        return _flag_or_choice_leaf(node, env)
    if isinstance(node, AnyOf | AllOf):
        children = tuple(evaluate(child, env) for child in node.conditions)
        combine_statuses = any_of if isinstance(node, AnyOf) else all_of
        status = combine_statuses([c.status for c in children])
        primary = children[0]
        heading = Text("满足其一", "any one of") if isinstance(node, AnyOf) else Text("须全部满足", "all of")
        return Outcome(node, status, primary.value, primary.threshold, _summary(heading, children), children)
    return _by_case(node, env)


def _by_case(node: ByCase, env: Env) -> Outcome:
    whens: list[Outcome] = []
    for case in node.cases:
        when = evaluate(case.when, env)
        whens.append(when)
        if when.status is Status.UNDETERMINED:
            text = Text(
                f"无法确定适用哪一档：{when.explanation.zh}", f"cannot tell which case applies: {when.explanation.en}"
            )
            return Outcome(node, Status.UNDETERMINED, when.value, when.threshold, text, tuple(whens))
        if when.status is Status.MET:
            return _chosen(node, evaluate(case.then, env), when, tuple(whens))
    return _chosen(node, evaluate(node.otherwise, env), None, tuple(whens))


def _chosen(node: ByCase, branch: Outcome, when: Outcome | None, whens: tuple[Outcome, ...]) -> Outcome:
    because = (
        Text("适用其他情形", "the other case applies")
        if when is None
        else Text(f"适用情形（{when.explanation.zh}）", f"case applies ({when.explanation.en})")
    )
    text = Text(f"{because.zh}：{branch.explanation.zh}", f"{because.en}: {branch.explanation.en}")
    return Outcome(node, branch.status, branch.value, branch.threshold, text, (*whens, branch), chosen=branch)


def _compare_leaf(node: CompareCondition, env: Env) -> Outcome:
    reading = read(node, env)
    if node.combine in ("min", "max"):
        result = _kleene(per_year_aggregate(node), [compare(v, node) for v in reading.per_year])
    else:
        result = compare(reading.combined, node)
    status = status_of(result, env)
    value = display.response_value(node.metric, reading.combined.value)
    threshold = display.threshold_value(node.metric, node.threshold)
    return Outcome(node, status, value, threshold, _compare_text(node, reading, status, env), reading=reading)


def _flag_or_choice_leaf(node: FlagCondition | ChoiceCondition, env: Env) -> Outcome:
    reading = read(node, env)
    value = reading.combined.value
    result: bool | None
    if value is None:
        result = None
    elif isinstance(node, FlagCondition):
        result = value is node.expect
    else:
        result = choice_matches(value, node.values)
    status = status_of(result, env)
    label = leaf_label(node)
    shown = display.value_text(node.metric, value) if value is not None else reading.combined.missing
    assert shown is not None
    wanted = _wanted_text(node)
    text = Text(
        f"{label.zh}{years_zh(reading, env)}：{shown.zh}（{wanted.zh}）",
        f"{label.en}{years_en(reading, env)}: {shown.en} ({wanted.en})",
    )
    shown_value = display.response_value(node.metric, value)
    return Outcome(node, status, shown_value, None, text + _status_text(status, value is None), reading=reading)


def choice_matches(value: object, values: list[str | bool | int]) -> bool:
    """Type-strict membership: a province feature `true` never matches a rule's `1`."""
    return any(value == wanted and type(value) is type(wanted) for wanted in values)


def _wanted_text(node: FlagCondition | ChoiceCondition) -> Text:
    if isinstance(node, FlagCondition):
        return Text("要求：是", "required: yes") if node.expect else Text("要求：否", "required: no")
    names = [display.choice_text(v) for v in node.values]
    return Text(f"要求：{'或'.join(n.zh for n in names)}", f"required: {' or '.join(n.en for n in names)}")


def leaf_label(node: MetricLeaf) -> Text:
    label = getattr(node, "label", None)
    if label is not None:
        return Text(label.zh, label.en)
    return CATALOGUE[node.metric].label


def _years(reading: Reading, env: Env) -> list[int]:
    return [env.ctx.assessment_year - o for o in reading.offsets]


def years_zh(reading: Reading, env: Env) -> str:
    if not CATALOGUE[reading.metric].per_year:
        return ""
    years = _years(reading, env)
    listed = "、".join(str(y) for y in years)
    suffix = {
        None: "",
        "sum": "合计",
        "mean": "平均",
        "latest": "（取最近一年）",
        "any": "内任一年",
        "all": "每年",
        "min": "每年",
        "max": "任一年",
    }[reading.combine]
    return f"（{listed}年{suffix}）"


def years_en(reading: Reading, env: Env) -> str:
    if not CATALOGUE[reading.metric].per_year:
        return ""
    listed = ", ".join(str(y) for y in _years(reading, env))
    suffix = {
        None: "",
        "sum": " total",
        "mean": " average",
        "latest": ", latest",
        "any": ", any year",
        "all": ", every year",
        "min": ", each year",
        "max": ", either year",
    }[reading.combine]
    return f" ({listed}{suffix})"


def _compare_text(node: CompareCondition, reading: Reading, status: Status, env: Env) -> Text:
    label = leaf_label(node)
    edge = Fraction(node.threshold)
    if node.combine in ("min", "max"):
        parts = [
            display.value_text(node.metric, v.value, edge) if v.known else Text("未提供", "not supplied")
            for v in reading.per_year
        ]
        years = _years(reading, env)
        shown = Text(
            "，".join(f"{y}年 {p.zh}" for y, p in zip(years, parts, strict=True)),
            ", ".join(f"{y}: {p.en}" for y, p in zip(years, parts, strict=True)),
        )
    elif reading.combined.known:
        shown = display.value_text(node.metric, reading.combined.value, edge)
    else:
        assert reading.combined.missing is not None
        shown = reading.combined.missing
    op = "≥" if node.at_least is not None else "≤"
    wanted = display.threshold_text(node.metric, node.threshold)
    missing = not reading.combined.known and node.combine not in ("min", "max")
    text = Text(
        f"{label.zh}{years_zh(reading, env)}：{shown.zh}，要求{op}{wanted.zh}",
        f"{label.en}{years_en(reading, env)}: {shown.en}, required {op} {wanted.en}",
    )
    return text + _status_text(status, missing)


def _status_text(status: Status, missing: bool) -> Text:
    if status is Status.MET:
        return Text("，满足", ", met")
    if status is Status.UNDETERMINED:
        return Text("，无法判断（需补充事实或佐证）", ", cannot decide (needs the fact or evidence)")
    return Text("，视为不满足", ", treated as not met") if missing else Text("，不满足", ", not met")


def _summary(heading: Text, children: tuple[Outcome, ...]) -> Text:
    names = {
        Status.MET: Text("满足", "met"),
        Status.NOT_MET: Text("不满足", "not met"),
        Status.UNDETERMINED: Text("无法判断", "undetermined"),
    }
    parts = [
        Text(f"{outcome_label(c).zh}（{names[c.status].zh}）", f"{outcome_label(c).en} ({names[c.status].en})")
        for c in children
    ]
    body = join(parts)
    return Text(f"{heading.zh}：{body.zh}", f"{heading.en}: {body.en}")


def outcome_label(outcome: Outcome) -> Text:
    node = outcome.node
    if node.label is not None:
        return Text(node.label.zh, node.label.en)
    if isinstance(node, MetricLeaf):
        return leaf_label(node)
    return Text("组合条件", "combined condition")


# --- results ---------------------------------------------------------------------------------


def to_result(outcome: Outcome, code: str, label: Text) -> ConditionResult:
    details = tuple(
        to_result(child, child.node.code or f"{code}.{index + 1}", outcome_label(child))
        for index, child in enumerate(outcome.children)
    )
    return ConditionResult(code, label, outcome.status, outcome.value, outcome.threshold, outcome.explanation, details)


def evaluate_top(top: TopCondition, env: Env) -> tuple[Outcome, ConditionResult]:
    outcome = evaluate(top.rule, env)
    return outcome, to_result(outcome, top.code, Text(top.label.zh, top.label.en))


def first_missing(outcome: Outcome) -> Text | None:
    """The reason of the first unknown fact under an outcome (for "not supplied" explanations)."""
    if outcome.reading is not None and not outcome.reading.combined.known:
        return outcome.reading.combined.missing
    if outcome.reading is not None:
        return next((v.missing for v in outcome.reading.per_year if not v.known), None)
    return next((m for c in outcome.children if (m := first_missing(c)) is not None), None)
