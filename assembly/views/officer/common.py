"""Small helpers every officer page shares."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlmodel import Session, select
from starlette.exceptions import HTTPException

from assembly.models import Assembly, Draw, SelectionRun
from sortition.model import Problem

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def assembly_or_404(session: Session, assembly_id: int) -> Assembly:
    assembly = session.get(Assembly, assembly_id)
    if assembly is None:
        raise HTTPException(404, "There is no such assembly.")
    return assembly


def run_or_404(session: Session, assembly: Assembly, run_id: int) -> SelectionRun:
    run = session.get(SelectionRun, run_id)
    if run is None or run.assembly_id != assembly.id:
        raise HTTPException(404, "There is no such selection run.")
    return run


def draw_of(session: Session, assembly_id: int) -> Draw | None:
    return session.exec(select(Draw).where(Draw.assembly_id == assembly_id)).first()


def problem_rows(problems: Sequence[Problem]) -> list[dict[str, object]]:
    """Problems as table rows for the error summary (file, row, column, message)."""
    return [{"file": p.file, "row": p.row, "column": p.column, "message": p.message}
            for p in problems]


def parse_date(text: str) -> date | None:
    """A date typed as YYYY-MM-DD (what <input type=date> sends); ValueError otherwise."""
    text = text.strip()
    if not text:
        return None
    return date.fromisoformat(text)


def whole_number(text: str, low: int, high: int) -> int:
    """A whole number in [low, high]; ValueError otherwise."""
    value = int(text.strip())
    if not low <= value <= high:
        raise ValueError(f"{value} is outside {low}-{high}")
    return value
