"""Eligibility route dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.eligibility.config import EligibilitySettings
from services.eligibility.domain.rulebook import RuleBook
from shared.service import ServiceRuntime

Runtime = ServiceRuntime[EligibilitySettings]
RULE_BOOK = "rule_book"  # the key of the rule book in the runtime's state (built at start-up)


def runtime(request: Request) -> Runtime:
    hosted: Runtime = request.app.state.runtime
    return hosted


def rule_book_of(runtime: Runtime) -> RuleBook:
    """The rule book `on_start` built (read and validated once)."""
    book: RuleBook = runtime.state[RULE_BOOK]
    return book


def rule_book(request: Request) -> RuleBook:
    return rule_book_of(request.app.state.runtime)


RuntimeDep = Annotated[Runtime, Depends(runtime)]
RuleBookDep = Annotated[RuleBook, Depends(rule_book)]
