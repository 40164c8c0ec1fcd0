"""Where an assembly stands across the rooms, for the rooms that come before.

A room may only import the rooms before it, yet the earlier ones need a few facts from later in
the journey: the overview shows how far selection has gone, and the pool and quotas must not
change once a selection is running or the panel is drawn. These are read here, from the tables
alone (like the rest of the plumbing, this module knows the rooms' tables and none of their
services), with each rule taken from the table's own module: `on_panel()`, `active_run()`,
`in_pool()`.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assembly import audit
from assembly.recruitment.models import Quota, Respondent, in_pool
from assembly.selection.models import (
    Decline,
    Draw,
    Member,
    MemberStatus,
    SelectionRun,
    active_run,
    on_panel,
)
from assembly.tables import attribute


@dataclass(frozen=True)
class Progress:
    """How far one assembly has gone: what its overview shows."""

    respondents: int
    quotas: int
    runs: list[SelectionRun]
    draw: Draw | None
    panel: int
    events: int
    declined: int = 0   # members who said no from their invitation page
    unfilled: int = 0   # ... of whom no reserve has taken the seat yet


def progress(session: Session, assembly_id: int) -> Progress:
    quotas = session.exec(select(sa.func.count()).select_from(Quota)
                          .where(Quota.assembly_id == assembly_id)).one()
    runs = session.exec(select(SelectionRun).where(SelectionRun.assembly_id == assembly_id)
                        .options(sa.orm.defer(attribute(SelectionRun.marginals)),
                                 sa.orm.defer(attribute(SelectionRun.lottery)))
                        .order_by(col(SelectionRun.id).desc())).all()
    draw = session.exec(select(Draw).where(Draw.assembly_id == assembly_id)).first()
    declined = unfilled = 0
    if draw is not None:
        declined, unfilled = session.exec(
            select(sa.func.count(), sa.func.count(sa.case(
                (col(Member.status) == MemberStatus.declined.value, 1))))
            .select_from(Decline).join(Member, col(Member.id) == col(Decline.member_id))
            .where(Member.assembly_id == assembly_id)).one()
    return Progress(respondents_in_pool(session).get(assembly_id, 0), int(quotas), list(runs),
                    draw, panel_sizes(session).get(assembly_id, 0),
                    audit.count(session, assembly_id), int(declined), int(unfilled))


def respondents_in_pool(session: Session) -> dict[int, int]:
    """Respondents in each assembly's pool (the erased do not count)."""
    rows = session.exec(select(Respondent.assembly_id, sa.func.count())
                        .where(in_pool()).group_by(col(Respondent.assembly_id))).all()
    return {int(assembly_id): int(count) for assembly_id, count in rows}


def panel_sizes(session: Session) -> dict[int, int]:
    """Members holding a seat, per assembly."""
    rows = session.exec(select(Member.assembly_id, sa.func.count())
                        .where(on_panel()).group_by(col(Member.assembly_id))).all()
    return {int(assembly_id): int(count) for assembly_id, count in rows}


def is_drawn(session: Session, assembly_id: int) -> bool:
    """Has the public draw chosen this assembly's panel?"""
    return session.exec(select(Draw.id).where(Draw.assembly_id == assembly_id)).first() is not None


def selection_inputs_locked(session: Session, assembly_id: int, what: str) -> str | None:
    """Why the pool or quotas (`what`) cannot change now, or None if they can."""
    if is_drawn(session, assembly_id):
        return (f"The panel has already been drawn, so the {what} can no longer change: the "
                "published commitment and the draw depend on them.")
    busy = session.exec(select(SelectionRun.id).where(SelectionRun.assembly_id == assembly_id,
                                                      active_run())).first()
    if busy is not None:
        return f"A selection is running; wait for it to finish before changing the {what}."
    return None


def discard_selections(session: Session, assembly_id: int) -> None:
    """Selections computed for an earlier pool or quotas no longer apply (the audit log keeps
    their commitments)."""
    session.exec(sa.delete(SelectionRun).where(col(SelectionRun.assembly_id) == assembly_id))
