"""One row of `FactsColumns` back as `Facts` (to run the scalar engine on the same data)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from services.eligibility.domain.columns.layout import (
    FINANCIAL_YEARS,
    SCORE_YEARS,
    UNRANKED,
    FactsColumns,
    columns_of,
)
from services.eligibility.domain.facts.model import (
    BLOCKS,
    Award,
    EvaluationScore,
    Facts,
    FinancialYear,
    MakerChinaEntry,
)
from services.eligibility.domain.facts.readers import PER_YEAR_GROUPS, SCORE_SCALE, from_tri
from services.eligibility.domain.vocabulary import AWARD_LEVELS, MAKER_CHINA_GROUPS

ROW_COLUMNS = [c for g in ("ints", "flags", "choices", "ratios") for c in columns_of(g)]  # type: ignore[arg-type]
YEAR_COLUMNS = [c for g in PER_YEAR_GROUPS for c in columns_of(g)]


def decode_row(c: FactsColumns, row: int) -> Facts:
    year = c.assessment_year
    top: dict[str, Any] = {}
    blocks: dict[str, dict[str, Any]] = {}
    known: set[str] = set()
    for column in ROW_COLUMNS:
        code = int(getattr(c, column.group)[column.name][row])
        value = column.decode(code, year)
        if "." in column.path:
            block, attr = column.path.split(".")
            blocks.setdefault(block, {})[attr] = value
            if code >= 0:
                known.add(block)
        else:
            top[column.path] = value
    for block, values in blocks.items():
        top[block] = BLOCKS[block](**values) if block in known else None
    return Facts(
        **top,
        financials=_financials(c, row),
        awards=_awards(c, row),
        maker_china=tuple(
            MakerChinaEntry(year - 1 - i, group)
            for i in range(FINANCIAL_YEARS)
            for b, group in enumerate(MAKER_CHINA_GROUPS)
            if c.maker_china[row, i] & (1 << b)
        ),
        province_features={
            k: cat.categories[int(cat.codes[row])] for k, cat in c.province.items() if cat.codes[row] >= 0
        },
        evaluation_scores=tuple(
            EvaluationScore(year - i, Decimal(int(c.scores[row, i])) / SCORE_SCALE)
            for i in range(SCORE_YEARS)
            if c.scores_known[row, i]
        ),
    )


def _financials(c: FactsColumns, row: int) -> tuple[FinancialYear, ...]:
    years = []
    for index in range(FINANCIAL_YEARS):
        values: dict[str, Any] = {}
        for column in YEAR_COLUMNS:
            if column.group == "money":
                known = c.money_known[column.name][row, index]
                values[column.path] = column.decode(int(c.money[column.name][row, index]), 0) if known else None
            else:
                values[column.path] = column.decode(int(c.counts[column.name][row, index]), 0)
        audited = from_tri(int(c.audited[row, index]))
        if any(v is not None for v in values.values()) or audited is not None:
            years.append(FinancialYear(c.assessment_year - 1 - index, **values, audited=audited))
    return tuple(years)


def _awards(c: FactsColumns, row: int) -> tuple[Award, ...]:
    awards = []
    for level_index, level in enumerate(AWARD_LEVELS):
        for index in range(FINANCIAL_YEARS):
            rank = int(c.award_rank[row, level_index, index])
            if rank:
                awards.append(Award(level, c.assessment_year - 1 - index, None if rank == UNRANKED else rank))
    return tuple(awards)
