"""The public draw, the panel it chooses, its reserves, and replacing a member who drops out.

The draw is the engine's rule (`sortition.draw`): the committed lottery and a seed made in public
pick one ticket, so anyone holding the published files can repeat it. What this module adds is
the record: a `Draw` row (one per run, a UNIQUE constraint, so two clicks cannot draw twice), a
`Member` row for everyone chosen and for the first reserves, and an audit event for each step.
People are named by their respondents' public ids throughout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from assembly import audit, sessions
from assembly.assemblies.models import Assembly, AssemblyStatus
from assembly.assemblies.status import advance
from assembly.errors import Conflict
from assembly.recruitment.models import Respondent
from assembly.recruitment.pool import instance_from_db
from assembly.selection.models import (
    Draw,
    Member,
    MemberRole,
    MemberStatus,
    RunStatus,
    SelectionRun,
)
from assembly.tables import utcnow
from sortition import draw as public_draw
from sortition.model import Instance
from sortition.reserves import NoReplacement, find_reserves, replace_member

RESERVES_PER_MEMBER = 3  # reserves recorded per panel member, most similar first
ACTIVE = (MemberStatus.selected.value, MemberStatus.invited.value, MemberStatus.joined.value)
GONE = (MemberStatus.declined.value, MemberStatus.replaced.value)


class DrawError(Conflict):
    """The draw or a replacement cannot be done; the message says why and what to do."""


def draw_of(session: Session, assembly_id: int) -> Draw | None:
    """The assembly's public draw, if it has happened."""
    return session.exec(select(Draw).where(Draw.assembly_id == assembly_id)).first()


def panel_members(session: Session, assembly_id: int) -> list[Member]:
    """The current panel: drawn or promoted members who have not dropped out."""
    return list(session.exec(
        select(Member).where(Member.assembly_id == assembly_id,
                             Member.role == MemberRole.panel.value,
                             Member.status.in_(ACTIVE))  # type: ignore[attr-defined]
        .order_by(Member.id)).all())


def reserve_members(session: Session, assembly_id: int) -> list[Member]:
    return list(session.exec(
        select(Member).where(Member.assembly_id == assembly_id,
                             Member.role == MemberRole.reserve.value)
        .order_by(Member.id)).all())


def _instance_for(session: Session, run: SelectionRun) -> Instance:
    return instance_from_db(session, run.assembly_id, run.panel_size,
                            one_per_household=bool(run.options.get("one_per_household")))


def _respondents(session: Session, assembly_id: int, public_ids: list[str]) -> dict[str, int]:
    rows = session.exec(select(Respondent.public_id, Respondent.id).where(
        Respondent.assembly_id == assembly_id,
        Respondent.public_id.in_(public_ids))).all()  # type: ignore[attr-defined]
    return {public: int(rid) for public, rid in rows}


def perform_draw(session: Session, assembly: Assembly, run: SelectionRun, seed: str,
                 actor: str, officer_id: int | None) -> Draw:
    """Pick the panel from `run`'s lottery with the public `seed`, and record it.

    Raises DrawError when the run cannot be drawn from (not finished, not the latest, already
    drawn) or the seed is empty.
    """
    if run.status != RunStatus.done.value or not run.lottery or not run.commitment:
        raise DrawError("This selection has not finished, so there is nothing to draw from.")
    latest = session.exec(select(SelectionRun.id).where(SelectionRun.assembly_id == assembly.id)
                          .order_by(SelectionRun.id.desc())).first()  # type: ignore[union-attr]
    if latest != run.id:
        raise DrawError("A newer selection has been run; draw from the latest one.")
    try:
        outcome = public_draw.draw(run.commitment, seed, int(run.lottery["size"]))
    except ValueError as error:
        raise DrawError(str(error)) from None
    ids: list[str] = run.marginals["ids"] if run.marginals else []
    panel = sorted(int(i) for i in run.lottery["tickets"][outcome.ticket - 1])
    panel_ids = [ids[i] for i in panel]

    instance = _instance_for(session, run)
    if list(instance.pool.ids) != ids:
        raise DrawError("The pool has changed since this selection was computed. Run the "
                        "selection again.")
    reserves = find_reserves(instance, np.array(panel, dtype=np.int64))
    reserve_order: list[int] = []
    for rank in range(RESERVES_PER_MEMBER):
        for entry in reserves:
            if rank < len(entry.replacements) and entry.replacements[rank] not in reserve_order:
                reserve_order.append(entry.replacements[rank])
    reserve_ids = [ids[i] for i in reserve_order]

    record = Draw(run_id=run.id or 0, assembly_id=assembly.id or 0, seed=outcome.seed,
                  ticket=outcome.ticket, panel=panel_ids, reserves=reserve_ids,
                  drawn_by=officer_id)
    try:
        with session.begin_nested():
            session.add(record)
    except IntegrityError:
        raise DrawError("This selection has already been drawn.") from None
    respondents = _respondents(session, assembly.id or 0, panel_ids + reserve_ids)
    session.add_all([Member(assembly_id=assembly.id or 0, respondent_id=respondents[p],
                            draw_id=record.id, role=MemberRole.panel.value,
                            status_changed_at=utcnow()) for p in panel_ids])
    session.add_all([Member(assembly_id=assembly.id or 0, respondent_id=respondents[p],
                            draw_id=record.id, role=MemberRole.reserve.value,
                            status_changed_at=utcnow()) for p in reserve_ids])
    advance(session, assembly, AssemblyStatus.drawn)
    session.flush()
    audit.record(session, assembly.id or 0, actor, "draw.performed", {
        "run": run.id, "commitment": run.commitment, "seed": outcome.seed,
        "ticket": outcome.ticket, "lottery_size": outcome.lottery_size,
        "panel": panel_ids, "reserves": reserve_ids})
    return record


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
    if member.role != MemberRole.panel.value or member.status not in ACTIVE:
        raise DrawError("Only a current panel member can be replaced.")
    run = session.get(SelectionRun, draw.run_id)
    assert run is not None
    instance = _instance_for(session, run)
    index = {public: i for i, public in enumerate(instance.pool.ids)}
    public_of = dict(session.exec(select(Respondent.id, Respondent.public_id).where(
        Respondent.assembly_id == assembly.id)).all())
    current = panel_members(session, assembly.id or 0)
    if public_of.get(member.respondent_id) not in index:
        raise DrawError("This member's record was erased, so the quotas cannot be checked.")
    missing = [m for m in current if public_of.get(m.respondent_id) not in index]
    if missing:
        raise DrawError("Some panel members' records were erased, so the quotas cannot be "
                        "checked for a replacement.")
    panel = np.array(sorted(index[public_of[m.respondent_id]] for m in current), dtype=np.int64)
    gone = session.exec(select(Member.respondent_id).where(
        Member.assembly_id == assembly.id, Member.status.in_(GONE))).all()  # type: ignore[attr-defined]
    declined = [index[public_of[r]] for r in gone if public_of.get(r) in index]
    leaving_index = index[public_of[member.respondent_id]]
    try:
        _, joining_index = replace_member(instance, panel, leaving_index, declined=declined)
    except NoReplacement as error:
        raise DrawError(f"Nobody left in the pool can replace this member and keep every "
                        f"quota. {error}") from None
    joining_public = instance.pool.ids[joining_index]
    joining_respondent = _respondents(session, assembly.id or 0, [joining_public])[joining_public]
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
