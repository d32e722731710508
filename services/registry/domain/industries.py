"""GB/T 4754-2017 national economic industry classification (国民经济行业分类).

Sections and divisions are shipped complete; 4-digit classes for manufacturing (C, divisions 13–43)
and information transmission, software and IT services (I, 63–65). A code is written as the section
letter plus up to four digits (``C3985``) or as plain digits (``3985``); the canonical form carries
the letter. Outside C and I a code is accepted at class level when its division exists (the class
list of those sections is not shipped).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
SECTIONS_WITH_CLASSES = frozenset({"C", "I"})


@dataclass(frozen=True)
class Industry:
    code: str  # canonical: section letter + digits
    name: str
    section: str


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


@cache
def divisions() -> dict[str, Industry]:
    """Sections (by letter) and divisions (by 2 digits)."""
    return {
        row["code"]: Industry(row["code"], row["name"], row["section"]) for row in _rows("gbt4754_2017_divisions.csv")
    }


@cache
def classes() -> dict[str, str]:
    return {row["code"]: row["name"] for row in _rows("gbt4754_2017_classes.csv")}


def _split(code: str) -> tuple[str | None, str]:
    code = code.strip().upper()
    if code[:1].isalpha():
        return code[0], code[1:]
    return None, code


def canonical(code: str) -> str:
    _, digits = _split(code)
    division = divisions().get(digits[:2])
    if division is None:
        raise ValueError(f"unknown industry code {code}")
    return f"{division.section}{digits}"


def is_valid_class(code: str) -> bool:
    """A 4-digit class whose division exists under the given section letter (if any)."""
    letter, digits = _split(code)
    if len(digits) != 4 or not digits.isdigit():
        return False
    division = divisions().get(digits[:2])
    if division is None or (letter is not None and letter != division.section):
        return False
    if division.section in SECTIONS_WITH_CLASSES:
        return digits in classes()
    return True


def lookup(code: str) -> Industry | None:
    letter, digits = _split(code)
    if digits in classes():
        division = divisions()[digits[:2]]
        return Industry(f"{division.section}{digits}", classes()[digits], division.section)
    return divisions().get(digits[:2]) if digits else divisions().get(letter or "")


def section_of(code: str) -> str | None:
    letter, digits = _split(code)
    division = divisions().get(digits[:2]) if len(digits) >= 2 else None
    return division.section if division else letter
