from __future__ import annotations

import pytest

from shared.identity import IdentityError, Principal, Role, sign_identity, verify_identity

KEY = "k" * 40


def test_a_signed_identity_verifies_to_the_same_principal() -> None:
    principal = Principal(Role.PREFECTURE_OPERATOR, "5301", "key:abc", "昆明")
    assert verify_identity(sign_identity(principal, KEY), KEY) == principal


def test_a_tampered_identity_is_refused() -> None:
    token = sign_identity(Principal(Role.ENTERPRISE, "91530100MA6K7U9X3K", "key:a"), KEY)
    payload, _, signature = token.partition(".")
    forged = sign_identity(Principal(Role.ADMIN, None, "key:a"), "another-key-" * 4).partition(".")[0]
    with pytest.raises(IdentityError):
        verify_identity(f"{forged}.{signature}", KEY)
    with pytest.raises(IdentityError):
        verify_identity(token, "wrong-key-" * 4)
    assert verify_identity(f"{payload}.{signature}", KEY).role is Role.ENTERPRISE


def test_an_expired_identity_is_refused() -> None:
    token = sign_identity(Principal(Role.BANK, "b1", "key:b"), KEY, ttl_seconds=60, now=1_000_000)
    assert verify_identity(token, KEY, now=1_000_059).tenant == "b1"
    with pytest.raises(IdentityError, match="expired"):
        verify_identity(token, KEY, now=1_000_061)


@pytest.mark.parametrize("token", ["", "no-dot", ".", "abc.def", "e30.xyz"])
def test_garbage_is_refused(token: str) -> None:
    with pytest.raises(IdentityError):
        verify_identity(token, KEY)
