"""The upstream request the proxy builds: the caller's path and query as sent, the client's timeouts,
and nothing the shared client picked up from earlier answers (cookies)."""

from __future__ import annotations

import httpx

from services.gateway.api.routes.proxy import forwarded_request


def test_the_query_string_is_forwarded_as_sent_with_repeated_names() -> None:
    client = httpx.AsyncClient(base_url="http://127.0.0.1:8101", timeout=httpx.Timeout(7.0, connect=2.0))
    request = forwarded_request(client, "GET", "/api/v1/registry/a b/中文", b"x=1&x=2&q=%E4%B8%AD", {"a": "1"}, None)
    assert str(request.url) == "http://127.0.0.1:8101/api/v1/registry/a%20b/%E4%B8%AD%E6%96%87?x=1&x=2&q=%E4%B8%AD"
    assert request.extensions["timeout"] == {"connect": 2.0, "read": 7.0, "write": 7.0, "pool": 7.0}
    assert request.headers["a"] == "1" and "content-length" not in request.headers


def test_cookies_an_upstream_set_are_not_sent_on_behalf_of_the_next_caller() -> None:
    client = httpx.AsyncClient(base_url="http://registry")
    client.cookies.set("session", "someone-elses")
    request = forwarded_request(client, "POST", "/api/v1/registry/enterprises", b"", {}, b'{"a": 1}')
    assert "cookie" not in request.headers
    assert request.headers["content-length"] == "8"


def test_a_service_under_a_path_keeps_its_prefix() -> None:
    client = httpx.AsyncClient(base_url="http://host/registry-svc")
    request = forwarded_request(client, "GET", "/api/v1/registry/x", b"limit=1", {}, None)
    assert str(request.url) == "http://host/registry-svc/api/v1/registry/x?limit=1"


def test_reserved_characters_the_caller_percent_encoded_stay_encoded() -> None:
    """The ASGI path is decoded: '#', '?', '%' and non-ASCII characters are encoded again, so the
    service sees the same path segment (and the URL is valid) — not a path cut at a '#'."""
    client = httpx.AsyncClient(base_url="http://svc")
    request = forwarded_request(client, "GET", "/api/v1/finance/needs/#𫾲V?x%41", b"", {}, None)
    assert request.url.raw_path == b"/api/v1/finance/needs/%23%F0%AB%BE%B2V%3Fx%2541"
    mounted = forwarded_request(httpx.AsyncClient(base_url="http://host/svc"), "GET", "/a/#b", b"", {}, None)
    assert mounted.url.raw_path == b"/svc/a/%23b"
