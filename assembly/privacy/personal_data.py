"""Retention and erasure: the two ways personal data leaves the database.

Purge applies each assembly's retention periods, which fit its calendar:

- respondents who were not drawn (neither panel nor reserve) are needed only until the panel is
  settled: their contact details and demographic profiles are deleted `retention_days` after the
  draw;
- panel members and reserves are needed until the assembly is over (a reserve may be called up
  to the last meeting): theirs are deleted `member_retention_days` after its end date
  (`Assembly.ends_on`). Without an end date, the end is taken to be `ASSUMED_LENGTH` after the
  draw, and the personal-data page and `minipublic purge` say so.

What the assembly must go on showing survives: the respondent row with its pool id (so the
published lottery can still be checked), the per-category pool counts, the selection runs, the
draw, the member rows and the audit log. The runs' auditor's files go with the first purge: they
hold every respondent's answers behind the salts, so the audit must be done before then. An id
from the people file goes too unless it is a plain reference (see `plain_reference`).

A member's reason for declining their invitation (`Decline.reason`) is personal data too: purge and
erasure blank it with the rest, keeping the date.

Erasure is for one person who asks: their contact details and profile are blanked (the rows stay,
so nothing that refers to them breaks), their id from the people file is replaced unless it is a
plain reference, any invitation stops working, any session ends, and a member who had not left the
panel is recorded as having declined, so the officer can replace them.

Both write an audit event that names the respondent by public id only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assembly import audit, outbox
from assembly.accounts import signin
from assembly.accounts.models import UserSession
from assembly.assemblies.models import Assembly
from assembly.deliberation import briefings, questions, reminders
from assembly.errors import ActionableError
from assembly.invitations import credentials, returning
from assembly.recruitment.models import Contact, Profile, Respondent
from assembly.recruitment.respondents import find_by_reference
from assembly.selection import panel, publication
from assembly.selection.models import Decline, Draw, Member, SelectionRun
from assembly.settings import Settings
from assembly.tables import row_id, utcnow

PURGE_ACTOR = "system:purge"
# Ended sign-in sessions are kept this long for an admin to look into, then deleted.
ENDED_SESSIONS_KEPT = timedelta(days=30)
# A sent e-mail is kept (without its body) only to stop a repeat of the same reminder.
SENT_MAIL_KEPT = timedelta(days=90)
# Without an end date, an assembly is taken to end this long after its draw.
ASSUMED_LENGTH = timedelta(days=365)
# Retention periods an officer may choose, in days.
MAX_RETENTION_DAYS = 3650

NOT_DRAWN = "not_drawn"
DRAWN = "drawn"


class ErasureError(ActionableError):
    """The person cannot be found or erased; the message says what to check."""


class RetentionError(ActionableError):
    """A retention period that cannot be used; `errors` says which and why."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


# --- references ----------------------------------------------------------------------------------

_EMAIL_LIKE = re.compile(r"[^@\s]+@[^@\s]+")
_PHONE_LIKE = re.compile(r"\+?[\d\s().\-/]+")


def looks_like_contact(value: str) -> bool:
    """An e-mail address or a phone number (nine digits or more), however it is written."""
    value = value.strip()
    if _EMAIL_LIKE.search(value):
        return True
    return bool(_PHONE_LIKE.fullmatch(value)) and sum(c.isdigit() for c in value) >= 9


def plain_reference(id_source: str, external_id: str) -> bool:
    """Is this id from the people file safe to keep once the person's details are gone?

    A row number is (the app made it); a value from the file's id column is, unless it looks
    like an e-mail address or a phone number; an id whose source was not recorded is not.
    """
    if id_source == "row":
        return True
    return id_source == "column" and not looks_like_contact(external_id)


def neutral_reference(respondent_public_id: str) -> str:
    """What replaces a personal id: unique (the public id is), and says what happened."""
    return f"erased-{respondent_public_id}"


def _neutralise_references(session: Session, condition: sa.ColumnElement[bool]) -> None:
    """Replace every id from the people file that is not a plain reference, among `condition`."""
    rows = session.exec(select(Respondent.id, Respondent.id_source, Respondent.external_id)
                        .where(condition)).all()
    personal = [rid for rid, source, external in rows if not plain_reference(source, external)]
    neutral = sa.literal(neutral_reference(""), sa.String) + col(Respondent.public_id)
    for start in range(0, len(personal), 500):  # one statement per 500, not one per person
        session.exec(sa.update(Respondent)
                     .where(col(Respondent.id).in_(personal[start:start + 500]))
                     .values(external_id=neutral))


