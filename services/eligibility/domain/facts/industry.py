"""GB/T 4754 industry codes: parsing, the exact integer encoding of the batch columns, size classes."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.eligibility.domain.rulebook.ruleset import SizeClass, SizeStandard

INDUSTRY_CODE = re.compile(r"^([A-T])(\d{0,4})$")


def parse_industry_code(code: str | None) -> tuple[str, str] | None:
    """GB/T 4754 code → (section letter, digits); None if it is not a code."""
    if code is None:
        return None
    match = INDUSTRY_CODE.match(code.strip().upper())
    return (match.group(1), match.group(2)) if match else None


def encode_industry(code: str | None) -> int:
    """letter × 100000 + digits padded to 4 × 10 + number of digits; -1 if not a GB/T 4754 code."""
    parsed = parse_industry_code(code)
    if parsed is None:
        return -1
    letter, digits = parsed
    return (ord(letter) - ord("A")) * 100000 + int(digits.ljust(4, "0")) * 10 + len(digits)


def decode_industry(encoded: int) -> str | None:
    if encoded < 0:
        return None
    letter = chr(ord("A") + encoded // 100000)
    width = encoded % 10
    digits = f"{(encoded // 10) % 10000:04d}"[:width]
    return letter + digits


def size_class(standard: SizeStandard, parsed: tuple[str, str]) -> SizeClass:
    """The class whose longest prefix matches (startswith semantics on letter + digits)."""
    code = parsed[0] + parsed[1]
    best: SizeClass | None = None
    best_length = -1
    for candidate in standard.classes:
        for prefix in candidate.prefixes:
            if code.startswith(prefix) and len(prefix) > best_length:
                best, best_length = candidate, len(prefix)
    return best if best is not None else standard.other
