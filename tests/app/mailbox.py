"""A real SMTP server for tests about e-mail: aiosmtpd on a free local port, keeping what it
receives (or refusing everything when told to), so mail goes through the same smtplib code as in
production. The `mailbox` and `mail_settings` fixtures in tests/app/conftest.py start one per
test; use `running_mailbox()` directly where a fixture does not fit."""

from __future__ import annotations

import contextlib
import email
import re
import threading
from collections.abc import Iterator
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from assembly.settings import Settings
from tests.app.servers import free_port

MAIL_FROM = "assembly@council.example"


class Mailbox:
    """An aiosmtpd handler listening on `port`. Messages arrive on the server's own thread, so
    reads go through the lock."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[Message] = []
        self.refuse: str | None = None
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return self.refuse
        with self.lock:
            self.received.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

    def messages(self) -> list[Message]:
        with self.lock:
            return list(self.received)

    def subjects(self) -> list[str]:
        return [str(message["Subject"]) for message in self.messages()]

    def recipients(self) -> list[str]:
        return sorted(str(message["To"]) for message in self.messages())

    def links(self) -> list[str]:
        """The sign-in links in the plain-text parts of what arrived, in order."""
        found: list[str] = []
        for message in self.messages():
            for part in message.walk():
                payload = part.get_payload(decode=True)
                if part.get_content_type() == "text/plain" and isinstance(payload, bytes):
                    found += re.findall(r"http://\S+/sign-in/\S+", payload.decode())
        return found


@contextlib.contextmanager
def running_mailbox() -> Iterator[Mailbox]:
    """A Mailbox with its server running for the length of the `with` block."""
    mailbox = Mailbox(free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


def settings_for(settings: Settings, mailbox: Mailbox) -> Settings:
    """`settings` sending through `mailbox`, unencrypted (it is on this machine), with the
    server's delivery loop passing every second so tests that wait for it stay short."""
    return settings.replace(smtp_host="127.0.0.1", smtp_port=mailbox.port, smtp_security="none",
                            mail_from=MAIL_FROM, mail_interval_seconds=1)
