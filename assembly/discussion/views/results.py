"""Results of a discuss round: officers see them live while the round is open and after, and
download the round in Pol.is's layout; members see them once an officer releases them.

One template serves both audiences (`discussion/results.html`); what members may not see (small
strata cells, small opinion groups, statements moderated out) is left out by the service, never
hidden by the template.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup
from sqlmodel import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from assembly import clock, db
from assembly.assemblies.access import assembly_or_404
from assembly.assemblies.models import Assembly
from assembly.authz import require
from assembly.deliberation import rounds, schedule, times
from assembly.deliberation.access import members_assembly, members_round, round_or_404
from assembly.deliberation.models import Round, RoundKind, RoundState
from assembly.discussion import opinions
from assembly.tables import row_id
from assembly.templating import attachment, render
from charter.charts import opinion_map

NOT_YET = ("The results are not out yet. The assembly team shares them after the round "
           "closes; we will show them on this page then.")


async def _caught_up(request: Request, assembly_id: int, now: datetime) -> None:
    """Record what the clock has done in the programme first (a round that closed on its own),
    so the state shown and the audit log agree."""
    if await db.run(request, schedule.pending, assembly_id, now):
        await db.run(request, schedule.record_due, assembly_id, now, write=True)


def _discuss(item: Round, what: str) -> Round:
    if RoundKind(item.kind) is not RoundKind.discuss:
        raise HTTPException(404, f"There is no such {what}: only discuss rounds have these "
                                 "results.")
    return item


@dataclass(frozen=True)
class Page:
    assembly: Assembly
    round: Round
    state: RoundState
    results: opinions.Results | None     # None for members until the results are released


def _chart(results: opinions.Results, *, officers: bool) -> Markup:
    hidden = [g for g in results.groups if not g.shown]
    small = sum(1 for g in hidden if g.size < results.k)
    note = (f"{len(hidden)} group{'s are' if len(hidden) != 1 else ' is'} not drawn: "
            f"{small} of fewer than {results.k} members, so that nobody can be picked out"
            + (", and one more so that it cannot be worked out from the totals."
               if len(hidden) > small else ".") if hidden else "")
    return Markup(opinion_map(  # the chart escapes every text it writes
        results.map_groups, you=results.you, hidden_note=note,
        title=f"Opinion map of “{results.round.title}”",
        id_prefix="officer-map" if officers else "member-map"))


def _context(page: Page, *, officers: bool, zone: str) -> dict[str, object]:
    return {"assembly": page.assembly, "round": page.round, "state": page.state,
            "results": page.results, "officers": officers,
            "chart": _chart(page.results, officers=officers) if page.results else None,
            "kind_label": rounds.KIND_LABELS[RoundKind(page.round.kind)],
            "state_label": rounds.STATE_LABELS[page.state], "zone": zone}


async def officer_page(request: Request) -> Response:
    """Live results for officers, whatever the round's state."""
    require(request, "programme.view")
    assembly_id, round_id = request.path_params["assembly_id"], request.path_params["round_id"]
    now = clock.now(request)
    await _caught_up(request, assembly_id, now)

    def load(session: Session) -> Page:
        assembly = assembly_or_404(session, assembly_id)
        item = _discuss(round_or_404(session, assembly_id, round_id), "round")
        return Page(assembly, item, rounds.state_of(item, now),
                    opinions.results(session, item, for_officers=True))

    page = await db.run(request, load)
    context = _context(page, officers=True, zone=page.assembly.time_zone)
    context["closes"] = times.in_words(page.round.closes_at, page.assembly.time_zone, now)
    return render(request, "discussion/results.html", context, block="content")


async def polis_export(request: Request) -> Response:
    """The round in Pol.is's open-data layout, as one zip; audited (see `opinions.polis_zip`)."""
    actor = require(request, "programme.view")
    assembly_id, round_id = request.path_params["assembly_id"], request.path_params["round_id"]

    def work(session: Session) -> tuple[Assembly, Round, opinions.Export]:
        assembly = assembly_or_404(session, assembly_id)
        item = _discuss(round_or_404(session, assembly_id, round_id), "round")
        return assembly, item, opinions.polis_zip(session, item, actor=actor.label)

    assembly, item, export = await db.run(request, work, write=True)
    return Response(export.data, media_type="application/zip", headers={
        **attachment(assembly.title, item.title, "polis", extension="zip"),
        "Cache-Control": "no-store"})


async def member_page(request: Request) -> Response:
    """The results for the member, once released; before that a page that says when."""
    actor = require(request, "member.welcome")
    assert actor.member is not None
    member_id = row_id(actor.member.id)
    now = clock.now(request)
    await _caught_up(request, actor.member.assembly_id, now)

    def load(session: Session) -> Page:
        item = _discuss(members_round(session, actor, request.path_params["round"]),
                        "round in your assembly")
        state = rounds.state_of(item, now)
        released = state is RoundState.results_released
        return Page(members_assembly(session, actor), item, state,
                    opinions.results(session, item, for_officers=False, member_id=member_id)
                    if released else None)

    page = await db.run(request, load)
    return render(request, "discussion/results.html",
                  {**_context(page, officers=False, zone=page.assembly.time_zone),
                   "not_yet": NOT_YET}, status_code=200 if page.results else 404)
