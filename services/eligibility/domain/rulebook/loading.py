"""Loading the rule files and choosing the rule set in force on a date.

Selection: for a tier, the rule set with the latest `effective_from` on or before the reference
date. A re-review is judged by the rules the recognition was granted under, so the reference date
of a re-review is the recognition date (the 2026 re-review of little giants recognised in 2023 is
judged under 2022). When only an assessment year is known, the reference date is 31 December of
that year: a year's recognition round is decided under the rules in force at its end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from services.eligibility.domain.rulebook import checks as rule_checks
from services.eligibility.domain.rulebook.ruleset import (
    Conventions,
    Indicator,
    ProvinceIndicators,
    SizeStandard,
    TierRuleSet,
)
from services.eligibility.domain.rulebook.yaml_marks import MarkedDocument, RuleFileError, read_marked
from services.eligibility.domain.vocabulary import Tier
from shared.standards.sme_size import SizeGroup, sme_size_table

RULES_DIR = Path(__file__).resolve().parent.parent.parent / "rules"
# Files in the rules directory that are not tier rule sets or size standards.
CATALOGUE_KINDS = ("measures", "targets")

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True)
class RuleSet:
    """One tier's rules as loaded: the file's model plus its (replaceable) province part."""

    definition: TierRuleSet
    province: ProvinceIndicators | None = None

    @property
    def id(self) -> str:
        return self.definition.id

    @property
    def tier(self) -> Tier:
        return self.definition.tier

    @property
    def conventions(self) -> Conventions:
        return self.definition.conventions

    @property
    def undetermined_when_missing(self) -> bool:
        return self.definition.conventions.missing_fact == "undetermined"

    def indicators(self) -> list[tuple[Indicator, str | None]]:
        """Every scored indicator with its group, the province's in its place in the list."""
        scoring = self.definition.scoring
        if scoring is None:
            return []
        listed: list[tuple[Indicator, str | None]] = [(i, i.group) for i in scoring.indicators]
        if self.province is not None:
            listed += [(i, scoring.province_group) for i in self.province.indicators]
        return listed


@dataclass(frozen=True)
class RuleBook:
    rule_sets: Mapping[Tier, tuple[RuleSet, ...]]  # oldest first
    size_standards: tuple[SizeStandard, ...]  # oldest first

    def select(self, tier: Tier, on: date) -> RuleSet:
        versions = self.rule_sets.get(tier)
        if not versions:
            raise LookupError(f"no rule set for tier {tier}")
        in_force = [v for v in versions if v.definition.effective_from <= on]
        # Before the first version: the first version (there is nothing older to apply).
        return in_force[-1] if in_force else versions[0]

    def by_id(self, rule_set_id: str) -> RuleSet:
        for versions in self.rule_sets.values():
            for version in versions:
                if version.id == rule_set_id:
                    return version
        raise LookupError(f"no rule set {rule_set_id}")

    def size_standard(self, on: date) -> SizeStandard:
        in_force = [s for s in self.size_standards if s.effective_from <= on]
        return in_force[-1] if in_force else self.size_standards[0]


def reference_date(assessment_year: int, assessed_on: date | None = None) -> date:
    return assessed_on if assessed_on is not None else date(assessment_year, 12, 31)


def validate_document(document: MarkedDocument, model: type[ModelT]) -> ModelT:
    try:
        return model.model_validate(document.data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise document.error(tuple(first["loc"]), f"{first['msg']} (at {_dotted(first['loc'])})") from exc


def load_model(file: Path, model: type[ModelT]) -> ModelT:
    """Read and validate one YAML file; a malformed file raises `RuleFileError` naming file and line."""
    return validate_document(read_marked(file), model)


def _dotted(loc: Iterable[Any]) -> str:
    return ".".join(str(part) for part in loc)


def _raise_first(document: MarkedDocument, problems: list[rule_checks.Problem]) -> None:
    if problems:
        loc, message = problems[0]
        raise document.error(loc, f"{message} (at {_dotted(loc)})")


def _check_id(document: MarkedDocument, declared_id: str) -> None:
    if declared_id != document.file.stem:
        raise document.error(("id",), f"id {declared_id!r} does not match the file name {document.file.name!r}")


def load_province(rules_dir: Path, reference: str, conventions: Conventions) -> ProvinceIndicators:
    document = read_marked(rules_dir / f"{reference}.yaml")
    province = validate_document(document, ProvinceIndicators)
    _check_id(document, province.id)
    _raise_first(document, rule_checks.check_province(province, conventions))
    return province


def load_tier_rule_set(document: MarkedDocument, rules_dir: Path) -> RuleSet:
    rules = validate_document(document, TierRuleSet)
    _check_id(document, rules.id)
    if not rules.id.startswith(f"{rules.tier.value}@"):
        raise document.error(("id",), f"id must start with the tier name {rules.tier.value!r}@")
    province = None
    if rules.scoring is not None and rules.scoring.province_indicators is not None:
        try:
            province = load_province(rules_dir, rules.scoring.province_indicators, rules.conventions)
        except RuleFileError as exc:
            if exc.line is None and not exc.file.exists():
                loc = ("scoring", "province_indicators")
                raise document.error(loc, f"province file {exc.file.name} not found") from exc
            raise
    _raise_first(document, rule_checks.check_tier_rule_set(rules, province))
    return RuleSet(rules, province)


def _size_class(group: SizeGroup) -> dict[str, Any]:
    large = group.minima["large"]
    return {
        "code": group.code,
        "label": {"zh": group.label_zh, "en": group.label_en},
        "prefixes": list(group.prefixes),
        "employees_below": int(large["employees"]) if "employees" in large else None,
        "revenue_below": large.get("revenue"),
        "assets_below": large.get("total_assets"),
    }


def load_size_standard(document: MarkedDocument) -> SizeStandard:
    """The rule file's metadata with the classes of the shared table it names (the one copy)."""
    data = dict(document.data) if isinstance(document.data, dict) else {}
    table = sme_size_table()
    if data.get("table") != table.id:
        raise document.error(("table",), f"table must name the shared size table {table.id!r}")
    data["classes"] = [_size_class(g) for g in table.groups]
    data["other"] = _size_class(table.other)
    return validate_document(document.with_data(data), SizeStandard)


def load_rule_book(rules_dir: Path = RULES_DIR) -> RuleBook:
    """Read every rule file in `rules_dir` (not its sub-directories, which hold replaceable parts)."""
    by_tier: dict[Tier, list[RuleSet]] = {}
    standards: list[SizeStandard] = []
    for file in sorted(rules_dir.glob("*.yaml")):
        document = read_marked(file)
        kind = document.data.get("kind") if isinstance(document.data, dict) else None
        if kind == "tier":
            rule_set = load_tier_rule_set(document, rules_dir)
            by_tier.setdefault(rule_set.tier, []).append(rule_set)
        elif kind == "size_standard":
            standard = load_size_standard(document)
            _check_id(document, standard.id)
            standards.append(standard)
        elif kind not in CATALOGUE_KINDS:
            raise document.error(
                ("kind",), f"unknown kind {kind!r}: expected tier, size_standard, or one of {CATALOGUE_KINDS}"
            )
    if not standards:
        raise RuleFileError(rules_dir, None, "no size_standard rule file")
    return RuleBook(
        rule_sets={t: tuple(sorted(v, key=lambda r: r.definition.effective_from)) for t, v in by_tier.items()},
        size_standards=tuple(sorted(standards, key=lambda s: s.effective_from)),
    )


@cache
def default_rule_book() -> RuleBook:
    """The shipped rules, read once on first use (never at import)."""
    return load_rule_book(RULES_DIR)
