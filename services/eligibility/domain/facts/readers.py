"""How a metric reads the facts: the shapes most metrics share, each with its two sides.

A reader is bound to one metric declaration (`metrics.py`) and gives, from that one place:

- `scalar(facts, ctx, offset, args) -> Measured` — one enterprise, an exact `Fraction`, flag or choice;
- `vector(ctx, offset, args) -> Col` — every row of a `FactsColumns` at once (exact integers);
- `columns()` — the batch columns it needs, with the path of the fact in `Facts` and how a value
  becomes the column's integer and back. `columns/layout.py` builds `FactsColumns` from these.

A path names a fact in `Facts`: a top-level field ("niche_years") or a field of a block
("compliance.abnormal_operation_list"). A block that is not supplied (`None`) makes every fact in it
unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from services.eligibility.domain.facts.catalogue import MetricSpec
from services.eligibility.domain.facts.measured import Context, Measured, both, not_supplied, unknown
from services.eligibility.domain.facts.model import Facts
from services.eligibility.domain.facts.values import BoolArray, ChoiceCol, Col, FlagCol, IntArray, NumCol
from services.eligibility.domain.text import Text

if TYPE_CHECKING:
    from services.eligibility.domain.columns.layout import FactsColumns
    from services.eligibility.domain.rulebook.ruleset import SizeStandard

Group = Literal["money", "counts", "ints", "flags", "choices", "ratios"]
PER_YEAR_GROUPS: tuple[Group, ...] = ("money", "counts")

# |money| ≤ 10^12 yuan keeps every cross-multiplication of the batch path inside int64.
MAX_MONEY_FEN = 10**14
RATIO_SCALE = 10**6  # shares supplied as facts, in millionths
SCORE_SCALE = 100  # the MIIT evaluation score, in hundredths
MISSING = object()  # the value at a path whose block is not supplied


@dataclass(frozen=True)
class VectorContext:
    columns: FactsColumns
    size_standard: SizeStandard


@dataclass(frozen=True)
class Column:
    """One batch column: where its fact is, and how a value becomes the column's integer and back.

    Per-year groups (money, counts) hold shape (n, 3) and `path` is the `FinancialYear` field; the
    other groups hold one integer per row, -1 = unknown.
    """

    group: Group
    name: str
    path: str
    encode: Callable[[Any, int], int]  # (value at path, assessment year) → integer; a missing block is -1
    decode: Callable[[int, int], Any]  # (integer, assessment year) → value at path


# --- exact conversions -----------------------------------------------------------------------


def to_fen(amount: Decimal) -> int:
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"money {amount} has more than 2 decimal places")
    if abs(fen) > MAX_MONEY_FEN:
        raise ValueError(f"money {amount} is out of range (|amount| ≤ 10^12 yuan)")
    return int(fen)


def to_scaled(value: Decimal, scale: int, what: str) -> int:
    scaled = value * scale
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{what} {value} has too many decimal places for the batch columns")
    return int(scaled)


def tri(value: bool | None) -> int:
    return -1 if value is None else int(value)


def from_tri(code: int, _year: int = 0) -> bool | None:
    return None if code < 0 else bool(code)


def count_code(value: int | None, _year: int = 0) -> int:
    return -1 if value is None else int(value)


def from_count(code: int, _year: int = 0) -> int | None:
    return None if code < 0 else int(code)


def bits(codes: tuple[str, ...] | None, vocabulary: tuple[str, ...]) -> int:
    if codes is None:
        return -1
    wanted = {c.strip().upper() for c in codes}
    return sum(1 << i for i, code in enumerate(vocabulary) if code in wanted)


def from_bits(code: int, vocabulary: tuple[str, ...]) -> tuple[str, ...] | None:
    return None if code < 0 else tuple(c for i, c in enumerate(vocabulary) if code & (1 << i))


def getter(path: str) -> Callable[[Facts], Any]:
    """The value at `path`, `MISSING` when its block is not supplied."""
    if "." not in path:
        return lambda facts: getattr(facts, path)
    block, attr = path.split(".")

    def get(facts: Facts) -> Any:
        part = getattr(facts, block)
        return MISSING if part is None else getattr(part, attr)

    return get


# --- readers ---------------------------------------------------------------------------------


class Reader:
    """Base of every reader; `bind` gives it the declaration it serves."""

    spec: MetricSpec

    def bind(self, spec: MetricSpec) -> Reader:
        self.spec = spec
        return self

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def label(self) -> Text:
        return self.spec.label

    def columns(self) -> tuple[Column, ...]:
        return ()

    def scalar(self, facts: Facts, ctx: Context, offset: int, args: Any) -> Measured:
        raise NotImplementedError

    def vector(self, ctx: VectorContext, offset: int, args: Any) -> Col:
        raise NotImplementedError


class YearAmount(Reader):
    """A `FinancialYear` field of year Y-offset: money (fen in the columns) or a head count."""

    def columns(self) -> tuple[Column, ...]:
        if self.spec.unit == "money":
            return (Column("money", self.name, self.name, lambda v, _y: to_fen(v), lambda v, _y: Decimal(v) / 100),)
        return (Column("counts", self.name, self.name, count_code, from_count),)

    def measured(self, facts: Facts, ctx: Context, offset: int) -> Measured:
        year = ctx.assessment_year - offset
        entry = facts.year(year)
        value = getattr(entry, self.name) if entry is not None else None
        if value is None:
            return not_supplied(Text(f"{year}年{self.label.zh}", f"{self.label.en} for {year}"))
        return Measured(Fraction(value))

    def scalar(self, facts: Facts, ctx: Context, offset: int, args: Any) -> Measured:
        return self.measured(facts, ctx, offset)

    def known_values(self, ctx: VectorContext, offset: int) -> tuple[BoolArray, IntArray]:
        c = ctx.columns
        if self.spec.unit == "money":
            return c.money_known[self.name][:, offset - 1], c.money[self.name][:, offset - 1]
        values = c.counts[self.name][:, offset - 1]
        return values >= 0, values

    def vector(self, ctx: VectorContext, offset: int, args: Any) -> Col:
        known, values = self.known_values(ctx, offset)
        return NumCol(known, values, 100 if self.spec.unit == "money" else 1)


class Ratio(Reader):
    """top ÷ bottom of the same year; unknown when the bottom is zero or negative."""

    def __init__(self, top: YearAmount, bottom: YearAmount) -> None:
        self.top, self.bottom = top, bottom

    def scalar(self, facts: Facts, ctx: Context, offset: int, args: Any) -> Measured:
        pair = both(self.top.measured(facts, ctx, offset), self.bottom.measured(facts, ctx, offset))
        if isinstance(pair, Measured):
            return pair
        top, bottom = pair
        if bottom <= 0:
            label, year = self.bottom.label, ctx.assessment_year - offset
            return unknown(
                Text(
                    f"{year}年{label.zh}为零或负数，比值无法计算",
                    f"{label.en} for {year} is zero or negative: the ratio is undefined",
                )
            )
        return Measured(top / bottom)

    def vector(self, ctx: VectorContext, offset: int, args: Any) -> Col:
        top_known, num = self.top.known_values(ctx, offset)
        bottom_known, den = self.bottom.known_values(ctx, offset)
        known = top_known & bottom_known & (den > 0)
        return NumCol(known, num, np.where(known, den, 1))


class Fact(Reader):
    """One fact at a path, read as it is (`read` may interpret it: a list → "any entry", …).

    `group` says how the batch columns hold it; `write` turns the column's integer back into a value
    at the path (used when a row becomes `Facts` again).
    """

    group: Group = "ints"

    def __init__(
        self,
        path: str,
        read: Callable[[Any], Any] | None = None,
        write: Callable[[int, int], Any] | None = None,
        column: str | None = None,
    ) -> None:
        self.path, self._column = path, column
        self.get = getter(path)
        self.read = read
        self.write = write

    @property
    def column(self) -> str:
        return self._column or self.name

    def value(self, facts: Facts) -> Any:
        raw = self.get(facts)
        if raw is MISSING:
            return None
        return raw if self.read is None else self.read(raw)

    def scalar(self, facts: Facts, ctx: Context, offset: int, args: Any) -> Measured:
        value = self.value(facts)
        return not_supplied(self.label) if value is None else Measured(self.convert(value))

    def convert(self, value: Any) -> Any:
        return value

    def encode(self, raw: Any, _year: int) -> int:
        raise NotImplementedError

    def decode(self, code: int, year: int) -> Any:
        raise NotImplementedError

    def columns(self) -> tuple[Column, ...]:
        return (Column(self.group, self.column, self.path, self._encode, self.write or self.decode),)

    def _encode(self, raw: Any, year: int) -> int:
        value = raw if self.read is None else self.read(raw)
        return -1 if value is None else self.encode(value, year)


class Count(Fact):
    """A whole number (count, years, level, rank)."""

    group = "ints"

    def convert(self, value: Any) -> Any:
        return Fraction(value)

    def encode(self, value: Any, _year: int) -> int:
        return int(value)

    def decode(self, code: int, year: int) -> Any:
        return from_count(code)

    def vector(self, ctx: VectorContext, offset: int, args: Any) -> Col:
        values = ctx.columns.ints[self.column]
        return NumCol(values >= 0, values, 1)


class Flag(Fact):
    """A yes/no fact (tri-state in the columns: -1 unknown, 0, 1)."""

    group = "flags"

    def convert(self, value: Any) -> Any:
        return bool(value)

    def encode(self, value: Any, _year: int) -> int:
        return int(bool(value))

    def decode(self, code: int, year: int) -> Any:
        return from_tri(code)

    def vector(self, ctx: VectorContext, offset: int, args: Any) -> Col:
        values = ctx.columns.flags[self.column]
        return FlagCol(values >= 0, values == 1)


class Share(Fact):
    """A fraction supplied as a fact (a market share: 0.12 = 12%), millionths in the columns."""

    group = "ratios"

    def convert(self, value: Any) -> Any:
        return Fraction(value)

    def encode(self, value: Any, _year: int) -> int:
        return to_scaled(value, RATIO_SCALE, self.column)

    def decode(self, code: int, year: int) -> Any:
        return None if code < 0 else Decimal(code) / RATIO_SCALE

    def vector(self, ctx: VectorContext, offset: int, args: Any) -> Col:
        values = ctx.columns.ratios[self.column]
        return NumCol(values >= 0, values, RATIO_SCALE)


class Choice(Fact):
    """One of a closed vocabulary."""

    group = "choices"

    def __init__(self, path: str, vocabulary: tuple[str, ...]) -> None:
        super().__init__(path)
        self.vocabulary = vocabulary

    def encode(self, value: Any, _year: int) -> int:
        return self.vocabulary.index(value)

    def decode(self, code: int, year: int) -> Any:
        return None if code < 0 else self.vocabulary[int(code)]

    def vector(self, ctx: VectorContext, offset: int, args: Any) -> Col:
        return ChoiceCol(ctx.columns.choices[self.column], self.vocabulary)


class CodesIn(Fact):
    """A list of codes (systems, certifications): "any of the rule's `accepted`" — a bit per code."""

    group = "ints"

    def __init__(self, path: str, vocabulary: tuple[str, ...], column: str) -> None:
        super().__init__(path, column=column)
        self.vocabulary = vocabulary

    def scalar(self, facts: Facts, ctx: Context, offset: int, args: Any) -> Measured:
        codes = self.value(facts)
        if codes is None:
            return not_supplied(self.label)
        return Measured(any(code.strip().upper() in args.accepted for code in codes))

    def encode(self, value: Any, _year: int) -> int:
        return bits(value, self.vocabulary)

    def decode(self, code: int, year: int) -> Any:
        return from_bits(code, self.vocabulary)

    def vector(self, ctx: VectorContext, offset: int, args: Any) -> Col:
        values = ctx.columns.ints[self.column]
        mask = sum(1 << self.vocabulary.index(w) for w in set(args.accepted))
        return FlagCol(values >= 0, (values & mask) != 0)


class HeldOnJanuaryFirst(Fact):
    """Dated titles (honours, recognitions): "one of the rule's kinds, still valid on 1 January of Y"."""

    group = "ints"

    def __init__(self, path: str, vocabulary: tuple[Any, ...], kind: str, wanted: str, make: type[Any]) -> None:
        super().__init__(path, column=path)
        self.vocabulary, self.kind, self.wanted, self.make = vocabulary, kind, wanted, make

    def scalar(self, facts: Facts, ctx: Context, offset: int, args: Any) -> Measured:
        start, wanted = date(ctx.assessment_year, 1, 1), getattr(args, self.wanted)
        return Measured(any(getattr(h, self.kind) in wanted and h.valid_until >= start for h in self.value(facts)))

    def encode(self, value: Any, year: int) -> int:
        start = date(year, 1, 1)
        held = {getattr(h, self.kind) for h in value if h.valid_until >= start}
        return sum(1 << self.vocabulary.index(k) for k in held)

    def decode(self, code: int, year: int) -> Any:
        return tuple(self.make(k, date(year, 12, 31)) for b, k in enumerate(self.vocabulary) if code & (1 << b))

    def vector(self, ctx: VectorContext, offset: int, args: Any) -> Col:
        values = ctx.columns.ints[self.column]
        mask = sum(1 << self.vocabulary.index(w) for w in set(getattr(args, self.wanted)))
        return FlagCol(values >= 0, (values & mask) != 0)


class Custom(Reader):
    """A metric with logic of its own: both sides written next to each other in `metrics.py`."""

    def __init__(
        self,
        scalar: Callable[[Facts, Context, int, Any], Measured],
        vector: Callable[[VectorContext, int, Any], Col],
        columns: tuple[Column, ...] = (),
    ) -> None:
        self._scalar, self._vector, self._columns = scalar, vector, columns

    def columns(self) -> tuple[Column, ...]:
        return self._columns

    def scalar(self, facts: Facts, ctx: Context, offset: int, args: Any) -> Measured:
        return self._scalar(facts, ctx, offset, args)

    def vector(self, ctx: VectorContext, offset: int, args: Any) -> Col:
        return self._vector(ctx, offset, args)
