"""Yunnan's administrative divisions (GB/T 2260): 16 prefecture-level divisions, 129 counties.

Shipped as ``data/gbt2260_yunnan.csv`` (codes current after the 2019–2021 changes: 澄江市 530481,
禄丰市 532302). Prefecture weights (``data/prefecture_weights.csv``) are approximate GDP shares,
used only to make demo data look like the real economy.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
PROVINCE_CODE = "53"


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    prefecture_code: str
    level: str  # "prefecture" | "county"


@cache
def divisions() -> dict[str, Division]:
    with (DATA / "gbt2260_yunnan.csv").open(encoding="utf-8") as handle:
        return {row["code"]: Division(**row) for row in csv.DictReader(handle)}


def prefectures() -> list[Division]:
    return [d for d in divisions().values() if d.level == "prefecture"]


def counties(prefecture_code: str | None = None) -> list[Division]:
    return [
        d for d in divisions().values()
        if d.level == "county" and (prefecture_code is None or d.prefecture_code == prefecture_code)
    ]  # fmt: skip


def is_county(code: str) -> bool:
    division = divisions().get(code)
    return division is not None and division.level == "county"


def is_prefecture(code: str) -> bool:
    division = divisions().get(code)
    return division is not None and division.level == "prefecture"


def prefecture_of(county_code: str) -> str:
    division = divisions().get(county_code)
    if division is None:
        raise KeyError(f"unknown division {county_code}")
    return division.prefecture_code


def name_of(code: str) -> str:
    return divisions()[code].name


@cache
def prefecture_weights() -> dict[str, float]:
    with (DATA / "prefecture_weights.csv").open(encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return {row["prefecture_code"]: float(row["weight"]) for row in rows}
