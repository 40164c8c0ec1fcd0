"""Sending one e-mail through the configured SMTP server.

Only the transport lives here: what to send, to whom and when is decided by the rooms, which
queue messages in the outbox (`assembly.outbox`); the outbox calls `send` once per message.
Messages carry a plain-text part and, when given, an HTML alternative, because many residents
read mail in simple clients and screen readers handle plain text best.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from assembly.errors import ActionableError
from assembly.settings import Settings

TIMEOUT_SECONDS = 30


class MailNotConfigured(ActionableError):
    """No SMTP server is set: e-mail cannot be sent until one is."""


@dataclass(frozen=True)
class Letter:
    """One message ready to go: who to, the subject and its plain-text and HTML bodies."""

    to: str
    subject: str
    text: str
    html: str = ""


def configured(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def build(settings: Settings, letter: Letter, *, message_id: str | None = None) -> EmailMessage:
    """The MIME message for `letter`, from the configured sender."""
    message = EmailMessage()
    message["From"] = formataddr((settings.mail_from_name or settings.site_name,
                                  settings.mail_from))
    message["To"] = letter.to
    message["Subject"] = letter.subject
    domain = settings.mail_from.rpartition("@")[2] or None
    message["Message-ID"] = message_id or make_msgid(domain=domain)
    message.set_content(letter.text)
    if letter.html:
        message.add_alternative(letter.html, subtype="html")
    return message


def _check(settings: Settings) -> None:
    if not configured(settings):
        raise MailNotConfigured(
            "No e-mail server is set up. Set MINIPUBLIC_SMTP_HOST (and the other MINIPUBLIC_SMTP_ "
            "settings in docs/configuration.md) and restart.")


def connect(settings: Settings) -> smtplib.SMTP:
    """An open, signed-in connection to the SMTP server, for one or many messages (use it in a
    `with` block). Raises `smtplib.SMTPException` or `OSError` when the server cannot be used."""
    _check(settings)
    security = settings.smtp_security
    client: smtplib.SMTP
    if security == "ssl":
        client = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port,
                                  timeout=TIMEOUT_SECONDS, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS)
    try:
        if security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            client.login(settings.smtp_user, settings.smtp_password)
    except BaseException:
        client.close()
        raise
    return client


def send(settings: Settings, message: EmailMessage) -> None:
    """Send one message on a connection of its own (the outbox shares one per batch)."""
    with connect(settings) as client:
        client.send_message(message)
