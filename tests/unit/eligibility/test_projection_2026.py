"""Registry snapshots and the 2026 readings' facts: taken when the enterprise supplied them, otherwise
left unknown — so the register's answer is "cannot decide, needs X", never a silent pass. Data
falsification is a compliance record kind like the others: no record in the window reads as none."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.eligibility.usecases.projection import facts_from_snapshot
from shared.events.catalogue import EnterpriseSnapshot

YEAR = 2026


def snapshot(**facts: Any) -> EnterpriseSnapshot:
    return EnterpriseSnapshot(
        uscc="91530100MA6K7U9X3K",
        name="x",
        prefecture_code="5301",
        county_code="530102",
        industry_code="C3985",
        facts=facts,
    )


def test_what_the_enterprise_did_not_supply_stays_unknown() -> None:
    facts = facts_from_snapshot(snapshot(compliance=[], awards=[{"level": "national", "year": 2024, "rank": 1}]), YEAR)
    assert facts.compliance is not None and facts.compliance.data_falsification_3y is False
    assert facts.renown_attested is None and facts.group_little_giant_similar is None
    assert facts.awards[0].kind is None and facts.awards[0].certificate_date is None


def test_the_new_facts_pass_through_when_the_registry_carries_them() -> None:
    carried = snapshot(
        renown_attested=True,
        group_little_giant_similar=False,
        awards=[
            {
                "level": "national",
                "year": 2024,
                "rank": 1,
                "kind": "natural_science",
                "certificate_date": "2024-03-01",
                "name": "国家自然科学奖",
            }
        ],
        ip={
            "class1": 5,
            "class1_applied_main_product": 5,
            "class1_main_product_own": 4,
            "class1_main_product_own_top3": 4,
        },
        field_flags={"six_foundations": "key_software", "industry_category": "future", "key_chain_link": True},
        champion={"revenue_leading": True, "profit_leading": False},
        compliance=[{"kind": "data_falsification", "since": "2025-05-01"}],
    )
    facts = facts_from_snapshot(carried, YEAR)
    assert [(a.level, a.year, a.rank, a.kind, a.certificate_date) for a in facts.awards] == [
        ("national", 2024, 1, "natural_science", date(2024, 3, 1))
    ]
    assert (facts.renown_attested, facts.group_little_giant_similar) == (True, False)
    assert facts.ip is not None and facts.ip.class1_main_product_own_top3 == 4
    assert facts.field is not None and (facts.field.industry_category, facts.field.key_chain_link) == ("future", True)
    assert facts.champion is not None and facts.champion.revenue_leading is True
    assert facts.compliance is not None and facts.compliance.data_falsification_3y is True


def test_data_falsification_counts_for_three_years_only() -> None:
    old = facts_from_snapshot(snapshot(compliance=[{"kind": "data_falsification", "since": "2022-12-31"}]), YEAR)
    recent = facts_from_snapshot(snapshot(compliance=[{"kind": "data_falsification", "since": "2023-01-01"}]), YEAR)
    assert old.compliance is not None and old.compliance.data_falsification_3y is False
    assert recent.compliance is not None and recent.compliance.data_falsification_3y is True
