"""Facts as columns, for the batch path: the layout (`layout.py`, derived from the metric
declarations), `Facts` → columns (`encode.py`), a row back to `Facts` (`decode.py`), and seeded
synthetic populations for benchmarks (`synthetic.py`)."""

from services.eligibility.domain.columns.layout import Categorical, FactsColumns
from services.eligibility.domain.columns.synthetic import synthetic_columns
from services.eligibility.domain.facts.industry import decode_industry, encode_industry

__all__ = ["Categorical", "FactsColumns", "decode_industry", "encode_industry", "synthetic_columns"]