# --- retention -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Retention:
    """When one group's personal data goes: counted from `counted_from`, due at `due_at`."""

    group: str
    days: int
    counted_from: datetime | None
    due_at: datetime | None
    held: int          # respondents of the group whose details are still held
    due_now: int       # of those, how many purge deletes now


@dataclass(frozen=True)
class PurgeItem:
    """What purge does (or would do) to one assembly."""

    assembly_id: int
    title: str
    drawn_at: datetime | None
    ends_on: date | None
    end_assumed: bool       # no end date: the end is taken to be ASSUMED_LENGTH after the draw
    not_drawn: Retention
    drawn: Retention

    @property
    def groups(self) -> tuple[Retention, Retention]:
        return (self.not_drawn, self.drawn)

    @property
    def respondents(self) -> int:
        return sum(group.due_now for group in self.groups)

    @property
    def due(self) -> bool:
        return self.respondents > 0

    @property
    def end_at(self) -> datetime | None:
        """The moment the assembly is over, from which members' retention is counted."""
        return self.drawn.counted_from


@dataclass(frozen=True)
class PurgeReport:
    items: list[PurgeItem]
    sessions: int
    login_attempts: int
    dry_run: bool

    @property
    def respondents(self) -> int:
        return sum(item.respondents for item in self.items)


def _held(assembly_id: int, group: str) -> sa.ColumnElement[bool]:
    """Respondents of the assembly in `group` whose details are still held."""
    drawn = select(Member.respondent_id).where(Member.assembly_id == assembly_id)
    return sa.and_(
        col(Respondent.assembly_id) == assembly_id,
        col(Respondent.erased).is_(False),
        col(Respondent.id).in_(drawn) if group == DRAWN else col(Respondent.id).not_in(drawn),
    )


def _not_drawn(assembly_id: int) -> sa.ColumnElement[bool]:
    return _held(assembly_id, NOT_DRAWN)


def end_of(ends_on: date) -> datetime:
    """The end of the assembly's last day (the start of the next, in UTC)."""
    return datetime.combine(ends_on + timedelta(days=1), time.min, tzinfo=UTC)


def plan(session: Session, *, now: datetime | None = None,
         assembly_id: int | None = None) -> list[PurgeItem]:
    """Every assembly (or one) with, for each group, when its details are due for deletion and
    how many respondents purge would clear now. A fixed number of queries, however many
    assemblies and respondents there are."""
    now = now or utcnow()
    assemblies = select(Assembly).order_by(col(Assembly.id))
    draws = select(Draw.assembly_id, sa.func.max(Draw.drawn_at)).group_by(col(Draw.assembly_id))
    is_drawn = sa.case((col(Member.id).is_(None), 0), else_=1)
    held = (select(Respondent.assembly_id, is_drawn, sa.func.count())
            .select_from(Respondent)
            .outerjoin(Member, col(Member.respondent_id) == col(Respondent.id))
            .where(col(Respondent.erased).is_(False))
            .group_by(col(Respondent.assembly_id), is_drawn))
    if assembly_id is not None:
        assemblies = assemblies.where(col(Assembly.id) == assembly_id)
        draws = draws.where(col(Draw.assembly_id) == assembly_id)
        held = held.where(col(Respondent.assembly_id) == assembly_id)
    last_draw = {int(a): d for a, d in session.exec(draws).all()}
    counts = {(int(a), bool(drawn)): int(n) for a, drawn, n in session.exec(held).all()}
    items = []
    for assembly in session.exec(assemblies).all():
        assert assembly.id is not None
        drawn_at = last_draw.get(assembly.id)
        end_at: datetime | None = None
        if assembly.ends_on is not None:
            end_at = end_of(assembly.ends_on)
        elif drawn_at is not None:
            end_at = drawn_at + ASSUMED_LENGTH

        def group(name: str, days: int, start: datetime | None) -> Retention:
            due_at = start + timedelta(days=days) if start is not None and drawn_at else None
            held = counts.get((assembly.id or 0, name == DRAWN), 0)
            return Retention(name, days, start, due_at, held,
                             held if due_at is not None and due_at <= now else 0)

        items.append(PurgeItem(
            assembly.id, assembly.title, drawn_at, assembly.ends_on,
            assembly.ends_on is None,
            group(NOT_DRAWN, assembly.retention_days, drawn_at),
            group(DRAWN, assembly.member_retention_days, end_at)))
    return items


