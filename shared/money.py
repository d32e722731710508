"""Money in yuan: ``Decimal`` from the request to the database and back, never a float.

Accepted: a JSON integer, a decimal string (``"1234.56"``), or a JSON number that a float holds
exactly (the request guard in ``shared.request_limits`` hands any other number over as its exact
text). Refused (422): NaN/Infinity, booleans, more than two decimals, more than 10¹⁴ yuan in absolute
value, and anything but ASCII digits (``"１２３"``, ``"1,000"``, ``"1e3"`` in a string are not amounts
a clerk types into the API).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError
from sqlalchemy import BigInteger, Numeric
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

MAX_YUAN = Decimal(10) ** 14
CENT = Decimal("0.01")
# Digits in a database column: 10^14 needs 15 before the point, two after, one to spare.
MONEY_PRECISION, MONEY_SCALE = 18, 2
_AMOUNT = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")


def parse_money(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise PydanticCustomError("money_invalid", "不是有效的金额（元） / not an amount in yuan")
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))  # the shortest text that gives this float back: what was sent
    elif isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str):
        text = value.strip()
        if not _AMOUNT.match(text):
            raise PydanticCustomError(
                "money_invalid", "不是有效的金额（元） / not an amount in yuan: digits, an optional sign and point"
            )
        amount = Decimal(text)
    else:
        raise PydanticCustomError("money_invalid", "不是有效的金额（元） / not an amount in yuan")
    try:
        if not amount.is_finite():
            raise PydanticCustomError("money_invalid", "金额必须是有限数 / an amount must be finite")
        if abs(amount) > MAX_YUAN:
            raise PydanticCustomError(
                "money_out_of_range", "金额绝对值不得超过 10^14 元 / at most 10^14 yuan in absolute value"
            )
        if amount != amount.quantize(CENT):
            raise PydanticCustomError("money_too_many_decimals", "金额最多两位小数 / at most two decimals")
        return amount  # as sent (55000000 stays 55000000): events carry what the caller wrote
    except InvalidOperation as error:
        raise PydanticCustomError("money_invalid", "不是有效的金额（元） / not an amount in yuan") from error


def _as_text(amount: Decimal) -> str:
    return f"{amount:.2f}"


_SCHEMA: dict[str, Any] = {
    "anyOf": [{"type": "string", "pattern": r"^[+-]?[0-9]+(\.[0-9]{1,2})?$"}, {"type": "integer"}, {"type": "number"}],
    "description": "元，最多两位小数 / yuan, at most two decimals and 10^14",
}
_JSON_TEXT = PlainSerializer(_as_text, return_type=str, when_used="json")
# Any sign (net profit, a loss); non-negative amounts (revenue, assets …).
SignedMoney = Annotated[Decimal, BeforeValidator(parse_money), _JSON_TEXT, WithJsonSchema(_SCHEMA)]
Money = Annotated[
    Decimal, BeforeValidator(parse_money), Field(ge=0), _JSON_TEXT, WithJsonSchema(_SCHEMA)
]


class MoneyType(TypeDecorator[Decimal]):
    """A money column: ``NUMERIC(18, 2)`` on PostgreSQL; on SQLite — which would store a NUMERIC
    value as a binary float and round 16-digit amounts — exact integer cents."""

    impl = Numeric(MONEY_PRECISION, MONEY_SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        # Not NUMERIC on SQLite: its result processor would read the cents back through a float.
        return dialect.type_descriptor(BigInteger() if dialect.name == "sqlite" else self.impl)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = Decimal(value).quantize(CENT)
        return int(amount * 100) if dialect.name == "sqlite" else amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / 100).quantize(CENT)
        return Decimal(value).quantize(CENT)
