"""The member's side of a learn round: the briefings (with the easy-read version, who gave it
and their interests, the files), marking one as read, and asking the speakers a question.

Everything works without JavaScript. Asking is refused on the server, with the round's own
message, once the round has closed or before it opens.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from assembly import clock, db, forms
from assembly.authz import Actor, require
from assembly.deliberation import (
    briefings,
    markdown,
    questions,
    rounds,
    timeline,
    times,
)
from assembly.deliberation.access import (
    members_assembly,
    members_attachment,
    members_briefing,
    members_round,
)
from assembly.deliberation.models import (
    Attachment,
    Briefing,
    Round,
    RoundState,
)
from assembly.deliberation.views import common, member
from assembly.deliberation.views.officer_evidence import file_response
from assembly.errors import ActionableError
from assembly.tables import row_id
from assembly.templating import render, see_other, url


def _member(actor: Actor) -> int:
    assert actor.member is not None
    return row_id(actor.member.id)


@dataclass(frozen=True)
class BriefingPage:
    programme: timeline.Timeline
    round: Round
    briefing: Briefing
    attachments: list[Attachment]
    read: bool


async def briefing_page(request: Request) -> Response:
    actor = require(request, "member.welcome")
    assert actor.member is not None
    now = clock.now(request)
    await common.caught_up(request, actor.member.assembly_id, now)

    def load(session: Session) -> BriefingPage:
        round_item, item = members_briefing(session, actor, request.path_params["briefing"], now)
        view = timeline.load(session, members_assembly(session, actor), now)
        found = briefings.attachments_of(session, [row_id(item.id)])[row_id(item.id)]
        read = bool(briefings.read_by(session, _member(actor), [row_id(item.id)]))
        return BriefingPage(view, round_item, item, found, read)

    page = await db.run(request, load)
    zone = page.programme.zone
    state = rounds.state_of(page.round, now)
    return render(request, "deliberation/member_briefing.html", {
        "assembly": page.programme.assembly, "round": page.round, "b": page.briefing,
        "attachments": page.attachments, "read": page.read,
        "is_open": state is RoundState.open,
        "body": markdown.render(page.briefing.body),
        "easy_read": markdown.render(page.briefing.easy_read),
        "updated": times.date_in_words(page.briefing.updated_at, zone, now)
        if page.briefing.updated_at else "",
        "paragraphs": _paragraphs,
    })


def _paragraphs(text: str) -> Markup:
    """Plain text typed by officers (summary, interests, transcript) as paragraphs."""
    parts = [p.strip() for p in text.split("\n\n") if p.strip()]
    return Markup("").join(Markup("<p>{}</p>").format(p) for p in parts)


async def briefing_read(request: Request) -> Response:
    actor = require(request, "member.welcome")
    await forms.read(request)
    now = clock.now(request)

    def work(session: Session) -> tuple[Round, bool]:
        round_item, item = members_briefing(session, actor, request.path_params["briefing"], now)
        return round_item, briefings.mark_read(session, item, _member(actor), now=now)

    round_item, _ = await db.run(request, work, write=True)
    return see_other(request, url(request, "member_round", round=round_item.public_id)
                     + "#briefings", "Thank you. This briefing is marked as read.")


async def attachment(request: Request) -> Response:
    actor = require(request, "member.welcome")
    now = clock.now(request)

    def load(session: Session) -> Attachment:
        return members_attachment(session, actor, request.path_params["attachment"], now)

    return file_response(await db.run(request, load))


async def ask(request: Request) -> Response:
    actor = require(request, "member.welcome")
    form = await forms.read(request)
    now = clock.now(request)
    text = forms.text(form, "text", multiline=True)
    about = forms.text(form, "briefing")

    def work(session: Session) -> Round:
        round_item = members_round(session, actor, request.path_params["round"])
        briefing = None
        if about:
            _, briefing = members_briefing(session, actor, about, now)
        questions.ask(session, round_item, _member(actor), text, briefing, now)
        return round_item

    try:
        round_item = await db.run(request, work, write=True)
    except ActionableError as error:
        return await member.render_round(request, {error.field if error.field == "text"
                                                   else "form": str(error)},
                                         {"text": text}, status_code=error.status_code)
    return see_other(request, url(request, "member_round", round=round_item.public_id)
                     + "#questions",
                     "Thank you. Your question has been sent. The organisers check questions "
                     "before everyone can see them; your name is never shown with it.")
