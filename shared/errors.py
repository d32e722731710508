"""Use cases' refusals, free of any framework: a use case raises one of these, and the edge (every
service app, `shared.service.add_service_defaults`) answers it as RFC 9457 problem+json.

Each carries a stable code, a bilingual title and an optional detail; the class says which HTTP
status the edge gives it.
"""

from __future__ import annotations


class DomainError(Exception):
    status = 400

    def __init__(self, code: str, title: str, title_zh: str, detail: str = "", detail_zh: str = "") -> None:
        super().__init__(f"{code}: {detail or title}")
        self.code, self.title, self.title_zh, self.detail, self.detail_zh = code, title, title_zh, detail, detail_zh


class Invalid(DomainError):
    """The request breaks a rule the use case checks (beyond the shape of its fields)."""

    status = 422


class BadRequest(DomainError):
    status = 400


class Forbidden(DomainError):
    status = 403

    def __init__(self, detail: str = "", detail_zh: str = "") -> None:
        super().__init__("forbidden", "Forbidden", "无权访问", detail, detail_zh)


class NotFound(DomainError):
    status = 404

    def __init__(self, what_en: str, what_zh: str) -> None:
        super().__init__("not-found", f"{what_en} not found", f"未找到{what_zh}")


class Conflict(DomainError):
    status = 409


class Stale(DomainError):
    """Optimistic concurrency: the thing changed since the caller read it (If-Match)."""

    status = 412
