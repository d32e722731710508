"""Seeded synthetic enterprises as columns, for benchmarks and load tests (never for decisions).

Distributions are rough shapes of a provincial SME population: revenue log-normal around 50 million
yuan, yearly growth around 8%, a few per cent of every fact missing. Some values are snapped onto
band edges so that the exact comparisons are exercised at scale.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from services.eligibility.domain.columns.layout import (
    FINANCIAL_YEARS,
    RATIO_SCALE,
    SCORE_YEARS,
    UNRANKED,
    Categorical,
    FactsColumns,
)
from services.eligibility.domain.facts.industry import encode_industry
from services.eligibility.domain.vocabulary import AWARD_LEVELS

MISSING_SHARE = 0.03
EDGE_RATIOS = np.array([0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.10])  # R&D intensity edges


def synthetic_columns(size: int, assessment_year: int, seed: int = 20250606) -> FactsColumns:
    """A seeded synthetic population."""
    rng = np.random.default_rng(seed)
    columns = FactsColumns.empty(size, assessment_year)
    _financials(columns, rng)
    _static(columns, rng)
    _events(columns, rng)
    return columns


def _known(rng: np.random.Generator, shape: tuple[int, ...]) -> npt.NDArray[np.bool_]:
    return rng.random(shape) >= MISSING_SHARE


def _financials(c: FactsColumns, rng: np.random.Generator) -> None:
    n = c.size
    base = np.exp(rng.normal(np.log(5e7), 1.0, n))  # yuan, year Y-3
    growth = rng.normal(0.08, 0.12, (n, FINANCIAL_YEARS))
    revenue = np.empty((n, FINANCIAL_YEARS))
    revenue[:, 2] = base
    revenue[:, 1] = revenue[:, 2] * (1 + growth[:, 1])
    revenue[:, 0] = revenue[:, 1] * (1 + growth[:, 0])
    revenue_fen = np.maximum(np.round(revenue) * 100, 0).astype(np.int64)
    intensity = np.where(
        rng.random((n, FINANCIAL_YEARS)) < 0.3,
        rng.choice(EDGE_RATIOS, (n, FINANCIAL_YEARS)),
        rng.uniform(0, 0.12, (n, FINANCIAL_YEARS)),
    )
    share = rng.uniform(0.4, 1.0, (n, FINANCIAL_YEARS))
    assets = revenue_fen * rng.uniform(0.6, 2.5, (n, FINANCIAL_YEARS))
    amounts = {
        "operating_revenue": revenue_fen,
        "main_business_revenue": np.round(revenue_fen * share),
        "rd_expense": np.round(revenue_fen * intensity),
        "net_profit": np.round(revenue_fen * rng.normal(0.06, 0.06, (n, FINANCIAL_YEARS))),
        "total_assets": np.round(assets),
        "total_liabilities": np.round(assets * rng.uniform(0.1, 0.95, (n, FINANCIAL_YEARS))),
        "new_equity_financing": np.where(
            rng.random((n, FINANCIAL_YEARS)) < 0.1,
            np.round(np.exp(rng.normal(np.log(3e7), 1.0, (n, FINANCIAL_YEARS)))) * 100,
            0,
        ),
    }
    for name, values in amounts.items():
        c.money[name] = np.asarray(values, dtype=np.int64)
        c.money_known[name] = _known(rng, (n, FINANCIAL_YEARS))
    employees = np.maximum(1, np.round(np.exp(rng.normal(np.log(150), 0.9, (n, FINANCIAL_YEARS))))).astype(np.int64)
    c.counts["employees"] = np.where(_known(rng, (n, FINANCIAL_YEARS)), employees, -1)
    rd_staff = np.round(employees * rng.uniform(0, 0.4, (n, FINANCIAL_YEARS))).astype(np.int64)
    c.counts["rd_staff"] = np.where(_known(rng, (n, FINANCIAL_YEARS)), rd_staff, -1)
    c.audited = np.where(_known(rng, (n, FINANCIAL_YEARS)), rng.random((n, FINANCIAL_YEARS)) < 0.8, -1).astype(np.int8)


def _maybe(rng: np.random.Generator, values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    return np.where(_known(rng, values.shape), values, -1)


def _tri(rng: np.random.Generator, n: int, p_true: float) -> npt.NDArray[np.int8]:
    return np.where(_known(rng, (n,)), rng.random(n) < p_true, -1).astype(np.int8)


def _bit(rng: np.random.Generator, n: int, position: int, share: float) -> npt.NDArray[np.int64]:
    return np.where(rng.random(n) < share, 1 << position, 0).astype(np.int64)


def _static(c: FactsColumns, rng: np.random.Generator) -> None:
    n = c.size
    ints = c.ints
    ints["niche_years"] = _maybe(rng, rng.integers(0, 21, n))
    ints["established_year"] = _maybe(rng, rng.integers(1990, c.assessment_year, n))
    ints["digital_level"] = _maybe(rng, rng.integers(1, 5, n))
    for name, mean in (
        ("ip_class1_high_value", 0.2),
        ("ip_class1_self_developed", 1.0),
        ("ip_class1", 2.0),
        ("ip_class2", 6.0),
        ("ip_invention_patents", 1.5),
        ("ip_class1_applied_main_product", 1.2),
    ):
        ints[name] = _maybe(rng, rng.poisson(mean, n))
    for name, top in (("champion_global_rank", 50), ("champion_national_rank", 20), ("champion_provincial_rank", 10)):
        ints[name] = _maybe(rng, rng.integers(1, top + 1, n))
    codes = np.array([encode_industry(code) for code in ("C3985", "C2614", "I6513", "F5191", "C", "K7010", "E4710")])
    ints["industry"] = _maybe(rng, rng.choice(codes, n))
    ints["core_systems"] = _maybe(rng, rng.integers(0, 1 << 13, n) & rng.integers(0, 1 << 13, n))
    ints["product_certs"] = _maybe(rng, np.where(rng.random(n) < 0.2, rng.integers(0, 1 << 10, n), 0))
    ints["honours"] = _bit(rng, n, 0, 0.3) | _bit(rng, n, 2, 0.05)
    ints["recognitions"] = _bit(rng, n, 0, 0.4) | _bit(rng, n, 1, 0.15) | _bit(rng, n, 2, 0.02)
    for name, p in (
        ("sme", 0.9),
        ("listed_abnormal_operation", 0.02),
        ("listed_serious_dishonesty", 0.01),
        ("major_accident_3y", 0.01),
        ("prohibited_products", 0.005),
        ("rd_has_institution", 0.5),
        ("quality_provincial_award", 0.05),
        ("quality_system_certified", 0.6),
        ("own_brand", 0.6),
        ("standards_drafted", 0.2),
        ("field_strategic_emerging", 0.4),
        ("field_six_foundations", 0.2),
        ("field_ten_industries", 0.3),
        ("field_network_power", 0.05),
        ("field_chain_gap_filling", 0.1),
        ("field_time_honoured_brand", 0.01),
        ("field_serves_chain_leader", 0.2),
        ("champion_new_product", 0.1),
        ("champion_profit_above_industry", 0.5),
        ("champion_energy_advanced", 0.5),
        ("management_certified", 0.6),
        ("market_position_attested", 0.3),
    ):
        c.flags[name] = _tri(rng, n, p)
    _field_block(c, rng)
    c.choices["rd_institution_level"] = np.where(_known(rng, (n,)), rng.integers(0, 5, n), -1).astype(np.int8)
    c.choices["champion_technology_leading"] = np.where(_known(rng, (n,)), rng.integers(0, 3, n), -1).astype(np.int8)
    for name, high in (
        ("national_market_share", 0.3),
        ("international_market_share", 0.1),
        ("champion_product_revenue_share", 1.0),
    ):
        c.ratios[name] = _maybe(rng, np.round(rng.uniform(0, high, n) * RATIO_SCALE).astype(np.int64))
    fields = (
        "nonferrous_deep_processing",
        "rare_precious_metal_materials",
        "phosphate_battery_chain",
        "outward_information_industry",
    )
    c.province = {
        "yunnan_priority_field": Categorical(
            np.where(rng.random(n) < 0.2, rng.integers(0, len(fields), n), -1).astype(np.int16), fields
        ),
        "yunnan_new_business": Categorical(
            np.where(rng.random(n) < 0.3, rng.integers(0, 2, n), -1).astype(np.int16), (False, True)
        ),
    }


def _field_block(c: FactsColumns, rng: np.random.Generator) -> None:
    """The field facts come as one block: all unknown when it is missing; inside it, a null sub-field
    name means "not in that field" (never unknown), as the contract has it."""
    supplied = _known(rng, (c.size,))
    for name in [f for f in c.flags if f.startswith("field_")]:
        values = c.flags[name]
        if name in ("field_six_foundations", "field_ten_industries", "field_network_power"):
            values = np.where(values < 0, 0, values).astype(np.int8)
        c.flags[name] = np.where(supplied, values, -1).astype(np.int8)


def _events(c: FactsColumns, rng: np.random.Generator) -> None:
    n = c.size
    shape = (n, len(AWARD_LEVELS), FINANCIAL_YEARS)
    ranks = rng.integers(1, 11, shape)
    ranks = np.where(rng.random(shape) < 0.1, UNRANKED, ranks)
    c.award_rank = np.where(rng.random(shape) < 0.04, ranks, 0).astype(np.int64)
    c.maker_china = np.where(
        rng.random((n, FINANCIAL_YEARS)) < 0.03, rng.integers(1, 4, (n, FINANCIAL_YEARS)), 0
    ).astype(np.int8)
    c.scores_known = rng.random((n, SCORE_YEARS)) < 0.5
    c.scores = np.round(rng.normal(55, 12, (n, SCORE_YEARS)) * 100).astype(np.int64)
