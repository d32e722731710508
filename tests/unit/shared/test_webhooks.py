"""Standard Webhooks signing, checked against the independent ``standardwebhooks`` package."""

from __future__ import annotations

import base64
import ipaddress
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError as TheirError

from shared import webhooks
from shared.webhooks import (
    WebhookVerificationError,
    encode_body,
    generate_secret,
    sign,
    signed_headers,
    validate_url,
    verify,
)

BODY = encode_body({"type": "srdi.finance.need.posted.v1", "data": {"amount": "5000000.00", "名称": "昆明"}})


def test_a_generated_secret_is_whsec_base64_of_32_bytes() -> None:
    secret = generate_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert generate_secret() != secret


def test_our_signature_is_accepted_by_the_reference_implementation() -> None:
    secret = generate_secret()
    headers = signed_headers([secret], "msg_2fK1", BODY)
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(BODY, headers)["data"]["名称"] == "昆明"


def test_the_reference_signature_equals_ours_for_the_same_inputs() -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    ts = 1_700_000_000
    theirs = Webhook(secret).sign("msg_p5jXN8AQM9LWM0D4loKWxJek", datetime.fromtimestamp(ts, UTC), BODY)
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", ts, BODY) == theirs


def test_a_tampered_body_or_the_wrong_secret_is_refused_by_both() -> None:
    secret, other = generate_secret(), generate_secret()
    headers = signed_headers([secret], "msg_1", BODY)
    with pytest.raises(TheirError):
        Webhook(secret).verify(BODY.replace("5000000", "9000000"), headers)
    with pytest.raises(TheirError):
        Webhook(other).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        verify(secret, headers, BODY.replace("5000000", "9000000"))
    with pytest.raises(WebhookVerificationError):
        verify(other, headers, BODY)
    verify(secret, headers, BODY)


def test_during_rotation_both_secrets_verify() -> None:
    old, new = generate_secret(), generate_secret()
    headers = signed_headers([new, old], "msg_rot", BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(new).verify(BODY, headers)
    Webhook(old).verify(BODY, headers)
    verify([old], headers, BODY)
    with pytest.raises(TheirError):
        Webhook(generate_secret()).verify(BODY, headers)


def test_a_stale_timestamp_is_refused() -> None:
    secret = generate_secret()
    headers = signed_headers([secret], "msg_old", BODY, timestamp=int(time.time()) - 600)
    with pytest.raises(TheirError):
        Webhook(secret).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        verify(secret, headers, BODY)


def test_a_short_or_malformed_secret_is_rejected() -> None:
    with pytest.raises(ValueError):
        sign("whsec_" + base64.b64encode(b"short").decode(), "m", 1, BODY)
    with pytest.raises(ValueError):
        sign("whsec_not base64!", "m", 1, BODY)


def test_urls_must_be_http_and_may_be_kept_off_internal_hosts() -> None:
    assert validate_url("https://bank.example.cn/hooks") == "https://bank.example.cn/hooks"
    assert validate_url("http://127.0.0.1:9000/hook")  # allowed unless asked otherwise
    for bad in ("ftp://bank.example.cn/x", "/relative", "https://"):
        with pytest.raises(ValueError):
            validate_url(bad)
    for internal in ("http://127.0.0.1/x", "http://localhost:8000/x", "http://10.1.2.3/x", "http://[::1]/x",
                     "http://169.254.169.254/latest/meta-data", "http://192.168.0.8/x"):  # fmt: skip
        with pytest.raises(ValueError):
            validate_url(internal, allow_private=False)
    assert validate_url("https://203.0.113.9/x", allow_private=True)
    assert validate_url("https://bank.example.cn/x", allow_private=False)


def test_pinning_keeps_scheme_path_port_and_names_the_host_for_tls() -> None:
    v4, v6 = ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("2606:2800:220:1::1")
    assert webhooks.pin("https://hooks.bank.example/srdi?x=1", v4) == webhooks.PinnedTarget(
        "https://93.184.216.34/srdi?x=1", "hooks.bank.example", "hooks.bank.example")  # fmt: skip
    assert webhooks.pin("http://hooks.bank.example:8443/a", v6) == webhooks.PinnedTarget(
        "http://[2606:2800:220:1::1]:8443/a", "hooks.bank.example:8443", "hooks.bank.example")  # fmt: skip
