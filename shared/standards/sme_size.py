"""The SME size standard of 2011 (《中小企业划型标准规定》), read from its one copy (`sme_size_2011.yaml`).

Both services read it from here: the registry sizes an enterprise (large / medium / small / micro),
eligibility's gate reads the SME bound (`large`: an SME is below any of its minima). The group of an
industry code is decided once, by `group_of`, for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml

TABLE = Path(__file__).resolve().parent / "sme_size_2011.yaml"
SIZES = ("large", "medium", "small")
Measure = str  # "employees" | "revenue" | "total_assets"


@dataclass(frozen=True)
class SizeGroup:
    code: str
    label_zh: str
    label_en: str
    prefixes: tuple[str, ...]  # GB/T 4754-2017: a section letter or letter + digits
    minima: dict[str, dict[Measure, Decimal]]  # size → measure → the smallest value of that size


@dataclass(frozen=True)
class SizeTable:
    id: str
    source: str
    effective_from: str
    groups: tuple[SizeGroup, ...]
    other: SizeGroup

    def group_of(self, industry_code: str) -> SizeGroup:
        """The group whose longest prefix matches the code (letter + digits, e.g. "G5311"); else other."""
        code = industry_code.strip().upper()
        best, length = self.other, -1
        for group in self.groups:
            for prefix in group.prefixes:
                if code.startswith(prefix) and len(prefix) > length:
                    best, length = group, len(prefix)
        return best


def _group(raw: dict[str, Any]) -> SizeGroup:
    return SizeGroup(
        code=raw["code"],
        label_zh=raw["label"]["zh"],
        label_en=raw["label"]["en"],
        prefixes=tuple(raw["prefixes"]),
        minima={size: {k: Decimal(str(v)) for k, v in raw[size].items()} for size in SIZES},
    )


@cache
def sme_size_table() -> SizeTable:
    data = yaml.safe_load(TABLE.read_text(encoding="utf-8"))
    return SizeTable(
        id=data["id"],
        source=data["source"],
        effective_from=str(data["effective_from"]),
        groups=tuple(_group(g) for g in data["groups"]),
        other=_group(data["other"]),
    )
