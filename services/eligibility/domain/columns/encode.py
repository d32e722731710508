"""`Facts` → `FactsColumns`: each declared column reads its path; the dated entries fill their arrays."""

from __future__ import annotations

from typing import Any

import numpy as np

from services.eligibility.domain.columns.layout import (
    FINANCIAL_YEARS,
    SCORE_YEARS,
    UNRANKED,
    Categorical,
    FactsColumns,
    columns_of,
)
from services.eligibility.domain.facts.model import Facts
from services.eligibility.domain.facts.readers import MISSING, PER_YEAR_GROUPS, SCORE_SCALE, getter, to_scaled, tri
from services.eligibility.domain.vocabulary import AWARD_LEVELS, MAKER_CHINA_GROUPS

ROW_COLUMNS = [(c, getter(c.path)) for g in ("ints", "flags", "choices", "ratios") for c in columns_of(g)]  # type: ignore[arg-type]
YEAR_COLUMNS = [c for g in PER_YEAR_GROUPS for c in columns_of(g)]


def encode(facts: list[Facts], assessment_year: int) -> FactsColumns:
    columns = FactsColumns.empty(len(facts), assessment_year)
    features: dict[str, list[str | bool | int | None]] = {}
    for row, item in enumerate(facts):
        _fill_row(columns, row, item)
        for key, value in item.province_features.items():
            features.setdefault(key, [None] * len(facts))[row] = value
    columns.province = {key: _categorical(values) for key, values in features.items()}
    return columns


def _categorical(values: list[str | bool | int | None]) -> Categorical:
    categories = tuple(dict.fromkeys(v for v in values if v is not None))
    index = {category: i for i, category in enumerate(categories)}
    codes = np.array([-1 if v is None else index[v] for v in values], dtype=np.int16)
    return Categorical(codes, categories)


def _group(c: FactsColumns, group: str) -> dict[str, Any]:
    return getattr(c, group)  # type: ignore[no-any-return]


def _fill_row(c: FactsColumns, row: int, facts: Facts) -> None:
    year = c.assessment_year
    for column, get in ROW_COLUMNS:
        value = get(facts)
        _group(c, column.group)[column.name][row] = -1 if value is MISSING else column.encode(value, year)
    _fill_financials(c, row, facts)
    _fill_events(c, row, facts)


def _fill_financials(c: FactsColumns, row: int, facts: Facts) -> None:
    for index in range(FINANCIAL_YEARS):
        entry = facts.year(c.assessment_year - 1 - index)
        if entry is None:
            continue
        for column in YEAR_COLUMNS:
            value = getattr(entry, column.path)
            if column.group == "money":
                if value is not None:
                    c.money[column.name][row, index] = column.encode(value, c.assessment_year)
                    c.money_known[column.name][row, index] = True
            else:
                c.counts[column.name][row, index] = column.encode(value, c.assessment_year)
        c.audited[row, index] = tri(entry.audited)


def _fill_events(c: FactsColumns, row: int, facts: Facts) -> None:
    for award in facts.awards:
        index = c.assessment_year - award.year - 1
        if 0 <= index < FINANCIAL_YEARS:
            level = AWARD_LEVELS.index(award.level)
            rank = UNRANKED if award.rank is None else award.rank
            current = c.award_rank[row, level, index]
            c.award_rank[row, level, index] = rank if current == 0 else min(current, rank)
    for entry in facts.maker_china:
        index = c.assessment_year - entry.year - 1
        if 0 <= index < FINANCIAL_YEARS:
            c.maker_china[row, index] |= 1 << MAKER_CHINA_GROUPS.index(entry.group)
    for score in facts.evaluation_scores:
        index = c.assessment_year - score.year
        if 0 <= index < SCORE_YEARS:
            c.scores[row, index] = to_scaled(score.score, SCORE_SCALE, "evaluation score")
            c.scores_known[row, index] = True
