"""The officers' side of a vote round: the ballot's settings (before it opens), turnout and who
has not voted yet (while open; never who voted how), keying in ballots given on paper or by
phone, the paper ballot packs, and the results once released.

Every change is a plain form (303 + flash without JavaScript; htmx follows the redirect).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from assembly import clock, db, forms
from assembly.assemblies.access import assembly_or_404
from assembly.assemblies.models import Assembly
from assembly.authz import require
from assembly.ballots import ballots, packs, papers, results
from assembly.ballots.models import Reasons, VoteRound
from assembly.ballots.views import clock_work
from assembly.deliberation import rounds, times
from assembly.deliberation.access import round_or_404
from assembly.deliberation.models import Round, RoundKind, RoundState
from assembly.discussion.models import Channel
from assembly.errors import ActionableError
from assembly.invitations import letters
from assembly.tables import row_id
from assembly.templating import render, see_other, url
from charter.tallies import OPTIONS, RuleKind, Scale

SETTINGS = ("draft_round", "scale", "reasons", "rule", "on_lower_bound", "quorum",
            "consent_threshold")


def _vote_round(session: Session, assembly_id: int, round_id: int) -> tuple[Assembly, Round]:
    assembly = assembly_or_404(session, assembly_id)
    item = round_or_404(session, assembly_id, round_id)
    if RoundKind(item.kind) is not RoundKind.vote:
        raise HTTPException(404, "That round is not a vote, so it has no ballot.")
    return assembly, item


async def _caught_up(request: Request, now: datetime) -> None:
    assembly_id, round_id = request.path_params["assembly_id"], request.path_params["round_id"]
    await clock_work.caught_up(request, assembly_id, now,
                               lambda session: _vote_round(session, assembly_id, round_id)[1])


@dataclass(frozen=True)
class Page:
    assembly: Assembly
    round: Round
    setup: VoteRound
    paper: list[papers.Item]
    drafts: list[Round]
    available: list[papers.Item]
    chosen: set[int]
    turnout: ballots.Turnout
    waiting: list[ballots.Waiting]


def _load(session: Session, assembly_id: int, round_id: int, now: datetime,
          draft_id: int | None = None) -> Page:
    assembly, item = _vote_round(session, assembly_id, round_id)
    setup = papers.of(session, item)
    paper = papers.paper(session, item)
    drafts = papers.draft_rounds(session, item)
    draft = draft_id if draft_id is not None else setup.draft_round_id
    available = [papers.Item(p, None) for p in papers.principles_of(session, draft)]
    chosen = {row_id(i.principle.id) for i in paper}
    state = rounds.state_of(item, now)
    waiting = ballots.not_voted(session, item) if state is RoundState.open else []
    return Page(assembly, item, setup, paper, drafts, available, chosen,
                ballots.turnout(session, item), waiting)


def _values(setup: VoteRound) -> dict[str, str]:
    return {"draft_round": str(setup.draft_round_id or ""), "scale": setup.scale,
            "reasons": setup.reasons, "rule": setup.rule,
            "on_lower_bound": "yes" if setup.on_lower_bound else "",
            "quorum": f"{setup.quorum * 100:g}",
            "consent_threshold": f"{setup.consent_threshold * 100:g}"}


def _render(request: Request, page: Page, now: datetime, values: dict[str, str],
            errors: dict[str, str], *, status_code: int = 200) -> Response:
    state = rounds.state_of(page.round, now)
    zone = page.assembly.time_zone
    return render(request, "ballots/officer.html", {
        "assembly": page.assembly, "round": page.round, "p": page, "state": state,
        "values": values, "errors": errors,
        "opens": times.in_words(page.round.opens_at, zone, now),
        "closes": times.in_words(page.round.closes_at, zone, now),
        "scales": [(s.value, papers.SCALE_WORDS[s]) for s in Scale],
        "rules": [(r.value, papers.RULE_WORDS[r]) for r in RuleKind],
        "reason_options": [(r.value, papers.REASON_WORDS[r]) for r in Reasons],
        "options": papers.options(Scale(page.setup.scale)),
        "sealed": page.setup.sealed_at is not None,
    }, status_code=status_code)


async def page(request: Request) -> Response:
    require(request, "programme.view")
    now = clock.now(request)
    await _caught_up(request, now)
    found = await db.run(request, _load, request.path_params["assembly_id"],
                         request.path_params["round_id"], now)
    return _render(request, found, now, _values(found.setup), {})


def _chosen(form: FormData) -> list[str]:
    return [v for v in form.getlist("principles") if isinstance(v, str)]


async def configure(request: Request) -> Response:
    actor = require(request, "programme.manage")
    assembly_id, round_id = request.path_params["assembly_id"], request.path_params["round_id"]
    form = await forms.read(request, max_fields=200)
    now = clock.now(request)
    values = {name: forms.text(form, name) for name in SETTINGS}
    chosen = _chosen(form)

    def work(session: Session) -> list[str]:
        _, item = _vote_round(session, assembly_id, round_id)
        setup = papers.check(session, item, values, chosen)
        return papers.configure(session, item, setup, now, actor=actor.label)

    try:
        changed = await db.run(request, work, write=True)
    except ActionableError as error:
        draft = int(values["draft_round"]) if values["draft_round"].isdigit() else None
        found = await db.run(request, _load, assembly_id, round_id, now, draft)
        return _render(request, found, now, values, {error.field: str(error)},
                       status_code=error.status_code)
    return see_other(request, url(request, "ballots_round", assembly_id=assembly_id,
                                  round_id=round_id),
                     "Ballot settings saved." if changed else "Nothing changed.")


# --- keying in ballots given on paper or by phone ----------------------------------------------------


async def entry_page(request: Request) -> Response:
    require(request, "programme.manage")
    now = clock.now(request)
    await _caught_up(request, now)
    found = await db.run(request, _load, request.path_params["assembly_id"],
                         request.path_params["round_id"], now)
    return _entry(request, found, now, {"channel": Channel.paper.value}, {})


def _entry(request: Request, page: Page, now: datetime, values: dict[str, str],
           errors: dict[str, str], *, status_code: int = 200) -> Response:
    scale = Scale(page.setup.scale)
    return render(request, "ballots/entry.html", {
        "assembly": page.assembly, "round": page.round, "p": page, "values": values,
        "errors": errors, "state": rounds.state_of(page.round, now),
        "options": papers.options(scale), "keys": list(OPTIONS[scale]),
        "required_against": page.setup.reasons == Reasons.required_against.value,
    }, status_code=status_code)


def _keyed(form: FormData, paper: list[papers.Item], keys: list[str],
           values: dict[str, str]) -> dict[str, str]:
    """The entry screen's numbers as a ballot form: "2" for a principle -> its second option.
    What was typed goes into `values`, so a refused screen shows it again."""
    found: dict[str, str] = {}
    for item in paper:
        principle_id = row_id(item.principle.id)
        number = forms.text(form, f"number-{principle_id}")
        reason = forms.text(form, ballots.reason_field(principle_id), multiline=True)
        values[f"number-{principle_id}"] = number
        values[ballots.reason_field(principle_id)] = found[ballots.reason_field(principle_id)] \
            = reason
    for item in paper:
        principle_id = row_id(item.principle.id)
        number = values[f"number-{principle_id}"]
        if not number:
            continue
        if not (number.isdigit() and 1 <= int(number) <= len(keys)):
            raise ballots.BallotError(f"For “{item.title}” type the number of one answer, 1 to "
                                      f"{len(keys)}, or leave it empty.",
                                      field=f"number-{principle_id}")
        found[ballots.choice_field(principle_id)] = keys[int(number) - 1]
    return found


def _channel(text: str) -> Channel:
    if text == Channel.phone.value:
        return Channel.phone
    if text == Channel.paper.value:
        return Channel.paper
    raise ballots.BallotError("Say whether the ballot came on paper or by phone.",
                              field="channel")


async def enter(request: Request) -> Response:
    """Key in one member's ballot; back to an empty screen for the next one."""
    actor = require(request, "programme.manage")
    assembly_id, round_id = request.path_params["assembly_id"], request.path_params["round_id"]
    form = await forms.read(request, max_fields=400)
    now = clock.now(request)
    reference = forms.text(form, "reference")
    channel_text = forms.text(form, "channel")
    values: dict[str, str] = {"reference": reference, "channel": channel_text}

    def work(session: Session) -> tuple[str, int, str | None]:
        _, item = _vote_round(session, assembly_id, round_id)
        channel = _channel(channel_text)
        setup = papers.of(session, item)
        paper = papers.paper(session, item)
        keyed = _keyed(form, paper, list(OPTIONS[Scale(setup.scale)]), values)
        member_id, printed = ballots.member_by_reference(session, item, reference)
        return (printed, *ballots.cast(session, item, member_id, keyed, now, channel=channel,
                                       entered_by=actor.label, actor=actor.label))

    try:
        printed, answered, code = await db.run(request, work, write=True)
    except ActionableError as error:
        found = await db.run(request, _load, assembly_id, round_id, now)
        field = error.field.replace("choice-", "number-")
        return _entry(request, found, now, values, {field: str(error)},
                      status_code=error.status_code)
    message = (f"Saved the ballot of {printed}: {answered} principle"
               f"{'' if answered == 1 else 's'}, from {channel_text}.")
    if code:
        message += (f" Their receipt code is {code}: write it on their receipt slip or read it "
                    "to them. It is not shown again.")
    return see_other(request, url(request, "ballots_entry", assembly_id=assembly_id,
                                  round_id=round_id), message)


