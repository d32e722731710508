"""notifications settings (env prefix SRDI_)."""

from __future__ import annotations

from shared.config import Mode, ServiceSettings
from shared.webhooks import DEFAULT_SCHEDULE


class NotificationsSettings(ServiceSettings):
    # Embedded mode seeds an officer roster and some exchange history (SRDI_NOTIFICATIONS_DEMO=false to skip).
    notifications_demo: bool = True
    notifications_demo_officers_per_prefecture: int = 3
    # Email: "log" writes the message to the log (the embedded default, no SMTP server needed); "smtp"
    # sends it with aiosmtplib (deploy/local/smtp.sh runs a local server on 127.0.0.1:8025).
    notifications_email_backend: str = "log"
    notifications_smtp_host: str = "127.0.0.1"
    notifications_smtp_port: int = 8025
    notifications_smtp_sender: str = "srdi-noreply@example.gov.cn"
    notifications_smtp_timeout_seconds: float = 10.0
    # SMS: "log" (no provider configured: the message is logged, and the log says it was not sent).
    notifications_sms_backend: str = "log"
    # The delivery, schedule and digest loops (tests drive them by hand with a clock of their own).
    notifications_background: bool = True
    # Delivery of email / sms / webhook: a worker polls queued deliveries; failures back off exponentially.
    notifications_delivery_poll_seconds: float = 1.0
    notifications_delivery_max_attempts: int = 5
    notifications_delivery_backoff_seconds: float = 30.0
    notifications_delivery_backoff_max_seconds: float = 3600.0
    # Webhooks: delays before attempt 1, 2, … (shared/webhooks.py; the default spans 24 hours).
    notifications_webhook_schedule: tuple[float, ...] = DEFAULT_SCHEDULE
    # Webhook URLs on localhost / private addresses: allowed in embedded mode, refused in distributed
    # mode unless set to true (as finance_match does).
    notifications_webhook_allow_private_urls: bool | None = None
    # Digests: past this many notices of one rule to one recipient within one window, the rest
    # become one digest at the window's end.
    notifications_digest_threshold: int = 5
    notifications_digest_window_seconds: int = 900
    # Scheduled work (filing reminders, expiring recognitions, escalations): how often it runs.
    notifications_schedule_seconds: float = 3600.0
    notifications_request_deadline_working_days: int = 5
    notifications_working_hours: tuple[int, int] = (9, 18)  # local time (Asia/Shanghai), [start, end)
    notifications_timezone: str = "Asia/Shanghai"

    @property
    def webhook_allows_private_urls(self) -> bool:
        if self.notifications_webhook_allow_private_urls is not None:
            return self.notifications_webhook_allow_private_urls
        return self.mode is Mode.EMBEDDED

    @property
    def loads_demo_data(self) -> bool:
        return self.mode is Mode.EMBEDDED and self.notifications_demo
