"""Text fields as a clerk means them: bounded length, no control or invisible characters.

What a pasted Excel cell legitimately carries is normalised, not refused: surrounding whitespace
(spaces, tabs, NBSP, the ideographic space U+3000) is trimmed and inner non-breaking spaces become
plain spaces. Codes are also NFKC-normalised (full-width ``９１５３`` → ``9153``), as the importer
does; names and free text are not (full-width brackets in company names are official).

Refused everywhere: C0/C1 control characters (a line break only in multi-line text), format
characters (zero-width space/joiners, BOM, bidi overrides), lone surrogates, private-use and
unassigned code points.

Use the annotated types in request schemas::

    name: Name                                   # 2–200 characters
    main_products: list[ShortText] = Field(default_factory=list, max_length=MAX_ITEMS)
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, StringConstraints
from pydantic_core import PydanticCustomError

_TRIM = " \t\r\n\u3000\u00a0\u2007\u202f"
_NBSP = str.maketrans({"\u00a0": " ", "\u2007": " ", "\u202f": " "})
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}


def forbidden_characters(text: str, *, multiline: bool = False) -> list[str]:
    """The characters of ``text`` a clerk never means (as ``U+XXXX``)."""
    if text.isprintable():
        # Python's non-printable characters are the categories Other (Cc, Cf, Cs, Co, Cn: exactly the
        # refused ones) and the separators other than the ASCII space: a printable text has none to refuse.
        return []
    allowed = {"\n"} if multiline else set()
    found = []
    for char in text:
        if char in allowed:
            continue
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            found.append(f"U+{ord(char):04X}")
    return found


def normalise(value: Any, *, nfkc: bool = False, multiline: bool = False) -> Any:
    if not isinstance(value, str):
        return value  # the str schema then refuses it with a typed error
    if value.isascii() and not multiline:
        return value.strip(_TRIM)  # ASCII is its own NFKC form and holds no non-breaking space
    if nfkc:
        value = unicodedata.normalize("NFKC", value)
    if multiline:
        value = value.replace("\r\n", "\n")
    return value.translate(_NBSP).strip(_TRIM)


def _check(value: str, multiline: bool = False) -> str:
    bad = forbidden_characters(value, multiline=multiline)
    if bad:
        raise PydanticCustomError(
            "text_forbidden_characters",
            "含有控制字符或不可见字符 / text contains control or invisible characters ({chars})",
            {"chars": ", ".join(sorted(set(bad))[:5])},
        )
    return value


# Building blocks, for a length of one's own:
#   Annotated[str, StringConstraints(max_length=64), TRIMMED, CLEAN]
def _normalise_nfkc(value: Any) -> Any:
    return normalise(value, nfkc=True)


def _normalise_multiline(value: Any) -> Any:
    return normalise(value, multiline=True)


def _check_multiline(value: str) -> str:
    return _check(value, True)


# Functions, not lambdas around them: these run for every text field of every request and import row.
TRIMMED = BeforeValidator(normalise)
TRIMMED_NFKC = BeforeValidator(_normalise_nfkc)
TRIMMED_MULTILINE = BeforeValidator(_normalise_multiline)
CLEAN = AfterValidator(_check)
CLEAN_MULTILINE = AfterValidator(_check_multiline)

Name = Annotated[str, StringConstraints(min_length=2, max_length=200), TRIMMED, CLEAN]  # enterprise / organisation
PersonName = Annotated[str, StringConstraints(max_length=100), TRIMMED, CLEAN]
ShortText = Annotated[str, StringConstraints(max_length=200), TRIMMED, CLEAN]  # a product, a certificate, a label
Address = Annotated[str, StringConstraints(max_length=300), TRIMMED, CLEAN]
LongText = Annotated[str, StringConstraints(max_length=2000), TRIMMED_MULTILINE, CLEAN_MULTILINE]  # notes
Code = Annotated[str, StringConstraints(max_length=64), TRIMMED_NFKC, CLEAN]  # identifiers and codes: NFKC
Phone = Annotated[str, StringConstraints(max_length=40), TRIMMED_NFKC, CLEAN]
Email = Annotated[str, StringConstraints(max_length=200), TRIMMED_NFKC, CLEAN]
Tag = Annotated[str, StringConstraints(max_length=64), TRIMMED_NFKC, CLEAN]
# How many items a list may hold where no stricter rule applies.
MAX_ITEMS = 100
