"""The rule sets in use: every tier, every version, as loaded from the rule files."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.eligibility.api.deps import RuleBookDep
from services.eligibility.domain.rulebook.loading import RuleSet
from shared.api import PrincipalDep
from shared.problems import not_found

router = APIRouter(prefix="/api/v1/eligibility/rule-sets", tags=["rule-sets"])


def summary(rule_set: RuleSet) -> dict[str, Any]:
    definition = rule_set.definition
    return {
        "id": rule_set.id, "tier": rule_set.tier, "status": definition.status,
        "label": definition.label.model_dump(), "effective_from": definition.effective_from,
        "source": definition.source.model_dump(), "validity_years": definition.validity_years,
        "province_part": rule_set.province.id if rule_set.province is not None else None,
    }  # fmt: skip


@router.get("", summary="Rule sets / 认定规则集")
async def list_rule_sets(_: PrincipalDep, book: RuleBookDep) -> list[dict[str, Any]]:
    return [summary(version) for versions in book.rule_sets.values() for version in versions]


@router.get("/{rule_set_id}", summary="One rule set in full / 规则集详情")
async def show_rule_set(rule_set_id: str, _: PrincipalDep, book: RuleBookDep) -> dict[str, Any]:
    try:
        rule_set = book.by_id(rule_set_id)
    except LookupError as error:
        raise not_found("Rule set", "规则集") from error
    detail = summary(rule_set)
    detail["definition"] = rule_set.definition.model_dump(mode="json")
    if rule_set.province is not None:
        detail["province"] = rule_set.province.model_dump(mode="json")
    return detail
