"""The scalar engine, one enterprise at a time, with explanations: `assess.py` (tiers and routes),
`evaluation.py` (conditions, three-valued), `scoring.py` (indicators and bands), `gaps.py`
(shortfalls in the enterprise's own numbers), `display.py` (how values read), `results.py` (what it returns)."""

from services.eligibility.domain.engine.assess import assess, select_rule_set

__all__ = ["assess", "select_rule_set"]
