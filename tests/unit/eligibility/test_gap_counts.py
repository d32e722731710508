"""The vectorised gap counts are the scalar engine's `len(result.gaps)`, row by row and tier by tier
(what `eligibility.assessed` carries per tier), edges and missing facts included."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.eligibility.domain.batch.gap_counts import assess_batch_with_gaps
from services.eligibility.domain.columns import FactsColumns, synthetic_columns
from services.eligibility.domain.engine import assess
from services.eligibility.domain.facts import Facts
from services.eligibility.domain.rulebook import default_rule_book
from tests.unit.eligibility.test_batch_equivalence import EXAMPLES, facts, near_2026


def assert_same_counts(population: list[Facts], year: int, assessed_on: date | None = None) -> None:
    book = default_rule_book()
    batch = assess_batch_with_gaps(FactsColumns.from_facts(population, year), book=book, assessed_on=assessed_on)
    for row, item in enumerate(population):
        for scalar in assess(item, year, book=book, assessed_on=assessed_on):
            decided, gaps = batch[scalar.tier]
            assert int(decided.decision[row]) == (0, 1, 2)[["not_eligible", "eligible", "undetermined"].index(
                scalar.decision.value)], (row, scalar.tier)  # fmt: skip
            assert int(gaps[row]) == len(scalar.gaps), (row, scalar.tier, [g.code for g in scalar.gaps], item)


@settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(year=st.sampled_from([2025, 2026]), mid_year=st.booleans(), data=st.data())
def test_gap_counts_agree_with_the_scalar_engine(year: int, mid_year: bool, data: st.DataObject) -> None:
    population = data.draw(st.lists(facts(year), min_size=1, max_size=8))
    assert_same_counts(population, year, assessed_on=date(year, 6, 30) if mid_year else None)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_gap_counts_agree_where_the_2026_readings_decide(data: st.DataObject) -> None:
    assert_same_counts(data.draw(st.lists(near_2026(2026), min_size=1, max_size=8)), 2026)


def test_gap_counts_agree_on_a_synthetic_population() -> None:
    for year in (2025, 2026):
        columns = synthetic_columns(300, year, seed=11)
        assert_same_counts([columns.to_facts(i) for i in range(columns.size)], year)
