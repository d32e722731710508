"""The coverage figure: the share of SRDI enterprises that have an officer and were served (a
service record) in the last quarter — per prefecture and overall, against the 80% target."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

TARGET = Decimal("0.80")
SRDI_TIERS = frozenset({"srdi_sme", "little_giant", "single_champion"})


def quarter_label(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_bounds(label: str) -> tuple[date, date]:
    """First and last day of a calendar quarter named like ``2026Q4``."""
    year, quarter = int(label[:4]), int(label[5:])
    if label[4] != "Q" or not 1 <= quarter <= 4:
        raise ValueError(label)
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1) - timedelta(days=1)
    return start, end


def trailing_quarter(today: date) -> tuple[date, date]:
    """The last quarter counted back from today: the 92 days ending today."""
    return today - timedelta(days=91), today


def is_srdi(recognitions: list[dict[str, object]], today: date) -> bool:
    return any(r.get("tier") in SRDI_TIERS and str(r.get("valid_to", "")) >= today.isoformat() for r in recognitions)


@dataclass
class CoverageCount:
    srdi_enterprises: int = 0
    with_officer: int = 0
    served_last_quarter: int = 0

    @property
    def coverage(self) -> Decimal:
        if not self.srdi_enterprises:
            return Decimal("0.0000")
        return (Decimal(self.served_last_quarter) / Decimal(self.srdi_enterprises)).quantize(
            Decimal("0.0001"), ROUND_HALF_UP
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "srdi_enterprises": self.srdi_enterprises,
            "with_officer": self.with_officer,
            "served_last_quarter": self.served_last_quarter,
            "coverage": str(self.coverage),
            "meets_target": self.coverage >= TARGET,
        }
