"""The vectorised path: every enterprise in a `FactsColumns`, every tier, at once.

It walks the same rule models as the scalar engine, with the same three-valued logic, over numpy
columns: a condition becomes a `Tri` (value, known) pair of boolean arrays. It answers the decision,
the score and the route (no explanations, no gaps). A property test checks that it agrees with the
scalar engine row by row, edges included.

Limits: new applications only (a re-review is a per-enterprise question; use the scalar engine).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from services.eligibility.domain.columns.layout import FactsColumns
from services.eligibility.domain.engine.evaluation import choice_matches, comparable_threshold, per_year_aggregate
from services.eligibility.domain.facts.metrics import CATALOGUE, VECTOR_METRICS, parse_args
from services.eligibility.domain.facts.readers import VectorContext
from services.eligibility.domain.facts.values import (
    ChoiceCol,
    Col,
    FlagCol,
    NumCol,
    combine_flags,
    combine_numbers,
    compare,
)
from services.eligibility.domain.rulebook.checks import resolve_offsets
from services.eligibility.domain.rulebook.loading import RuleBook, RuleSet, default_rule_book, reference_date
from services.eligibility.domain.rulebook.ruleset import (
    AllOf,
    AnyOf,
    BandTable,
    BestOfIndicator,
    ByCase,
    ChoiceCondition,
    CompareCondition,
    Condition,
    Conventions,
    FlagCondition,
    Indicator,
    LadderIndicator,
    MetricLeaf,
    PerFullStepIndicator,
    PointsPerItemIndicator,
)
from services.eligibility.domain.vocabulary import Decision, PassedVia, Tier

BoolArray = npt.NDArray[np.bool_]
DECISION_CODES: tuple[Decision, ...] = (Decision.NOT_ELIGIBLE, Decision.ELIGIBLE, Decision.UNDETERMINED)
PASSED_VIA_CODES: tuple[PassedVia | None, ...] = (None, PassedVia.SCORE, PassedVia.DIRECT, PassedVia.CONDITIONS)


@dataclass(frozen=True)
class Tri:
    """Three-valued condition results: `value` is meaningful only where `known`."""

    value: BoolArray
    known: BoolArray


@dataclass(frozen=True)
class TierColumns:
    tier: Tier
    rule_set: str
    decision: npt.NDArray[np.int8]  # index into DECISION_CODES
    score: npt.NDArray[np.int16] | None  # None for unscored tiers
    passed_via: npt.NDArray[np.int8]  # index into PASSED_VIA_CODES

    @property
    def eligible(self) -> BoolArray:
        return self.decision == DECISION_CODES.index(Decision.ELIGIBLE)


def kleene_all(parts: Sequence[Tri]) -> Tri:
    false_somewhere = np.logical_or.reduce([p.known & ~p.value for p in parts])
    all_true = np.logical_and.reduce([p.known & p.value for p in parts])
    return Tri(all_true, false_somewhere | all_true)


def kleene_any(parts: Sequence[Tri]) -> Tri:
    true_somewhere = np.logical_or.reduce([p.known & p.value for p in parts])
    all_false = np.logical_and.reduce([p.known & ~p.value for p in parts])
    return Tri(true_somewhere, true_somewhere | all_false)


class BatchEvaluator:
    """Evaluates rule trees over columns, caching metric columns and leaf results across tiers."""

    def __init__(self, columns: FactsColumns, book: RuleBook, on: date) -> None:
        self.ctx = VectorContext(columns, book.size_standard(on))
        self.size = columns.size
        self._metrics: dict[tuple[str, int, str], Col] = {}
        self._leaves: dict[str, Tri] = {}

    # -- metrics --

    def metric(self, leaf: MetricLeaf, offset: int) -> Col:
        key = (leaf.metric, offset, json.dumps(leaf.args, sort_keys=True, default=str))
        if key not in self._metrics:
            self._metrics[key] = VECTOR_METRICS[leaf.metric](self.ctx, offset, parse_args(leaf.metric, leaf.args))
        return self._metrics[key]

    def per_year(self, leaf: MetricLeaf, conventions: Conventions) -> list[Col]:
        return [self.metric(leaf, o) for o in resolve_offsets(leaf, conventions) or (0,)]

    def read(self, leaf: MetricLeaf, conventions: Conventions) -> Col:
        cols = self.per_year(leaf, conventions)
        if leaf.combine is None:
            return cols[0]
        if isinstance(cols[0], FlagCol):
            return combine_flags([c for c in cols if isinstance(c, FlagCol)], leaf.combine)
        numbers = [c for c in cols if isinstance(c, NumCol)]
        return combine_numbers(numbers, leaf.combine, CATALOGUE[leaf.metric].missing_as_zero_in_sum)

    # -- conditions --

    def condition(self, node: Condition, conventions: Conventions, undetermined: bool) -> Tri:
        if isinstance(node, AnyOf | AllOf):
            parts = [self.condition(c, conventions, undetermined) for c in node.conditions]
            return kleene_any(parts) if isinstance(node, AnyOf) else kleene_all(parts)
        if isinstance(node, ByCase):
            return self._by_case(node, conventions, undetermined)
        key = f"{undetermined}|{json.dumps(conventions.windows, sort_keys=True)}|{node.model_dump_json()}"
        if key not in self._leaves:
            raw = self._leaf(node, conventions)
            # The rule set's convention: an unknown fact is "not met" (2022) or stays unknown (2026).
            self._leaves[key] = raw if undetermined else Tri(raw.value & raw.known, np.ones(self.size, dtype=bool))
        return self._leaves[key]

    def _leaf(self, node: Condition, conventions: Conventions) -> Tri:
        if isinstance(node, CompareCondition):
            return self._compare(node, conventions)
        col = self.read(node, conventions)  # type: ignore[arg-type]
        if isinstance(node, FlagCondition):
            assert isinstance(col, FlagCol)
            return Tri(col.value == node.expect, col.known)
        assert isinstance(node, ChoiceCondition) and isinstance(col, ChoiceCol)
        wanted = [i for i, category in enumerate(col.categories) if choice_matches(category, node.values)]
        return Tri(np.isin(col.codes, wanted), col.codes >= 0)

    def _compare(self, node: CompareCondition, conventions: Conventions) -> Tri:
        target = comparable_threshold(node.metric, Fraction(node.threshold))
        at_least = node.at_least is not None
        if node.combine in ("min", "max"):
            years = [c for c in self.per_year(node, conventions) if isinstance(c, NumCol)]
            parts = [Tri(compare(c, target, at_least), c.known) for c in years]
            return kleene_all(parts) if per_year_aggregate(node) == "all" else kleene_any(parts)
        col = self.read(node, conventions)
        assert isinstance(col, NumCol)
        return Tri(compare(col, target, at_least), col.known)

    def _by_case(self, node: ByCase, conventions: Conventions, undetermined: bool) -> Tri:
        value = np.zeros(self.size, dtype=bool)
        known = np.zeros(self.size, dtype=bool)
        open_rows = np.ones(self.size, dtype=bool)
        for case in node.cases:
            when = self.condition(case.when, conventions, undetermined)
            then = self.condition(case.then, conventions, undetermined)
            take = open_rows & when.known & when.value
            value = np.where(take, then.value, value)
            known = np.where(take, then.known, known)
            open_rows &= when.known & ~when.value  # an unknown case leaves the row unknown
        otherwise = self.condition(node.otherwise, conventions, undetermined)
        return Tri(np.where(open_rows, otherwise.value, value), np.where(open_rows, otherwise.known, known))

    # -- indicators --

    def indicator(self, rule: Indicator, conventions: Conventions) -> npt.NDArray[np.int64]:
        if isinstance(rule, BestOfIndicator):
            return np.maximum.reduce([self._bands(option, conventions) for option in rule.options])
        if isinstance(rule, BandTable):
            return self._bands(rule, conventions)
        if isinstance(rule, PerFullStepIndicator):
            col = self.read(rule, conventions)
            assert isinstance(col, NumCol) and col.num is not None
            steps = np.maximum(0, col.num // (np.asarray(col.den) * rule.step))
            return np.where(col.known, np.minimum(rule.cap, steps * rule.points_per_step), 0)
        if isinstance(rule, LadderIndicator):
            return self._ladder(rule, conventions)
        assert isinstance(rule, PointsPerItemIndicator)
        items = [self.condition(item.when, conventions, True) for item in rule.items]
        earned = sum(np.where(t.known & t.value, item.points, 0) for item, t in zip(rule.items, items, strict=True))
        return np.minimum(rule.cap, np.asarray(earned, dtype=np.int64))

    def _bands(self, table: BandTable, conventions: Conventions) -> npt.NDArray[np.int64]:
        col = self.read(table, conventions)
        assert isinstance(col, NumCol)
        points = np.zeros(self.size, dtype=np.int64)
        placed = ~col.known
        for band in table.bands:
            edge = band.at_least if table.better == "higher" else band.at_most
            hit = ~placed if edge is None else ~placed & compare(col, Fraction(edge), table.better == "higher")
            points[hit] = band.points
            placed |= hit
        return points

    def _ladder(self, rule: LadderIndicator, conventions: Conventions) -> npt.NDArray[np.int64]:
        steps = [self.condition(step.when, conventions, True) for step in rule.steps]
        points = np.zeros(self.size, dtype=np.int64)
        placed = np.zeros(self.size, dtype=bool)
        for step, tri in zip(rule.steps, steps, strict=True):
            hit = ~placed & tri.known & tri.value
            points[hit] = step.points
            placed |= hit
        none_hold = np.logical_and.reduce([t.known & ~t.value for t in steps])
        points[~placed & none_hold] = rule.otherwise.points
        return points

    # -- tiers --

    def tier(self, rule_set: RuleSet) -> TierColumns:
        rules, conventions = rule_set.definition, rule_set.conventions
        undetermined = rule_set.undetermined_when_missing
        parts = [self.condition(t.rule, conventions, undetermined) for t in [*rules.gate, *rules.conditions]]
        everywhere = np.ones(self.size, dtype=bool)
        score = None
        by_score = np.zeros(self.size, dtype=bool)
        if rules.scoring is not None:
            points = [(self.indicator(rule, conventions), group) for rule, group in rule_set.indicators()]
            total = sum(p for p, _ in points)
            score = np.asarray(total, dtype=np.int16)
            by_score = score >= rules.scoring.pass_score
            for group in rules.scoring.groups:
                if group.min_points is not None:
                    group_total = sum((p for p, g in points if g == group.code), np.zeros(self.size, np.int64))
                    by_score &= group_total >= group.min_points
            direct = [self.condition(t.rule, conventions, undetermined) for t in rules.direct]
            parts.append(kleene_any([Tri(by_score, everywhere), *direct]))
        overall = kleene_all(parts)
        decision = np.where(overall.known, np.where(overall.value, 1, 0), 2).astype(np.int8)
        eligible = decision == 1
        if rules.scoring is not None:
            via_score, via_direct = PASSED_VIA_CODES.index(PassedVia.SCORE), PASSED_VIA_CODES.index(PassedVia.DIRECT)
            route = np.where(by_score, via_score, via_direct)
        else:
            route = np.full(self.size, PASSED_VIA_CODES.index(PassedVia.CONDITIONS))
        passed_via = np.where(eligible, route, 0).astype(np.int8)
        return TierColumns(rule_set.tier, rule_set.id, decision, score, passed_via)


def assess_batch(
    columns: FactsColumns,
    *,
    book: RuleBook | None = None,
    tiers: Sequence[Tier] | None = None,
    assessed_on: date | None = None,
) -> dict[Tier, TierColumns]:
    """Re-assess every row of `columns` for each tier (all by default) under the rules in force."""
    book = book or default_rule_book()
    on = reference_date(columns.assessment_year, assessed_on)
    evaluator = BatchEvaluator(columns, book, on)
    return {tier: evaluator.tier(book.select(tier, on)) for tier in tiers or list(Tier)}


def row_outcome(result: TierColumns, row: int) -> dict[str, Any]:
    """One row of a batch result, in the scalar result's terms (for comparisons and debugging)."""
    return {
        "decision": DECISION_CODES[int(result.decision[row])],
        "score": None if result.score is None else int(result.score[row]),
        "passed_via": PASSED_VIA_CODES[int(result.passed_via[row])],
    }
