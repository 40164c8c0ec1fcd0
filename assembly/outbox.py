"""The outbox: e-mail is queued in the database and sent once, whatever the number of workers.

Why a table and not a direct send: a reminder must go once per member and event even when two
server processes notice the same event, after a restart, and when the SMTP server is down for an
hour. So:

- `enqueue` inserts with a UNIQUE `key` naming the member and the event ("round 12 opened, member
  5"); a second enqueue of the same key does nothing.
- `deliver_due` claims due messages with one `UPDATE ... RETURNING` that sets a lease, so two
  workers never hold the same message; it sends each, then marks it sent (and drops its body: a
  sign-in link in a sent message is a secret nobody needs to keep).
- A refused or failed delivery is retried with a growing pause; after `MAX_ATTEMPTS` the message
  is marked failed, written to the audit log and listed for officers (`failures`), never dropped.

A worker that dies between sending and marking sent leaves its lease to expire, and the message
is sent again: at least once, and exactly once unless a process dies mid-send.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import hashlib
import logging
import secrets
import smtplib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from anyio import to_thread
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, select

from assembly import audit, db, mail
from assembly.errors import ActionableError
from assembly.settings import Settings
from assembly.tables import UTCDateTime, row_id, utcnow, when

log = logging.getLogger("minipublic.outbox")

MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=10)
BATCH = 50
ACTOR = "outbox"


def pause_after(attempts: int) -> timedelta:
    """How long to wait before attempt `attempts + 1`: 1, 2, 4 ... minutes, at most 2 hours, so
    eight attempts span about four hours of an SMTP server being down."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 120))


class MessageState(str, enum.Enum):
    queued = "queued"
    sending = "sending"
    sent = "sent"
    failed = "failed"


class OutboxMessage(SQLModel, table=True):
    """One e-mail to one person. `key` makes "once per member and event" a UNIQUE rule."""

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    # Plain ids, not foreign keys: the outbox is plumbing below the rooms. Erasing a member
    # deletes their messages (`forget_member`), and deleting an assembly deletes its own.
    assembly_id: int = Field(index=True)
    member_id: int | None = Field(default=None, index=True)
    kind: str = Field(max_length=50)
    to_address: str = Field(max_length=320)
    subject: str = Field(max_length=300)
    text: str = Field(default="", sa_type=sa.Text)
    html: str = Field(default="", sa_type=sa.Text)
    state: str = Field(default=MessageState.queued.value, max_length=20, index=True)
    attempts: int = 0
    created_at: datetime = when()
    next_attempt_at: datetime = when(index=True)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    lease_holder: str = Field(default="", max_length=32)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    last_error: str = Field(default="", max_length=500)


class NotRetryable(ActionableError):
    """The officer asked to retry a message that has not failed."""


def enqueue(session: Session, *, key: str, assembly_id: int, kind: str, letter: mail.Letter,
            member_id: int | None = None, now: datetime | None = None) -> bool:
    """Queue `letter` once for `key`; True when this call queued it, False when it already was."""
    now = now or utcnow()
    statement = db.insert(session, OutboxMessage).values(
        key=key, assembly_id=assembly_id, member_id=member_id, kind=kind,
        to_address=letter.to, subject=letter.subject, text=letter.text, html=letter.html,
        state=MessageState.queued.value, attempts=0, created_at=now, next_attempt_at=now,
        lease_holder="", last_error="",
    ).on_conflict_do_nothing(index_elements=["key"]).returning(col(OutboxMessage.id))
    return session.execute(statement).first() is not None


