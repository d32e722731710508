"""Seed banks on the vectorised path give the scalar path's closeness, pool and ranking, row by row."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.eligibility.domain.columns import FactsColumns, synthetic_columns
from services.eligibility.domain.engine.assess import assess_tier
from services.eligibility.domain.facts import Facts
from services.eligibility.domain.roadmaps.catalogues import default_targets
from services.eligibility.domain.roadmaps.seedbank import (
    Candidate,
    build_seed_bank,
    build_seed_bank_from_columns,
    build_seed_bank_scalar,
    closeness,
    in_pool,
    rank,
)
from services.eligibility.domain.roadmaps.seedbank_batch import closeness_columns, pool_mask, ranking
from services.eligibility.domain.rulebook import default_rule_book, reference_date
from services.eligibility.domain.vocabulary import Tier
from tests.unit.eligibility.test_batch_equivalence import EXAMPLES, facts, near_2026

SEED_BANK_TIERS = [Tier.INNOVATIVE_SME, Tier.SRDI_SME, Tier.LITTLE_GIANT]
PREFECTURES = ["530100", "532500", "532900"]


def assert_same_closeness(population: list[Facts], year: int, columns: FactsColumns | None = None) -> None:
    """Every row, every tier: closeness, checks passed, checks, decision and score as the scalar engine."""
    book, on = default_rule_book(), reference_date(year)
    columns = columns or FactsColumns.from_facts(population, year)
    for tier in Tier:
        found = closeness_columns(columns, tier, book=book)
        rule_set = book.select(tier, on)
        assert found.rule_set == rule_set.id
        for row, item in enumerate(population):
            result = assess_tier(item, rule_set, year, book=book, on=on)
            assert found.outcome(row) == closeness(result), (tier, row, item)
            assert (found.decision_of(row), found.score_of(row)) == (result.decision, result.score), (tier, row)


def assert_same_ranking(candidates: list[Candidate], year: int, columns: FactsColumns | None = None) -> None:
    """Pool membership per candidate, then the whole ranked pool in the same order with the same figures."""
    book, targets = default_rule_book(), default_targets()
    columns = columns or FactsColumns.from_facts([c.facts for c in candidates], year)
    ids = np.array([c.enterprise_id for c in candidates], dtype=np.str_)
    for tier in SEED_BANK_TIERS:
        mask = pool_mask(columns, tier, year, targets, book)
        assert mask.tolist() == [in_pool(c, tier, year, targets, book) for c in candidates], tier
        pool = [c for c in candidates if in_pool(c, tier, year, targets, book)]
        scalar = rank(pool, tier, year, book)
        found = closeness_columns(columns, tier, book=book)
        order = ranking(found, ids, np.flatnonzero(mask))
        assert [str(ids[row]) for row in order] == [r.enterprise_id for r in scalar], tier
        assert [found.outcome(int(row)) for row in order] == [(r.closeness, r.checks_passed, r.checks) for r in scalar]
        assert [found.score_of(int(row)) for row in order] == [r.score for r in scalar]


@st.composite
def candidates(draw: st.DrawFn, year: int) -> list[Candidate]:
    population = draw(st.lists(st.one_of(facts(year), near_2026(year)) if year == 2026 else facts(year),
                               min_size=1, max_size=10))  # fmt: skip
    # Few distinct ids, so that ties reach the last key (and a repeated id keeps its input order).
    ids = draw(st.lists(st.sampled_from(["9153A", "9153B", "9153C", "9153D", "9153E"]),
                        min_size=len(population), max_size=len(population)))  # fmt: skip
    return [
        Candidate(uscc, draw(st.sampled_from(PREFECTURES)), item) for uscc, item in zip(ids, population, strict=True)
    ]


@settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(year=st.sampled_from([2025, 2026, 2027]), data=st.data())
def test_vectorised_closeness_is_the_scalar_figure(year: int, data: st.DataObject) -> None:
    population = data.draw(st.lists(facts(year), min_size=1, max_size=8))
    assert_same_closeness(population, year)


@settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(year=st.sampled_from([2025, 2026, 2027]), data=st.data())
def test_vectorised_ranking_is_the_scalar_ranking(year: int, data: st.DataObject) -> None:
    assert_same_ranking(data.draw(candidates(year)), year)


def synthetic_candidates(size: int, year: int, seed: int) -> tuple[FactsColumns, list[Candidate]]:
    columns = synthetic_columns(size, year, seed=seed)
    rng = np.random.default_rng(seed)
    # Scores often tie at a closeness; ids in a random order so that the id key is not the row order.
    ids = [f"91530{n:013d}" for n in rng.permutation(size)]
    return columns, [Candidate(ids[row], PREFECTURES[row % 3], columns.to_facts(row)) for row in range(size)]


@pytest.mark.parametrize("year", [2025, 2026])
def test_they_agree_on_a_synthetic_population(year: int) -> None:
    # As the benchmark runs them: the vectorised path on the generated columns, the scalar on each row as Facts.
    columns, pool = synthetic_candidates(300, year, seed=23)
    assert_same_closeness([c.facts for c in pool], year, columns)
    assert_same_ranking(pool, year, columns)


@pytest.mark.parametrize("tier", SEED_BANK_TIERS)
def test_the_seed_bank_is_the_scalar_one(tier: Tier) -> None:
    # The whole built bank (pool size, selection with its figures, prefecture split) on both paths.
    columns, pool = synthetic_candidates(400, 2026, seed=31)
    vectorised = build_seed_bank(pool, 2026, tier)
    assert vectorised == build_seed_bank_scalar(pool, 2026, tier)
    assert vectorised.pool_size > 0 and vectorised.selected, tier
    ids = np.array([c.enterprise_id for c in pool], dtype=np.str_)
    prefectures = np.array([c.prefecture for c in pool], dtype=np.str_)
    assert build_seed_bank_from_columns(columns, ids, prefectures, tier) == vectorised


def test_the_ranking_reads_every_key_in_turn() -> None:
    # Same closeness, different scores; same closeness and score, ids decide.
    columns, pool = synthetic_candidates(200, 2025, seed=7)
    found = closeness_columns(columns, Tier.INNOVATIVE_SME, book=default_rule_book())
    ids = np.array([c.enterprise_id for c in pool], dtype=np.str_)
    order = ranking(found, ids, np.arange(columns.size))
    keys = [(-found.closeness(int(r)), -(found.score_of(int(r)) or 0), str(ids[r])) for r in order]
    assert keys == sorted(keys)
    closeness_ties = len(keys) - len({k[0] for k in keys})
    score_ties = len(keys) - len({k[:2] for k in keys})
    assert closeness_ties > 0 and score_ties > 0, "the population exercises both tie-breaks"
