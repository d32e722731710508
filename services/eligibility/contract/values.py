"""The contract's value types: money, ratios and scores as exact decimals, with the errors that name them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

MAX_YUAN = Decimal(10) ** 12  # the batch columns hold |money| ≤ 10^12 yuan exactly


def _decimal(value: Any, places: int, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"{what} must be a decimal string or a number")
    try:
        # A JSON number arrives as a float: its shortest repr is the decimal the client wrote.
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"{what} is not a number: {value!r}") from exc
    if not number.is_finite():
        raise ValueError(f"{what} must be finite")
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places and number != number.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(f"{what} has more than {places} decimal places")
    return number


def _money(value: Any) -> Decimal:
    amount = _decimal(value, 2, "money (yuan)")
    if abs(amount) > MAX_YUAN:
        raise ValueError("money out of range (at most 10^12 yuan)")
    return amount


def _ratio(value: Any) -> Decimal:
    ratio = _decimal(value, 6, "ratio (a fraction, 0.12 = 12%)")
    if not Decimal(0) <= ratio <= Decimal(1):
        raise ValueError("a ratio is a fraction between 0 and 1 (0.12 = 12%)")
    return ratio


def score_value(value: Any) -> Decimal:
    score = _decimal(value, 2, "score")
    if not Decimal(0) <= score <= Decimal(100):
        raise ValueError("a score is between 0 and 100")
    return score


def _whole(value: Any) -> Any:
    """Counts as callers send them: 3 and 3.0 are both 3 (JSON writers and spreadsheets emit 3.0).
    Anything else (3.5, "3", true) is left for the strict int check to refuse with the field named."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return value


def _full_years(value: Any) -> int:
    """A duration in years may be fractional (1.9 years in the niche is a fact, not an error). The criteria
    count full years ("满N年", "N年以上" with whole N), and for a whole threshold N, ``x ≥ N`` exactly when
    ``floor(x) ≥ N`` — so the full years decide every rule the same as the fraction would."""
    years = _decimal(value, 6, "years")
    if not Decimal(0) <= years <= Decimal(200):
        raise ValueError("years must be between 0 and 200")
    return int(years)  # truncation toward zero = floor for non-negative values


SignedMoney = Annotated[Decimal, BeforeValidator(_money)]
Money = Annotated[Decimal, BeforeValidator(_money), Field(ge=0)]
Ratio = Annotated[Decimal, BeforeValidator(_ratio)]
Count = Annotated[int, BeforeValidator(_whole), Field(ge=0, strict=True)]
Rank = Annotated[int, BeforeValidator(_whole), Field(ge=1, strict=True)]
# Years in a niche or field: fractional accepted, full years kept (see _full_years).
Years = Annotated[int, BeforeValidator(_full_years)]
Year = Annotated[int, Field(ge=1900, le=2100, strict=True)]


class ContractModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
