"""The example bank client's own signature check agrees with ours (and refuses a tampered body)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from shared.webhooks import generate_secret, signed_headers

spec = importlib.util.spec_from_file_location("bank_client", Path(__file__).parents[3] / "examples" / "bank_client.py")
assert spec is not None and spec.loader is not None
bank_client = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bank_client)


def test_the_example_verifies_our_signatures_during_rotation() -> None:
    old, new = generate_secret(), generate_secret()
    body = b'{"type":"finance.need.shared","data":{}}'
    headers = signed_headers([new, old], "fe_1", body)
    bank_client.verify([old], headers, body)
    bank_client.verify([new], headers, body)
    with pytest.raises(ValueError):
        bank_client.verify([new], headers, body.replace(b"shared", b"closed"))
    with pytest.raises(ValueError):
        bank_client.verify([generate_secret()], headers, body)
