"""Prometheus metrics shared by every service (labelled by service, so the embedded process that
hosts them all still tells them apart)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter("srdi_http_requests_total", "HTTP requests handled", ["service", "method", "route", "status"])
HTTP_LATENCY = Histogram("srdi_http_request_seconds", "HTTP request latency", ["service", "method", "route"])
EVENTS_PUBLISHED = Counter("srdi_events_published_total", "Outbox rows published", ["service"])
EVENTS_CONSUMED = Counter("srdi_events_consumed_total", "Events handled by consumers", ["consumer", "type", "outcome"])
EVENTS_DEAD_LETTERED = Counter(
    "srdi_events_dead_lettered_total", "Events sent to the dead-letter store", ["consumer", "type"]
)
WEBHOOK_ATTEMPTS = Counter(
    "srdi_webhook_attempts_total", "Outgoing webhook delivery attempts", ["owner_service", "outcome"]
)
