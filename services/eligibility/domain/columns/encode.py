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
    national_award_slots,
)
from services.eligibility.domain.facts.metrics import day_number
from services.eligibility.domain.facts.model import Facts
from services.eligibility.domain.facts.readers import MISSING, PER_YEAR_GROUPS, SCORE_SCALE, getter, to_scaled, tri
from services.eligibility.domain.vocabulary import AWARD_KINDS, AWARD_LEVELS, MAKER_CHINA_GROUPS

ROW_COLUMNS = [(c, getter(c.path)) for g in ("ints", "flags", "choices", "ratios") for c in columns_of(g)]  # type: ignore[arg-type]
YEAR_COLUMNS = [c for g in PER_YEAR_GROUPS for c in columns_of(g)]


def encode(facts: list[Facts], assessment_year: int) -> FactsColumns:
    columns = FactsColumns.empty(len(facts), assessment_year)
    slots = max([sum(a.level == "national" for a in item.awards) for item in facts] + [1])
    columns.national_awards = national_award_slots(len(facts), slots)
    features: dict[str, list[str | bool | int | None]] = {}
    for row, item in enumerate(facts):
        _fill_row(columns, row, item)
        for key, value in item.province_features.items():
            features.setdefault(key, [None] * len(facts))[row] = value
    columns.province = {key: _categorical(values) for key, values in features.items()}
    return columns


def encode_fitting(facts: list[Facts], assessment_year: int) -> tuple[FactsColumns, list[int], list[int]]:
    """Like `encode`, for a mixed population: ``(columns, rows, misfits)``. Rows whose facts the batch
    columns cannot hold exactly (money beyond 10^12 yuan — the register accepts up to 10^14 — or a
    value with more decimals than its column) are left out of the columns and listed in ``misfits``
    (indexes into ``facts``) for the scalar engine, which takes any Decimal; ``rows[i]`` is the index
    in ``facts`` of the columns' row ``i``. The common case costs one `encode`."""
    try:
        return encode(facts, assessment_year), list(range(len(facts))), []
    except ValueError:
        pass
    rows, misfits = [], []
    for index, item in enumerate(facts):
        try:
            encode([item], assessment_year)
        except ValueError:
            misfits.append(index)
        else:
            rows.append(index)
    return encode([facts[i] for i in rows], assessment_year), rows, misfits


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
    national = c.national_awards
    for slot, award in enumerate(a for a in facts.awards if a.level == "national"):
        national["rank"][row, slot] = UNRANKED if award.rank is None else award.rank
        national["kind"][row, slot] = -1 if award.kind is None else AWARD_KINDS.index(award.kind)
        certificate = award.certificate_date
        national["certificate"][row, slot] = -1 if certificate is None else day_number(certificate)
        national["year"][row, slot] = award.year
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
