"""Reminders: an e-mail when a round opens, and another 24 hours before it closes to members who
still have something to do in it; printed letters for members without e-mail.

Who gets one: members who joined and still hold their seat, with an e-mail address in their
contact details, who have not opted out on their home page. Members without e-mail, or who
opted out, are in the officers' reminder letters instead (`letters_for`).

Once per member and event, whatever the number of workers and restarts: a pass first inserts
the event's row in `reminder_event` (UNIQUE round, cycle, event; on conflict nothing); only the
pass whose insert added the row queues the messages, in the same transaction, each with an
outbox key naming the round, cycle, event and member (the outbox's own UNIQUE key). A pass that
finds the row already there does nothing. Without an SMTP server nothing is queued at all.

A message says what to do, when the round closes (in words, in the assembly's time zone), where
to go and whom to ask. It greets the member plainly: nothing personal or demographic is in it.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from anyio import to_thread
from markupsafe import escape
from sqlmodel import Session, col, select

from assembly import audit, db, mail, outbox
from assembly.assemblies.models import Assembly
from assembly.deliberation import progress, rounds, times
from assembly.deliberation.models import (
    ReminderEvent,
    ReminderOptOut,
    Round,
    RoundState,
)
from assembly.recruitment.models import Contact, Respondent
from assembly.selection.models import Member, MemberStatus
from assembly.settings import Settings
from assembly.tables import row_id, utcnow

log = logging.getLogger("minipublic.reminders")

# How long before a round closes the "closing soon" reminder goes.
CLOSING_NOTICE = timedelta(hours=24)
KIND = "reminder"  # the outbox's kind for these messages


class Event(str, enum.Enum):
    opened = "opened"
    closing = "closing"


@dataclass(frozen=True)
class Recipient:
    member: Member
    email: str


def _seated(assembly_id: int) -> Any:
    return (
        select(Member, Contact.email)
        .join(Respondent, col(Respondent.id) == col(Member.respondent_id))
        .join(Contact, col(Contact.respondent_id) == col(Respondent.id), isouter=True)
        .where(col(Member.assembly_id) == assembly_id,
               col(Member.status) == MemberStatus.joined.value,
               col(Member.joined_at).is_not(None),
               col(Respondent.erased).is_(False))
        .order_by(col(Member.id))
    )


def _opted_out(session: Session, member_ids: Sequence[int]) -> set[int]:
    if not member_ids:
        return set()
    return set(session.exec(select(ReminderOptOut.member_id).where(
        col(ReminderOptOut.member_id).in_(member_ids))).all())


def audience(session: Session, assembly_id: int) -> tuple[list[Recipient], list[Member]]:
    """Members who get reminders by e-mail, and members who need a letter instead (no
    address, or opted out of e-mail); both only members who joined and hold their seat."""
    rows = [(member, (email or "").strip()) for member, email in
            session.execute(_seated(assembly_id)).all()]
    out = _opted_out(session, [row_id(m.id) for m, _ in rows])
    by_email = [Recipient(m, e) for m, e in rows if "@" in e and row_id(m.id) not in out]
    chosen = {row_id(r.member.id) for r in by_email}
    return by_email, [m for m, _ in rows if row_id(m.id) not in chosen]


def has_something_to_do(session: Session, item: Round, member: Member) -> bool:
    """Until a kind can measure progress, every member still has something to do."""
    measured = progress.of(session, item, member)
    return measured is None or not measured.complete


def due_events(item: Round, now: datetime) -> list[Event]:
    """Which reminders a round is due now: "opened" while it is open; "closing" once it is
    within `CLOSING_NOTICE` of closing. Never for a round that is not open."""
    if rounds.state_of(item, now) is not RoundState.open:
        return []
    events = [Event.opened]
    if item.closes_at - now <= CLOSING_NOTICE:
        events.append(Event.closing)
    return events


def key(item: Round, event: Event, member_id: int) -> str:
    return f"round:{row_id(item.id)}:cycle:{item.cycle}:{event.value}:member:{member_id}"


def letter(settings: Settings, assembly: Assembly, item: Round, event: Event, to: str,
           link: str, now: datetime) -> mail.Letter:
    """The e-mail: what is open, what to do, when it closes, where to go, whom to ask."""
    closes = times.in_words(item.closes_at, assembly.time_zone, now)
    if event is Event.opened:
        subject = f"{item.title}: open now until {closes}"
        opening = f"A new part of {assembly.title} is open: “{item.title}”."
    else:
        subject = f"{item.title}: closes {closes}"
        opening = (f"“{item.title}” closes soon, on {closes}, and you still have something to "
                   "do in it.")
    what = item.instructions.strip() or item.purpose.strip()
    contact = "; ".join(part for part in (assembly.contact_phone, assembly.contact_email) if part)
    lines = [
        "Hello,", "", opening, "",
        *([f"What to do: {what}", ""] if what else []),
        f"It closes on {closes}.", "",
        f"Open this link to see it:\n{link}", "",
        *([f"Questions or need help? Contact the assembly team: {contact}.", ""] if contact
          else []),
        ("You get these reminders because you are a member of the assembly. To stop them, open "
         "your home page and choose “Stop e-mail reminders”."), "",
        settings.site_name,
    ]
    e = _escape
    html = "".join([
        "<p>Hello,</p>", f"<p>{e(opening)}</p>",
        f"<p><strong>What to do:</strong> {e(what)}</p>" if what else "",
        f"<p>It closes on <strong>{e(closes)}</strong>.</p>",
        f'<p><a href="{e(link)}">Open “{e(item.title)}”</a></p>',
        f"<p>Questions or need help? Contact the assembly team: {e(contact)}.</p>" if contact
        else "",
        ("<p>You get these reminders because you are a member of the assembly. To stop them, "
         "open your home page and choose “Stop e-mail reminders”.</p>"),
        f"<p>{e(settings.site_name)}</p>",
    ])
    return mail.Letter(to=to, subject=subject, text="\n".join(lines) + "\n", html=html)


def _escape(text: str) -> str:
    return str(escape(text))


def claim_event(session: Session, item: Round, event: Event, now: datetime) -> int | None:
    """Insert the event's row; its id if this call added it, None if it was there."""
    statement = db.insert(session, ReminderEvent).values(
        round_id=row_id(item.id), cycle=item.cycle, event=event.value, queued=0,
        recorded_at=now,
    ).on_conflict_do_nothing(index_elements=["round_id", "cycle", "event"]
                             ).returning(col(ReminderEvent.id))
    found = session.execute(statement).first()
    return None if found is None else int(found[0])


