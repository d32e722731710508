"""Kept for older imports (the property test's): the vectorised values and every metric's vector side.

Metrics are declared in `facts/metrics.py`; the value types are in `facts/values.py`.
"""

from services.eligibility.domain.facts.metrics import VECTOR_METRICS
from services.eligibility.domain.facts.values import ChoiceCol, Col, FlagCol, NumCol, compare

__all__ = ["VECTOR_METRICS", "ChoiceCol", "Col", "FlagCol", "NumCol", "compare"]
