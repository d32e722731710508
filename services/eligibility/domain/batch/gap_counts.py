"""How many gaps the scalar engine would list, for every row and tier, on the vectorised path.

`eligibility.assessed` carries per tier the number of gaps (`TierOutcome.gaps`), not the gaps
themselves. This module counts them from the batch evaluator's columns, walking the rule tree the
way the scalar `engine.gaps` walks an enterprise's outcomes:

- a top-level condition that is not met adds the gaps of its decisive parts — a comparison whose
  value is missing one, one per failing year (per-year minimum / maximum) or one for the combined
  value; a flag or a choice one; ``all_of`` its parts' gaps; ``any_of`` those of its first
  alternative (the first undetermined one when undetermined); ``by_case`` those of the chosen case,
  or of the first case test that is undetermined;
- a scored tier whose route is not met adds one per score condition missed, each indicator's
  next-band gaps and one for the direct conditions;
- an eligible tier has none.

The gap texts and amounts stay the scalar engine's (an unexplained assessment is explained from its
facts on first read). A property test holds the two counts together row by row
(``tests/unit/eligibility/test_gap_counts.py``).
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from services.eligibility.domain.batch.assess import BatchEvaluator, TierColumns, Tri
from services.eligibility.domain.columns.layout import FactsColumns
from services.eligibility.domain.engine.evaluation import comparable_threshold
from services.eligibility.domain.facts.metrics import CATALOGUE
from services.eligibility.domain.facts.values import NumCol, compare
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
    PerFullStepIndicator,
    PointsPerItemIndicator,
)
from services.eligibility.domain.vocabulary import Tier

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class GapCounter:
    """Gap counts over one evaluator's rows (its metric and leaf caches are shared with the decision)."""

    def __init__(self, evaluator: BatchEvaluator) -> None:
        self.ev = evaluator
        self.size = evaluator.size

    def _zeros(self) -> IntArray:
        return np.zeros(self.size, dtype=np.int64)

    # -- conditions --

    def condition(self, node: Condition, conventions: Conventions, undetermined: bool) -> IntArray:
        """The scalar `condition_gaps` count of `node` on every row (0 where it is met)."""
        tri = self.ev.condition(node, conventions, undetermined)
        met = tri.known & tri.value
        return np.where(met, 0, self._unmet(node, tri, conventions, undetermined))

    def _unmet(self, node: Condition, tri: Tri, conventions: Conventions, undetermined: bool) -> IntArray:
        """The count where `node` is not met (meaningless where it is)."""
        if isinstance(node, CompareCondition):
            return self._compare(node, node.threshold, node.at_least is not None, conventions)
        if isinstance(node, FlagCondition | ChoiceCondition):
            return np.ones(self.size, dtype=np.int64)
        if isinstance(node, AllOf):
            return sum((self.condition(c, conventions, undetermined) for c in node.conditions), self._zeros())
        if isinstance(node, AnyOf):
            parts = [self.ev.condition(c, conventions, undetermined) for c in node.conditions]
            counts = [self.condition(c, conventions, undetermined) for c in node.conditions]
            # Undetermined: the first undetermined alternative names the missing fact; else the first.
            result = counts[0].copy()
            chosen = np.zeros(self.size, dtype=bool)
            for part, count in zip(parts, counts, strict=True):
                take = ~tri.known & ~chosen & ~part.known
                result = np.where(take, count, result)
                chosen |= take
            return result
        assert isinstance(node, ByCase)
        result = self._zeros()
        open_rows = np.ones(self.size, dtype=bool)
        for case in node.cases:
            when = self.ev.condition(case.when, conventions, undetermined)
            unknown = open_rows & ~when.known
            result = np.where(unknown, self.condition(case.when, conventions, undetermined), result)
            take = open_rows & when.known & when.value
            result = np.where(take, self.condition(case.then, conventions, undetermined), result)
            open_rows &= when.known & ~when.value
        return np.where(open_rows, self.condition(node.otherwise, conventions, undetermined), result)

    def _compare(
        self, node: CompareCondition | BandTable, threshold: object, at_least: bool, conventions: Conventions
    ) -> IntArray:
        """`compare_gaps` of a comparison that fails: one for a missing value, else the shortfalls."""
        if node.combine in ("min", "max"):
            years = [c for c in self.ev.per_year(node, conventions) if isinstance(c, NumCol)]
            missing = np.logical_or.reduce([~c.known for c in years])
            target = comparable_threshold(node.metric, Fraction(str(threshold)))
            failing = sum((c.known & ~compare(c, target, at_least) for c in years), self._zeros())
        else:
            combined = self.ev.read(node, conventions)
            assert isinstance(combined, NumCol)
            missing = ~combined.known
            failing = np.ones(self.size, dtype=np.int64)
        if CATALOGUE[node.metric].unit == "growth_factor" or (
            node.metric == "main_business_growth" and node.combine == "mean"
        ):
            failing = np.ones(self.size, dtype=np.int64)  # one shortfall on the lever
        return np.where(missing, 1, failing)

    # -- indicators --

    def indicator(self, rule: Indicator, conventions: Conventions) -> IntArray:
        """The scalar `indicator_gaps` count on every row."""
        points = self.ev.indicator(rule, conventions)
        below = points < rule.max_points
        if isinstance(rule, BestOfIndicator):
            found = sum((self._table(o, points, conventions) for o in rule.options), self._zeros())
        elif isinstance(rule, BandTable):
            found = self._table(rule, points, conventions)
        elif isinstance(rule, PerFullStepIndicator):
            found = np.ones(self.size, dtype=np.int64)
        elif isinstance(rule, LadderIndicator):
            found = self._ladder(rule, points, conventions)
        else:
            assert isinstance(rule, PointsPerItemIndicator)
            found = sum((self.condition(i.when, conventions, True) for i in rule.items), self._zeros())
        return np.where(below, found, 0)

    def _band_index(self, table: BandTable, col: NumCol) -> IntArray:
        index = np.full(self.size, -1, dtype=np.int64)
        placed = ~col.known
        for position, band in enumerate(table.bands):
            edge = band.at_least if table.better == "higher" else band.at_most
            hit = ~placed if edge is None else ~placed & compare(col, Fraction(edge), table.better == "higher")
            index[hit] = position
            placed |= hit
        return index

    def _table(self, table: BandTable, points: IntArray, conventions: Conventions) -> IntArray:
        col = self.ev.read(table, conventions)
        assert isinstance(col, NumCol)
        index = self._band_index(table, col)
        result = np.where(col.known, 0, 1)
        for position in range(1, len(table.bands)):
            better = table.bands[position - 1]
            edge = better.at_least if better.at_least is not None else better.at_most
            if edge is None:
                continue
            rows = col.known & (index == position) & (better.points - points > 0)
            if rows.any():
                count = self._compare(table, edge, table.better == "higher", conventions)
                result = np.where(rows, count, result)
        return np.asarray(result, dtype=np.int64)

    def _ladder(self, rule: LadderIndicator, points: IntArray, conventions: Conventions) -> IntArray:
        steps = [self.ev.condition(step.when, conventions, True) for step in rule.steps]
        met = np.full(self.size, len(rule.steps), dtype=np.int64)
        for position in reversed(range(len(steps))):
            met = np.where(steps[position].known & steps[position].value, position, met)
        result = self._zeros()
        for position in range(1, len(rule.steps) + 1):
            target = rule.steps[position - 1]
            rows = (met == position) & (target.points - points > 0)
            if rows.any():
                result = np.where(rows, self.condition(target.when, conventions, True), result)
        return result

    # -- tiers --

    def tier(self, rule_set: RuleSet, decided: TierColumns) -> IntArray:
        rules, conventions = rule_set.definition, rule_set.conventions
        undetermined = rule_set.undetermined_when_missing
        count = sum(
            (self.condition(t.rule, conventions, undetermined) for t in [*rules.gate, *rules.conditions]),
            self._zeros(),
        )
        if rules.scoring is not None:
            assert decided.score is not None
            score = np.asarray(decided.score, dtype=np.int64)
            points = [(self.ev.indicator(rule, conventions), group) for rule, group in rule_set.indicators()]
            missed = np.where(score < rules.scoring.pass_score, 1, 0)
            by_score = score >= rules.scoring.pass_score
            for group in rules.scoring.groups:
                if group.min_points is not None:
                    total = sum((p for p, g in points if g == group.code), self._zeros())
                    missed = missed + np.where(total < group.min_points, 1, 0)
                    by_score &= total >= group.min_points
            direct = [self.ev.condition(t.rule, conventions, undetermined) for t in rules.direct]
            route_met = by_score | np.logical_or.reduce(
                [d.known & d.value for d in direct] + [np.zeros(self.size, bool)]
            )
            extra = missed + sum(
                (self.indicator(rule, conventions) for rule, _ in rule_set.indicators()), self._zeros()
            )
            extra = extra + (1 if rules.direct else 0)
            count = count + np.where(route_met, 0, extra)
        return np.asarray(np.where(decided.eligible, 0, count), dtype=np.int64)


def assess_batch_with_gaps(
    columns: FactsColumns, *, book: RuleBook | None = None, assessed_on: date | None = None
) -> dict[Tier, tuple[TierColumns, IntArray]]:
    """`assess_batch` for every tier, with each row's gap count beside the decision."""
    book = book or default_rule_book()
    on = reference_date(columns.assessment_year, assessed_on)
    evaluator = BatchEvaluator(columns, book, on)
    counter = GapCounter(evaluator)
    found: dict[Tier, tuple[TierColumns, IntArray]] = {}
    for tier in list(Tier):
        rule_set = book.select(tier, on)
        decided = evaluator.tier(rule_set)
        found[tier] = (decided, counter.tier(rule_set, decided))
    return found
