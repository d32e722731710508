"""Rule files and their loading: `ruleset.py` is the shape of a rule file (pydantic), `loading.py`
reads a directory of them into a `RuleBook` and picks the version in force on a date, `checks.py`
checks a file's meaning after its shape, `yaml_marks.py` remembers lines so errors can name them."""

from services.eligibility.domain.rulebook.loading import (
    RULES_DIR,
    RuleBook,
    RuleSet,
    default_rule_book,
    load_model,
    load_rule_book,
    reference_date,
)

__all__ = ["RULES_DIR", "RuleBook", "RuleSet", "default_rule_book", "load_model", "load_rule_book", "reference_date"]
