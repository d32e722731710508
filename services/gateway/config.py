"""Gateway settings (env prefix SRDI_): ``SRDI_SERVICE_URLS`` (distributed) plus the gateway's own, ``SRDI_GATEWAY_*``.

Secrets (the JWT signing secret) come from the environment only: in the embedded mode an empty
secret becomes a random one per process (tokens do not survive a restart); the distributed mode
refuses to start without one, as it refuses without an internal signing key.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from pydantic import Field, field_validator, model_validator

from shared.config import Mode, ServiceSettings


class GatewaySettings(ServiceSettings):
    # {"registry": "http://127.0.0.1:8101", ...}; empty in embedded mode (services run in-process).
    service_urls: dict[str, str] = Field(default_factory=dict)
    upstream_timeout_seconds: float = 30.0
    demo_keys: bool = True
    # Upstreams: connect timeout, retries (idempotent requests only), circuit breaker per upstream.
    gateway_upstream_connect_timeout_seconds: float = 3.0
    gateway_upstream_retries: int = 2
    gateway_upstream_retry_backoff_seconds: float = 0.05
    gateway_breaker_failures: int = 5
    gateway_breaker_reset_seconds: float = 30.0
    # Request bodies: JSON calls, and file uploads (paths ending in /imports).
    gateway_max_body_bytes: int = 1_048_576
    gateway_max_upload_bytes: int = 20 * 1_048_576
    # Tokens: OAuth2 client-credentials tokens (platforms) and user log-in tokens, HS256 JWTs.
    gateway_jwt_secret: str = ""
    gateway_jwt_issuer: str = "srdi-gateway"
    gateway_client_token_ttl_seconds: int = 900
    gateway_user_token_ttl_seconds: int = 3600
    gateway_key_rotation_overlap_seconds: int = 86_400
    # Rate limits (the `limits` library's notation); Redis shares them between replicas.
    gateway_redis_url: str = ""
    gateway_rate_limit_namespace: str = "srdi"
    gateway_rate_limit_per_key: str = "1200/minute"
    gateway_rate_limit_per_address: str = "300/minute"
    gateway_rate_limit_evaluate: str = "30/minute"
    gateway_rate_limit_auth_failures: str = "10/minute"
    gateway_rate_limit_login_failures: str = "5/15minutes"
    # Authenticated credentials cached per process (services.gateway.auth_cache): revocation reaches every
    # replica on its next request through a generation in Redis; the TTL bounds only the worst case (a
    # revocation that could not reach Redis). 0 turns the cache off.
    gateway_auth_cache_ttl_seconds: float = 10.0
    gateway_auth_cache_max_entries: int = 10_000

    @model_validator(mode="after")
    def _embedded_jwt_secret(self) -> GatewaySettings:
        if self.mode is Mode.EMBEDDED and not self.gateway_jwt_secret:
            self.gateway_jwt_secret = secrets.token_urlsafe(32)
        return self

    def check_distributed(self) -> None:
        """Called when the gateway itself starts (other services read these settings too, for logging,
        and must not need the gateway's secrets)."""
        if self.mode is not Mode.DISTRIBUTED:
            return
        if len(self.gateway_jwt_secret) < 32:
            raise ValueError(
                "SRDI_GATEWAY_JWT_SECRET must be set (≥ 32 characters) in distributed mode "
                "(分布式模式必须配置令牌签名密钥)"
            )
        if not self.gateway_redis_url:
            raise ValueError(
                "SRDI_GATEWAY_REDIS_URL must be set in distributed mode: rate limits are shared by replicas "
                "(分布式模式必须配置 Redis 以共享限流状态)"
            )

    @field_validator("service_urls", mode="before")
    @classmethod
    def _parse_json(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value
