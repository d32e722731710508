"""Seed banks on the vectorised path: pool, closeness and ranking for every row of a `FactsColumns`.

The figure is the scalar one (`seedbank.closeness`, see its module docstring), computed from the
batch evaluator's three-valued condition columns instead of one `TierResult` per enterprise. It is
kept exact as an integer numerator over one denominator shared by the tier's rows:

    unit        = the pass score (scored tiers) or 1
    denominator = 2 × unit × checks
    numerator   = Σ required checks (met 2 × unit, undetermined unit, not met 0)
                + route check (met: 2 × unit, else 2 × min(score, pass score))      (scored tiers)

so that `Fraction(numerator, denominator)` is the scalar closeness, and ordering by the numerator
is ordering by closeness. Ties go to the higher score, then the enterprise id (a stable sort, as the
scalar `list.sort`). A property test holds the two paths together
(`tests/unit/eligibility/test_seedbank_batch.py`).

The scalar path stays the reference and the explanation of one enterprise's gaps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from services.eligibility.domain.batch.assess import (
    DECISION_CODES,
    BatchEvaluator,
    Tri,
    kleene_all,
    kleene_any,
)
from services.eligibility.domain.columns.layout import FactsColumns
from services.eligibility.domain.facts.metrics import TIERS, VECTOR_METRICS
from services.eligibility.domain.roadmaps.catalogues import Targets
from services.eligibility.domain.rulebook.loading import RuleBook, RuleSet, reference_date
from services.eligibility.domain.vocabulary import Decision, Tier

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ClosenessColumns:
    """Closeness of every row for one tier: `numerator[row] / denominator` is the scalar figure."""

    tier: Tier
    rule_set: str
    numerator: IntArray
    denominator: int
    checks_passed: IntArray
    checks: int
    decision: npt.NDArray[np.int8]  # index into DECISION_CODES
    score: IntArray | None  # None for unscored tiers

    def closeness(self, row: int) -> Fraction:
        return Fraction(int(self.numerator[row]), self.denominator)

    def decision_of(self, row: int) -> Decision:
        return DECISION_CODES[int(self.decision[row])]

    def score_of(self, row: int) -> int | None:
        return None if self.score is None else int(self.score[row])

    def outcome(self, row: int) -> tuple[Fraction, int, int]:
        """(closeness, checks passed, checks) of one row, in the scalar `closeness`'s terms."""
        return self.closeness(row), int(self.checks_passed[row]), self.checks


def _route_codes_are_apart(rule_set: RuleSet) -> None:
    """The scalar figure tells route checks from required ones by their codes; the rule files keep
    them apart, and this path relies on it (it reads the rule set's structure)."""
    prefix = f"{rule_set.tier.value}.score"
    rules = rule_set.definition
    mixed = [t.code for t in [*rules.gate, *rules.conditions] if t.code.startswith(prefix) or ".direct." in t.code]
    mixed += [t.code for t in rules.direct if ".direct." not in t.code]
    if mixed:
        raise ValueError(f"{rule_set.id}: condition codes {mixed} would be read as the wrong kind of check")


def closeness_columns(
    columns: FactsColumns,
    tier: Tier,
    *,
    book: RuleBook,
    on: date | None = None,
    evaluator: BatchEvaluator | None = None,
) -> ClosenessColumns:
    """The closeness of every row for a new application to `tier` under the rules in force on `on`."""
    on = on or reference_date(columns.assessment_year)
    evaluator = evaluator or BatchEvaluator(columns, book, on)
    rule_set = book.select(tier, on)
    _route_codes_are_apart(rule_set)
    rules, conventions = rule_set.definition, rule_set.conventions
    undetermined = rule_set.undetermined_when_missing
    size = columns.size
    parts = [evaluator.condition(t.rule, conventions, undetermined) for t in [*rules.gate, *rules.conditions]]
    required_met: IntArray = np.zeros(size, dtype=np.int64)
    undecided: IntArray = np.zeros(size, dtype=np.int64)
    for part in parts:
        required_met += part.known & part.value
        undecided += ~part.known
    passed = required_met.copy()
    checks = len(parts)
    score: IntArray | None = None
    unit = 1
    route_credit = np.zeros(size, dtype=np.int64)
    if rules.scoring is not None:
        unit, checks = rules.scoring.pass_score, checks + 1
        points = [(evaluator.indicator(rule, conventions), group) for rule, group in rule_set.indicators()]
        score = np.asarray(sum((p for p, _ in points), np.zeros(size, dtype=np.int64)), dtype=np.int64)
        by_score = score >= rules.scoring.pass_score
        for group in rules.scoring.groups:
            if group.min_points is not None:
                group_total = sum((p for p, g in points if g == group.code), np.zeros(size, dtype=np.int64))
                by_score &= group_total >= group.min_points
        direct = [evaluator.condition(t.rule, conventions, undetermined) for t in rules.direct]
        route_met = by_score | np.logical_or.reduce([d.known & d.value for d in direct] + [np.zeros(size, bool)])
        route_credit = np.where(route_met, 2 * unit, 2 * np.minimum(score, unit))
        passed += route_met | (score >= unit)  # a credit of 1: met, or the score alone reaches the pass
        parts.append(kleene_any([Tri(by_score, np.ones(size, dtype=bool)), *direct]))
    overall = kleene_all(parts)
    decision = np.where(overall.known, np.where(overall.value, 1, 0), 2).astype(np.int8)
    numerator = 2 * unit * required_met + unit * undecided + route_credit
    return ClosenessColumns(
        tier, rule_set.id, numerator.astype(np.int64), 2 * unit * checks, passed.astype(np.int64), checks,
        decision, score,
    )  # fmt: skip


def pool_mask(
    columns: FactsColumns,
    tier: Tier,
    year: int,
    targets: Targets,
    book: RuleBook,
    evaluator: BatchEvaluator | None = None,
) -> BoolArray:
    """Rows in the tier's seed-bank pool, as `seedbank.in_pool` decides one candidate."""
    if columns.assessment_year != year:
        raise ValueError(f"columns for {columns.assessment_year}, pool for {year}")
    pool = targets.seed_banks[tier].pool
    held = columns.ints["recognitions"]  # valid on 1 January of the assessment year, one bit per tier
    mask = np.ones(columns.size, dtype=bool)
    for required in pool.requires_valid:
        mask &= (held >= 0) & ((held & (1 << TIERS.index(required))) != 0)
    for excluded in pool.excludes_valid:
        mask &= ~((held >= 0) & ((held & (1 << TIERS.index(excluded))) != 0))
    if pool.min_invention_patents is not None:
        mask &= columns.ints["ip_invention_patents"] >= max(pool.min_invention_patents, 0)
    if pool.must_be_sme:
        evaluator = evaluator or BatchEvaluator(columns, book, reference_date(year))
        sme = VECTOR_METRICS["is_sme"](evaluator.ctx, 1, None)
        mask &= np.asarray(sme.known & sme.value, dtype=bool)  # type: ignore[union-attr]
    return mask


def ranking(found: ClosenessColumns, enterprise_ids: npt.NDArray[np.str_], rows: Sequence[int] | IntArray) -> IntArray:
    """`rows` in the seed bank's order: closeness, then score (higher first), then enterprise id."""
    rows = np.asarray(rows, dtype=np.int64)
    score = found.score[rows] if found.score is not None else np.zeros(len(rows), dtype=np.int64)
    order = np.lexsort((enterprise_ids[rows], -score, -found.numerator[rows]))
    return rows[order]