def claim(session: Session, *, holder: str, now: datetime, limit: int = BATCH
          ) -> list[OutboxMessage]:
    """Take up to `limit` due messages for `holder`, each leased to nobody else until it ends.

    The outer WHERE repeats the due test: on PostgreSQL a second worker that waited on the same
    row re-checks it against the first worker's update and skips it."""
    due = sa.and_(
        col(OutboxMessage.state).in_([MessageState.queued.value, MessageState.sending.value]),
        col(OutboxMessage.next_attempt_at) <= now,
        sa.or_(col(OutboxMessage.lease_until).is_(None), col(OutboxMessage.lease_until) < now),
    )
    candidates = select(OutboxMessage.id).where(due).order_by(col(OutboxMessage.id)).limit(limit)
    if db.dialect_name(session) == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    statement = (
        sa.update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(candidates.scalar_subquery()), due)
        .values(state=MessageState.sending.value, lease_until=now + LEASE, lease_holder=holder,
                attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage)
    )
    claimed = [row for (row,) in session.execute(statement).all()]
    return sorted(claimed, key=lambda message: row_id(message.id))


def _mark_sent(session: Session, message_id: int, holder: str, now: datetime) -> None:
    session.execute(
        sa.update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id, col(OutboxMessage.lease_holder) == holder)
        .values(state=MessageState.sent.value, sent_at=now, lease_until=None, text="", html="",
                last_error="")
    )


def _mark_failed_attempt(session: Session, message: OutboxMessage, holder: str, error: str,
                         now: datetime) -> bool:
    """Record a failed attempt; True when that was the last one and the message has failed."""
    final = message.attempts >= MAX_ATTEMPTS
    values: dict[str, Any] = {"lease_until": None, "last_error": error[:500]}
    if final:
        values["state"] = MessageState.failed.value
    else:
        values["state"] = MessageState.queued.value
        values["next_attempt_at"] = now + pause_after(message.attempts)
    changed = session.exec(
        sa.update(OutboxMessage)
        .where(col(OutboxMessage.id) == row_id(message.id),
               col(OutboxMessage.lease_holder) == holder,
               col(OutboxMessage.state) == MessageState.sending.value)
        .values(**values)
    ).rowcount
    if final and changed:
        audit.record(session, message.assembly_id, ACTOR, "mail_failed", {
            "message": row_id(message.id), "kind": message.kind,
            "attempts": message.attempts, "error": error[:200],
        })
    return final and bool(changed)


def message_id(settings: Settings, message: OutboxMessage) -> str:
    """The same Message-ID at every attempt, so a mail client shows a rare repeat (a worker
    that died mid-send) as one message."""
    domain = settings.mail_from.rpartition("@")[2] or "minipublic.invalid"
    digest = hashlib.sha256(message.key.encode()).hexdigest()[:20]
    return f"<{digest}.{row_id(message.id)}@{domain}>"


