from __future__ import annotations

from shared.events.asyncapi import ASYNCAPI_PATH, build_asyncapi, render_asyncapi
from shared.events.catalogue import CATALOGUE


def test_the_committed_asyncapi_document_matches_the_catalogue() -> None:
    assert ASYNCAPI_PATH.read_text() == render_asyncapi(), "run `srdi asyncapi` and commit docs/asyncapi.yaml"


def test_every_catalogued_event_is_a_message_on_its_producers_channel() -> None:
    document = build_asyncapi()
    for event_type, event in CATALOGUE.items():
        channel = document["channels"][f"srdi.{event.SOURCE}.events"]
        names = {
            document["components"]["messages"][ref["$ref"].rsplit("/", 1)[1]]["name"]
            for ref in channel["messages"].values()
        }
        assert event_type in names
        assert event_type.endswith(".v1") or event_type.rsplit(".", 1)[1].startswith("v")
