"""Events the notifications service produces (topic ``srdi.notifications.events``)."""

from __future__ import annotations

from datetime import date, datetime

from shared.events.catalogue.base import IntegrationEvent


class OfficerAssigned(IntegrationEvent):
    TYPE = "srdi.notifications.officer.assigned.v1"
    SOURCE = "notifications"
    SUMMARY = (
        "An enterprise got its (new) one-to-one service officer; registry and eligibility project it to "
        "give the officer read access to the enterprise."
    )
    uscc: str
    officer_id: str
    previous_officer_id: str | None
    prefecture_code: str
    assigned_at: datetime


class RequestEscalated(IntegrationEvent):
    TYPE = "srdi.notifications.request.escalated.v1"
    SOURCE = "notifications"
    SUMMARY = "A service request (诉求) stayed unanswered past its deadline and went to the prefecture operator."
    uscc: str
    request_id: str
    officer_id: str | None
    prefecture_code: str
    deadline: date
    escalated_at: datetime
