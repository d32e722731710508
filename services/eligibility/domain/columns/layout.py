"""Facts as columns (numpy), for re-assessing many enterprises at once: the layout.

Every value is an exact integer so that band edges compare exactly in the batch path:
money in fen (int64), ratios supplied as facts in millionths, the MIIT score in hundredths. Unknown
values are marked: a `known` mask for money, -1 for counts, ranks, codes and tri-state flags
(-1 unknown, 0 false, 1 true).

Years are offsets from the assessment year, fixed when the columns are built: index 0 of a (n, 3)
financial column is year Y-1, index 2 is Y-3. The evaluation score column runs Y, Y-1, Y-2.

The named columns (money, counts, ints, flags, choices, ratios) are the ones the metric declarations
ask for (`facts/metrics.py: COLUMNS`); the dated entries (audit flags, awards, 创客中国, scores,
province features) have fixed arrays here. `encode.py` fills them from `Facts`, `decode.py` reads a
row back, `synthetic.py` generates a population.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from services.eligibility.domain.facts.metrics import COLUMNS
from services.eligibility.domain.facts.readers import MAX_MONEY_FEN, RATIO_SCALE, SCORE_SCALE, Column, Group
from services.eligibility.domain.facts.values import INT64_SAFE
from services.eligibility.domain.vocabulary import AWARD_LEVELS

if TYPE_CHECKING:
    from services.eligibility.domain.facts.model import Facts

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

FINANCIAL_YEARS = 3  # offsets 1..3
SCORE_YEARS = 3  # offsets 0..2
UNRANKED = 2**30  # an award without a rank: counts where no rank is asked, never for "top N"


def names(group: Group) -> tuple[str, ...]:
    return tuple(c.name for c in COLUMNS if c.group == group)


def columns_of(group: Group) -> tuple[Column, ...]:
    return tuple(c for c in COLUMNS if c.group == group)


MONEY_FIELDS = names("money")
COUNT_FIELDS = names("counts")
INT_FIELDS = names("ints")
FLAG_FIELDS = names("flags")
CHOICE_FIELDS = names("choices")
RATIO_FIELDS = names("ratios")

assert MAX_MONEY_FEN * 10**4 < INT64_SAFE  # money × a threshold denominator stays exact in int64


@dataclass
class Categorical:
    """A province feature: codes into `categories`, -1 = not supplied."""

    codes: npt.NDArray[np.int16]
    categories: tuple[str | bool | int, ...]


@dataclass
class FactsColumns:
    assessment_year: int
    size: int
    money: dict[str, IntArray]  # fen, shape (n, 3)
    money_known: dict[str, BoolArray]  # shape (n, 3)
    counts: dict[str, IntArray]  # per year, -1 unknown, shape (n, 3)
    audited: npt.NDArray[np.int8]  # per year, -1/0/1, shape (n, 3)
    ints: dict[str, IntArray]  # -1 unknown
    flags: dict[str, npt.NDArray[np.int8]]  # -1/0/1
    choices: dict[str, npt.NDArray[np.int8]]  # index into the vocabulary, -1 unknown
    ratios: dict[str, IntArray]  # millionths, -1 unknown
    award_rank: npt.NDArray[np.int64]  # (n, levels, 3): best rank per level and year, 0 = none
    maker_china: npt.NDArray[np.int8]  # (n, 3): bit per group
    scores: IntArray  # (n, 3) hundredths, offsets 0..2
    scores_known: BoolArray
    province: dict[str, Categorical] = field(default_factory=dict)

    @classmethod
    def empty(cls, size: int, assessment_year: int) -> FactsColumns:
        def per_year() -> IntArray:
            return np.zeros((size, FINANCIAL_YEARS), dtype=np.int64)

        return cls(
            assessment_year=assessment_year,
            size=size,
            money={f: per_year() for f in MONEY_FIELDS},
            money_known={f: np.zeros((size, FINANCIAL_YEARS), dtype=bool) for f in MONEY_FIELDS},
            counts={f: per_year() - 1 for f in COUNT_FIELDS},
            audited=np.full((size, FINANCIAL_YEARS), -1, dtype=np.int8),
            ints={f: np.full(size, -1, dtype=np.int64) for f in INT_FIELDS},
            flags={f: np.full(size, -1, dtype=np.int8) for f in FLAG_FIELDS},
            choices={f: np.full(size, -1, dtype=np.int8) for f in CHOICE_FIELDS},
            ratios={f: np.full(size, -1, dtype=np.int64) for f in RATIO_FIELDS},
            award_rank=np.zeros((size, len(AWARD_LEVELS), FINANCIAL_YEARS), dtype=np.int64),
            maker_china=np.zeros((size, FINANCIAL_YEARS), dtype=np.int8),
            scores=np.zeros((size, SCORE_YEARS), dtype=np.int64),
            scores_known=np.zeros((size, SCORE_YEARS), dtype=bool),
        )

    @classmethod
    def from_facts(cls, facts: list[Facts], assessment_year: int) -> FactsColumns:
        from services.eligibility.domain.columns.encode import encode

        return encode(facts, assessment_year)

    def to_facts(self, row: int) -> Facts:
        """One row back as `Facts` (used to run the scalar engine on the same data)."""
        from services.eligibility.domain.columns.decode import decode_row

        return decode_row(self, row)


__all__ = ["RATIO_SCALE", "SCORE_SCALE", "Categorical", "FactsColumns"]
