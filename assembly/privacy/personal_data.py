"""Retention and erasure: the two ways personal data leaves the database.

Purge applies each assembly's retention period: once `retention_days` have passed since its draw,
the contact details and demographic profiles of respondents who were not drawn (neither panel nor
reserve) are deleted. What the assembly must go on showing survives: the respondent row with its
pool id, the per-category pool counts, the selection runs with their published files (so the
draw can still be checked), the draw and the audit log. The runs' auditor's files go: they hold
every respondent's answers behind the salts, so the audit must be done before purge.

Erasure is for one person who asks: their contact details and profile are blanked (the rows stay,
so nothing that refers to them breaks), any invitation stops working, any session ends, and a
member who had not left the panel is recorded as having declined, so the officer can replace them.

Both write an audit event that names the respondent by public id only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assembly import audit
from assembly.accounts import signin
from assembly.accounts.models import UserSession
from assembly.assemblies.models import Assembly
from assembly.errors import ActionableError
from assembly.invitations import credentials
from assembly.recruitment.models import Contact, Profile, Respondent
from assembly.selection import panel, publication
from assembly.selection.models import Draw, Member, SelectionRun
from assembly.settings import Settings
from assembly.tables import utcnow

PURGE_ACTOR = "system:purge"
# Ended sign-in sessions are kept this long for an admin to look into, then deleted.
ENDED_SESSIONS_KEPT = timedelta(days=30)


class ErasureError(ActionableError):
    """The person cannot be found or erased; the message says what to check."""


@dataclass(frozen=True)
class PurgeItem:
    """What purge does (or would do) to one assembly."""

    assembly_id: int
    title: str
    drawn_at: datetime | None
    due_at: datetime | None
    respondents: int

    @property
    def due(self) -> bool:
        return self.due_at is not None and self.respondents > 0


@dataclass(frozen=True)
class PurgeReport:
    items: list[PurgeItem]
    sessions: int
    login_attempts: int
    dry_run: bool

    @property
    def respondents(self) -> int:
        return sum(item.respondents for item in self.items if item.due)


def _not_drawn(assembly_id: int) -> sa.ColumnElement[bool]:
    """Respondents of the assembly who are neither on the panel nor reserves, not yet erased."""
    drawn = select(Member.respondent_id).where(Member.assembly_id == assembly_id)
    return sa.and_(
        col(Respondent.assembly_id) == assembly_id,
        col(Respondent.erased).is_(False),
        col(Respondent.id).not_in(drawn),
    )


def plan(session: Session, *, now: datetime | None = None) -> list[PurgeItem]:
    """Every assembly with its draw date, purge date and how many respondents purge would clear.

    `due_at` is None while there has been no draw; respondents counts what is due now.
    """
    now = now or utcnow()
    last_draw = dict(session.exec(
        select(Draw.assembly_id, sa.func.max(Draw.drawn_at)).group_by(col(Draw.assembly_id))
    ).all())
    items = []
    for assembly in session.exec(select(Assembly).order_by(col(Assembly.id))).all():
        assert assembly.id is not None
        drawn_at = last_draw.get(assembly.id)
        due_at = drawn_at + timedelta(days=assembly.retention_days) if drawn_at else None
        count = 0
        if due_at is not None and due_at <= now:
            count = int(session.exec(
                select(sa.func.count()).select_from(Respondent).where(_not_drawn(assembly.id))
            ).one())
        items.append(PurgeItem(assembly.id, assembly.title, drawn_at, due_at, count))
    return items


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
        if not item.due:
            continue
        targets = select(Respondent.id).where(_not_drawn(item.assembly_id))
        session.exec(sa.delete(Contact).where(col(Contact.respondent_id).in_(targets)))
        session.exec(sa.delete(Profile).where(col(Profile.respondent_id).in_(targets)))
        session.exec(
            sa.update(Respondent).where(_not_drawn(item.assembly_id))
            .values(erased=True, erased_at=now, household_key=None)
        )
        _drop_auditor_files(session, item.assembly_id)
        session.exec(
            sa.update(Assembly).where(col(Assembly.id) == item.assembly_id).values(purged_at=now))
        audit.record(session, item.assembly_id, PURGE_ACTOR, "personal_data.purged", {
            "respondents": item.respondents,
            "retention_days": (item.due_at - item.drawn_at).days
            if item.due_at and item.drawn_at else None,
        })
    old_sessions = session.exec(sa.delete(UserSession).where(ended)).rowcount
    attempts = signin.prune_attempts(session, settings)
    return PurgeReport(items, int(old_sessions), int(attempts), dry_run=False)


def _drop_auditor_files(session: Session, assembly_id: int) -> None:
    """The salts and everyone's answers by person number, kept for the auditor until purge."""
    for run in session.exec(select(SelectionRun).where(SelectionRun.assembly_id == assembly_id)):
        if run.lottery and run.lottery.get("auditor"):
            run.lottery = {**run.lottery, "auditor": {}}
            session.add(run)


@dataclass(frozen=True)
class Found:
    """A respondent an officer is about to erase; shown on the confirmation page."""

    respondent: Respondent
    name: str
    member: Member | None


def find(session: Session, assembly_id: int, reference: str) -> Found:
    """A respondent of this assembly by their id in the people file, or by e-mail address."""
    reference = reference.strip()
    if not reference:
        raise ErasureError("Enter the person's id from the people file, or their e-mail address.")
    query = select(Respondent).where(Respondent.assembly_id == assembly_id)
    if "@" in reference:
        query = query.join(Contact, col(Contact.respondent_id) == Respondent.id).where(
            sa.func.lower(Contact.email) == reference.lower())
    else:
        query = query.where(Respondent.external_id == reference)
    matches = session.exec(query).all()
    if not matches:
        raise ErasureError(
            "Nobody in this assembly's pool has that id or e-mail address. Check it against the "
            "people file; details that were already erased or purged cannot be searched.")
    if len(matches) > 1:
        raise ErasureError("More than one respondent has that e-mail address; use their id from "
                           "the people file instead.")
    respondent = matches[0]
    contact = session.get(Contact, respondent.id)
    member = session.exec(select(Member).where(Member.respondent_id == respondent.id)).first()
    return Found(respondent, contact.name if contact else "", member)


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
        panel.leave(session, member, now)
    audit.record(session, respondent.assembly_id, actor, "respondent.erased", {
        "respondent": respondent.public_id,
        "member": member.public_id if member is not None else None,
    })
    session.expire_all()
    return True
