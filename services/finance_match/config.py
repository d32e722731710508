"""finance_match settings (env prefix SRDI_)."""

from __future__ import annotations

from pydantic import Field, field_validator

from shared.config import Mode, ServiceSettings
from shared.webhooks import DEFAULT_SCHEDULE


class FinanceMatchSettings(ServiceSettings):
    # Embedded mode seeds Yunnan banks, products and needs in every state (SRDI_FINANCE_MATCH_DEMO=false to skip).
    finance_match_demo: bool = True
    # A need goes to the banks of this many top-ranked products (distinct banks), and always to the paired bank.
    finance_match_distribute_top: int = 3
    finance_match_default_response_days: int = 3
    # Seconds between checks for overdue responses and expired needs.
    finance_match_deadline_check_seconds: float = 300.0
    # Webhook retry delays in seconds (first attempt, then after each failure); JSON list in the environment.
    finance_match_webhook_schedule: list[float] = Field(default_factory=lambda: list(DEFAULT_SCHEDULE))
    finance_match_webhook_poll_seconds: float = 1.0
    finance_match_webhook_timeout_seconds: float = 10.0
    finance_match_feed_page_max: int = 500
    # Webhook URLs on localhost / private addresses: allowed in embedded mode, refused in distributed
    # mode unless set to true (a bank must not aim deliveries at the platform's internal hosts).
    finance_match_webhook_allow_private_urls: bool | None = None

    @field_validator("finance_match_webhook_schedule")
    @classmethod
    def _non_empty(cls, value: list[float]) -> list[float]:
        if not value or any(v < 0 for v in value):
            raise ValueError("the webhook schedule needs at least one non-negative delay")
        return value

    @property
    def webhook_allows_private_urls(self) -> bool:
        if self.finance_match_webhook_allow_private_urls is not None:
            return self.finance_match_webhook_allow_private_urls
        return self.mode is Mode.EMBEDDED

    @property
    def seeds_demo(self) -> bool:
        return self.mode is Mode.EMBEDDED and self.finance_match_demo
