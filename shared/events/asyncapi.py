"""Generate the AsyncAPI 3.0 document of the event catalogue (``docs/asyncapi.yaml``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from shared.config import REPO_ROOT
from shared.events.catalogue import CATALOGUE, IntegrationEvent
from shared.events.envelope import topic_for_source

ASYNCAPI_PATH = REPO_ROOT / "docs" / "asyncapi.yaml"

_ENVELOPE_HEADERS = {
    "type": "object",
    "description": "CloudEvents 1.0 attributes (structured mode: the whole envelope is the Kafka value; "
    "the Kafka key is `subject`).",
    "required": ["specversion", "id", "source", "type", "subject", "time", "data"],
}


def _message_name(event: type[IntegrationEvent]) -> str:
    return event.TYPE.removeprefix("srdi.").replace(".", "_")


def _payload(event: type[IntegrationEvent]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["specversion", "id", "source", "type", "subject", "time", "data"],
        "properties": {
            "specversion": {"const": "1.0"},
            "id": {"type": "string", "format": "uuid"},
            "source": {"const": f"/srdi/{event.SOURCE}"},
            "type": {"const": event.TYPE},
            "subject": {"type": "string", "description": f"the event's `{event.SUBJECT_FIELD}`; the partition key"},
            "time": {"type": "string", "format": "date-time"},
            "datacontenttype": {"const": "application/json"},
            "traceparent": {"type": ["string", "null"], "description": "W3C trace context"},
            "data": event.model_json_schema(ref_template="#/components/schemas/{model}"),
        },
    }


def build_asyncapi() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for event in CATALOGUE.values():
        name = _message_name(event)
        payload = _payload(event)
        schemas.update(payload["properties"]["data"].pop("$defs", {}))
        messages[name] = {
            "name": event.TYPE,
            "title": event.__name__,
            "summary": event.SUMMARY,
            "contentType": "application/json",
            "payload": payload,
        }
        channel = topic_for_source(event.SOURCE)
        channels.setdefault(
            channel,
            {
                "address": channel,
                "messages": {},
                "description": f"Events of the {event.SOURCE} service, keyed by subject.",
            },
        )
        channels[channel]["messages"][name] = {"$ref": f"#/components/messages/{name}"}
    for channel in channels:
        operations[f"publish_{channel.replace('.', '_')}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel}"},
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "SRDI platform events / 专精特新平台事件目录",
            "version": "1.0.0",
            "description": "Generated from shared/events/catalogue.py by `srdi asyncapi`. Do not edit by hand.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "kafka": {
                "host": "127.0.0.1:19092",
                "protocol": "kafka",
                "description": "local broker (deploy/local/kafka.sh)",
            }
        },
        "channels": dict(sorted(channels.items())),
        "operations": dict(sorted(operations.items())),
        "components": {"messages": messages, "schemas": dict(sorted(schemas.items()))},
    }


def render_asyncapi() -> str:
    return yaml.safe_dump(build_asyncapi(), allow_unicode=True, sort_keys=False, width=110)


def write_asyncapi(path: Path = ASYNCAPI_PATH) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_asyncapi())
    return path


if __name__ == "__main__":
    write_asyncapi()