def queue_due(session: Session, settings: Settings, assembly: Assembly, now: datetime,
              link_for: Callable[[Round], str]) -> int:
    """Queue every reminder of this assembly that is due now and not queued before; how many
    e-mails were queued. Call in a write session; does nothing without an SMTP server."""
    if not mail.configured(settings):
        return 0
    assembly_id = row_id(assembly.id)
    items = [r for r in rounds.programme(session, assembly_id) if due_events(r, now)]
    if not items:
        return 0
    done = set(session.exec(select(ReminderEvent.round_id, ReminderEvent.cycle,
                                   ReminderEvent.event)
                            .where(col(ReminderEvent.round_id).in_([r.id for r in items]))).all())
    queued = 0
    recipients: list[Recipient] | None = None
    for item in items:
        events = [e for e in due_events(item, now) if (item.id, item.cycle, e.value) not in done]
        for event in events:
            event_id = claim_event(session, item, event, now)
            if event_id is None:
                continue  # another worker got there first
            if event is Event.opened and Event.closing in events:
                # Opened with less than a day to go: the opening e-mail already gives the
                # deadline, so the closing one is recorded as done and not sent as well.
                claim_event(session, item, Event.closing, now)
            if recipients is None:
                recipients = audience(session, assembly_id)[0]
            count = 0
            link = link_for(item)
            for person in recipients:
                if event is Event.closing and not has_something_to_do(session, item,
                                                                      person.member):
                    continue
                member_id = row_id(person.member.id)
                if outbox.enqueue(session, key=key(item, event, member_id),
                                  assembly_id=assembly_id, member_id=member_id, kind=KIND,
                                  letter=letter(settings, assembly, item, event, person.email,
                                                link, now), now=now):
                    count += 1
            session.execute(sa.update(ReminderEvent).where(col(ReminderEvent.id) == event_id)
                            .values(queued=count))
            audit.record(session, assembly_id, "schedule", "reminders.queued", {
                "round": item.public_id, "title": item.title, "cycle": item.cycle,
                "event": event.value, "emails": count})
            queued += count
            if event is Event.opened:
                break  # the closing event, if due too, was recorded with it
    return queued


def pass_all(engine: sa.engine.Engine, settings: Settings, now: datetime,
             link_for: Callable[[Round], str]) -> tuple[int, int]:
    """One pass over every assembly with a programme: record what the clock has done
    (`schedule.record_due`) and queue the reminders due; (changes recorded, e-mails queued).
    `minipublic tick` and the server's background loop both run this."""
    from assembly.deliberation import schedule

    with db.session(engine) as session:
        assembly_ids = schedule.assemblies_with_rounds(session)
    changes = emails = 0
    for assembly_id in assembly_ids:
        with db.session(engine) as session:
            pending = bool(schedule.pending(session, assembly_id, now))
            wanted = mail.configured(settings) and _reminders_pending(session, assembly_id, now)
        if not (pending or wanted):
            continue
        with db.session(engine, write=True) as session:
            changes += schedule.record_due(session, assembly_id, now)
            assembly = session.get(Assembly, assembly_id)
            if assembly is not None:
                emails += queue_due(session, settings, assembly, now, link_for)
    return changes, emails


