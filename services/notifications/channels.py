"""Delivery channels beyond the inbox: email (SMTP via aiosmtplib, or the log), webhooks (signed per
Standard Webhooks through ``shared/webhooks.py``), SMS (an adapter per deployment; the default only
logs and says so). Each ``send`` returns the delivery's new status and
a detail, or raises to have the delivery retried."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib

from services.notifications.config import NotificationsSettings
from services.notifications.persistence.tables import Message, webhooks
from shared.uow import UnitOfWork
from shared.webhooks import enqueue

log = logging.getLogger(__name__)


class Channel(Protocol):
    name: str

    async def send(self, address: str, message: Message) -> tuple[str, str | None]: ...


def email_for(message: Message, sender: str, to: str) -> EmailMessage:
    """Bilingual email: Chinese first, then English. Template output is HTML-escaped; the plain
    part is unescaped back, the HTML part uses it as is."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = to
    email["Subject"] = html.unescape(f"{message.title_zh} / {message.title}")
    email["Message-ID"] = f"<{message.id}@srdi.notifications>"
    plain = f"{message.body_zh}\n\n{message.body}\n"
    email.set_content(html.unescape(plain))
    email.add_alternative(
        f"<html><body><h3>{message.title_zh}</h3><p>{message.body_zh}</p><hr>"
        f"<h3>{message.title}</h3><p>{message.body}</p></body></html>",
        subtype="html",
    )
    return email


class SmtpEmail:
    name = "email"

    def __init__(self, settings: NotificationsSettings) -> None:
        self.settings = settings

    async def send(self, address: str, message: Message) -> tuple[str, str | None]:
        s = self.settings
        email = email_for(message, s.notifications_smtp_sender, address)
        _, reply = await aiosmtplib.send(
            email, hostname=s.notifications_smtp_host, port=s.notifications_smtp_port,
            timeout=s.notifications_smtp_timeout_seconds, start_tls=False, use_tls=False,
        )  # fmt: skip
        return "sent", reply[:300]


class LoggedEmail:
    name = "email"

    async def send(self, address: str, message: Message) -> tuple[str, str | None]:
        log.info("email NOT sent (SRDI_NOTIFICATIONS_EMAIL_BACKEND=log): to=%s subject=%s", address, message.title)
        return "sent", "logged only: no SMTP server configured (未配置邮件服务器，仅记录日志)"


class LoggedSms:
    """The default SMS adapter: no provider is configured, so the text goes to the log, and the log says so."""

    name = "sms"

    async def send(self, address: str, message: Message) -> tuple[str, str | None]:
        log.warning("SMS NOT sent — no SMS provider configured; to=%s text=%s", address, message.title_zh)
        return "sent", "logged only: no SMS provider configured (未配置短信服务商，仅记录日志)"


WEBHOOK_EVENT = "srdi.notifications.message.v1"


def webhook_payload(message: Message) -> dict[str, object]:
    return {
        "type": WEBHOOK_EVENT, "id": message.id, "recipient": message.recipient, "category": message.category,
        "rule_id": message.rule_id, "title": message.title, "title_zh": message.title_zh, "body": message.body,
        "body_zh": message.body_zh, "uscc": message.uscc, "event_id": message.event_id, "critical": message.critical,
        "created_at": message.created_at.isoformat(),
    }  # fmt: skip


class SignedWebhook:
    """Hands the message to the shared Standard Webhooks delivery (``shared/webhooks.py``, the same
    mechanism finance_match uses): one signed delivery per active subscription of the recipient,
    idempotent per message id; its worker POSTs, retries within 24 h and keeps the attempt log."""

    name = "webhook"

    def __init__(self, uow_factory: Callable[[], UnitOfWork], wake: Callable[[], None] | None = None) -> None:
        self._uow_factory = uow_factory
        self._wake = wake

    async def send(self, address: str, message: Message) -> tuple[str, str | None]:
        async with self._uow_factory() as uow:
            ids = await enqueue(uow.session, webhooks, owner=address, event_type=WEBHOOK_EVENT,
                                message_id=message.id, payload=webhook_payload(message))  # fmt: skip
            await uow.commit()
        if self._wake is not None:
            self._wake()
        return "sent", f"signed webhook deliveries {ids}" if ids else "already queued for signed delivery"


def default_channels(
    settings: NotificationsSettings, uow_factory: Callable[[], UnitOfWork], wake: Callable[[], None] | None = None
) -> dict[str, Channel]:
    email: Channel = SmtpEmail(settings) if settings.notifications_email_backend == "smtp" else LoggedEmail()
    if settings.notifications_sms_backend != "log":
        raise ValueError(f"unknown SMS backend {settings.notifications_sms_backend!r}: only 'log' ships")
    return {"email": email, "sms": LoggedSms(), "webhook": SignedWebhook(uow_factory, wake)}
