"""The vectorised path: every enterprise in a `FactsColumns`, every tier, at once (`assess.py`)."""

from services.eligibility.domain.batch.assess import TierColumns, assess_batch, row_outcome

__all__ = ["TierColumns", "assess_batch", "row_outcome"]
