"""The vectorised path gives the scalar path's answers (decision, score, route), edges included."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.eligibility.domain.batch import assess_batch, row_outcome
from services.eligibility.domain.columns import FactsColumns, decode_industry, encode_industry, synthetic_columns
from services.eligibility.domain.engine import assess
from services.eligibility.domain.facts import (
    Award,
    Champion,
    Compliance,
    EvaluationScore,
    Facts,
    FinancialYear,
    Honour,
    IntellectualProperty,
    MakerChinaEntry,
    ProductField,
    Quality,
    RdInstitution,
    Recognition,
)
from services.eligibility.domain.rulebook import default_rule_book
from services.eligibility.domain.vector_metrics import NumCol, compare
from services.eligibility.domain.vocabulary import Tier

# Every edge in the shipped rules, and a few values between them.
EDGES = [
    "0",
    "0.01",
    "0.02",
    "0.03",
    "0.04",
    "0.05",
    "0.06",
    "0.08",
    "0.1",
    "0.15",
    "0.2",
    "0.5",
    "0.55",
    "0.6",
    "0.7",
    "0.75",
    "0.8",
    "0.9",
    "1",
]
ROUND_AMOUNTS = [
    0,
    1,
    1_000_000,
    2_000_000,
    5_000_000,
    10_000_000,
    15_000_000,
    20_000_000,
    50_000_000,
    60_000_000,
    80_000_000,
    100_000_000,
    400_000_000,
]
NUDGE = st.sampled_from([Decimal("-0.01"), Decimal(0), Decimal(0), Decimal("0.01")])


def maybe(strategy: st.SearchStrategy, none_share: float = 0.1) -> st.SearchStrategy:
    return st.one_of(st.none(), strategy) if none_share else strategy


amount = st.one_of(
    st.sampled_from(ROUND_AMOUNTS).map(Decimal), st.integers(0, 10**11).map(lambda fen: Decimal(fen) / 100)
)
edge = st.sampled_from(EDGES).map(Decimal)


@st.composite
def on_edge(draw: st.DrawFn, base: Decimal) -> Decimal:
    """An amount whose ratio to `base` sits on a band edge, or one fen either side."""
    return max(Decimal(0), (base * draw(edge)).quantize(Decimal("0.01")) + draw(NUDGE))


@st.composite
def financial_year(draw: st.DrawFn, year: int, main: Decimal) -> FinancialYear:
    revenue = draw(st.one_of(st.just(main), on_edge(main * 2), amount))
    employees = draw(maybe(st.sampled_from([0, 10, 100, 299, 300, 999, 1000])))
    return FinancialYear(
        year=year,
        operating_revenue=draw(maybe(st.just(revenue))),
        main_business_revenue=draw(maybe(st.just(main))),
        rd_expense=draw(maybe(st.one_of(on_edge(revenue), amount))),
        net_profit=draw(maybe(st.one_of(on_edge(revenue), on_edge(revenue).map(lambda v: -v)))),
        total_assets=draw(maybe(st.just(revenue))),
        total_liabilities=draw(maybe(on_edge(revenue))),
        employees=employees,
        rd_staff=draw(maybe(st.integers(0, employees or 0))),
        new_equity_financing=draw(maybe(st.sampled_from(ROUND_AMOUNTS).map(Decimal))),
        audited=draw(maybe(st.booleans())),
    )


@st.composite
def financials(draw: st.DrawFn, year: int) -> tuple[FinancialYear, ...]:
    main3 = draw(amount)
    main2 = max(Decimal(0), (main3 * (1 + draw(edge))).quantize(Decimal("0.01")) + draw(NUDGE))
    main1 = max(Decimal(0), (main2 * (1 + draw(edge))).quantize(Decimal("0.01")) + draw(NUDGE))
    years = [draw(financial_year(year - k, m)) for k, m in ((1, main1), (2, main2), (3, main3))]
    return tuple(y for y in years if draw(st.integers(0, 9)) > 0)


flag = maybe(st.booleans())
count = maybe(st.integers(0, 6))
ratio_fact = maybe(st.sampled_from(["0.05", "0.099999", "0.1", "0.100001", "0.3", "0.5", "0.499999"]).map(Decimal))
AWARD_KINDS = ["sci_tech_progress", "natural_science", "technological_invention", "national_defence", "other"]


@st.composite
def award(draw: st.DrawFn, year: int) -> Award:
    """Awards with the 2026 facts: kind, and a certificate date that often sits on the 3-year edge."""
    award_year = draw(st.integers(year - 4, year))
    edges = st.sampled_from(
        [date(award_year, 12, 30), date(award_year, 12, 31), date(award_year, 6, 30), date(award_year, 7, 1)]
    )
    certificate = draw(maybe(st.one_of(edges, st.dates(date(award_year, 1, 1), date(award_year, 12, 31))), 0.3))
    return Award(
        draw(st.sampled_from(["national", "provincial"])),
        award_year,
        draw(maybe(st.integers(1, 6))),
        draw(maybe(st.sampled_from(AWARD_KINDS), 0.2)),
        certificate,
    )


@st.composite
def facts(draw: st.DrawFn, year: int) -> Facts:
    tiers = st.sampled_from(list(Tier))
    return Facts(
        industry_code=draw(maybe(st.sampled_from(["C3985", "C", "I6510", "F5191", "F52", "K7010", "E", "S90"]))),
        sme=draw(maybe(st.booleans(), 0.4)),
        established_on=draw(maybe(st.dates(date(1995, 1, 1), date(year, 12, 31)))),
        niche_years=draw(count.map(lambda v: None if v is None else v * 2)),
        financials=draw(financials(year)),
        ip=draw(maybe(st.builds(IntellectualProperty, count, count, count, count, count, count, count, count))),
        rd_institution=draw(
            maybe(
                st.builds(
                    RdInstitution,
                    maybe(st.sampled_from(["national", "provincial", "municipal", "below_municipal", "none"])),
                    flag,
                )
            )
        ),
        digital_level=draw(maybe(st.integers(1, 4))),
        core_systems=draw(maybe(st.lists(st.sampled_from(["ERP", "mes", "WMS", "XYZ"]), max_size=2).map(tuple))),
        quality=draw(maybe(st.builds(Quality, flag, flag, flag, flag))),
        management_certs=draw(maybe(st.lists(st.sampled_from(["ISO9001", " "]), max_size=1).map(tuple))),
        product_certs=draw(maybe(st.lists(st.sampled_from(["CE", "ul", "FDA"]), max_size=2).map(tuple))),
        field=draw(
            maybe(
                st.builds(
                    ProductField,
                    flag,
                    maybe(st.just("x"), 0.5),
                    maybe(st.just("y"), 0.5),
                    maybe(st.just("z"), 0.5),
                    flag,
                    flag,
                    flag,
                    maybe(st.sampled_from(["traditional", "emerging", "future", "other"])),
                    flag,
                )
            )
        ),
        national_market_share=draw(ratio_fact),
        champion=draw(
            maybe(
                st.builds(
                    Champion,
                    maybe(st.integers(1, 6)),
                    maybe(st.integers(1, 6)),
                    maybe(st.integers(1, 6)),
                    ratio_fact,
                    flag,
                    maybe(st.sampled_from(["international", "domestic", "none"])),
                    flag,
                    flag,
                    flag,
                    flag,
                )
            )
        ),
        awards=tuple(draw(st.lists(award(year), max_size=2))),
        maker_china=tuple(
            draw(
                st.lists(
                    st.builds(MakerChinaEntry, st.integers(year - 4, year), st.sampled_from(["top500", "top50"])),
                    max_size=1,
                )
            )
        ),
        honours=tuple(
            draw(
                st.lists(
                    st.builds(
                        Honour,
                        st.sampled_from(["high_tech_enterprise", "ip_demo"]),
                        st.dates(date(year - 1, 12, 1), date(year, 1, 31)),
                    ),
                    max_size=1,
                )
            )
        ),
        compliance=draw(
            maybe(st.builds(Compliance, *(maybe(st.booleans().map(lambda b: b and False), 0.05) for _ in range(5))))
        ),
        recognitions=tuple(
            draw(
                st.lists(
                    st.builds(Recognition, tiers, st.dates(date(year - 1, 12, 1), date(year + 1, 1, 31))), max_size=2
                )
            )
        ),
        province_features=draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "yunnan_priority_field": st.sampled_from(["phosphate_battery_chain", "tourism"]),
                    "yunnan_new_business": st.booleans(),
                },
            )
        ),
        international_market_share=draw(ratio_fact),
        market_position_attested=draw(flag),
        evaluation_scores=tuple(
            draw(
                st.lists(
                    st.builds(
                        EvaluationScore,
                        st.integers(year - 2, year),
                        st.sampled_from(["49.99", "50", "59.99", "60", "75"]).map(Decimal),
                    ),
                    max_size=2,
                    unique_by=lambda s: s.year,
                )
            )
        ),
        renown_attested=draw(flag),
        group_little_giant_similar=draw(flag),
    )


def assert_same_answers(
    population: list[Facts], year: int, columns: FactsColumns | None = None, assessed_on: date | None = None
) -> None:
    book = default_rule_book()
    batch = assess_batch(columns or FactsColumns.from_facts(population, year), book=book, assessed_on=assessed_on)
    for row, item in enumerate(population):
        for scalar in assess(item, year, book=book, assessed_on=assessed_on):
            expected = {"decision": scalar.decision, "score": scalar.score, "passed_via": scalar.passed_via}
            assert row_outcome(batch[scalar.tier], row) == expected, (row, scalar.tier, item)


# A deeper run: ELIGIBILITY_EQUIVALENCE_EXAMPLES=2000 pytest tests/unit/eligibility/test_batch_equivalence.py
EXAMPLES = int(os.environ.get("ELIGIBILITY_EQUIVALENCE_EXAMPLES", "60"))


@settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(year=st.sampled_from([2025, 2026]), mid_year=st.booleans(), data=st.data())
def test_scalar_and_vectorised_paths_agree(year: int, mid_year: bool, data: st.DataObject) -> None:
    population = data.draw(st.lists(facts(year), min_size=1, max_size=8))
    # A mid-year assessment date moves the national award's 3-year window (2026 readings).
    assert_same_answers(population, year, assessed_on=date(year, 6, 30) if mid_year else None)


def test_they_agree_on_a_synthetic_population() -> None:
    # As the benchmark runs them: the batch on the generated columns, the scalar engine on each row as Facts.
    for year in (2025, 2026):
        columns = synthetic_columns(300, year, seed=11)
        assert_same_answers([columns.to_facts(i) for i in range(columns.size)], year, columns)


def test_columns_round_trip_through_facts() -> None:
    columns = synthetic_columns(50, 2026, seed=5)
    again = FactsColumns.from_facts([columns.to_facts(i) for i in range(columns.size)], 2026)
    for name in columns.money:
        assert np.array_equal(
            np.where(columns.money_known[name], columns.money[name], 0),
            np.where(again.money_known[name], again.money[name], 0),
        )
    for name in columns.flags:
        assert np.array_equal(columns.flags[name], again.flags[name]), name
    for name in columns.choices:
        assert np.array_equal(columns.choices[name], again.choices[name]), name
    assert np.array_equal(columns.award_rank, again.award_rank)


def test_industry_codes_encode_exactly() -> None:
    for code in ("C", "C3", "C39", "C398", "C3985", "K7010", "F51"):
        assert decode_industry(encode_industry(code)) == code
    assert encode_industry("Z12") == -1 and encode_industry(None) == -1


def test_the_mean_of_two_growth_rates_on_the_edge_is_decided_exactly() -> None:
    # (15% + 5%) / 2 = 10%: a float sum lands a hair off; the exact fallback decides it.
    population = []
    for nudge in (Decimal("-0.01"), Decimal(0)):
        base = Facts(
            sme=True,
            compliance=Compliance(False, False, False, False),
            financials=(
                FinancialYear(2022, main_business_revenue=Decimal(100_000_000)),
                FinancialYear(2023, main_business_revenue=Decimal(105_000_000)),
                FinancialYear(2024, main_business_revenue=Decimal(120_750_000) + nudge),
            ),
        )
        population.append(base)
    batch = assess_batch(FactsColumns.from_facts(population, 2025), tiers=[Tier.SRDI_SME])
    scores = batch[Tier.SRDI_SME].score
    assert scores is not None and list(scores) == [8, 10]
    assert_same_answers(population, 2025)


def test_exact_comparison_survives_values_that_would_overflow_int64() -> None:
    huge = np.array([2**61, 2**61 - 1], dtype=np.int64)
    column = NumCol(np.array([True, True]), huge, np.array([1, 1], dtype=np.int64))
    assert list(compare(column, Fraction(2**61 - 1) - Fraction(1, 10**6), True)) == [True, True]
    assert list(compare(column, Fraction(2**61), True)) == [True, False]


# --- near the 2026 readings: every other fact passes, so the new facts decide ----------------------


def _reference_facts(year: int) -> dict[str, Facts]:
    from services.eligibility.contract.request import EvaluateRequest
    from services.eligibility.contract.to_facts import profile_to_facts
    from tests.unit.eligibility.test_readings_2026 import champion_profile, giant_profile, srdi_profile

    def to_facts(profile: dict[str, object]) -> Facts:
        return profile_to_facts(EvaluateRequest.model_validate({"assessment_year": year, "profile": profile}).profile)

    return {"srdi": to_facts(srdi_profile(year)), "giant": to_facts(giant_profile(year)),
            "champion": to_facts(champion_profile(year))}  # fmt: skip


near_count = maybe(st.integers(3, 5))


@st.composite
def near_award(draw: st.DrawFn, year: int) -> Award:
    """A national award on the edges of the waiver: its 3-year window, its rank, its kind."""
    edge = year - 3
    days = [date(edge, 12, 30), date(edge, 12, 31), date(edge, 6, 29), date(edge, 6, 30), None]
    certificate = draw(st.sampled_from(days))
    award_year = certificate.year if certificate is not None else draw(st.sampled_from([edge, edge + 1]))
    kind = draw(st.sampled_from(["sci_tech_progress", "national_defence", "other", None]))
    return Award("national", award_year, draw(st.sampled_from([1, 3, 4, None])), kind, certificate)


def keep(draw: st.DrawFn, value: object, strategy: st.SearchStrategy) -> Any:
    """Mostly the reference profile's value, so that one changed fact at a time decides the tier."""
    return value if draw(st.integers(0, 5)) else draw(strategy)


