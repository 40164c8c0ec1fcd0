"""What both audiences' views share: catching up with the clock, and calendar files."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response

from assembly import db
from assembly.deliberation import ics, schedule, timeline
from assembly.deliberation.models import Meeting
from assembly.templating import url


async def caught_up(request: Request, assembly_id: int, now: datetime) -> None:
    """Record what the clock has done in this assembly's programme (a read when nothing is
    due; a short write when something is)."""
    if await db.run(request, schedule.pending, assembly_id, now):
        await db.run(request, schedule.record_due, assembly_id, now, write=True)


def calendar_response(body: str, filename: str) -> Response:
    return Response(body.encode("utf-8"), media_type="text/calendar; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-cache",
    })


def _absolute(request: Request, path: str) -> str:
    return request.app.state.settings.public_url + path


def programme_ics(request: Request, view: timeline.Timeline, *, officer: bool) -> str:
    """Every meeting and round of the programme as one calendar."""
    domain = timeline.host(request.app.state.settings.public_url)
    events: list[ics.Event] = []
    for meeting_view in view.meetings:
        events.append(timeline.meeting_event(meeting_view, domain))
    for round_view in view.rounds:
        link = _absolute(request, url(request, "round", assembly_id=view.assembly.id,
                                      round_id=round_view.round.id) if officer else
                         url(request, "member_round", round=round_view.round.public_id))
        events.append(timeline.round_event(round_view, domain, link=link))
    return ics.calendar(events, name=view.assembly.title, stamp=view.now)


def meeting_ics(request: Request, view: timeline.Timeline, meeting: Meeting) -> str:
    domain = timeline.host(request.app.state.settings.public_url)
    meeting_view = next(m for m in view.meetings if m.meeting.id == meeting.id)
    return ics.calendar([timeline.meeting_event(meeting_view, domain)],
                        name=view.assembly.title, stamp=view.now)

