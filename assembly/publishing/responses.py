"""The council's response to each principle of the charter: accepted, accepted in part or not
accepted, with its reasons and the date it was given. Officers record it as the commissioning
body sends it; the next published version of the charter shows it under the principle."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, select

from assembly import audit
from assembly.assemblies.models import Assembly
from assembly.errors import ActionableError
from assembly.publishing.models import REASONS_LIMIT, CouncilResponse
from assembly.publishing.principles import InCharter
from assembly.tables import row_id
from charter.publication import RESPONSE_WORDS, ResponseStatus


class ResponseError(ActionableError):
    """A response that cannot be recorded as given; nothing was saved."""


def of_assembly(session: Session, assembly_id: int) -> dict[int, CouncilResponse]:
    """The responses recorded so far, by principle id."""
    return {r.principle_id: r for r in session.exec(
        select(CouncilResponse).where(CouncilResponse.assembly_id == assembly_id)).all()}


def check(status: str, reasons: str, responded_on: str, *, today: date
          ) -> tuple[ResponseStatus, str, date]:
    """The form's values as a response, or a ResponseError naming the field to fix."""
    try:
        chosen = ResponseStatus(status)
    except ValueError:
        raise ResponseError("Choose the council's answer: "
                            + ", ".join(w.lower() for w in RESPONSE_WORDS.values()) + ".",
                            field="status") from None
    reasons = reasons.strip()
    if not reasons:
        raise ResponseError("Give the council's reasons, as the council gave them: readers see "
                            "them under the principle.", field="reasons")
    if len(reasons) > REASONS_LIMIT:
        raise ResponseError(f"The reasons are {len(reasons):,} characters long; keep them under "
                            f"{REASONS_LIMIT:,} and link to the council's full report.",
                            field="reasons")
    try:
        when = date.fromisoformat(responded_on.strip())
    except ValueError:
        raise ResponseError("Give the date the council responded, as year-month-day (for "
                            "example 2026-07-01).", field="responded_on") from None
    if when > today:
        raise ResponseError(f"{when:%d %B %Y} is in the future: give the date the council "
                            "actually responded.", field="responded_on")
    return chosen, reasons, when


def record(session: Session, assembly: Assembly, entry: InCharter, status: ResponseStatus,
           reasons: str, responded_on: date, *, actor: str, now: datetime) -> bool:
    """Record (or revise) the response to one principle; False when nothing changed."""
    assembly_id, principle_id = row_id(assembly.id), row_id(entry.principle.id)
    found = session.exec(select(CouncilResponse).where(
        CouncilResponse.assembly_id == assembly_id,
        CouncilResponse.principle_id == principle_id)).first()
    if found is not None and (found.status, found.reasons, found.responded_on) == (
            status.value, reasons, responded_on):
        return False
    revised = found is not None
    if found is None:
        found = CouncilResponse(assembly_id=assembly_id, principle_id=principle_id,
                                status=status.value, reasons=reasons, responded_on=responded_on)
    found.status, found.reasons, found.responded_on = status.value, reasons, responded_on
    found.recorded_at, found.recorded_by = now, actor
    session.add(found)
    session.flush()
    audit.record(session, assembly_id, actor, "council.responded", {
        "principle": entry.number, "principle_title": entry.principle.title,
        "status": status.value, "responded_on": responded_on.isoformat(), "revised": revised})
    return True
