"""Email through a real SMTP server: aiosmtpd listening on 127.0.0.1, the delivery worker sending
with aiosmtplib, and the message read back from what the server received."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from services.notifications.delivery import deliver_due
from services.notifications.dispatch import Dispatcher
from services.notifications.persistence.tables import Delivery
from tests.support.notifications import KUNMING, add_officers, notifications_runtime, registered, tier_changed

pytestmark = pytest.mark.asyncio(loop_scope="session")


class Mailbox:
    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=default)
        assert isinstance(parsed, EmailMessage)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


async def test_an_officer_notice_arrives_as_a_bilingual_email_on_a_real_smtp_server(
    tmp_path: Path, smtp_server: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp_server
    overrides = {"notifications_email_backend": "smtp", "notifications_smtp_port": port}
    async with notifications_runtime(tmp_path, **overrides) as runtime:
        settings: Any = runtime.settings
        await add_officers(runtime, ("officer-mail", KUNMING, 10))
        await runtime.consumer.deliver(registered(1, contact_email=None, name="云南<锗>材料&科技有限公司"))
        uscc = registered(1).subject
        now = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # Wednesday, 11:00 in Kunming
        async with runtime.uow() as uow:
            created = await Dispatcher(settings).notify(
                uow, "e-mail-1", tier_changed(uscc, True, False).type, tier_changed(uscc, True, False).data, now
            )
            [message] = [m for m in created if m.recipient == "officer:officer-mail"]
            await uow.commit()
        assert await deliver_due(runtime.uow, runtime.state["channels"], settings, now) == 1
        async with runtime.uow() as uow:
            row = (await uow.session.exec(select(Delivery).where(Delivery.channel == "email"))).one()
        assert row.status == "sent" and row.attempts == 1 and row.last_error is None

    [(sender, recipients, received)] = mailbox.received
    assert sender == settings.notifications_smtp_sender and recipients == ["officer-mail@example.cn"]
    assert received["Subject"] == "云南<锗>材料&科技有限公司 已符合创新型中小企业条件 / " \
                                  "云南<锗>材料&科技有限公司 is now eligible as innovative SME"  # fmt: skip
    assert received["Message-ID"] == f"<{message.id}@srdi.notifications>"
    plain = received.get_body(("plain",))
    html = received.get_body(("html",))
    assert plain is not None and html is not None
    assert "已符合创新型中小企业申报条件" in plain.get_content() and uscc in plain.get_content()
    # The HTML part carries the autoescaped name: no markup can be injected through an enterprise name.
    assert "云南&lt;锗&gt;材料&amp;科技有限公司" in html.get_content() and "<锗>" not in html.get_content()
