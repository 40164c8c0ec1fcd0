"""The member's side of a vote round: the ballot paper (fill it in, change it until the round
closes), their receipt code (shown once, replaceable while open), and the results once released.

Plain forms; htmx only follows the redirect. The receipt code reaches the member in the one-shot
flash message after their first ballot: it is never stored in a form we could show again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from assembly import clock, db, forms
from assembly.assemblies.models import Assembly
from assembly.authz import Actor, require
from assembly.ballots import ballots, papers, receipts, results
from assembly.ballots.models import REASON_LIMIT, Reasons, VoteRound
from assembly.ballots.views import clock_work
from assembly.deliberation import rounds, times
from assembly.deliberation.access import members_assembly, members_round
from assembly.deliberation.models import Round, RoundKind, RoundState
from assembly.errors import ActionableError
from assembly.tables import row_id
from assembly.templating import render, see_other, url
from charter.tallies import Scale


def _member(actor: Actor) -> int:
    assert actor.member is not None
    return row_id(actor.member.id)


def _vote_round(session: Session, actor: Actor, public_id: str) -> Round:
    item = members_round(session, actor, public_id)
    if RoundKind(item.kind) is not RoundKind.vote:
        raise HTTPException(404, "That part of the assembly is not a vote.")
    return item


async def _caught_up(request: Request, actor: Actor, now: datetime) -> None:
    assert actor.member is not None
    public_id = request.path_params["round"]
    await clock_work.caught_up(request, actor.member.assembly_id, now,
                               lambda session: _vote_round(session, actor, public_id))


@dataclass(frozen=True)
class Page:
    assembly: Assembly
    round: Round
    setup: VoteRound
    paper: list[papers.Item]
    mine: dict[int, ballots.Choice]
    has_receipt: bool
    may_vote: bool


def _load(session: Session, actor: Actor, public_id: str) -> Page:
    item = _vote_round(session, actor, public_id)
    member_id = _member(actor)
    try:
        ballots.require_voter(session, item, member_id)
        may_vote = True
    except ActionableError:
        may_vote = False
    return Page(members_assembly(session, actor), item, papers.of(session, item),
                papers.paper(session, item),
                ballots.of_member(session, row_id(item.id), member_id),
                receipts.holds(session, row_id(item.id), member_id), may_vote)


def _render(request: Request, page: Page, now: datetime,
            values: dict[str, str] | None, errors: dict[str, str], *,
            status_code: int = 200) -> Response:
    zone = page.assembly.time_zone
    if values is None:
        values = {}
        for principle_id, choice in page.mine.items():
            values[ballots.choice_field(principle_id)] = choice.option
            values[ballots.reason_field(principle_id)] = choice.reason
    return render(request, "ballots/member.html", {
        "assembly": page.assembly, "round": page.round, "p": page,
        "state": rounds.state_of(page.round, now), "values": values, "errors": errors,
        "options": papers.options(Scale(page.setup.scale)),
        "required_against": page.setup.reasons == Reasons.required_against.value,
        "closes": times.in_words(page.round.closes_at, zone, now),
        "opens": times.in_words(page.round.opens_at, zone, now),
        "limit": REASON_LIMIT, "choice_field": ballots.choice_field,
        "reason_field": ballots.reason_field, "against": papers.AGAINST,
    }, status_code=status_code)


async def page(request: Request) -> Response:
    actor = require(request, "member.welcome")
    now = clock.now(request)
    await _caught_up(request, actor, now)
    found = await db.run(request, _load, actor, request.path_params["round"])
    return _render(request, found, now, None, {})


async def vote(request: Request) -> Response:
    actor = require(request, "member.welcome")
    form = await forms.read(request, max_fields=400)
    now = clock.now(request)
    public_id = request.path_params["round"]
    values = {name: forms.text(form, name, multiline=name.startswith("reason-"))
              for name in form if name.startswith(("choice-", "reason-"))}

    def work(session: Session) -> tuple[int, str | None]:
        item = _vote_round(session, actor, public_id)
        return ballots.cast(session, item, _member(actor), values, now)

    try:
        answered, code = await db.run(request, work, write=True)
    except ActionableError as error:
        found = await db.run(request, _load, actor, public_id)
        return _render(request, found, now, values, {error.field: str(error)},
                       status_code=error.status_code)
    message = (f"Your ballot is saved ({answered} principle{'' if answered == 1 else 's'}). "
               "You can change it until the vote closes.")
    if code:
        message += (f" Your receipt code is {code}. Write it down or print this page: it is "
                    "shown only this once. After the vote closes, it shows that your ballot "
                    "was counted, never how you voted.")
    return see_other(request, url(request, "member_ballot", round=public_id) + "#ballot",
                     message)


async def new_receipt(request: Request) -> Response:
    """A new receipt code in place of a lost one, while the vote is open."""
    actor = require(request, "member.welcome")
    await forms.read(request)
    now = clock.now(request)
    public_id = request.path_params["round"]

    def work(session: Session) -> str:
        item = _vote_round(session, actor, public_id)
        rounds.require_open(session, item, now)
        ballots.require_voter(session, item, _member(actor))
        if not receipts.holds(session, row_id(item.id), _member(actor)):
            raise ballots.BallotError("You get a receipt code when you first vote.")
        return receipts.replace(session, item, _member(actor))

    try:
        code = await db.run(request, work, write=True)
    except ActionableError as error:
        return see_other(request, url(request, "member_ballot", round=public_id) + "#receipt",
                         str(error), "error")
    return see_other(request, url(request, "member_ballot", round=public_id) + "#receipt",
                     f"Your new receipt code is {code}. Write it down: it is shown only this "
                     "once. The old code no longer works.")


async def results_page(request: Request) -> Response:
    actor = require(request, "member.welcome")
    now = clock.now(request)
    await _caught_up(request, actor, now)

    def load(session: Session) -> tuple[Assembly, Round, results.RoundResults | None]:
        item = _vote_round(session, actor, request.path_params["round"])
        assembly = members_assembly(session, actor)
        if rounds.state_of(item, now) is not RoundState.results_released:
            return assembly, item, None
        return assembly, item, results.load(session, item, for_officers=False)

    assembly, item, found = await db.run(request, load)
    return render(request, "ballots/results.html", {
        "assembly": assembly, "round": item, "r": found, "for_officers": False,
        "scale_options": papers.options(Scale(found.setup.scale)) if found else [],
    })
