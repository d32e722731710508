"""API keys: high-entropy random secrets, stored only as SHA-256 hashes.

A key looks like ``srdi_<prefix>_<secret>``; the prefix is stored in clear so an operator can tell
keys apart in a list without the secret ever being kept. SHA-256 (not a slow password hash) is
right here because the secret has 256 bits of entropy: there is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class NewKey:
    plaintext: str
    prefix: str
    key_hash: str


def generate_key() -> NewKey:
    prefix = secrets.token_hex(4)
    plaintext = f"srdi_{prefix}_{secrets.token_urlsafe(32)}"
    return NewKey(plaintext, prefix, hash_key(plaintext))


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def prefix_of(plaintext: str) -> str | None:
    parts = plaintext.split("_", 2)
    return parts[1] if len(parts) == 3 and parts[0] == "srdi" else None


def matches(plaintext: str, key_hash: str) -> bool:
    return hmac.compare_digest(hash_key(plaintext), key_hash)
