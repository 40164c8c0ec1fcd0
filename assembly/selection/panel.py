"""Who is on the panel, and members coming and going: every change of a member's status
happens here, with the enum, and is audited by the step that causes it.

The rule for holding a seat is `on_panel()` in the models; every list and count uses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import sqlalchemy as sa
from sqlmodel import Session, col, select

from assembly import audit, sessions
from assembly.assemblies.models import Assembly
from assembly.recruitment.models import Respondent
from assembly.selection.draws import DrawError, instance_for, respondent_ids
from assembly.selection.models import (
    LEFT,
    SEATED,
    Decline,
    Draw,
    Member,
    MemberRole,
    MemberStatus,
    SelectionRun,
    on_panel,
)
from assembly.tables import utcnow
from sortition.model import InputError
from sortition.model import Instance
from sortition.reserves import NoReplacement, replace_member, reserves_for

# Whoever can still be invited: drawn to the panel and not yet joined or gone.
INVITABLE = (MemberStatus.selected.value, MemberStatus.invited.value)


def panel_members(session: Session, assembly_id: int) -> list[Member]:
    """The current panel: drawn or promoted members who have not dropped out."""
    return list(session.exec(
        select(Member).where(Member.assembly_id == assembly_id, on_panel())
        .order_by(col(Member.id))).all())


def reserve_members(session: Session, assembly_id: int) -> list[Member]:
    return list(session.exec(
        select(Member).where(Member.assembly_id == assembly_id,
                             Member.role == MemberRole.reserve.value)
        .order_by(col(Member.id))).all())


def left_members(session: Session, assembly_id: int) -> list[Member]:
    """Members who left the panel (declined, dropped out, erased), earliest first."""
    return list(session.exec(select(Member).where(
        Member.assembly_id == assembly_id, col(Member.status).in_(LEFT))
        .order_by(col(Member.status_changed_at))).all())


def invitable_members(session: Session, assembly_id: int) -> list[Member]:
    return list(session.exec(
        select(Member)
        .where(Member.assembly_id == assembly_id, Member.role == MemberRole.panel.value,
               col(Member.status).in_(INVITABLE))
        .order_by(col(Member.id))
    ).all())


def mark_invited(session: Session, member_ids: Sequence[int], now: datetime) -> None:
    """Members sent their first invitation become `invited` (later letters change nothing)."""
    session.exec(
        sa.update(Member)
        .where(col(Member.id).in_(member_ids),
               col(Member.status) == MemberStatus.selected.value)
        .values(status=MemberStatus.invited.value, status_changed_at=now)
    )


def mark_joined(session: Session, member_id: int, issued_at: datetime, now: datetime) -> bool:
    """The member accepted an invitation issued at `issued_at`. Atomic: of two credentials of
    one letter redeemed at once, only one succeeds (the member row is the point of
    serialisation); False when the member has joined since, or holds no seat."""
    joined = session.exec(
        sa.update(Member)
        .where(col(Member.id) == member_id, col(Member.status).in_(SEATED),
               sa.or_(col(Member.joined_at).is_(None), col(Member.joined_at) < issued_at))
        .values(status=MemberStatus.joined.value, joined_at=now, status_changed_at=now)
        .returning(col(Member.id))
    ).first()
    return joined is not None


def leave(session: Session, member: Member, now: datetime | None = None) -> bool:
    """The member gives up their seat with nobody replacing them (their details were erased,
    or they said no); their sessions end. Returns whether they held a seat."""
    now = now or utcnow()
    left = session.exec(
        sa.update(Member)
        .where(col(Member.id) == member.id, col(Member.status).in_(SEATED))
        .values(status=MemberStatus.declined.value, status_changed_at=now)
        .returning(col(Member.id))
    ).first()
    sessions.revoke(session, member_id=member.id, reason="left the panel")
    return left is not None


# Longest reason a resident can give for saying no (the column holds as much).
DECLINE_REASON_LIMIT = 1000


def decline(session: Session, member: Member, *, reason: str, via: str, actor: str,
            now: datetime | None = None) -> bool:
    """The member says no to their seat: they become `declined` (the seat is empty until the
    officer calls a reserve with `replace`), their reason is kept apart as personal data (never
    in the audit log, which cannot be erased), and their sessions end. Returns False, changing
    nothing, when they hold no seat. The caller stops their invitations."""
    now = now or utcnow()
    left = session.exec(
        sa.update(Member)
        .where(col(Member.id) == member.id, col(Member.status).in_(SEATED))
        .values(status=MemberStatus.declined.value, status_changed_at=now)
        .returning(col(Member.id))
    ).first()
    if left is None:
        return False
    assert member.id is not None
    session.add(Decline(member_id=member.id, reason=reason[:DECLINE_REASON_LIMIT], via=via,
                        declined_at=now))
    session.flush()
    sessions.revoke(session, member_id=member.id, reason="declined")
    audit.record(session, member.assembly_id, actor, "member.declined", {
        "member": member.public_id, "via": via, "reason_given": bool(reason)})
    return True


def seat_is_empty(member: Member) -> bool:
    """A panel member who left (declined, or was erased) and whom no reserve has replaced yet."""
    return (member.role == MemberRole.panel.value
            and member.status == MemberStatus.declined.value and member.replaced_by is None)


@dataclass(frozen=True)
class Replacement:
    leaving: Member
    joining: Member


def replace(session: Session, assembly: Assembly, member: Member, actor: str,
            *, reason: str = "dropped out") -> Replacement:
    """`member` leaves the panel; the first reserve who keeps every quota joins.

    Reserves are worked out afresh against the panel as it is now (earlier replacements change
    who fits), skipping everyone who already declined or left. Raises DrawError (with the
    engine's explanation) when nobody can keep the quotas; nothing changes then.
    """
    draw = session.exec(select(Draw).where(Draw.assembly_id == assembly.id)).first()
    if draw is None:
        raise DrawError("The panel has not been drawn yet.")
    if member.role != MemberRole.panel.value or not (member.status in SEATED
                                                     or seat_is_empty(member)):
        raise DrawError("Only a current panel member, or one who declined and has not been "
                        "replaced yet, can be replaced.")
    run = session.get(SelectionRun, draw.run_id)
    assert run is not None
    try:
        instance = instance_for(session, run)
    except InputError as error:  # e.g. answers purged: the quotas cannot be checked any more
        raise DrawError("The quotas cannot be checked for a replacement: "
                        + " ".join(p.message for p in error.problems[:3])) from None
    index = {public: i for i, public in enumerate(instance.pool.ids)}
    public_of = dict(session.exec(select(Respondent.id, Respondent.public_id).where(
        Respondent.assembly_id == assembly.id)).all())
    current = panel_members(session, assembly.id or 0)
    if member.status not in SEATED:  # a member who declined: their empty seat is filled
        current.append(member)
    if public_of.get(member.respondent_id) not in index:
        raise DrawError("This member's record was erased, so the quotas cannot be checked.")
    missing = [m for m in current if public_of.get(m.respondent_id) not in index]
    if missing:
        raise DrawError("Some panel members' records were erased, so the quotas cannot be "
                        "checked for a replacement.")
    panel = np.array(sorted(index[public_of[m.respondent_id]] for m in current), dtype=np.int64)
    gone = session.exec(select(Member.respondent_id).where(
        Member.assembly_id == assembly.id, col(Member.status).in_(LEFT))).all()
    declined = [index[public_of[r]] for r in gone if public_of.get(r) in index]
    leaving_index = index[public_of[member.respondent_id]]
    try:
        _, joining_index = replace_member(instance, panel, leaving_index, declined=declined)
    except NoReplacement as error:
        raise NobodyCanReplace(str(error).replace(
            public_of[member.respondent_id], reference_of(session, member))) from None
    joining_public = instance.pool.ids[joining_index]
    joining_respondent = respondent_ids(session, assembly.id or 0, [joining_public])[joining_public]
    joining = session.exec(select(Member).where(
        Member.assembly_id == assembly.id, Member.respondent_id == joining_respondent)).first()
    now = utcnow()
    if joining is None:
        joining = Member(assembly_id=assembly.id or 0, respondent_id=joining_respondent,
                         draw_id=draw.id, role=MemberRole.panel.value, status_changed_at=now)
    else:
        joining.role, joining.status = MemberRole.panel.value, MemberStatus.selected.value
        joining.status_changed_at = now
    session.add(joining)
    session.flush()
    member.status, member.replaced_by, member.status_changed_at = (
        MemberStatus.replaced.value, joining.id, now)
    session.add(member)
    session.flush()
    # Someone who has left the panel must not keep a way in: end their sessions. Their unused
    # letters stop working too, because an invitation admits only a member who holds a seat.
    sessions.revoke(session, member_id=member.id, reason="left the panel")
    audit.record(session, assembly.id or 0, actor, "member.replaced", {
        "leaving": public_of[member.respondent_id], "joining": joining_public,
        "reason": reason})
    return Replacement(member, joining)


# --- seats nobody can fill -----------------------------------------------------------------------


class NobodyCanReplace(DrawError):
    """Nobody left in the pool keeps every quota in this member's place; the message says what a
    replacement would need. The officer can leave the seat empty instead."""


class SeatError(DrawError):
    """A seat cannot be left empty as asked; the message says why and what to do."""


def reference_of(session: Session, member: Member) -> str:
    """The member's id in the people file the officer uploaded: how officers know them."""
    respondent = session.get(Respondent, member.respondent_id)
    return respondent.external_id if respondent is not None else ""


@dataclass(frozen=True)
class _Seats:
    """The panel as it is now, in the engine's terms: who sits, who has left, who is who."""

    instance: Instance
    panel: np.ndarray
    gone: list[int]
    index: dict[int, int]  # respondent id -> position in the instance's pool


def _seats(session: Session, assembly: Assembly) -> _Seats | None:
    """None when the quotas cannot be checked any more (answers purged or erased)."""
    draw = session.exec(select(Draw).where(Draw.assembly_id == assembly.id)).first()
    run = session.get(SelectionRun, draw.run_id) if draw is not None else None
    if run is None:
        return None
    try:
        instance = instance_for(session, run)
    except InputError:
        return None
    position = {public: i for i, public in enumerate(instance.pool.ids)}
    index = {rid: position[public] for rid, public in session.exec(
        select(Respondent.id, Respondent.public_id).where(
            Respondent.assembly_id == assembly.id)).all() if public in position and rid}
    current = panel_members(session, assembly.id or 0)
    if any(m.respondent_id not in index for m in current):
        return None
    gone = session.exec(select(Member.respondent_id).where(
        Member.assembly_id == assembly.id, col(Member.status).in_(LEFT))).all()
    return _Seats(instance, np.array(sorted(index[m.respondent_id] for m in current),
                                     dtype=np.int64),
                  [index[r] for r in gone if r in index], index)


def without_replacement(session: Session, assembly: Assembly) -> dict[int, str] | None:
    """Panel members nobody left in the pool could replace and keep every quota, by member id,
    with the engine's explanation (naming them by their reference). The same rule as
    `replace` and the command line (`sortition.reserves.reserves_for`), worked out against the
    panel as it is now. None when the quotas cannot be checked any more."""
    seats = _seats(session, assembly)
    if seats is None:
        return None
    found: dict[int, str] = {}
    for member in panel_members(session, assembly.id or 0):
        spot = seats.index[member.respondent_id]
        reserves = reserves_for(seats.instance, seats.panel, spot, excluded=seats.gone)
        if not reserves.replacements:
            found[member.id or 0] = reserves.message.replace(
                seats.instance.pool.ids[spot], reference_of(session, member))
    return found


@dataclass(frozen=True)
class Shortfall:
    """A quota the panel falls short of: `seats` seated where at least `min` were wanted."""

    feature: str
    value: str
    seats: int
    min: int

    def __str__(self) -> str:
        return f"{self.feature} {self.value}: {self.seats} seated, at least {self.min} wanted"


def shortfalls(session: Session, assembly: Assembly) -> list[Shortfall]:
    """The quotas the current panel falls short of (after seats were left empty)."""
    seats = _seats(session, assembly)
    if seats is None:
        return []
    instance = seats.instance
    counts = instance.membership[:, seats.panel].sum(axis=1)
    return [Shortfall(c.feature, c.value, int(n), int(c.min))
            for c, n in zip(instance.quotas.categories, counts) if n < c.min]


def leave_seat_empty(session: Session, assembly: Assembly, member: Member, actor: str,
                     *, reason: str, now: datetime | None = None) -> list[Shortfall]:
    """`member` drops out and their seat stays empty, on purpose: the officer's `reason` is
    kept and audited with the quotas the panel now falls short of. Atomic: of two requests
    for the same seat only one succeeds, and a seat left empty cannot then be filled by a
    replacement. Raises SeatError, changing nothing, when there is no reason or no seat."""
    reason = " ".join(reason.split())
    if not reason:
        raise SeatError("Say why the seat is left empty, for example \"nobody left in the "
                        "pool keeps the quotas\".", field="reason")
    if len(reason) > 1000:
        raise SeatError("Keep the reason to 1,000 characters or fewer.", field="reason")
    if session.exec(select(Draw.id).where(Draw.assembly_id == assembly.id)).first() is None:
        raise SeatError("The panel has not been drawn yet.")
    possible = without_replacement(session, assembly)
    now = now or utcnow()
    left = session.exec(
        sa.update(Member)
        .where(col(Member.id) == member.id, col(Member.assembly_id) == assembly.id, on_panel())
        .values(status=MemberStatus.vacated.value, vacated_reason=reason, status_changed_at=now)
        .returning(col(Member.id))
    ).first()
    if left is None:
        raise SeatError("This member no longer holds a seat: their drop-out was already "
                        "recorded. See the panel page.")
    session.expire(member)
    sessions.revoke(session, member_id=member.id, reason="left the panel")
    short = shortfalls(session, assembly)
    public = session.exec(select(Respondent.public_id).where(
        Respondent.id == member.respondent_id)).one()
    audit.record(session, assembly.id or 0, actor, "member.seat_left_empty", {
        "leaving": public, "reason": reason,
        "replacement_possible": None if possible is None else (member.id or 0) not in possible,
        "shortfall": [{"feature": s.feature, "value": s.value, "seats": s.seats, "min": s.min}
                      for s in short]})
    return short
