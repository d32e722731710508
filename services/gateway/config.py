"""Gateway settings (env prefix SRDI_): ``SRDI_SERVICE_URLS`` (distributed) plus the shared ones."""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field, field_validator

from shared.config import ServiceSettings


class GatewaySettings(ServiceSettings):
    # {"registry": "http://127.0.0.1:8101", ...}; empty in embedded mode (services run in-process).
    service_urls: dict[str, str] = Field(default_factory=dict)
    upstream_timeout_seconds: float = 30.0
    demo_keys: bool = True

    @field_validator("service_urls", mode="before")
    @classmethod
    def _parse_json(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value