@st.composite
def near_2026(draw: st.DrawFn, year: int) -> Facts:
    base = draw(st.sampled_from(list(_reference_facts(year).values())))
    ip = base.ip or IntellectualProperty()
    applied = keep(draw, ip.class1_applied_main_product, near_count)
    own = keep(draw, ip.class1_main_product_own, near_count)
    top3 = keep(draw, ip.class1_main_product_own_top3, near_count)
    field = base.field or ProductField()
    field = replace(
        field,
        strategic_emerging=keep(draw, field.strategic_emerging, flag),
        six_foundations=keep(draw, field.six_foundations, maybe(st.just("key_software"), 0.5)),
        ten_industries=keep(draw, field.ten_industries, maybe(st.just("new_materials"), 0.5)),
        chain_gap_filling=keep(draw, field.chain_gap_filling, flag),
        industry_category=keep(
            draw, field.industry_category, maybe(st.sampled_from(["traditional", "emerging", "future", "other"]))
        ),
        key_chain_link=keep(draw, field.key_chain_link, flag),
    )
    champion = base.champion or Champion()
    champion = replace(
        champion,
        revenue_leading=keep(draw, champion.revenue_leading, flag),
        profit_leading=keep(draw, champion.profit_leading, flag),
    )
    compliance = base.compliance or Compliance()
    compliance = replace(compliance, data_falsification_3y=keep(draw, compliance.data_falsification_3y, flag))
    scores = st.lists(
        st.builds(
            EvaluationScore, st.integers(year - 2, year), st.sampled_from(["49.9", "50", "59.9", "60"]).map(Decimal)
        ),
        max_size=3,
        unique_by=lambda s: s.year,
    ).map(tuple)
    return replace(
        base,
        ip=replace(
            ip, class1_applied_main_product=applied, class1_main_product_own=own, class1_main_product_own_top3=top3
        ),
        field=keep(draw, field, st.none()) if base.field is not None else None,
        champion=champion,
        compliance=compliance,
        awards=tuple(draw(st.lists(st.one_of(near_award(year), award(year)), max_size=2))),
        renown_attested=keep(draw, base.renown_attested, flag),
        group_little_giant_similar=keep(draw, base.group_little_giant_similar, flag),
        market_position_attested=keep(draw, base.market_position_attested, flag),
        evaluation_scores=keep(draw, base.evaluation_scores, scores),
    )


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mid_year=st.booleans(), data=st.data())
def test_paths_agree_where_the_2026_readings_decide(mid_year: bool, data: st.DataObject) -> None:
    population = data.draw(st.lists(near_2026(2026), min_size=1, max_size=8))
    assert_same_answers(population, 2026, assessed_on=date(2026, 6, 30) if mid_year else None)


