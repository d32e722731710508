"""``serialise_batch`` writes the bytes pydantic writes for the same envelope: the outbox's JSON must
not depend on which path an event took (an import batch or a single write)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.events.catalogue.base import IntegrationEvent
from shared.events.catalogue.registry import EnterpriseRegistered, EnterpriseSnapshot, FinancialsReported
from shared.events.envelope import Envelope
from shared.events.serialised import PreparedEvent, serialise_batch


def snapshot(uscc: str, name: str) -> EnterpriseSnapshot:
    return EnterpriseSnapshot.model_validate({
        "uscc": uscc, "name": name, "prefecture_code": "5301", "county_code": "530102", "industry_code": "C1530",
        "financials": [{"year": 2025, "operating_revenue": Decimal("12345.60"), "employees": 12}],
        "facts": {"note": "引号\" and \\ backslash"},
    })  # fmt: skip


EVENTS: list[IntegrationEvent] = [
    EnterpriseRegistered(uscc="915303041XG000007T", enterprise=snapshot("915303041XG000007T", "云南春城科技有限公司")),
    EnterpriseRegistered(uscc="91530100MA6K4QWX2B", enterprise=snapshot("91530100MA6K4QWX2B", "Kunming Tea Co.")),
    FinancialsReported.model_validate({
        "uscc": "91530100MA6K4QWX2B", "year": 2025, "report": {"year": 2025, "employees": 3},
        "enterprise": snapshot("91530100MA6K4QWX2B", "x"),
    }),
    # a subject JSON must escape: serialised in full rather than through the type's template
    EnterpriseRegistered(uscc='９１"5\\', enterprise=snapshot("915303041XG000007T", "引号")),
]


@pytest.mark.parametrize("traceparent", [None, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"])
@pytest.mark.parametrize("prepared", [False, True])
def test_batch_envelopes_are_byte_for_byte_pydantics(traceparent: str | None, prepared: bool) -> None:
    given = [PreparedEvent.of(event) for event in EVENTS] if prepared else EVENTS
    envelopes = serialise_batch(given, traceparent)
    assert len({envelope.id for envelope in envelopes}) == len(EVENTS)
    for event, written in zip(EVENTS, envelopes, strict=True):
        parsed = Envelope.model_validate_json(written.json)
        expected = event.to_envelope(traceparent).model_copy(update={"id": written.id, "time": parsed.time})
        assert written.json == expected.model_dump_json().encode()
        assert (written.id, written.type, written.subject) == (parsed.id, event.TYPE, event.model_dump()["uscc"])
        assert type(event).from_envelope(parsed) == event