# --- paper packs and results -------------------------------------------------------------------------


async def packs_pdf(request: Request) -> Response:
    require(request, "programme.manage")
    assembly_id, round_id = request.path_params["assembly_id"], request.path_params["round_id"]
    now = clock.now(request)
    settings = request.app.state.settings

    def load(session: Session) -> packs.Packs:
        assembly, item = _vote_round(session, assembly_id, round_id)
        return packs.gather(session, assembly, item, settings, now,
                            home=settings.public_url + url(request, "member_home"),
                            receipts_page=settings.public_url + url(request, "receipt_page"),
                            privacy_notice=letters.printed_address(
                                settings.public_address,
                                url(request, "privacy_notice", assembly_id=assembly_id)))

    try:
        gathered = await db.run(request, load)
    except ActionableError as error:
        return see_other(request, url(request, "ballots_round", assembly_id=assembly_id,
                                      round_id=round_id), str(error), "error")
    pdf = await packs.render_pdf(gathered)
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{packs.filename(gathered.round)}"',
        "Cache-Control": "private, no-store"})


async def results_page(request: Request) -> Response:
    require(request, "programme.view")
    assembly_id, round_id = request.path_params["assembly_id"], request.path_params["round_id"]
    now = clock.now(request)
    await _caught_up(request, now)

    def load(session: Session) -> tuple[Assembly, Round, results.RoundResults | None]:
        assembly, item = _vote_round(session, assembly_id, round_id)
        if rounds.state_of(item, now) is not RoundState.results_released:
            return assembly, item, None
        return assembly, item, results.load(session, item, for_officers=True)

    assembly, item, found = await db.run(request, load)
    return render(request, "ballots/results.html", {
        "assembly": assembly, "round": item, "r": found, "for_officers": True,
        "scale_options": papers.options(Scale(found.setup.scale)) if found else [],
    })