def plan_for(session: Session, assembly_id: int, *, now: datetime | None = None) -> PurgeItem:
    return plan(session, now=now, assembly_id=assembly_id)[0]


def purge(session: Session, settings: Settings, *, dry_run: bool = False,
          now: datetime | None = None) -> PurgeReport:
    """Apply the retention periods. With `dry_run`, count and change nothing."""
    now = now or utcnow()
    items = plan(session, now=now)
    ended = sa.or_(col(UserSession.expires_at) < now - ENDED_SESSIONS_KEPT,
                   col(UserSession.revoked_at) < now - ENDED_SESSIONS_KEPT)
    if dry_run:
        old_sessions = int(session.exec(
            select(sa.func.count()).select_from(UserSession).where(ended)).one())
        return PurgeReport(items, old_sessions, 0, dry_run=True)
    for item in items:
        for group in item.groups:
            if not group.due_now:
                continue
            held = _held(item.assembly_id, group.group)
            targets = select(Respondent.id).where(held)
            session.exec(sa.delete(Contact).where(col(Contact.respondent_id).in_(targets)))
            session.exec(sa.delete(Profile).where(col(Profile.respondent_id).in_(targets)))
            _blank_decline_reasons(session, targets)
            for member_id in session.exec(select(Member.id).where(
                    col(Member.respondent_id).in_(targets))).all():
                briefings.forget_member(session, row_id(member_id))
                questions.forget_member(session, row_id(member_id))
            _neutralise_references(session, held)
            session.exec(
                sa.update(Respondent).where(held)
                .values(erased=True, erased_at=now, household_key=None))
            _drop_auditor_files(session, item.assembly_id)
            audit.record(session, item.assembly_id, PURGE_ACTOR, "personal_data.purged", {
                "group": group.group,
                "respondents": group.due_now,
                "retention_days": group.days,
                "counted_from": ("draw" if group.group == NOT_DRAWN
                                 else "assumed end" if item.end_assumed else "end"),
            })
        if item.due:
            session.exec(
                sa.update(Assembly).where(col(Assembly.id) == item.assembly_id)
                .values(purged_at=now))
    old_sessions = session.exec(sa.delete(UserSession).where(ended)).rowcount
    attempts = signin.prune_attempts(session, settings)
    outbox.purge_sent(session, older_than=SENT_MAIL_KEPT, now=now)
    return PurgeReport(items, int(old_sessions), int(attempts), dry_run=False)


def _blank_decline_reasons(session: Session, respondents: sa.Select[Any]) -> None:
    """A member's reason for declining is theirs: it goes with their details (the date stays,
    so the panel's history still adds up)."""
    session.exec(sa.update(Decline).where(col(Decline.member_id).in_(
        select(Member.id).where(col(Member.respondent_id).in_(respondents)))).values(reason=""))


def _drop_auditor_files(session: Session, assembly_id: int) -> None:
    """The salts and everyone's answers by person number, kept for the auditor until purge."""
    for run in session.exec(select(SelectionRun).where(SelectionRun.assembly_id == assembly_id)):
        if run.lottery and run.lottery.get("auditor"):
            run.lottery = {**run.lottery, "auditor": {}}
            session.add(run)


def check_retention(values: dict[str, str]) -> dict[str, int]:
    """The two retention periods as typed, checked; RetentionError says what is wrong."""
    errors: dict[str, str] = {}
    cleaned: dict[str, int] = {}
    for name, who, since in (("retention_days", "respondents who were not drawn", "the draw"),
                             ("member_retention_days", "panel members and reserves",
                              "the assembly ends")):
        text = values.get(name, "").strip()
        try:
            number = int(text)
            if not 0 <= number <= MAX_RETENTION_DAYS:
                raise ValueError
            cleaned[name] = number
        except ValueError:
            errors[name] = (f"Enter how many days after {since} to keep the details of {who}, "
                            f"as a whole number from 0 to {MAX_RETENTION_DAYS:,}"
                            f"{f' (not {text[:20]!r})' if text else ''}.")
    if errors:
        raise RetentionError(errors)
    return cleaned