@dataclass(frozen=True)
class Delivery:
    """What one pass of `deliver_due` did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0


def _describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        detail = error.smtp_error.decode("utf-8", "replace") if isinstance(
            error.smtp_error, bytes) else str(error.smtp_error)
        return f"The e-mail server refused it ({error.smtp_code}: {detail})."
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "The e-mail server refused the address."
    if isinstance(error, mail.MailNotConfigured):
        return "No e-mail server is set up."
    return f"The e-mail server could not be reached ({type(error).__name__}: {error})."


def deliver_due(engine: Engine, settings: Settings, *, now: datetime | None = None,
                limit: int = BATCH) -> Delivery:
    """Send what is due now; safe to run in every worker at once."""
    holder = secrets.token_hex(8)
    start = now or utcnow()
    with db.session(engine, write=True) as session:
        messages = claim(session, holder=holder, now=start, limit=limit)
    sent = retrying = failed = 0
    client: smtplib.SMTP | None = None
    try:
        for message in messages:
            letter = mail.Letter(to=message.to_address, subject=message.subject,
                                 text=message.text, html=message.html)
            built = mail.build(settings, letter, message_id=message_id(settings, message))
            try:
                # One connection for the whole batch; opened again after one that broke.
                client = client or mail.connect(settings)
                client.send_message(built)
            except (smtplib.SMTPException, OSError, mail.MailNotConfigured) as error:
                log.warning("outbox: message %s not sent: %s", message.id, type(error).__name__)
                if not isinstance(error, (smtplib.SMTPRecipientsRefused,
                                          smtplib.SMTPDataError, smtplib.SMTPSenderRefused)):
                    _close(client)
                    client = None
                with db.session(engine, write=True) as session:
                    if _mark_failed_attempt(session, message, holder, _describe(error),
                                            now or utcnow()):
                        failed += 1
                    else:
                        retrying += 1
                continue
            with db.session(engine, write=True) as session:
                _mark_sent(session, row_id(message.id), holder, now or utcnow())
            sent += 1
    finally:
        _close(client)
    return Delivery(sent=sent, retrying=retrying, failed=failed)


def _close(client: smtplib.SMTP | None) -> None:
    if client is not None:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            client.quit()


def failures(session: Session, assembly_id: int) -> Sequence[OutboxMessage]:
    """Messages of this assembly that could not be delivered, newest first, for officers."""
    return session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.assembly_id == assembly_id,
               OutboxMessage.state == MessageState.failed)
        .order_by(col(OutboxMessage.id).desc())
    ).all()


def waiting(session: Session, assembly_id: int) -> int:
    """How many of this assembly's messages are queued or being sent."""
    return int(session.execute(
        select(sa.func.count()).select_from(OutboxMessage)
        .where(col(OutboxMessage.assembly_id) == assembly_id,
               col(OutboxMessage.state).in_([MessageState.queued.value,
                                             MessageState.sending.value]))
    ).scalar_one())


def retry(session: Session, assembly_id: int, message_id: int, actor: str, *,
          now: datetime | None = None) -> OutboxMessage:
    """Put a failed message back in the queue, e.g. once the address has been corrected."""
    message = session.get(OutboxMessage, message_id)
    if message is None or message.assembly_id != assembly_id:
        raise NotRetryable("That message does not exist in this assembly.")
    if message.state != MessageState.failed:
        raise NotRetryable("That message has not failed, so there is nothing to retry.")
    message.state = MessageState.queued.value
    message.attempts = 0
    message.next_attempt_at = now or utcnow()
    message.lease_until = None
    session.add(message)
    audit.record(session, assembly_id, actor, "mail_retried",
                 {"message": message_id, "kind": message.kind})
    return message


def forget_member(session: Session, member_id: int) -> int:
    """Delete every message to or about a member (erasure); returns how many."""
    return int(session.exec(
        sa.delete(OutboxMessage).where(col(OutboxMessage.member_id) == member_id)
    ).rowcount)


def forget_assembly(session: Session, assembly_id: int) -> None:
    session.execute(sa.delete(OutboxMessage).where(col(OutboxMessage.assembly_id) == assembly_id))


def purge_sent(session: Session, *, older_than: timedelta, now: datetime | None = None) -> int:
    """Delete sent messages older than `older_than`: their only use was to prevent a repeat,
    and the events they answer are over."""
    cutoff = (now or utcnow()) - older_than
    return int(session.exec(
        sa.delete(OutboxMessage).where(col(OutboxMessage.state) == MessageState.sent.value,
                                       col(OutboxMessage.sent_at) < cutoff)
    ).rowcount)


@contextlib.asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """While the server runs, deliver due mail every `mail_interval_seconds` (when an SMTP
    server is configured). Every worker process runs this; the lease keeps them apart."""
    settings: Settings = app.state.settings
    if not mail.configured(settings):
        yield
        return
    engine: Engine = app.state.engine

    async def loop() -> None:
        while True:
            try:
                await to_thread.run_sync(deliver_due, engine, settings)
            except Exception:  # a database hiccup must not stop delivery for good
                log.exception("outbox: delivery pass failed; trying again later")
            await asyncio.sleep(settings.mail_interval_seconds)

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
