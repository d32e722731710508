"""The lifecycle of a service request (企业诉求): submitted → accepted → resolved → closed."""

from __future__ import annotations

from enum import StrEnum

CATEGORIES = ("financing", "policy", "technology", "talent", "market", "land", "other")
RECORD_KINDS = ("visit", "call", "training", "diagnosis")


class RequestStatus(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RESOLVED = "resolved"
    CLOSED = "closed"


# action → (from, to)
TRANSITIONS: dict[str, tuple[RequestStatus, RequestStatus]] = {
    "accept": (RequestStatus.SUBMITTED, RequestStatus.ACCEPTED),
    "resolve": (RequestStatus.ACCEPTED, RequestStatus.RESOLVED),
    "close": (RequestStatus.RESOLVED, RequestStatus.CLOSED),
}


class IllegalTransition(Exception):
    def __init__(self, action: str, status: str) -> None:
        super().__init__(f"cannot {action} a request that is {status}")
        self.action = action
        self.status = status


def transition(status: str, action: str) -> RequestStatus:
    if action not in TRANSITIONS:
        raise IllegalTransition(action, status)
    source, target = TRANSITIONS[action]
    if status != source:
        raise IllegalTransition(action, status)
    return target
