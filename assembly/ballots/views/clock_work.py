"""What every vote-round page does first: catch up with the clock.

It records the programme's transitions (`schedule.record_due`, which seals a vote that has
just closed), then, for the round on the page, freezes the ballot paper if the round has opened
or seals it if it has closed and nothing sealed it yet (say, the close was recorded before this
code was running). Each step is a cheap read when nothing is due.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session
from starlette.requests import Request

from assembly import db
from assembly.ballots import papers, sealing
from assembly.deliberation import rounds, schedule
from assembly.deliberation.models import Round, RoundState
from assembly.tables import row_id


async def caught_up(request: Request, assembly_id: int, now: datetime,
                    find: Callable[[Session], Round]) -> None:
    if await db.run(request, schedule.pending, assembly_id, now):
        await db.run(request, schedule.record_due, assembly_id, now, write=True)

    def due(session: Session) -> bool:
        item = find(session)
        state = rounds.state_of(item, now)
        if state is RoundState.open:
            return papers.of(session, item).frozen_at is None
        return state is not RoundState.scheduled and not sealing.sealed(session, row_id(item.id))

    if await db.run(request, due):
        def work(session: Session) -> None:
            item = find(session)
            papers.freeze(session, item, now)
            sealing.seal(session, item, now)

        await db.run(request, work, write=True)
