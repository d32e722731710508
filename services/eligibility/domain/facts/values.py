"""Vectorised metric values: the column types a metric's vector side returns, and exact comparison.

Numbers stay exact rationals: a `NumCol` is num/den with int64 arrays (money in fen over 100, a ratio
as its two amounts), and "value ≥ p/q" is decided as num·q ≥ p·den — no floating point on an edge.
The one quantity that does not fit in int64 is the mean of two growth rates (a sum of fractions with
different denominators: products of two amounts); it carries a float approximation with an error
bound, and only the rows whose approximation is within that bound of the threshold are decided
exactly with Python integers (`exact_rows`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
INT64_SAFE = 2**62


@dataclass
class NumCol:
    """Exact rational values (num/den, den > 0 where known), or an approximation with exact fallback."""

    known: BoolArray
    num: IntArray | None = None
    den: IntArray | int = 1
    approx: npt.NDArray[np.float64] | None = None
    error: npt.NDArray[np.float64] | None = None
    exact_rows: Callable[[IntArray], list[Fraction]] | None = None
    # max |num| and max |den|, computed on the first comparison that needs them (a band table compares
    # one column with several edges: the overflow check reads the arrays once, not once per edge).
    peaks: tuple[int, int] | None = None


@dataclass
class FlagCol:
    known: BoolArray
    value: BoolArray


@dataclass
class ChoiceCol:
    codes: npt.NDArray[Any]  # -1 unknown
    categories: tuple[Any, ...]


Col = NumCol | FlagCol | ChoiceCol


# --- exact comparison ------------------------------------------------------------------------


def _peak(array: IntArray | int) -> int:
    return int(np.max(np.abs(array))) if isinstance(array, np.ndarray) and array.size else abs(int(array))


def _fits(array: IntArray | int, factor: int) -> bool:
    return _peak(array) * abs(factor) < INT64_SAFE


def _cross(num: IntArray, den: IntArray | int, target: Fraction) -> tuple[Any, Any]:
    """num·q and p·den, in int64 when that cannot overflow, else in Python integers (object arrays)."""
    p, q = target.numerator, target.denominator
    if _fits(num, q) and _fits(den, p):
        return num * np.int64(q), np.int64(p) * den
    wide_den = den.astype(object) if isinstance(den, np.ndarray) else den
    return num.astype(object) * q, p * wide_den


def compare(col: NumCol, target: Fraction, at_least: bool) -> BoolArray:
    """value ≥ target (at_least) or value ≤ target, exactly; meaningful where `col.known`."""
    if col.num is not None:
        p, q = target.numerator, target.denominator  # q > 0
        if not isinstance(col.den, np.ndarray) and int(col.den) > 0:
            # One denominator for every row: num/den ≥ p/q ⇔ num ≥ ⌈p·den/q⌉ (≤: ⌊p·den/q⌋), an integer
            # threshold worked out exactly once — no product of the column at all.
            scaled = p * int(col.den)
            bound = -(-scaled // q) if at_least else scaled // q
            if abs(bound) < INT64_SAFE:
                hits = (col.num >= bound) if at_least else (col.num <= bound)
                return np.asarray(hits, dtype=bool) & col.known
        if col.peaks is None:
            col.peaks = (_peak(col.num), _peak(col.den))
        num_peak, den_peak = col.peaks
        if num_peak * q < INT64_SAFE and den_peak * abs(p) < INT64_SAFE:
            left, right = col.num * np.int64(q), np.int64(p) * col.den
        else:
            left, right = _cross(col.num, col.den, target)
        result = (left >= right) if at_least else (left <= right)
        return np.asarray(result, dtype=bool) & col.known
    assert col.approx is not None and col.error is not None and col.exact_rows is not None
    difference = col.approx - float(target)
    result = (difference >= 0) if at_least else (difference <= 0)
    unsure = np.flatnonzero(col.known & (np.abs(difference) <= col.error))
    if unsure.size:
        exact = col.exact_rows(unsure)
        result[unsure] = [(v >= target) if at_least else (v <= target) for v in exact]
    return result & col.known


# --- combining years -------------------------------------------------------------------------


def combine_numbers(cols: list[NumCol], how: str, missing_as_zero: bool) -> NumCol:
    if how == "latest":
        return _latest(cols)
    known = np.logical_and.reduce([c.known for c in cols])
    if how == "sum" and missing_as_zero:
        known = np.ones_like(cols[0].known)
    dens = {c.den if isinstance(c.den, int) else None for c in cols}
    if len(dens) == 1 and None not in dens and all(c.num is not None for c in cols):
        den = next(iter(dens))
        assert den is not None
        total = sum(np.where(c.known, c.num, 0) for c in cols if c.num is not None)
        return NumCol(known, np.asarray(total, dtype=np.int64), den * (len(cols) if how == "mean" else 1))
    assert how == "mean", "only a mean may mix denominators (checked when the rules are loaded)"
    return _approximate_mean(cols, known)


def _approximate_mean(cols: list[NumCol], known: BoolArray) -> NumCol:
    terms = []
    for c in cols:
        assert c.num is not None
        terms.append(c.num.astype(np.float64) / np.asarray(c.den, dtype=np.float64))
    approx = sum(terms) / len(cols)
    # Each quotient is within 2^-52 of its true value relatively, the sum adds one rounding: a bound
    # of 1e-12 × (sum of magnitudes) is far above the real error and still leaves few rows to redo.
    error = 1e-12 * sum(np.abs(t) for t in terms) + 1e-300

    def exact_rows(rows: IntArray) -> list[Fraction]:
        values = []
        for row in rows.tolist():
            parts = [
                Fraction(int(c.num[row]), int(np.asarray(c.den)[row] if isinstance(c.den, np.ndarray) else c.den))
                for c in cols
                if c.num is not None
            ]
            values.append(sum(parts, Fraction(0)) / len(cols))
        return values

    return NumCol(known, None, 1, np.asarray(approx, dtype=np.float64), np.asarray(error), exact_rows)


def _latest(cols: list[NumCol]) -> NumCol:
    """Per row, the first known value in the order the offsets are listed (most recent first)."""
    known = np.zeros_like(cols[0].known)
    num = np.zeros(known.shape, dtype=np.int64)
    den = np.ones(known.shape, dtype=np.int64)
    for c in cols:
        assert c.num is not None
        take = c.known & ~known
        num = np.where(take, c.num, num)
        den = np.where(take, c.den, den)
        known |= c.known
    return NumCol(known, num, den)


def combine_flags(cols: list[FlagCol], how: str) -> FlagCol:
    """Kleene any / all; `latest` takes the first known year."""
    if how == "latest":
        known = np.zeros_like(cols[0].known)
        value = np.zeros_like(cols[0].value)
        for c in cols:
            take = c.known & ~known
            value = np.where(take, c.value, value)
            known |= c.known
        return FlagCol(known, value)
    decisive = how == "any"
    hit = np.logical_or.reduce([c.known & (c.value == decisive) for c in cols])
    all_known = np.logical_and.reduce([c.known for c in cols])
    return FlagCol(hit | all_known, np.where(hit, decisive, not decisive))
