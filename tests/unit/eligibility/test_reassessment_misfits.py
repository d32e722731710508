"""The register accepts money up to 10^14 yuan; the batch columns hold 10^12 exactly. A whole-register
re-assessment must not fail on such an enterprise: it goes to the scalar engine, the rest stay batched."""

from __future__ import annotations

from decimal import Decimal

from services.eligibility.domain.columns.encode import encode, encode_fitting
from services.eligibility.domain.rulebook.loading import load_rule_book
from services.eligibility.usecases.assessments import assess_snapshot
from services.eligibility.usecases.projection import facts_from_snapshot
from services.eligibility.usecases.reassessment import flipped_rows
from shared.events.catalogue import EnterpriseSnapshot
from shared.events.catalogue.registry import FinancialYear
from tests.support.notifications import snapshot

YEAR = 2025


def with_revenue(serial: int, revenue: str) -> EnterpriseSnapshot:
    years = [FinancialYear(year=y, operating_revenue=Decimal(revenue), main_business_revenue=Decimal(revenue),
                           employees=120) for y in (2022, 2023, 2024)]  # fmt: skip
    return snapshot(serial, financials=years)


def test_encode_fitting_leaves_out_only_what_the_columns_cannot_hold() -> None:
    snapshots = [with_revenue(1, "80000000"), with_revenue(2, "5000000000000"), with_revenue(3, "90000000.50")]
    facts = [facts_from_snapshot(s, YEAR) for s in snapshots]
    columns, rows, misfits = encode_fitting(facts, YEAR)
    assert (rows, misfits) == ([0, 2], [1])
    assert columns.size == 2
    fitting = encode([facts[0], facts[2]], YEAR)
    assert (columns.money["operating_revenue"] == fitting.money["operating_revenue"]).all()


def test_a_register_with_a_huge_enterprise_is_reassessed_with_it_on_the_scalar_path() -> None:
    book = load_rule_book()
    snapshots = [with_revenue(1, "80000000"), with_revenue(2, "5000000000000"), with_revenue(3, "90000000")]
    # Stored statuses equal to what the scalar engine decides: nothing flipped but the misfit is re-run.
    current = {(s.uscc, str(r.tier)): r.eligible for s in snapshots for r in assess_snapshot(s, YEAR, book)}
    assert flipped_rows(snapshots, YEAR, book, current) == [1]
    # A stored status that differs from the truth is found for a batched row too.
    tier = next(iter({t for (_, t) in current}))
    current[(snapshots[2].uscc, tier)] = not current[(snapshots[2].uscc, tier)]
    assert flipped_rows(snapshots, YEAR, book, current) == [1, 2]
