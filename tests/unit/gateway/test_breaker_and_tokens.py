"""Gateway units: the circuit breaker's states, JWT expiry and tampering, argon2 passwords."""

from __future__ import annotations

import base64
import json
from typing import Any

import jwt
import pytest

from services.gateway.domain.breaker import BreakerOpen, BreakerState, CircuitBreaker
from services.gateway.domain.passwords import hash_password, verify_password
from services.gateway.domain.tokens import TokenError, issue_token, verify_token
from shared.identity import Principal, Role

SECRET = "unit-test-secret-" + "x" * 32
PLATFORM = Principal(Role.PLATFORM, "platform-a", "key:abcd1234", "A")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_breaker_opens_after_consecutive_failures_and_half_opens_for_one_trial() -> None:
    clock = Clock()
    breaker = CircuitBreaker(3, 10.0, clock)
    for _ in range(2):
        breaker.before_call()
        breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
    breaker.before_call()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    with pytest.raises(BreakerOpen) as refused:
        breaker.before_call()
    assert refused.value.retry_after == pytest.approx(10.0)
    clock.now += 10
    assert breaker.state is BreakerState.HALF_OPEN
    breaker.before_call()  # the one trial
    with pytest.raises(BreakerOpen):
        breaker.before_call()  # a second caller while the trial is out
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN  # a failed trial opens it again at once
    clock.now += 10
    breaker.before_call()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    breaker.before_call()


def test_a_success_resets_the_failure_count() -> None:
    breaker = CircuitBreaker(2, 5.0, Clock())
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED


def test_a_token_round_trips_and_expires() -> None:
    token, _ = issue_token(PLATFORM, "client", SECRET, "srdi-gateway", 60, frozenset({"integration:read"}))
    claims = verify_token(token, SECRET, "srdi-gateway")
    assert claims.principal == PLATFORM and claims.scopes == frozenset({"integration:read"}) and claims.kind == "client"
    old, _ = issue_token(PLATFORM, "client", SECRET, "srdi-gateway", 60, now=1_000_000_000)
    with pytest.raises(TokenError, match="expired"):
        verify_token(old, SECRET, "srdi-gateway")


def _reencode(token: str, change: dict[str, object]) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps(claims | change).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_tampered_forged_and_algorithm_none_tokens_are_refused() -> None:
    token, _ = issue_token(PLATFORM, "client", SECRET, "srdi-gateway", 60)
    with pytest.raises(TokenError):
        verify_token(_reencode(token, {"role": "admin"}), SECRET, "srdi-gateway")
    with pytest.raises(TokenError):
        verify_token(token, "another-secret-" + "y" * 32, "srdi-gateway")
    with pytest.raises(TokenError):
        verify_token(token, SECRET, "another-issuer")
    unsigned = jwt.encode({"sub": "key:x", "role": "admin", "iss": "srdi-gateway", "iat": 1, "exp": 9_999_999_999},
                          None, algorithm="none")  # fmt: skip
    with pytest.raises(TokenError):
        verify_token(unsigned, SECRET, "srdi-gateway")


def test_passwords_are_argon2id_and_verify_only_the_right_one() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert verify_password("correct horse battery", stored)
    assert not verify_password("correct horse batterz", stored)
    assert not verify_password("anything", None)


def test_the_distributed_gateway_refuses_to_start_without_its_secrets() -> None:
    from services.gateway.config import GatewaySettings
    from shared.config import Mode

    base: dict[str, Any] = {"mode": Mode.DISTRIBUTED, "internal_signing_key": "k" * 40}
    with pytest.raises(ValueError, match="JWT_SECRET"):
        GatewaySettings(**base).check_distributed()
    with pytest.raises(ValueError, match="REDIS_URL"):
        GatewaySettings(**base, gateway_jwt_secret="s" * 40).check_distributed()
    GatewaySettings(**base, gateway_jwt_secret="s" * 40, gateway_redis_url="redis://127.0.0.1:1/0").check_distributed()
    embedded = GatewaySettings()
    assert len(embedded.gateway_jwt_secret) >= 32
    assert embedded.gateway_jwt_secret != GatewaySettings().gateway_jwt_secret  # random per process
