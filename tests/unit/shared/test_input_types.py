"""shared/text.py, shared/money.py and the JSON guard of shared/request_limits.py."""

from __future__ import annotations

import json
import unicodedata
from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

from shared.money import Money, SignedMoney
from shared.problems import Problem
from shared.request_limits import MAX_DEPTH, check_json, check_url
from shared.text import _REFUSED_CATEGORIES, Code, LongText, Name, forbidden_characters, normalise


class Form(BaseModel):
    name: Name | None = None
    code: Code | None = None
    note: LongText | None = None
    amount: Money | None = None
    profit: SignedMoney | None = None


def refused(**values: object) -> str:
    with pytest.raises(ValidationError) as error:
        Form(**values)  # type: ignore[arg-type]
    return str(error.value.errors()[0]["type"])


def test_text_is_trimmed_and_nbsp_normalised_but_control_and_invisible_characters_are_refused() -> None:
    assert Form(name="\u3000云南（昆明）精密\u00a0制造 ").name == "云南（昆明）精密 制造"
    assert Form(code=" ９１５３０１０２ ").code == "91530102", "codes are NFKC-normalised"
    assert Form(note="第一行\r\n第二行").note == "第一行\n第二行"
    for bad in ("ab\x00cd", "ab\u200bcd", "ab\u202ecd", "ab\ufeffcd", "ab\ncd", "ab\x1bcd"):
        assert refused(name=bad) == "text_forbidden_characters", repr(bad)
    assert refused(name="x" * 201) == "string_too_long"
    assert refused(name=123) == "string_type"


def test_money_is_decimal_bounded_to_ten_to_the_fourteen_and_two_decimals() -> None:
    assert Form(amount="99999999999999.99").amount == Decimal("99999999999999.99")
    assert Form(amount=12).amount == Decimal("12.00")
    assert Form(profit="-5.5").profit == Decimal("-5.50")
    assert json.loads(Form(amount=Decimal("1.5")).model_dump_json())["amount"] == "1.50"
    cases = [("100000000000000.01", "money_out_of_range"), ("0.001", "money_too_many_decimals"),
             ("NaN", "money_invalid"), ("１２３", "money_invalid"), ("1e3", "money_invalid"), (True, "money_invalid"),
             (1e308, "money_out_of_range"), ("-1", "greater_than_equal")]  # fmt: skip
    for bad, code in cases:
        assert refused(amount=bad) == code, bad


def test_the_json_guard_refuses_nan_depth_and_huge_integers_and_keeps_inexact_numbers_as_text() -> None:
    assert check_json(b'{"a": 1.5}') == b'{"a": 1.5}', "exact numbers pass untouched"
    assert json.loads(check_json(b'{"a": 99999999999999.99}')) == {"a": "99999999999999.99"}
    assert json.loads(check_json(b'{"a": 1e400}')) == {"a": "1E+400"}
    for raw, field in ((b'{"a": {"b": NaN}}', "a.b"), (b'{"a": [1, -Infinity]}', "a[1]"),
                       (b'{"a": 123456789012345678901234567890}', "a"), (b'{"a": "\\ud800"}', "a"),
                       (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), "body"), (b"[" * 9000, "body"),
                       (b'{"a": ', "body")):  # fmt: skip
        with pytest.raises(Problem) as problem:
            check_json(raw)
        assert problem.value.status == 422 and problem.value.errors[0].field == field, raw[:40]


def test_the_url_guard_refuses_control_characters_and_over_long_values() -> None:
    check_url("/api/v1/registry/enterprises/91530102MA6K7U9X3A", b"q=%E4%BA%91%E5%8D%97&limit=5")
    check_url("/a", "q=云南".encode())
    for path, query in (("/a/\x01b", b""), ("/a/b\u200b", b""), ("/a", b"q=" + b"x" * 1001), ("/a", b"q=%00"),
                        ("/a", b"q=%ff"), ("/a", b"q=\xff")):  # fmt: skip
        with pytest.raises(Problem):
            check_url(path, query)


def test_a_printable_text_never_holds_a_refused_character() -> None:
    """``forbidden_characters`` skips its per-character scan for a printable text: no code point Python
    calls printable may be of a refused category."""
    printable_refused = [
        f"U+{point:04X}" for point in range(0x110000)
        if chr(point).isprintable() and unicodedata.category(chr(point)) in _REFUSED_CATEGORIES
    ]  # fmt: skip
    assert printable_refused == []
    assert forbidden_characters("云南\u200b科技\u00a0") == ["U+200B"]  # not printable: scanned, NBSP allowed
    assert forbidden_characters("a\nb", multiline=True) == [] and forbidden_characters("a\nb") == ["U+000A"]


@pytest.mark.parametrize("nfkc", [False, True])
def test_ascii_text_normalises_as_the_general_path_does(nfkc: bool) -> None:
    """``normalise`` takes ASCII text by a shortcut: every ASCII character is its own NFKC form."""
    assert all(unicodedata.normalize("NFKC", chr(point)) == chr(point) for point in range(128))
    for text in [" 9153 ", "\t a b \r\n", "", "x" * 70, "A\u3000"[:1] + " "]:
        expected = (unicodedata.normalize("NFKC", text) if nfkc else text).translate({0xA0: " "}).strip(
            " \t\r\n\u3000\u00a0\u2007\u202f")  # fmt: skip
        assert normalise(text, nfkc=nfkc) == expected
