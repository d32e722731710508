"""Choosing a paired bank (结对银行) for an SRDI enterprise (pure).

Candidates are the banks with a branch in the enterprise's prefecture and spare capacity. The one
chosen has the lowest load relative to its capacity (enterprises paired ÷ capacity), then the fewest
enterprises, then the lowest bank id — so assignments spread evenly across the banks of a prefecture
and the same inputs always give the same bank.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class BankCapacity:
    bank_id: str
    prefectures: frozenset[str]
    capacity: int  # the most enterprises the bank will be paired with, province-wide


def choose_bank(
    prefecture_code: str,
    banks: Iterable[BankCapacity],
    load: Mapping[str, int],
    exclude: frozenset[str] = frozenset(),
) -> str | None:
    candidates = [
        b
        for b in banks
        if prefecture_code in b.prefectures and b.capacity > load.get(b.bank_id, 0) and b.bank_id not in exclude
    ]
    if not candidates:
        return None
    best = min(
        candidates, key=lambda b: (Fraction(load.get(b.bank_id, 0), b.capacity), load.get(b.bank_id, 0), b.bank_id)
    )
    return best.bank_id


def assign_all(
    enterprises: Iterable[tuple[str, str]], banks: Iterable[BankCapacity], load: Mapping[str, int]
) -> dict[str, str | None]:
    """Pair each (uscc, prefecture) in turn, updating the load as it goes."""
    bank_list = list(banks)
    current = dict(load)
    result: dict[str, str | None] = {}
    for uscc, prefecture in enterprises:
        chosen = choose_bank(prefecture, bank_list, current)
        result[uscc] = chosen
        if chosen is not None:
            current[chosen] = current.get(chosen, 0) + 1
    return result
