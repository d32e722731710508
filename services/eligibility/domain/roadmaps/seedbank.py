"""Seed banks (种子库): each year, candidates for the next tier, ranked by closeness and sized to
Yunnan's growth targets (云政办发〔2025〕27号 二（二）).

Pool (data in `rules/yunnan_targets.yaml`): innovative — any SME not yet recognised; SRDI — valid
innovative SMEs; little giant — valid SRDI SMEs with at least 2 invention patents.

Closeness (0…1) is the share of the tier's checks an enterprise passes, as the scalar engine reports
them: every gate clause and required condition counts 1 when met, ½ when undetermined (a fact is
missing or needs evidence), 0 when not met; a scored tier adds one more check for its route, worth 1
when the score or a direct condition passes and score ÷ pass score otherwise. An eligible enterprise
has closeness 1. Ties go to the higher score, then the enterprise id, so the ranking is stable.

Two paths give the same ranking: `build_seed_bank` runs on the vectorised path
(`seedbank_batch.py`: the facts as columns, every candidate at once); `rank` and `closeness` are the
scalar reference, one `TierResult` per enterprise, which also explains an enterprise's gaps. A
property test holds them together.

Size: at least multiplier × the year's growth target (2× for innovative and SRDI, 3× for little
giants), rounded up. The bank is the top of the ranking; if the pool is smaller, the shortfall says
by how much.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from services.eligibility.domain.batch.assess import BatchEvaluator
from services.eligibility.domain.columns.layout import FactsColumns
from services.eligibility.domain.engine.assess import assess_tier, select_rule_set
from services.eligibility.domain.engine.results import TierResult
from services.eligibility.domain.facts.measured import Context
from services.eligibility.domain.facts.metrics import measure
from services.eligibility.domain.facts.model import Facts
from services.eligibility.domain.roadmaps.catalogues import Targets, default_targets
from services.eligibility.domain.roadmaps.seedbank_batch import closeness_columns, pool_mask, ranking
from services.eligibility.domain.rulebook.loading import RuleBook, default_rule_book, reference_date
from services.eligibility.domain.text import Text
from services.eligibility.domain.vocabulary import Decision, Status, Tier

CREDIT = {Status.MET: Fraction(1), Status.UNDETERMINED: Fraction(1, 2), Status.NOT_MET: Fraction(0)}


@dataclass(frozen=True, slots=True)
class Candidate:
    enterprise_id: str
    prefecture: str  # administrative code, e.g. "530100" (昆明市)
    facts: Facts


@dataclass(frozen=True, slots=True)
class RankedCandidate:
    enterprise_id: str
    prefecture: str
    closeness: Fraction
    decision: Decision
    score: int | None
    checks_passed: int
    checks: int


@dataclass(frozen=True, slots=True)
class SeedBank:
    tier: Tier
    year: int
    rule_set: str
    growth_target: Fraction
    multiplier: int
    required_size: int
    pool_size: int
    selected: tuple[RankedCandidate, ...]
    by_prefecture: dict[str, int]
    shortfall: int
    filing_deadline: date | None
    filed_by: Text


def in_pool(candidate: Candidate, tier: Tier, year: int, targets: Targets, book: RuleBook) -> bool:
    pool = targets.seed_banks[tier].pool
    facts = candidate.facts
    start = date(year, 1, 1)
    valid = {r.tier for r in facts.recognitions if r.valid_until >= start}
    if any(t not in valid for t in pool.requires_valid) or any(t in valid for t in pool.excludes_valid):
        return False
    if pool.min_invention_patents is not None:
        patents = facts.ip.invention_patents if facts.ip is not None else None
        if patents is None or patents < pool.min_invention_patents:
            return False
    if pool.must_be_sme:
        context = Context(year, book.size_standard(reference_date(year)))
        return measure(facts, context, "is_sme", 1, None).value is True
    return True


def closeness(result: TierResult) -> tuple[Fraction, int, int]:
    """(closeness, checks passed, checks) from a scalar result; see the module docstring."""
    prefix = f"{result.tier.value}."
    route_codes = {c.code for c in result.conditions if c.code.startswith(f"{prefix}score")}
    direct = [c for c in result.conditions if ".direct." in c.code]
    required = [c for c in result.conditions if c.code not in route_codes and c not in direct]
    credits = [CREDIT[c.status] for c in required]
    if result.score is not None:
        route_met = all(c.met for c in result.conditions if c.code in route_codes) or any(d.met for d in direct)
        score_check = next(c for c in result.conditions if c.code == f"{prefix}score")
        assert isinstance(score_check.threshold, int)
        credits.append(Fraction(1) if route_met else min(Fraction(1), Fraction(result.score, score_check.threshold)))
    passed = sum(1 for c in credits if c == 1)
    return sum(credits, Fraction(0)) / len(credits), passed, len(credits)


def rank(candidates: Sequence[Candidate], tier: Tier, year: int, book: RuleBook) -> list[RankedCandidate]:
    """The scalar reference ranking (one full assessment per candidate); `build_seed_bank` ranks on columns."""
    on = reference_date(year)
    ranked = []
    for candidate in candidates:
        rule_set, _ = select_rule_set(book, tier, candidate.facts, on)
        result = assess_tier(candidate.facts, rule_set, year, book=book, on=on)
        share, passed, checks = closeness(result)
        ranked.append(
            RankedCandidate(
                candidate.enterprise_id, candidate.prefecture, share, result.decision, result.score, passed, checks
            )
        )
    ranked.sort(key=lambda r: (-r.closeness, -(r.score or 0), r.enterprise_id))
    return ranked


def build_seed_bank(
    candidates: Sequence[Candidate],
    year: int,
    tier: Tier,
    *,
    book: RuleBook | None = None,
    targets: Targets | None = None,
) -> SeedBank:
    """The seed bank for `tier` in `year` from these candidates, on the vectorised path."""
    _plan_checked(year, tier, {c.prefecture for c in candidates}, targets or default_targets())
    columns = FactsColumns.from_facts([c.facts for c in candidates], year)
    ids = np.array([c.enterprise_id for c in candidates], dtype=np.str_)
    prefectures = np.array([c.prefecture for c in candidates], dtype=np.str_)
    return build_seed_bank_from_columns(columns, ids, prefectures, tier, book=book, targets=targets)


def build_seed_bank_from_columns(
    columns: FactsColumns,
    enterprise_ids: npt.NDArray[np.str_],
    prefectures: npt.NDArray[np.str_],
    tier: Tier,
    *,
    book: RuleBook | None = None,
    targets: Targets | None = None,
) -> SeedBank:
    """The seed bank from candidates already held as columns (row i is `enterprise_ids[i]`)."""
    book, targets = book or default_rule_book(), targets or default_targets()
    year = columns.assessment_year
    required = _plan_checked(year, tier, set(np.unique(prefectures).tolist()), targets)
    on = reference_date(year)
    selected: tuple[RankedCandidate, ...] = ()
    pool = np.zeros(0, dtype=np.int64)
    if columns.size:  # (the batch evaluator wants at least one row)
        evaluator = BatchEvaluator(columns, book, on)
        pool = np.flatnonzero(pool_mask(columns, tier, year, targets, book, evaluator))
        found = closeness_columns(columns, tier, book=book, on=on, evaluator=evaluator)
        selected = tuple(
            RankedCandidate(
                str(enterprise_ids[row]), str(prefectures[row]), found.closeness(row), found.decision_of(row),
                found.score_of(row), int(found.checks_passed[row]), found.checks,
            )
            for row in (int(r) for r in ranking(found, enterprise_ids, pool)[:required])
        )  # fmt: skip
    return _bank(tier, year, book, targets, len(pool), selected)


def build_seed_bank_scalar(
    candidates: Sequence[Candidate],
    year: int,
    tier: Tier,
    *,
    book: RuleBook | None = None,
    targets: Targets | None = None,
) -> SeedBank:
    """The same seed bank on the scalar reference path (one assessment per candidate)."""
    book, targets = book or default_rule_book(), targets or default_targets()
    required = _plan_checked(year, tier, {c.prefecture for c in candidates}, targets)
    pool = [c for c in candidates if in_pool(c, tier, year, targets, book)]
    selected = tuple(rank(pool, tier, year, book)[:required])
    return _bank(tier, year, book, targets, len(pool), selected)


def _plan_checked(year: int, tier: Tier, prefectures: set[str], targets: Targets) -> int:
    """The bank's required size; a year outside the plan or an unknown prefecture is refused."""
    plan = targets.plan(targets.seed_bank_plan)
    if year not in plan.years:
        raise ValueError(f"the seed-bank plan {plan.id} covers {plan.years}, not {year}")
    unknown = sorted(prefectures - {p.code for p in targets.prefectures})
    if unknown:
        raise ValueError(f"unknown prefecture codes {unknown}")
    return math.ceil(targets.seed_banks[tier].multiplier * plan.yearly_target(tier))


def _bank(
    tier: Tier, year: int, book: RuleBook, targets: Targets, pool_size: int, selected: tuple[RankedCandidate, ...]
) -> SeedBank:
    rule = targets.seed_banks[tier]
    growth = targets.plan(targets.seed_bank_plan).yearly_target(tier)
    required = math.ceil(rule.multiplier * growth)
    filed_by = rule.filing.by if rule.filing else rule.built_by
    return SeedBank(
        tier=tier,
        year=year,
        rule_set=book.select(tier, reference_date(year)).id,
        growth_target=growth,
        multiplier=rule.multiplier,
        required_size=required,
        pool_size=pool_size,
        selected=selected,
        by_prefecture=dict(sorted(Counter(r.prefecture for r in selected).items())),
        shortfall=max(0, required - len(selected)),
        filing_deadline=date(year, rule.filing.month, rule.filing.day) if rule.filing else None,
        filed_by=Text(filed_by.zh, filed_by.en) if filed_by else Text("", ""),
    )
