"""Turning the domain's frozen dataclasses (roadmaps, seed banks) into JSON-ready values."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from typing import Any

from pydantic import BaseModel

from services.eligibility.domain.text import Text


def to_jsonable(value: Any) -> Any:
    if isinstance(value, Text):
        return {"zh": value.zh, "en": value.en}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Fraction):
        return str(Decimal(value.numerator) / Decimal(value.denominator))[:12]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    return value
