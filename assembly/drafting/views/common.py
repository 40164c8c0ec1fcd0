"""What both audiences' draft-round views share: catching up with the clock first."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request

from assembly import db
from assembly.deliberation import schedule


async def caught_up(request: Request, assembly_id: int, now: datetime) -> None:
    """Record what the clock has done in the assembly's programme (opening or closing the draft
    round) before showing it, as the programme's own pages do (a read when nothing is due)."""
    if await db.run(request, schedule.pending, assembly_id, now):
        await db.run(request, schedule.record_due, assembly_id, now, write=True)
