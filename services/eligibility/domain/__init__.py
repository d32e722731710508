"""The eligibility domain: pure rules and engines, no framework, no database.

Where to start reading:

- `facts.py`            the facts one assessment needs (the evaluate contract's `profile`).
- `../rules/*.yaml`     the tier rule sets as data; `ruleset.py` is their shape, `rulebook.py` loads them
                        (`load_rule_book`, `default_rule_book`) and picks the version in force on a date.
- `engine.py`           `assess(facts, year, …) -> list[TierResult]`: the scalar path, with explanations
                        (`evaluation.py` conditions, `scoring.py` indicators, `gaps.py` shortfalls).
- `batch.py`            `assess_batch(columns, …)`: the vectorised path over `columns.FactsColumns`.
- `roadmap.py`          `build_roadmap(facts, year, …)`: 施工路线图 from the measures in `../rules/measures.yaml`.
- `seedbank.py`         `build_seed_bank(candidates, year, tier, …)`: ranked seed banks sized to Yunnan's targets.

Metrics (what a rule leaf reads) are listed once in `metric_catalogue.py` and implemented twice:
`metrics.py` (scalar, exact `Fraction`s) and `vector_metrics.py` (numpy, exact integer cross-multiplication).
"""
