"""The officers' side of a discuss round: what it asks and how it is moderated, seed
statements, and every statement with its live counts, where it came from (a member or a seed,
never which member), and the moderation queue: accept, or reject with a reason the author reads
(in an open round, rejecting hides a statement already shown).

Plain forms that work without JavaScript (303 + flash). With htmx, the settings and seed forms
swap the page's panel, and a decision swaps just that statement's box, with the message in the
status region. A form with problems comes back with the message beside its field (422) and
nothing saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from assembly import clock, db, forms
from assembly.assemblies.access import assembly_or_404
from assembly.assemblies.models import Assembly
from assembly.authz import require
from assembly.deliberation import rounds, times
from assembly.deliberation.models import Round, RoundState
from assembly.discussion import statements, votes
from assembly.discussion.access import (
    discuss_round_or_404,
    panel_member_or_404,
    statement_or_404,
)
from assembly.discussion.models import (
    STATEMENT_LIMIT,
    Channel,
    DiscussRound,
    Moderation,
    Statement,
    StatementStatus,
    VoteValue,
)
from assembly.errors import ActionableError
from assembly.selection.models import Member
from assembly.tables import row_id
from assembly.templating import Flash, Level, is_partial, render, see_other, url

TEMPLATE = "discussion/officer.html"
SHOWN = ("all", *(status.value for status in StatementStatus))


@dataclass(frozen=True)
class Page:
    assembly: Assembly
    round: Round
    settings: DiscussRound
    statements: list[Statement]          # those the filter keeps, by number
    tally: dict[int, votes.Counts]
    by_status: dict[str, int]            # how many of each status, for the filter


def _load(session: Session, assembly_id: int, round_id: int, show: str) -> Page:
    assembly = assembly_or_404(session, assembly_id)
    item = discuss_round_or_404(session, assembly_id, round_id)
    everything = statements.of_round(session, row_id(item.id))
    by_status = {status.value: 0 for status in StatementStatus}
    for statement in everything:
        by_status[statement.status] += 1
    kept = [s for s in everything if show == "all" or s.status == show]
    return Page(assembly, item, statements.settings_of(session, item), kept,
                votes.counts(session, row_id(item.id)), by_status)


def _show(request: Request) -> str:
    show = request.query_params.get("show", "all")
    return show if show in SHOWN else "all"


async def _render(request: Request, now: datetime, *, show: str = "all",
                  errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                  status_code: int = 200, messages: list[Flash] | None = None) -> Response:
    page = await db.run(request, _load, request.path_params["assembly_id"],
                        request.path_params["round_id"], show)
    zone = page.assembly.time_zone
    state = rounds.state_of(page.round, now)
    return render(request, TEMPLATE, {
        "assembly": page.assembly, "round": page.round, "settings": page.settings,
        "statements": page.statements, "tally": page.tally, "by_status": page.by_status,
        "show": show, "state": state.value, "limit": STATEMENT_LIMIT,
        "closed": state in (RoundState.closed, RoundState.results_released),
        "opens": times.in_words(page.round.opens_at, zone, now),
        "closes": times.in_words(page.round.closes_at, zone, now),
        "errors": errors or {}, "moderations": list(Moderation),
        "values": {"prompt": page.settings.prompt, "moderation": page.settings.moderation,
                   "seed": "", **(values or {})},
        "empty": votes.Counts(), "assembly_id": page.assembly.id,
    }, block="page", status_code=status_code, messages=messages)


async def page(request: Request) -> Response:
    require(request, "programme.view")
    return await _render(request, clock.now(request), show=_show(request))


def _back(request: Request, fragment: str = "") -> str:
    return url(request, "discuss_round", assembly_id=request.path_params["assembly_id"],
               round_id=request.path_params["round_id"]) + fragment


async def configure(request: Request) -> Response:
    actor = require(request, "programme.manage")
    form = await forms.read(request)
    now = clock.now(request)
    values = {"prompt": forms.text(form, "prompt", multiline=True),
              "moderation": forms.text(form, "moderation")}

    def work(session: Session) -> bool:
        item = discuss_round_or_404(session, request.path_params["assembly_id"],
                                    request.path_params["round_id"])
        before = statements.settings_of(session, item)
        unchanged = (before.prompt, before.moderation) == (values["prompt"],
                                                           values["moderation"])
        statements.configure(session, item, values["prompt"], values["moderation"], now,
                             actor=actor.label)
        return not unchanged

    try:
        changed = await db.run(request, work, write=True)
    except ActionableError as error:
        return await _render(request, now, errors={error.field: str(error)}, values=values,
                             status_code=error.status_code)
    message = "The question and moderation are saved." if changed else "Nothing changed."
    if is_partial(request):
        return await _render(request, now, messages=[Flash("success", message)])
    return see_other(request, _back(request, "#settings"), message)


async def seed(request: Request) -> Response:
    actor = require(request, "programme.manage")
    form = await forms.read(request)
    now = clock.now(request)
    text = forms.text(form, "seed")

    def work(session: Session) -> Statement:
        item = discuss_round_or_404(session, request.path_params["assembly_id"],
                                    request.path_params["round_id"])
        return statements.seed(session, item, text, now, actor=actor.label)

    try:
        added = await db.run(request, work, write=True)
    except ActionableError as error:
        return await _render(request, now, errors={"seed": str(error)}, values={"seed": text},
                             status_code=error.status_code)
    message = f"Seed statement {added.number} added. Members can vote on it while the round " \
              "is open."
    if is_partial(request):
        return await _render(request, now, messages=[Flash("success", message)])
    return see_other(request, _back(request, f"#statement-{added.id}"), message)


async def moderate(request: Request) -> Response:
    """Accept a statement, or reject (hide) it with a reason its author reads."""
    actor = require(request, "programme.manage")
    form = await forms.read(request)
    now = clock.now(request)
    assembly_id = request.path_params["assembly_id"]
    decision = forms.text(form, "decision")
    reason = forms.text(form, "reason", multiline=True)

    def work(session: Session) -> tuple[Round, Statement, bool]:
        round_item, statement = statement_or_404(session, assembly_id,
                                                 request.path_params["statement_id"])
        changed = statements.moderate(session, round_item, statement, decision, reason, now,
                                      actor=actor.label)
        return round_item, statement, changed

    def reload(session: Session) -> tuple[Round, Statement, votes.Counts]:
        round_item, statement = statement_or_404(session, assembly_id,
                                                 request.path_params["statement_id"])
        tally = votes.counts(session, row_id(round_item.id))
        return round_item, statement, tally.get(row_id(statement.id), votes.Counts())

    error: ActionableError | None = None
    try:
        round_item, statement, changed = await db.run(request, work, write=True)
    except ActionableError as caught:
        error = caught
        round_item, statement, _ = await db.run(request, reload)
    if error is not None:
        message = str(error)
    elif not changed:
        message = f"Statement {statement.number} was already so."
    elif decision == StatementStatus.accepted.value:
        message = f"Statement {statement.number} accepted: members can see it and vote on it."
    else:
        message = f"Statement {statement.number} rejected: only its author sees it, with your " \
                  "reason."
    level: Level = "error" if error is not None else "success"
    if is_partial(request):
        _, fresh, counts = await db.run(request, reload)
        context: dict[str, Any] = {
            "assembly_id": assembly_id, "s": fresh, "c": counts,
            "reason_error": message if error is not None and error.field == "reason" else "",
            "reason_value": reason}
        return render(request, "discussion/_officer_statement.html", context, block="statement",
                      status_code=error.status_code if error is not None else 200,
                      messages=[Flash(level, message)])
    return see_other(request, url(request, "discuss_round", assembly_id=assembly_id,
                                  round_id=row_id(round_item.id))
                     + f"#statement-{statement.id}", message, level)


# --- keyed in from paper or a phone call --------------------------------------------------------------


CHANNELS = {"paper": Channel.paper, "phone": Channel.phone}


@dataclass(frozen=True)
class PaperPage:
    assembly: Assembly
    round: Round
    panel: list[tuple[Member, str]]
    member: Member | None
    statements: list[Statement]                 # those shown to everyone, by number
    current: dict[int, VoteValue]               # the chosen member's votes on them


def _paper_load(session: Session, assembly_id: int, round_id: int, member_id: str) -> PaperPage:
    assembly = assembly_or_404(session, assembly_id)
    item = discuss_round_or_404(session, assembly_id, round_id)
    member = panel_member_or_404(session, assembly_id, member_id) if member_id else None
    shown = statements.of_round(session, row_id(item.id), status=StatementStatus.accepted)
    current = votes.of_member(session, row_id(item.id), row_id(member.id)) if member else {}
    return PaperPage(assembly, item, votes.panel_for_keying(session, assembly_id), member,
                     shown, current)


async def _paper(request: Request, member_id: str, now: datetime, *,
                 errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                 status_code: int = 200, messages: list[Flash] | None = None) -> Response:
    page = await db.run(request, _paper_load, request.path_params["assembly_id"],
                        request.path_params["round_id"], member_id)
    state = rounds.state_of(page.round, now)
    return render(request, "discussion/paper.html", {
        "assembly": page.assembly, "round": page.round, "panel": page.panel,
        "chosen": page.member, "statements": page.statements, "current": page.current,
        "who": next((name for m, name in page.panel
                     if page.member is not None and m.id == page.member.id), ""),
        "state": state.value, "limit": STATEMENT_LIMIT,
        "closes": times.in_words(page.round.closes_at, page.assembly.time_zone, now),
        "opens": times.in_words(page.round.opens_at, page.assembly.time_zone, now),
        "errors": errors or {}, "values": {"text": "", "channel": "paper", **(values or {})},
    }, block="page", status_code=status_code, messages=messages)


async def paper_page(request: Request) -> Response:
    """Choose the member, then key in their statement or their votes."""
    require(request, "programme.manage")
    chosen = request.query_params.get("member", "")[:64]
    return await _paper(request, chosen, clock.now(request))


def _channel(form: Any) -> Channel:
    channel = CHANNELS.get(forms.text(form, "channel"))
    if channel is None:
        raise statements.StatementError("Say whether it came on paper or by phone.",
                                        field="channel")
    return channel


def _paper_back(request: Request, member_id: str) -> str:
    return url(request, "discuss_paper", assembly_id=request.path_params["assembly_id"],
               round_id=request.path_params["round_id"], query={"member": member_id})


async def paper_statement(request: Request) -> Response:
    """A statement a member gave on paper or by phone, saved as theirs (with their agree vote);
    the audit log records who keyed it in, never who gave it."""
    actor = require(request, "programme.manage")
    form = await forms.read(request)
    now = clock.now(request)
    member_id = forms.text(form, "member")[:64]
    text = forms.text(form, "text")

    def work(session: Session) -> Statement:
        assembly_id = request.path_params["assembly_id"]
        item = discuss_round_or_404(session, assembly_id, request.path_params["round_id"])
        member = panel_member_or_404(session, assembly_id, member_id)
        return statements.post(session, item, row_id(member.id), text, now,
                               channel=_channel(form), entered_by=actor.label)

    try:
        posted = await db.run(request, work, write=True)
    except ActionableError as error:
        return await _paper(request, member_id, now, status_code=error.status_code,
                            errors={error.field if error.field in ("text", "channel")
                                    else "text": str(error)},
                            values={"text": text, "channel": forms.text(form, "channel")})
    message = f"Statement {posted.number} keyed in. It counts as their agree vote."
    if is_partial(request):
        return await _paper(request, member_id, now, messages=[Flash("success", message)])
    return see_other(request, _paper_back(request, member_id), message)


async def paper_votes(request: Request) -> Response:
    """The votes a member gave on paper or by phone: each statement left at "no answer" is left
    as it was; the rest are cast as theirs, all or none."""
    actor = require(request, "programme.manage")
    form = await forms.read(request)
    now = clock.now(request)
    member_id = forms.text(form, "member")[:64]

    def work(session: Session) -> int:
        assembly_id = request.path_params["assembly_id"]
        item = discuss_round_or_404(session, assembly_id, request.path_params["round_id"])
        member = panel_member_or_404(session, assembly_id, member_id)
        choices = []
        for statement in statements.of_round(session, row_id(item.id),
                                             status=StatementStatus.accepted):
            given = forms.text(form, f"vote-{statement.number}")
            if given:
                choices.append((statement, votes.parse(given)))
        return votes.key_in(session, item, row_id(member.id), choices, now,
                            channel=_channel(form), actor=actor.label)

    try:
        changed = await db.run(request, work, write=True)
    except ActionableError as error:
        return await _paper(request, member_id, now, status_code=error.status_code,
                            errors={"votes": str(error)},
                            values={"channel": forms.text(form, "channel")})
    message = (f"{changed} vote{'' if changed == 1 else 's'} keyed in." if changed
               else "Nothing changed: those were already their votes.")
    if is_partial(request):
        return await _paper(request, member_id, now, messages=[Flash("success", message)])
    return see_other(request, _paper_back(request, member_id), message)
