"""Events the finance_match service produces (topic ``srdi.finance_match.events``).

Every life-cycle transition of a financing need (融资需求) is one event; each carries the enterprise
(``uscc``, the subject), the need, its prefecture, its new state, the bank where one applies and the
amount where one applies (yuan, Decimal).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import Field

from shared.events.catalogue.base import IntegrationEvent


class _NeedEvent(IntegrationEvent):
    SOURCE = "finance_match"
    uscc: str
    need_id: str
    prefecture_code: str
    state: str
    bank_id: str | None = None
    amount: Decimal | None = None
    occurred_at: datetime


class NeedPosted(_NeedEvent):
    TYPE = "srdi.finance.need.posted.v1"
    SUMMARY = "An enterprise posted a financing need (amount requested)."
    term_months: int
    product_types: list[str] = Field(default_factory=list)


class NeedMatched(_NeedEvent):
    TYPE = "srdi.finance.need.matched.v1"
    SUMMARY = "A need was matched (or re-ranked) and distributed to the top matches and the paired bank."
    bank_ids: list[str]
    top_product_ids: list[str]
    trigger: str = "posted"


class NeedAccepted(_NeedEvent):
    TYPE = "srdi.finance.need.accepted.v1"
    SUMMARY = "A bank accepted the need (受理) within or past its committed working days."
    response_working_days: int


class NeedApproved(_NeedEvent):
    TYPE = "srdi.finance.need.approved.v1"
    SUMMARY = "The accepting bank approved a loan (amount approved, annual rate, term)."
    rate_percent: Decimal
    term_months: int


class NeedDisbursed(_NeedEvent):
    TYPE = "srdi.finance.need.disbursed.v1"
    SUMMARY = "The loan was disbursed (放款; amount disbursed)."
    disbursed_on: date


class NeedDeclined(_NeedEvent):
    TYPE = "srdi.finance.need.declined.v1"
    SUMMARY = "The need was declined (by the accepting bank, or by every bank it was shared with)."
    reason_code: str


class NeedWithdrawn(_NeedEvent):
    TYPE = "srdi.finance.need.withdrawn.v1"
    SUMMARY = "The enterprise withdrew its need."


class NeedExpired(_NeedEvent):
    TYPE = "srdi.finance.need.expired.v1"
    SUMMARY = "The need passed the date the money was needed by without being accepted."


class NeedOverdue(_NeedEvent):
    TYPE = "srdi.finance.need.overdue.v1"
    SUMMARY = "A bank let its committed response time (working days) pass without accepting or declining."
    due_on: date


class PairingAssigned(IntegrationEvent):
    TYPE = "srdi.finance.pairing.assigned.v1"
    SOURCE = "finance_match"
    SUMMARY = "An SRDI enterprise got a paired bank (结对银行): first assignment, change or operator override."
    uscc: str
    bank_id: str
    previous_bank_id: str | None
    prefecture_code: str
    state: str = "paired"
    reason: str
    occurred_at: datetime
