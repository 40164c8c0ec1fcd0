"""The public draw, the panel it chooses, its reserves, and replacing a member who drops out.

The draw is the engine's rule (`sortition.draw`): the committed lottery and a seed made in public
pick one ticket, so anyone holding the published files can repeat it. What this module adds is
the record: a `Draw` row (one per run, a UNIQUE constraint, so two clicks cannot draw twice), a
`Member` row for everyone chosen and for the first reserves, and an audit event for each step.
People are named by their respondents' public ids throughout.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from assembly import audit
from assembly.assemblies.models import Assembly, AssemblyStatus
from assembly.assemblies.status import advance
from assembly.errors import Conflict
from assembly.recruitment.models import Respondent
from assembly.recruitment.pool import instance_from_db
from assembly.selection.models import (
    Draw,
    Member,
    MemberRole,
    RunStatus,
    SelectionRun,
)
from assembly.tables import row_id, utcnow
from sortition import draw as public_draw
from sortition.model import Instance
from sortition.reserves import find_reserves

RESERVES_PER_MEMBER = 3  # reserves recorded per panel member, most similar first


class DrawError(Conflict):
    """The draw or a replacement cannot be done; the message says why and what to do."""


def draw_of(session: Session, assembly_id: int) -> Draw | None:
    """The assembly's public draw, if it has happened."""
    return session.exec(select(Draw).where(Draw.assembly_id == assembly_id)).first()


def instance_for(session: Session, run: SelectionRun) -> Instance:
    return instance_from_db(session, run.assembly_id, run.panel_size,
                            one_per_household=bool(run.options.get("one_per_household")))


def respondent_ids(session: Session, assembly_id: int, public_ids: list[str]) -> dict[str, int]:
    rows = session.exec(select(Respondent.public_id, Respondent.id).where(
        Respondent.assembly_id == assembly_id,
        col(Respondent.public_id).in_(public_ids))).all()
    return {public: row_id(rid) for public, rid in rows}


def perform_draw(session: Session, assembly: Assembly, run: SelectionRun, seed: str,
                 actor: str, officer_id: int | None) -> Draw:
    """Pick the panel from `run`'s lottery with the public `seed`, and record it.

    Raises DrawError when the run cannot be drawn from (not finished, not the latest, already
    drawn) or the seed is empty.
    """
    if run.status != RunStatus.done.value or not run.lottery or not run.commitment:
        raise DrawError("This selection has not finished, so there is nothing to draw from.")
    latest = session.exec(select(SelectionRun.id).where(SelectionRun.assembly_id == assembly.id)
                          .order_by(col(SelectionRun.id).desc())).first()
    if latest != run.id:
        raise DrawError("A newer selection has been run; draw from the latest one.")
    try:
        outcome = public_draw.draw(run.commitment, seed, int(run.lottery["size"]))
    except ValueError as error:
        raise DrawError(str(error)) from None
    ids: list[str] = run.marginals["ids"] if run.marginals else []
    panel = sorted(int(i) for i in run.lottery["tickets"][outcome.ticket - 1])
    panel_ids = [ids[i] for i in panel]

    instance = instance_for(session, run)
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
    respondents = respondent_ids(session, assembly.id or 0, panel_ids + reserve_ids)
    session.add_all([Member(assembly_id=assembly.id or 0, respondent_id=respondents[p],
                            draw_id=record.id, role=MemberRole.panel.value,
                            status_changed_at=utcnow()) for p in panel_ids])
    session.add_all([Member(assembly_id=assembly.id or 0, respondent_id=respondents[p],
                            draw_id=record.id, role=MemberRole.reserve.value,
                            status_changed_at=utcnow()) for p in reserve_ids])
    advance(session, assembly, AssemblyStatus.drawn)
    session.flush()
    audit.record(session, assembly.id or 0, actor, "draw.performed", {
        "run": run.id, "run_number": run.number, "commitment": run.commitment,
        "seed": outcome.seed,
        "ticket": outcome.ticket, "lottery_size": outcome.lottery_size,
        "panel": panel_ids, "reserves": reserve_ids})
    return record
