"""The member's home: what is open now and what it asks of them, what comes next, what is
done, and the meetings; one round's page; and calendar files for their phone.

Plain words, large type, no JavaScript needed. Times are in the assembly's time zone and in
words ("closes Friday 14 March at 6pm").
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from assembly import clock, db, forms, mail
from assembly.authz import require
from assembly.deliberation import briefings, questions, reminders, rounds, timeline
from assembly.deliberation.access import (
    members_assembly,
    members_meeting,
    members_round,
)
from assembly.deliberation.models import (
    Briefing,
    Meeting,
    Question,
    Round,
    RoundKind,
    RoundState,
)
from assembly.deliberation.views import common
from assembly.tables import row_id
from assembly.templating import render, see_other, url


async def home(request: Request) -> Response:
    actor = require(request, "member.welcome")
    assert actor.member is not None
    now = clock.now(request)
    await common.caught_up(request, actor.member.assembly_id, now)

    def load(session: Session) -> tuple[timeline.Timeline, reminders.Choice]:
        assert actor.member is not None
        return (timeline.load(session, members_assembly(session, actor), now,
                              member=actor.member),
                reminders.choice_of(session, request.app.state.settings, actor.member))

    view, choice = await db.run(request, load)
    return render(request, "deliberation/home.html", {"assembly": view.assembly, "t": view,
                                                      "reminders": choice})


async def set_reminders(request: Request) -> Response:
    """Stop or restart e-mail reminders (a plain form on the home page)."""
    actor = require(request, "member.account")
    assert actor.member is not None
    member = actor.member
    stop = forms.text(await forms.read(request), "reminders") == "stop"

    def work(session: Session) -> bool:
        return reminders.set_opt_out(session, member, stop, now=clock.now(request))

    await db.run(request, work, write=True)
    if stop:
        message = "We will not e-mail you reminders. You can still see everything on this page."
    elif mail.configured(request.app.state.settings):
        message = "We will e-mail you when a round opens and before it closes."
    else:
        message = "When e-mail reminders start, we will e-mail you when a round opens."
    return see_other(request, url(request, "member_home") + "#reminders", message)


@dataclass(frozen=True)
class RoundPage:
    programme: timeline.Timeline
    view: timeline.RoundView
    library: Library | None


@dataclass(frozen=True)
class Library:
    """A learn round's evidence as one member sees it."""

    briefings: list[Briefing]
    read: set[int]
    questions: list[Question]          # published, oldest first
    duplicates: dict[int, int]
    titles: dict[int, str]


def library(session: Session, round_item: Round, member_id: int) -> Library | None:
    if RoundKind(round_item.kind) is not RoundKind.learn:
        return None
    round_id = row_id(round_item.id)
    items = briefings.of_round(session, round_id)
    everything = questions.of_round(session, round_id)
    return Library(items, briefings.read_by(session, member_id, [row_id(i.id) for i in items]),
                   [q for q in everything if q.status == "published"],
                   questions.merged_counts(everything),
                   {row_id(i.id): i.title for i in items})


async def round_page(request: Request) -> Response:
    actor = require(request, "member.welcome")
    assert actor.member is not None
    now = clock.now(request)
    await common.caught_up(request, actor.member.assembly_id, now)

    def visit(session: Session) -> None:
        item = members_round(session, actor, request.path_params["round"])
        if rounds.state_of(item, now) is not RoundState.scheduled:
            briefings.visited(session, item, row_id(actor.member.id if actor.member else None),
                              now=now)

    await db.run(request, visit, write=True)
    return await render_round(request, {}, {"text": ""})


async def render_round(request: Request, errors: dict[str, str], values: dict[str, str], *,
                       status_code: int = 200) -> Response:
    """A round's page for the member; with `errors`, the question form's problems."""
    actor = require(request, "member.welcome")
    assert actor.member is not None
    now = clock.now(request)
    member_id = row_id(actor.member.id)

    def load(session: Session) -> RoundPage:
        item = members_round(session, actor, request.path_params["round"])
        view = timeline.load(session, members_assembly(session, actor), now, member=actor.member)
        started = rounds.state_of(item, now) is not RoundState.scheduled
        return RoundPage(view, next(v for v in view.rounds if v.round.id == item.id),
                         library(session, item, member_id) if started else None)

    page = await db.run(request, load)
    meetings = [m for m in page.programme.coming_meetings if m.meeting in page.view.meetings]
    return render(request, "deliberation/member_round.html",
                  {"assembly": page.programme.assembly, "t": page.programme, "v": page.view,
                   "meetings": meetings, "library": page.library, "errors": errors,
                   "values": values, "limit": questions.LIMIT}, status_code=status_code)


async def programme_calendar(request: Request) -> Response:
    actor = require(request, "member.welcome")
    now = clock.now(request)

    def load(session: Session) -> timeline.Timeline:
        return timeline.load(session, members_assembly(session, actor), now)

    view = await db.run(request, load)
    return common.calendar_response(common.programme_ics(request, view, officer=False),
                                    "assembly-programme.ics")


async def meeting_calendar(request: Request) -> Response:
    actor = require(request, "member.welcome")
    now = clock.now(request)

    def load(session: Session) -> tuple[timeline.Timeline, Meeting]:
        meeting = members_meeting(session, actor, request.path_params["meeting"])
        return timeline.load(session, members_assembly(session, actor), now), meeting

    view, meeting = await db.run(request, load)
    return common.calendar_response(common.meeting_ics(request, view, meeting),
                                    f"meeting-{meeting.public_id}.ics")