# Metric by metric, for the facts the 2026 readings added: the scalar value and the batch column agree
# row by row (known or not, and the value where known) — sharper than the decisions, which other
# conditions often settle first.
NEW_METRICS: list[tuple[str, dict[str, Any]]] = [
    ("ip_class1_main_product_own", {}),
    ("ip_class1_main_product_own_top3", {}),
    ("field_industry_category", {}),
    ("field_key_chain_link", {}),
    ("national_st_award", {"max_rank": 3, "within_years": 3}),
    ("data_falsification_3y", {}),
    ("champion_revenue_leading", {}),
    ("champion_profit_leading", {}),
    ("renown_attested", {}),
    ("group_little_giant_similar", {}),
    ("rule_parameter", {"name": "p", "value": False}),
]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mid_year=st.booleans(), data=st.data())
def test_the_new_metrics_agree_row_by_row(mid_year: bool, data: st.DataObject) -> None:
    from services.eligibility.domain.facts.measured import Context
    from services.eligibility.domain.facts.metrics import VECTOR_METRICS, measure, parse_args
    from services.eligibility.domain.facts.readers import VectorContext
    from services.eligibility.domain.facts.values import ChoiceCol, FlagCol

    year, on = 2026, date(2026, 6, 30) if mid_year else None
    population = data.draw(st.lists(st.one_of(near_2026(year), facts(year)), min_size=1, max_size=8))
    book = default_rule_book()
    standard = book.size_standard(date(year, 12, 31))
    vector_ctx = VectorContext(FactsColumns.from_facts(population, year), standard, on)
    for name, raw in NEW_METRICS:
        args = parse_args(name, raw)
        column = VECTOR_METRICS[name](vector_ctx, 0, args)
        for row, item in enumerate(population):
            scalar = measure(item, Context(year, standard, on), name, 0, args).value
            batch: object
            if isinstance(column, FlagCol):
                batch = bool(column.value[row]) if column.known[row] else None
            elif isinstance(column, ChoiceCol):
                batch = column.categories[int(column.codes[row])] if column.codes[row] >= 0 else None
            else:
                assert column.num is not None
                batch = Fraction(int(column.num[row]), int(np.asarray(column.den))) if column.known[row] else None
            assert scalar == batch, (name, row, item)
