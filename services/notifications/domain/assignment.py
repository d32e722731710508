"""Choosing an officer for an enterprise: same prefecture, least loaded relative to capacity."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class OfficerLoad:
    officer_id: str
    capacity: int
    load: int

    @property
    def utilisation(self) -> Fraction:
        return Fraction(self.load, max(self.capacity, 1))


def choose_officer(candidates: list[OfficerLoad], exclude: str | None = None) -> OfficerLoad | None:
    """The officer to take one more enterprise: below capacity first, then the lowest utilisation,
    then the fewest enterprises, then the id (so the choice is deterministic). With everyone full
    the least utilised still gets it — an enterprise is never left without an officer for lack of room."""
    pool = [c for c in candidates if c.officer_id != exclude]
    if not pool:
        return None
    return min(pool, key=lambda c: (c.load >= c.capacity, c.utilisation, c.load, c.officer_id))