def set_retention(session: Session, assembly: Assembly, *, retention_days: int,
                  member_retention_days: int, actor: str) -> bool:
    """Change the assembly's retention periods (checked with `check_retention`); audited.
    Returns whether anything changed."""
    before = {"retention_days": assembly.retention_days,
              "member_retention_days": assembly.member_retention_days}
    after = {"retention_days": retention_days, "member_retention_days": member_retention_days}
    if before == after:
        return False
    assembly.retention_days = retention_days
    assembly.member_retention_days = member_retention_days
    session.add(assembly)
    session.flush()
    audit.record(session, assembly.id or 0, actor, "retention.changed", {
        name: {"from": before[name], "to": after[name]}
        for name in after if before[name] != after[name]})
    return True


@dataclass(frozen=True)
class Found:
    """A respondent an officer is about to erase; shown on the confirmation page."""

    respondent: Respondent
    name: str
    member: Member | None
    decline: Decline | None = None  # why they said no to their invitation, if they did


def find(session: Session, assembly_id: int, reference: str) -> Found:
    """A respondent of this assembly by their id in the people file, or by e-mail address."""
    reference = reference.strip()
    if not reference:
        raise ErasureError("Enter the person's id from the people file, or their e-mail address.")
    query = select(Respondent).where(Respondent.assembly_id == assembly_id)
    if "@" in reference:
        matches = session.exec(query.join(Contact, col(Contact.respondent_id) == Respondent.id)
                               .where(sa.func.lower(Contact.email) == reference.lower())).all()
    else:  # capital and small letters alike, as on the pool and panel pages
        matches = find_by_reference(session, assembly_id, reference)
    if not matches:
        raise ErasureError(
            "Nobody in this assembly's pool has that id or e-mail address. Check it against the "
            "people file; details that were already erased or purged cannot be searched.")
    exact = [m for m in matches if m.external_id == reference]
    if len(matches) > 1 and len(exact) == 1:  # ids differing only in case: the exact one
        matches = exact
    if len(matches) > 1:
        raise ErasureError("More than one respondent has that e-mail address; use their id from "
                           "the people file instead." if "@" in reference else
                           "More than one respondent has that id in different capital letters; "
                           "type it exactly as in the people file.")
    respondent = matches[0]
    contact = session.get(Contact, respondent.id)
    member = session.exec(select(Member).where(Member.respondent_id == respondent.id)).first()
    decline = session.get(Decline, member.id) if member is not None else None
    return Found(respondent, contact.name if contact else "", member, decline)


def by_public_id(session: Session, public_id: str) -> Respondent:
    respondent = session.exec(
        select(Respondent).where(Respondent.public_id == public_id.strip())).first()
    if respondent is None:
        raise ErasureError(f"There is no respondent with the id {public_id.strip()!r}.")
    return respondent


def erase(session: Session, respondent: Respondent, actor: str, *,
          now: datetime | None = None) -> bool:
    """Blank one person's details; False if they were already erased (nothing to do)."""
    assert respondent.id is not None
    if respondent.erased:
        return False
    now = now or utcnow()
    session.exec(sa.update(Contact).where(col(Contact.respondent_id) == respondent.id).values(
        name="", email="", phone="", address_line_1="", address_line_2="", address_line_3="",
        town="", postcode=""))
    session.exec(sa.update(Profile).where(col(Profile.respondent_id) == respondent.id)
                 .values(values={}))
    _blank_decline_reasons(session, select(Respondent.id).where(Respondent.id == respondent.id))
    _neutralise_references(session, col(Respondent.id) == respondent.id)
    session.exec(sa.update(Respondent).where(col(Respondent.id) == respondent.id).values(
        erased=True, erased_at=now, household_key=None))
    for run in session.exec(select(SelectionRun).where(
            SelectionRun.assembly_id == respondent.assembly_id)):
        if publication.forget(run, respondent.public_id):
            session.add(run)
    member = session.exec(select(Member).where(Member.respondent_id == respondent.id)).first()
    if member is not None and member.id is not None:
        credentials.lock_members(session, [member.id])
        credentials.revoke_outstanding(session, [member.id], now=now)
        returning.revoke_all(session, member.id, now=now)
        panel.leave(session, member, now)
        outbox.forget_member(session, member.id)
        reminders.forget_member(session, member.id)
        briefings.forget_member(session, member.id)
        questions.forget_member(session, member.id)
    audit.record(session, respondent.assembly_id, actor, "respondent.erased", {
        "respondent": respondent.public_id,
        "member": member.public_id if member is not None else None,
    })
    session.expire_all()
    return True
