"""Reading what people type into forms: dates, whole numbers, and file problems as table rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sortition.model import Problem

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


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