def _reminders_pending(session: Session, assembly_id: int, now: datetime) -> bool:
    items = [r for r in rounds.programme(session, assembly_id) if due_events(r, now)]
    if not items:
        return False
    done = set(session.exec(select(ReminderEvent.round_id, ReminderEvent.cycle,
                                   ReminderEvent.event)
                            .where(col(ReminderEvent.round_id).in_([r.id for r in items]))).all())
    return any((r.id, r.cycle, e.value) not in done for r in items for e in due_events(r, now))


# --- opting out ----------------------------------------------------------------------------------


def opted_out(session: Session, member_id: int) -> bool:
    return session.get(ReminderOptOut, member_id) is not None


@dataclass(frozen=True)
class Choice:
    """What the member's home says about reminders."""

    stopped: bool       # they asked for no e-mail reminders
    has_email: bool     # their contact details hold an address
    mail_works: bool    # an e-mail server is set up


def choice_of(session: Session, settings: Settings, member: Member) -> Choice:
    email = session.exec(select(Contact.email).where(
        Contact.respondent_id == member.respondent_id)).first() or ""
    return Choice(opted_out(session, row_id(member.id)), "@" in email, mail.configured(settings))


def set_opt_out(session: Session, member: Member, stop: bool, *,
                now: datetime | None = None) -> bool:
    """Stop (or restart) a member's e-mail reminders; True if that changed anything."""
    member_id = row_id(member.id)
    row = session.get(ReminderOptOut, member_id)
    if stop == (row is not None):
        return False
    if stop:
        session.add(ReminderOptOut(member_id=member_id, opted_out_at=now or utcnow()))
    else:
        session.delete(row)
    audit.record(session, member.assembly_id, f"member:{member.public_id}",
                 "member.reminders_stopped" if stop else "member.reminders_restarted",
                 {"member": member.public_id})
    return True


def forget_member(session: Session, member_id: int) -> None:
    """Erasure: drop the member's opt-out row."""
    session.execute(sa.delete(ReminderOptOut).where(col(ReminderOptOut.member_id) == member_id))


# --- who runs the passes -------------------------------------------------------------------------


def link_maker(public_address: str, path_for: Callable[..., Any]) -> Callable[[Round], str]:
    """Full addresses of rounds' member pages, for e-mails sent outside any request."""
    return lambda item: public_address + str(path_for("member_round", round=item.public_id))


@contextlib.asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """While the server runs with an SMTP server configured, every `mail_interval_seconds`
    record the programme's changes of state and queue the reminders due (the outbox's own loop
    sends them). Every worker runs it; `reminder_event` and the outbox keys keep them apart.
    Without SMTP there is nothing to send, and pages and `minipublic tick` record the changes."""
    settings: Settings = app.state.settings
    if not mail.configured(settings):
        yield
        return
    engine: sa.engine.Engine = app.state.engine
    link_for = link_maker(settings.public_address, app.url_path_for)

    async def loop() -> None:
        while True:
            try:
                await to_thread.run_sync(pass_all, engine, settings, app.state.clock(),
                                         link_for)
            except Exception:  # a database hiccup must not stop reminders for good
                log.exception("reminders: pass failed; trying again later")
            await asyncio.sleep(settings.mail_interval_seconds)

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


# --- what officers see ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Undelivered:
    """An e-mail the outbox gave up on: to whom (the member's reference), what, and why."""

    message_id: int
    reference: str
    subject: str
    error: str
    attempts: int


@dataclass(frozen=True)
class MailPanel:
    configured: bool
    undelivered: list[Undelivered]
    waiting: int
    by_email: int      # members who get reminders by e-mail
    by_letter: int     # members who need a printed letter instead


def mail_panel(session: Session, settings: Settings, assembly_id: int) -> MailPanel:
    failed = list(outbox.failures(session, assembly_id))
    member_ids = [m.member_id for m in failed if m.member_id is not None]
    references: dict[int, str] = {}
    if member_ids:
        references = {row_id(member_id): external for member_id, external in session.exec(
            select(Member.id, Respondent.external_id)
            .join(Respondent, col(Respondent.id) == col(Member.respondent_id))
            .where(col(Member.id).in_(member_ids))).all()}
    by_email, by_letter = audience(session, assembly_id)
    return MailPanel(
        configured=mail.configured(settings),
        undelivered=[Undelivered(row_id(m.id), references.get(m.member_id or 0, "") or "–",
                                 m.subject, m.last_error, m.attempts) for m in failed],
        waiting=outbox.waiting(session, assembly_id),
        by_email=len(by_email) if mail.configured(settings) else 0,
        by_letter=len(by_letter) + (0 if mail.configured(settings) else len(by_email)))
