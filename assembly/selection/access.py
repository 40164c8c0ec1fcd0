"""Loading a selection run or a member of an assembly: 404 unless it belongs to that assembly."""

from __future__ import annotations

from sqlmodel import Session
from starlette.exceptions import HTTPException

from assembly.assemblies.models import Assembly
from assembly.selection.models import Member, SelectionRun


def run_or_404(session: Session, assembly: Assembly, run_id: int) -> SelectionRun:
    run = session.get(SelectionRun, run_id)
    if run is None or run.assembly_id != assembly.id:
        raise HTTPException(404, "There is no such selection run.")
    return run


def member_or_404(session: Session, assembly_id: int, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None or member.assembly_id != assembly_id:
        raise HTTPException(404, "There is no such member in this assembly.")
    return member
