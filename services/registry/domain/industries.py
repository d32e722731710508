"""Industry codes, GB/T 4754-2017 (国民经济行业分类).

Four levels: section 门类 (a letter, C), division 大类 (2 digits, 39), group 中类 (3 digits, 398) and
class 小类 (4 digits, 3985). An enterprise's industry is a class, written either with its section
letter (C3985, the canonical form stored everywhere) or as the plain 4 digits (3985).

Data: ``data/gbt4754_2017_codes.csv``. All sections and divisions; groups and classes for
manufacturing (C, divisions 13–43) and information transmission, software and IT services (I, 63–65),
where most SRDI enterprises are. A class code in another section is accepted when its division exists
and the letter (if given) matches — :func:`is_listed_class` tells the two cases apart.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

DATA = Path(__file__).resolve().parent.parent / "data"
Level = Literal["section", "division", "group", "class"]
SECTIONS_WITH_CLASSES = frozenset({"C", "I"})
_CLASS_CODE = re.compile(r"^([A-T])?(\d{4})$")


@dataclass(frozen=True)
class Industry:
    code: str  # as in the standard: C, 39, 398, 3985
    name: str
    level: Level
    section: str
    parent: str | None

    @property
    def canonical(self) -> str:
        """Section letter + digits (C3985), or the letter alone for a section."""
        return self.code if self.level == "section" else f"{self.section}{self.code}"


class IndustryCodeError(ValueError):
    def __init__(self, rule: str, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.rule, self.zh, self.en = rule, zh, en


@cache
def catalogue() -> dict[str, Industry]:
    """Every code in the shipped table, keyed by its code as the standard writes it."""
    entries: dict[str, Industry] = {}
    with (DATA / "gbt4754_2017_codes.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(line for line in handle if not line.startswith("#")):
            parent = row["parent"] or None
            section = row["code"] if row["level"] == "section" else entries[parent or ""].section
            entries[row["code"]] = Industry(row["code"], row["name"], row["level"], section, parent)  # type: ignore[arg-type]
    return entries


def _at_level(level: Level) -> dict[str, Industry]:
    return {code: entry for code, entry in catalogue().items() if entry.level == level}


@cache
def sections() -> dict[str, Industry]:
    return _at_level("section")


@cache
def divisions() -> dict[str, Industry]:
    return _at_level("division")


@cache
def groups() -> dict[str, Industry]:
    return _at_level("group")


@cache
def classes() -> dict[str, Industry]:
    return _at_level("class")


def normalise(raw: str) -> str:
    """NFKC (full-width Ｃ３９８５ → C3985), surrounding spaces removed, upper case."""
    return unicodedata.normalize("NFKC", raw).strip().upper()


def validate_class_code(raw: str) -> str:
    """The canonical class code (C3985) or :class:`IndustryCodeError` saying what is wrong."""
    match = _CLASS_CODE.match(normalise(raw))
    if match is None:
        raise IndustryCodeError(
            "format",
            "行业代码应为门类字母加4位数字（如 C3985）或4位数字（如 3985）",
            "an industry code is a section letter and 4 digits (C3985) or 4 digits (3985)",
        )
    letter, digits = match.groups()
    division = divisions().get(digits[:2])
    if division is None:
        raise IndustryCodeError("unknown_division", f"不存在大类 {digits[:2]}", f"division {digits[:2]} does not exist")
    if letter is not None and letter != division.section:
        raise IndustryCodeError("section_mismatch", f"{digits} 属于门类 {division.section}，不是 {letter}",
                                f"{digits} belongs to section {division.section}, not {letter}")  # fmt: skip
    if division.section in SECTIONS_WITH_CLASSES and digits not in classes():
        raise IndustryCodeError("unknown_class", f"GB/T 4754-2017 中没有小类 {digits}",
                                f"GB/T 4754-2017 has no class {digits}")  # fmt: skip
    return f"{division.section}{digits}"


def is_valid_class(raw: str) -> bool:
    try:
        validate_class_code(raw)
    except IndustryCodeError:
        return False
    return True


def canonical(raw: str) -> str:
    """C3985 for 3985, c3985 or Ｃ３９８５. Raises :class:`IndustryCodeError` for an invalid class."""
    return validate_class_code(raw)


def is_listed_class(raw: str) -> bool:
    """True when the class is checked against the table (sections C and I), not only its division."""
    return is_valid_class(raw) and normalise(raw)[-4:] in classes()


def lookup(raw: str) -> Industry | None:
    """The entry for a code at any level: C, C39 or 39, C398 or 398, C3985 or 3985."""
    code = normalise(raw)
    digits = code.lstrip("ABCDEFGHIJKLMNOPQRST")
    if not digits:
        return sections().get(code)
    entry = catalogue().get(digits)
    if entry is None or entry.level == "section" or (digits != code and code[0] != entry.section):
        return None
    return entry


def section_of(raw: str) -> str | None:
    """The section letter of a code at any level (also of classes outside C and I), or None."""
    code = normalise(raw)
    digits = code.lstrip("ABCDEFGHIJKLMNOPQRST")
    if len(digits) >= 2 and digits[:2] in divisions():
        return divisions()[digits[:2]].section
    return code if code in sections() else None


def division_of(raw: str) -> str:
    """The two-digit division of a class code (C3985 → 39)."""
    return normalise(raw).lstrip("ABCDEFGHIJKLMNOPQRST")[:2]


def path(raw: str) -> list[Industry]:
    """Section → division → group → class entries that exist for a code, top down (for display)."""
    digits = normalise(raw).lstrip("ABCDEFGHIJKLMNOPQRST")
    prefixes = [digits[:length] for length in (2, 3, 4) if len(digits) >= length]
    found = [catalogue()[prefix] for prefix in prefixes if prefix in catalogue()]
    return ([sections()[found[0].section]] if found else []) + found
