"""SME size class (大/中/小/微) per 《中小企业划型标准规定》 (2011), thresholds as data.

``classify`` checks the sizes from large down: a size applies when every measure its group lists
reaches the minimum; the first that applies wins, micro otherwise. A measure the group needs but
the report lacks makes the size undecidable (None) — never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from services.registry.domain.industries import section_of

DATA = Path(__file__).resolve().parent.parent / "data"
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


@cache
def standard() -> dict[str, Any]:
    return yaml.safe_load((DATA / "sme_size_2011.yaml").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def group_of(industry_code: str) -> str:
    section = section_of(industry_code) or ""
    digits = industry_code.strip().upper().lstrip("ABCDEFGHIJKLMNOPQRST")
    division = digits[:2]
    by_division = {"51": "wholesale", "52": "retail", "59": "warehousing", "60": "postal", "61": "accommodation",
                   "62": "catering", "63": "information_transmission", "64": "information_transmission",
                   "65": "software"}  # fmt: skip
    if division in by_division:
        return by_division[division]
    if digits.startswith("701"):
        return "real_estate_development"
    if digits.startswith("702"):
        return "property_management"
    return {"A": "agriculture", "B": "industry", "C": "industry", "D": "industry", "E": "construction",
            "G": "transport", "L": "leasing_business"}.get(section, "other")  # fmt: skip


def classify(
    industry_code: str, employees: int | None, revenue: Decimal | None, total_assets: Decimal | None = None
) -> SizeResult:
    group = group_of(industry_code)
    measures: dict[str, Any] = {"employees": employees, "revenue": revenue, "total_assets": total_assets}
    for size in SIZES:
        minimum = standard()["groups"][group][size]
        if any(measures[name] is None for name in minimum):
            missing = ", ".join(name for name in minimum if measures[name] is None)
            return SizeResult(None, group, f"缺少划型所需数据：{missing}", f"missing facts for sizing: {missing}")
        if all(Decimal(measures[name]) >= Decimal(value) for name, value in minimum.items()):
            return _result(size, group)
    return _result("micro", group)


def _result(size: str, group: str) -> SizeResult:
    zh, en = LABELS[size]
    return SizeResult(
        size, group, f"按《中小企业划型标准规定》（{group}）为{zh}企业", f"{en} enterprise ({group} thresholds)"
    )


def size_class_code(
    industry_code: str, employees: int | None, revenue: Decimal | None, total_assets: Decimal | None = None
) -> str | None:
    return classify(industry_code, employees, revenue, total_assets).size_class
