"""The member's side of a discuss round: the prompt, writing a statement (a duplicate is pointed
out, with a way to vote on the statement already there), their own statements with their status
and any reason, the voting card (one statement at a time, agree / disagree / pass), and the list
of statements they voted on, where they can change a vote while the round is open.

Everything works without JavaScript (plain forms, 303 + flash). With htmx the voting card and
the writing panel are swapped in place and the message goes to the page's status region, so a
screen reader announces the vote saved and the next statement. Whatever the page showed, the
server checks the round is open and the statement is the member's to see when the vote arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from assembly import clock, db, forms
from assembly.assemblies.models import Assembly
from assembly.authz import Actor, require
from assembly.deliberation import rounds, schedule, times
from assembly.deliberation.access import members_assembly
from assembly.deliberation.models import Round, RoundState
from assembly.discussion import statements, votes
from assembly.discussion.access import members_discuss_round, members_statement
from assembly.discussion.models import (
    STATEMENT_LIMIT,
    DiscussRound,
    Statement,
    VoteValue,
)
from assembly.errors import ActionableError
from assembly.tables import row_id
from assembly.templating import Flash, is_partial, navigate, render, see_other, url

TEMPLATE = "discussion/member.html"
VOTE_WORDS = {VoteValue.agree: "Agree", VoteValue.disagree: "Disagree",
              VoteValue.pass_: "Pass / unsure"}
SAVED = {VoteValue.agree: "you agree with", VoteValue.disagree: "you disagree with",
         VoteValue.pass_: "you passed on"}


def _member(actor: Actor) -> int:
    assert actor.member is not None
    return row_id(actor.member.id)


async def _caught_up(request: Request, actor: Actor, now: datetime) -> None:
    """Record what the clock has done in the programme (a read when nothing is due)."""
    assert actor.member is not None
    assembly_id = actor.member.assembly_id
    if await db.run(request, schedule.pending, assembly_id, now):
        await db.run(request, schedule.record_due, assembly_id, now, write=True)


@dataclass(frozen=True)
class Page:
    assembly: Assembly
    round: Round
    settings: DiscussRound
    state: RoundState
    card: votes.Card | None                       # None unless the round has opened
    mine: list[Statement]
    voted: list[tuple[Statement, VoteValue]]


def _load(session: Session, actor: Actor, public_id: str, now: datetime) -> Page:
    item = members_discuss_round(session, actor, public_id)
    state = rounds.state_of(item, now)
    member_id = _member(actor)
    started = state is not RoundState.scheduled
    return Page(members_assembly(session, actor), item, statements.settings_of(session, item),
                state, votes.card_for(session, item, member_id) if started else None,
                statements.written_by(session, row_id(item.id), member_id) if started else [],
                votes.voted_on(session, row_id(item.id), member_id) if started else [])


def _context(request: Request, page: Page, now: datetime, **extra: Any) -> dict[str, Any]:
    zone = page.assembly.time_zone
    return {"assembly": page.assembly, "round": page.round, "settings": page.settings,
            "state": page.state.value, "card": page.card, "mine": page.mine,
            "voted": page.voted, "words": VOTE_WORDS,
            "opens": times.in_words(page.round.opens_at, zone, now),
            "closes": times.in_words(page.round.closes_at, zone, now),
            "limit": STATEMENT_LIMIT, "errors": {}, "values": {"text": ""}, "duplicate": None,
            "partial": is_partial(request), **extra}


async def _render(request: Request, actor: Actor, now: datetime, *, block: str | None = None,
                  status_code: int = 200, messages: list[Flash] | None = None,
                  **extra: Any) -> Response:
    page = await db.run(request, _load, actor, request.path_params["round"], now)
    return render(request, TEMPLATE, _context(request, page, now, **extra), block=block,
                  status_code=status_code, messages=messages)


async def page(request: Request) -> Response:
    actor = require(request, "member.welcome")
    now = clock.now(request)
    await _caught_up(request, actor, now)
    return await _render(request, actor, now)


def _back(request: Request, fragment: str = "") -> str:
    return url(request, "member_discuss", round=request.path_params["round"]) + fragment


async def write(request: Request) -> Response:
    """A new statement: saved with the member's agree vote, or sent back with what is wrong
    (a duplicate comes back with the statement already there, and nothing is stored)."""
    actor = require(request, "member.welcome")
    form = await forms.read(request)
    now = clock.now(request)
    text = forms.text(form, "text")

    def work(session: Session) -> tuple[Statement, str]:
        item = members_discuss_round(session, actor, request.path_params["round"])
        try:
            posted = statements.post(session, item, _member(actor), text, now)
        except statements.DuplicateStatement as error:
            session.expunge(error.existing)   # keep its words to show after the rollback
            raise
        return posted, statements.settings_of(session, item).moderation

    try:
        posted, moderation = await db.run(request, work, write=True)
    except statements.DuplicateStatement as error:
        return await _render(request, actor, now, block="write", status_code=409,
                             errors={"text": str(error)}, values={"text": text},
                             duplicate=error.existing)
    except ActionableError as error:
        return await _render(request, actor, now, block="write", status_code=error.status_code,
                             errors={error.field if error.field == "text" else "form":
                                     str(error)}, values={"text": text})
    shown = ("Other members can vote on it now" if moderation == "open" else
             "The assembly team checks statements before other members see them")
    message = (f"Thank you. Your statement is saved as statement {posted.number}, and counts as "
               f"your agree vote. {shown}; your name is never shown with it.")
    if is_partial(request):
        return await _render(request, actor, now, block="write", messages=[Flash("success",
                                                                                 message)])
    return see_other(request, _back(request, "#mine"), message)


async def vote(request: Request) -> Response:
    """Agree, disagree or pass on one statement; then the next one (or, from a statement's own
    page, back to the discussion)."""
    actor = require(request, "member.welcome")
    form = await forms.read(request)
    now = clock.now(request)
    chosen = forms.text(form, "vote")
    changing = forms.text(form, "from") == "statement"

    def work(session: Session) -> tuple[Statement, VoteValue, bool]:
        item = members_discuss_round(session, actor, request.path_params["round"])
        statement = members_statement(session, actor, item, forms.text(form, "statement"),
                                      seen=False)
        value = votes.parse(chosen)
        return statement, value, votes.cast(session, item, statement, _member(actor), value, now)

    try:
        statement, value, changed = await db.run(request, work, write=True)
    except ActionableError as error:
        if is_partial(request) and not changing:
            return await _render(request, actor, now, block="vote_card",
                                 status_code=error.status_code,
                                 messages=[Flash("error", str(error))])
        return navigate(request, _back(request, "#vote-card"), str(error), "error")
    said = f"Saved: {SAVED[value]} statement {statement.number}." if changed else \
        f"Your vote on statement {statement.number} was already {VOTE_WORDS[value].lower()}."
    if changing:
        return navigate(request, _back(request, "#voted"), said)
    if is_partial(request):
        page = await db.run(request, _load, actor, request.path_params["round"], now)
        card = page.card
        if card is not None and card.statement is not None:
            said += f" Next, statement {card.statement.number}: {card.left} left."
        elif card is not None:
            said += " You have voted on every statement for now."
        return render(request, TEMPLATE, _context(request, page, now), block="vote_card",
                      messages=[Flash("success", said)])
    return see_other(request, _back(request, "#vote-card"), said)


async def statement_page(request: Request) -> Response:
    """One statement the member can see, with their vote on it and a way to change it."""
    actor = require(request, "member.welcome")
    now = clock.now(request)

    def load(session: Session) -> tuple[Assembly, Round, Statement, VoteValue | None]:
        item = members_discuss_round(session, actor, request.path_params["round"])
        if rounds.state_of(item, now) is RoundState.scheduled:   # officers may still be seeding
            raise HTTPException(404, "There is no such statement in this discussion.")
        statement = members_statement(session, actor, item, request.path_params["statement"])
        return (members_assembly(session, actor), item, statement,
                votes.vote_of(session, statement, _member(actor)))

    assembly, item, statement, current = await db.run(request, load)
    state = rounds.state_of(item, now)
    return render(request, "discussion/statement.html", {
        "assembly": assembly, "round": item, "statement": statement, "current": current,
        "words": VOTE_WORDS, "state": state.value,
        "closes": times.in_words(item.closes_at, assembly.time_zone, now),
        "opens": times.in_words(item.opens_at, assembly.time_zone, now),
        "own": statement.member_id == _member(actor)})
