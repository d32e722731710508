"""Unified social credit code (统一社会信用代码), GB 32100-2015.

Eighteen characters from a 31-character alphabet (digits and upper-case letters without I, O, Z, S, V):

    1      registration authority (登记管理部门代码)
    2      entity type within that authority (机构类别代码)
    3–8    administrative division of the registering authority (GB/T 2260)
    9–17   organisation code (组织机构代码, GB 11714); its 9th character is a check character
    18     check character over the first 17 (GB 32100, weights 3^i mod 31)

Normalisation (the only one applied, stated in the import template too): Unicode NFKC (full-width →
half-width), upper case, surrounding spaces (ASCII, U+3000, NBSP) removed. Anything else wrong is
rejected with the rule that failed — never guessed.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from operator import mul

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {char: index for index, char in enumerate(ALPHABET)}
_NOT_IN_ALPHABET = str.maketrans("", "", ALPHABET)  # deletes the alphabet: what is left is not allowed
_FINAL_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# GB 32100 appendix: registration authority → the entity-type codes it may issue.
ENTITY_TYPES = {
    "1": "129",  # 机构编制
    "2": "19",  # 外交
    "3": "1234589",  # 司法行政 (律师事务所, 公证处 …)
    "4": "19",  # 文化
    "5": "1239",  # 民政 (社会团体, 民办非企业单位, 基金会)
    "6": "129",  # 旅游
    "7": "129",  # 宗教
    "8": "129",  # 工会
    "9": "123",  # 工商 / 市场监管 (企业, 个体工商户, 农民专业合作社)
    "A": "19",  # 中央军委改革和编制办公室
    "N": "1239",  # 农业
    "Y": "1",  # 其他
}


@dataclass(frozen=True)
class UsccError(ValueError):
    rule: str
    zh: str
    en: str

    def __str__(self) -> str:
        return f"{self.zh} / {self.en}"


def normalise(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw).strip(" \t\u3000\u00a0").upper()


# The weighted sums below run as C-level maps: the register validates every code it is sent, an
# import a hundred thousand at a time.
def _check_final(first17: str) -> str:
    total = sum(map(mul, map(_VALUE.__getitem__, first17), _FINAL_WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


# GB 11714 numbers letters A=10 … Z=35 over the whole Latin alphabet (unlike GB 32100's 31 characters);
# an organisation code's body uses GB 32100's characters only.
_ORG_VALUE = {char: int(char) if char.isdigit() else ord(char) - 55 for char in ALPHABET}


def _check_org(first8: str) -> str | None:
    """GB 11714 check character of an organisation code (None if a body character is not allowed)."""
    try:
        total = sum(map(mul, map(_ORG_VALUE.__getitem__, first8), _ORG_WEIGHTS))
    except KeyError:
        return None
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def validate_uscc(raw: str) -> str:
    """The canonical code, or :class:`UsccError` naming the rule that failed."""
    code = normalise(raw)
    if len(code) != 18:
        raise UsccError("length", f"长度应为18位，实为{len(code)}位", f"must be 18 characters, got {len(code)}")
    bad = sorted(set(code.translate(_NOT_IN_ALPHABET)))
    if bad:
        raise UsccError(
            "charset", f"含有不允许的字符：{''.join(bad)}（不使用 I、O、Z、S、V）",
            f"characters not allowed: {''.join(bad)} (I, O, Z, S, V are never used)",
        )  # fmt: skip
    authority, kind = code[0], code[1]
    if authority not in ENTITY_TYPES:
        raise UsccError("registration_authority", f"登记管理部门代码 {authority} 无效",
                        f"registration authority code {authority} is not valid")  # fmt: skip
    if kind not in ENTITY_TYPES[authority]:
        raise UsccError("entity_type", f"机构类别代码 {kind} 与登记管理部门 {authority} 不匹配",
                        f"entity type {kind} is not valid for registration authority {authority}")  # fmt: skip
    if not code[2:8].isdigit():
        raise UsccError("division", "第3–8位应为行政区划代码（数字）", "positions 3–8 must be a division code (digits)")
    if _check_org(code[8:16]) != code[16]:
        raise UsccError("organisation_check", "组织机构代码校验码错误（第17位）",
                        "organisation-code check character (position 17) is wrong")  # fmt: skip
    if _check_final(code[:17]) != code[17]:
        raise UsccError("final_check", "统一社会信用代码校验码错误（第18位）",
                        "final check character (position 18) is wrong")  # fmt: skip
    return code


def complete_uscc(first16: str) -> str:
    """Append both check characters to authority + type + division + 8-character organisation body."""
    body = normalise(first16)
    if len(body) != 16:
        raise ValueError("need the first 16 characters (authority, type, division, organisation body)")
    org_check = _check_org(body[8:16])
    if org_check is None:
        raise ValueError("organisation body must use digits and letters A–Z without I, O, Z, S, V")
    first17 = body + org_check
    return first17 + _check_final(first17)
