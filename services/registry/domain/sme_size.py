"""SME size class (大/中/小/微) per 《中小企业划型标准规定》 (2011); the table is `shared/standards/` (one copy).

``classify`` checks the sizes from large down: a size applies when every measure its group lists
reaches the minimum; the first that applies wins, micro otherwise. A measure the group needs but
the report lacks makes the size undecidable (None) — never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from services.registry.domain.industries import section_of
from shared.standards.sme_size import sme_size_table

SIZES = ("large", "medium", "small")
LABELS = {"large": ("大型", "large"), "medium": ("中型", "medium"), "small": ("小型", "small"),
          "micro": ("微型", "micro")}  # fmt: skip
SME_CLASSES = frozenset({"medium", "small", "micro"})


@dataclass(frozen=True)
class SizeResult:
    size_class: str | None
    group: str
    zh: str
    en: str


@lru_cache(maxsize=8192)  # a few hundred classes in use; an import sizes every enterprise
def group_of(industry_code: str) -> str:
    """The standard's group of a GB/T 4754 code (with or without its section letter)."""
    section = section_of(industry_code) or ""
    digits = industry_code.strip().upper().lstrip("ABCDEFGHIJKLMNOPQRST")
    return sme_size_table().group_of(section + digits).code


@lru_cache(maxsize=64)
def _minima(group: str) -> dict[str, dict[str, Decimal]]:
    return next((g for g in sme_size_table().groups if g.code == group), sme_size_table().other).minima


def classify(
    industry_code: str, employees: int | None, revenue: Decimal | None, total_assets: Decimal | None = None
) -> SizeResult:
    group = group_of(industry_code)
    size, missing = _size(group, employees, revenue, total_assets)
    if size is None:
        return SizeResult(None, group, f"缺少划型所需数据：{missing}", f"missing facts for sizing: {missing}")
    zh, en = LABELS[size]
    return SizeResult(
        size, group, f"按《中小企业划型标准规定》（{group}）为{zh}企业", f"{en} enterprise ({group} thresholds)"
    )


def size_class_code(
    industry_code: str, employees: int | None, revenue: Decimal | None, total_assets: Decimal | None = None
) -> str | None:
    """``classify(…).size_class``, without the explanation (an import sizes every enterprise it registers)."""
    return _size(group_of(industry_code), employees, revenue, total_assets)[0]


def _size(group: str, employees: int | None, revenue: Decimal | None,
          total_assets: Decimal | None) -> tuple[str | None, str]:  # fmt: skip
    """The size class, or None and the measures missing for it."""
    measures: dict[str, Any] = {"employees": employees, "revenue": revenue, "total_assets": total_assets}
    minima = _minima(group)
    for size in SIZES:
        minimum = minima[size]
        reached = True
        for name, value in minimum.items():  # plain loops
            measure = measures[name]
            if measure is None:
                return None, ", ".join(name for name in minimum if measures[name] is None)
            if reached and not measure >= value:  # int and Decimal compare exactly (as do float and Decimal)
                reached = False
        if reached:
            return size, ""
    return "micro", ""
