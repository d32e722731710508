"""Facts and metrics: what an assessment reads.

- `model.py`     the facts of one enterprise (the evaluate contract's `profile`), plain dataclasses.
- `metrics.py`   every metric, declared once: name, label, years, the facts it reads and how.
- `readers.py`   the shapes of reading most metrics share (a year's amount, a ratio, a flag, …),
                 each giving the scalar value, the vectorised value and the batch columns.
- `values.py`    the vectorised values (exact rationals over numpy) and their comparison.
- `industry.py`  GB/T 4754 codes and the size class of the SME standard.
"""

from services.eligibility.domain.facts.model import (
    Award,
    Champion,
    Compliance,
    EvaluationScore,
    Facts,
    FinancialYear,
    Honour,
    IntellectualProperty,
    MakerChinaEntry,
    ProductField,
    Quality,
    RdInstitution,
    Recognition,
)

__all__ = [
    "Award",
    "Champion",
    "Compliance",
    "EvaluationScore",
    "Facts",
    "FinancialYear",
    "Honour",
    "IntellectualProperty",
    "MakerChinaEntry",
    "ProductField",
    "Quality",
    "RdInstitution",
    "Recognition",
]
