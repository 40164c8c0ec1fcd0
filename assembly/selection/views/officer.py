"""Starting a selection, following its progress, and reading its result.

The run itself happens in a worker process (`assembly.selection.worker`); these views only create the run,
hand it over, and read what the worker wrote. The progress block polls with htmx every second;
without JavaScript the page refreshes itself (a `<meta http-equiv="refresh">` inside
`<noscript>`) and has a plain "check again" link.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from assembly import db, forms
from assembly.assemblies.access import assembly_or_404
from assembly.assemblies.models import Assembly
from assembly.authz import require
from assembly.forms import whole_number
from assembly.recruitment.models import Contact, Profile, Respondent
from assembly.recruitment.pool import (
    feasibility,
    household_count,
    pool_size,
    stored_quotas,
)
from assembly.selection import draws, panel, publication, runs, worker
from assembly.selection.access import run_or_404
from assembly.selection.draws import draw_of
from assembly.selection.models import (
    LEFT,
    Draw,
    Member,
    MemberRole,
    RunStatus,
    SelectionRun,
    on_panel,
)
from assembly.tables import attribute
from assembly.templating import is_partial, navigate, render, see_other, url
from charter.charts import CompositionRow, composition_chart, probability_chart
from sortition.lottery import MAX_LOTTERY_SIZE
from sortition.model import ALGORITHMS, normalise

ALGORITHM_TEXT: dict[str, tuple[str, str]] = {
    "leximin": (
        "Fairest (recommended)",
        "Gives the people with the lowest chance the highest chance possible, then does the same "
        "for the next lowest, and so on. Everyone's chance is as equal as the quotas allow. "
        "This is the method of Flanigan and others (Nature, 2021).",
    ),
    "maximin": (
        "Highest lowest chance",
        "Makes the lowest chance anyone has as high as possible, but does not then even out "
        "the chances of everyone else.",
    ),
    "nash": (
        "Balanced",
        "Spreads chances evenly by maximising the product of everyone's chances. The lowest "
        "chance can be a little lower than with the fairest method.",
    ),
    "legacy": (
        "Old greedy method, for comparison only",
        "Fills the quotas one person at a time, as many organisers used to. Some people get "
        "almost no chance of selection. Chances are estimated by running it many times.",
    ),
}
# Lists of runs need neither every person's chance nor the thousand tickets.
LIGHT = (defer(attribute(SelectionRun.marginals)), defer(attribute(SelectionRun.lottery)))


@dataclass
class SelectionPage:
    assembly: Assembly
    runs: list[SelectionRun]
    respondents: int
    households: int | None
    quotas: bool
    drawn: Draw | None
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    # Whether the saved quotas can be met, with the smallest fix (recruitment.pool.feasibility).
    check: dict[str, Any] | None = None
    # The household rule is on because the pool has address columns and nobody chose yet.
    households_by_default: bool = False


async def expire_stale(request: Request, assembly_id: int) -> None:
    """Mark failed the runs a stopped server left behind, before showing them."""
    if await db.run(request, worker.stale_runs_exist, assembly_id):
        await db.run(request, worker.expire_stale, write=True)


def _selection_page(session: Session, assembly_id: int) -> SelectionPage:
    assembly = assembly_or_404(session, assembly_id)
    runs = list(session.exec(select(SelectionRun).where(SelectionRun.assembly_id == assembly_id)
                             .options(*LIGHT).order_by(col(SelectionRun.id).desc())).all())
    households = household_count(session, assembly_id)
    drawn = draw_of(session, assembly_id)
    # With address columns, at most one person per household unless an earlier run said not.
    by_default = households is not None and not runs
    return SelectionPage(
        assembly=assembly, runs=runs, respondents=pool_size(session, assembly_id),
        households=households,
        quotas=stored_quotas(session, assembly_id) is not None,
        drawn=drawn,
        values={"algorithm": "leximin", "panel_size": str(assembly.panel_size or ""),
                "one_per_household": "on" if assembly.one_per_household or by_default else "",
                "lottery_size": "", "time_limit": ""},
        check=None if drawn is not None else feasibility(session, assembly),
        households_by_default=by_default,
    )


def _context(page: SelectionPage) -> dict[str, Any]:
    return {"p": page, "assembly": page.assembly, "algorithms": ALGORITHM_TEXT}


async def selection_page(request: Request) -> Response:
    require(request, "selection.view")
    await expire_stale(request, request.path_params["assembly_id"])
    page = await db.run(request, _selection_page, request.path_params["assembly_id"])
    return render(request, "selection/selection.html", _context(page), block="start")


def parse_start(form: Any) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """Options from the start form, every problem by field, and the values as typed."""
    values = {name: forms.text(form, name) for name in
              ("algorithm", "panel_size", "one_per_household", "lottery_size", "time_limit")}
    errors: dict[str, str] = {}
    options: dict[str, Any] = {}
    if values["algorithm"] not in ALGORITHMS:
        errors["algorithm"] = "Choose how to select: " + ", ".join(
            ALGORITHM_TEXT[a][0] for a in ALGORITHMS) + "."
    options["algorithm"] = values["algorithm"]
    try:
        options["panel_size"] = whole_number(values["panel_size"], 1, 10_000)
    except ValueError:
        errors["panel_size"] = "Enter the panel size as a whole number, for example 40."
    options["lottery_size"] = None  # chosen by the engine (see sortition.lottery.choose_lottery)
    if values["lottery_size"]:
        try:
            options["lottery_size"] = whole_number(values["lottery_size"], 10, MAX_LOTTERY_SIZE)
        except ValueError:
            errors["lottery_size"] = (f"Enter the number of lottery tickets as a whole number "
                                      f"from 10 to {MAX_LOTTERY_SIZE:,}, or leave it empty to "
                                      "have it chosen.")
    options["time_budget"] = None
    if values["time_limit"]:
        try:
            options["time_budget"] = whole_number(values["time_limit"], 1, 24 * 60) * 60
        except ValueError:
            errors["time_limit"] = "Enter the time limit in whole minutes (1 to 1,440), or leave it empty."
    options["one_per_household"] = values["one_per_household"] in ("on", "true", "1")
    return options, errors, values


async def start(request: Request) -> Response:
    actor = require(request, "selection.run")
    assembly_id = request.path_params["assembly_id"]
    options, errors, values = parse_start(await forms.read(request))

    def work(session: Session) -> int:
        options["suppress_below"] = request.app.state.settings.suppress_below
        run = runs.start(session, assembly_or_404(session, assembly_id),
                         runs.RunOptions(**options), actor=actor.label,
                         officer_id=actor.officer.id if actor.officer else None)
        return run.id or 0

    run_id = None
    if not errors:
        try:
            run_id = await db.run(request, work, write=True)
        except runs.RunRefused as refused:
            errors.update(refused.problems)
    if run_id is None:
        page = await db.run(request, _selection_page, assembly_id)
        page.values, page.errors = values, errors
        return render(request, "selection/selection.html", _context(page), block="start",
                      status_code=422)
    worker.worker_of(request.app).submit(run_id)
    return navigate(request, url(request, "selection_run", assembly_id=assembly_id, run_id=run_id),
                     "The selection has started.")


# --- a run ---------------------------------------------------------------------------------------


@dataclass
class RunPage:
    assembly: Assembly
    run: SelectionRun
    drawn: Draw | None
    latest: bool
    composition: list[dict[str, Any]] = field(default_factory=list)
    charts: dict[str, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    auditor_pack: bool = False


def composition(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Expected seats per category (the average over the lottery) beside target and pool."""
    rows = []
    for quota, expected, in_pool in zip(report["quotas"], report["expected_seats"],
                                        report["pool_counts"], strict=True):
        rows.append({**quota, "expected": expected, "pool": in_pool,
                     "pool_share": in_pool / report["pool_size"]})
    return rows


def _run_page(session: Session, assembly_id: int, run_id: int) -> RunPage:
    assembly = assembly_or_404(session, assembly_id)
    run = run_or_404(session, assembly, run_id)
    latest_id = session.exec(select(sa.func.max(SelectionRun.id))
                             .where(SelectionRun.assembly_id == assembly_id)).one()
    page = RunPage(assembly, run, draw_of(session, assembly_id), latest_id == run.id)
    page.files = publication.public_files(run, page.drawn)
    page.auditor_pack = bool(publication.auditor_files(run))
    if run.status == RunStatus.done.value and run.report and run.marginals:
        report = run.report
        page.composition = composition(report)
        page.charts["composition"] = composition_chart(
            [CompositionRow(r["feature"], r["value"], r["expected"], r["min"], r["max"], r["pool"])
             for r in page.composition],
            panel_size=report["panel_size"], pool_size=report["pool_size"],
            title="Expected panel composition against targets and the pool",
            id_prefix=f"composition-{run.id}")
        page.charts["probabilities"] = probability_chart(
            run.marginals["lottery"], panel_size=report["panel_size"],
            id_prefix=f"chances-{run.id}")
    return page


async def run_page(request: Request) -> Response:
    require(request, "selection.view")
    assembly_id = request.path_params["assembly_id"]
    await expire_stale(request, assembly_id)
    page = await db.run(request, _run_page, assembly_id, request.path_params["run_id"])
    active = page.run.status in worker.ACTIVE
    if is_partial(request) and not active:
        # The poll saw the run finish: load the whole page, which now shows the result.
        return Response(status_code=204, headers={"HX-Refresh": "true"})
    return render(request, "selection/run.html",
                  {"r": page, "assembly": page.assembly, "active": active,
                   "percent": math.floor(page.run.fraction * 100),
                   "algorithms": ALGORITHM_TEXT},
                  block="progress" if active else "content")

# --- the draw and the panel ------------------------------------------------------------------


async def draw(request: Request) -> Response:
    actor = require(request, "draw.perform")
    assembly_id = request.path_params["assembly_id"]
    run_id = request.path_params["run_id"]
    form = await forms.read(request)
    seed = forms.text(form, "seed", strip=False)
    errors: dict[str, str] = {}
    if not seed.strip():
        errors["seed"] = "Enter the seed drawn in public, for example 07 19 23 31 42 48."
    elif len(seed) > 200:
        errors["seed"] = "The seed can be at most 200 characters."
    if form.get("confirm") != "yes":
        errors["confirm"] = ("Confirm that the commitment was published and the seed was drawn "
                             "in public.")

    def work(session: Session) -> int:
        assembly = assembly_or_404(session, assembly_id)
        run = run_or_404(session, assembly, run_id)
        record = draws.perform_draw(session, assembly, run, seed, actor.label,
                                    actor.officer.id if actor.officer else None)
        return record.ticket

    if not errors:
        try:
            ticket = await db.run(request, work, write=True)
        except draws.DrawError as error:
            errors["form"] = str(error)
        else:
            return navigate(request, url(request, "panel", assembly_id=assembly_id),
                            f"The panel has been drawn: ticket {ticket}.")
    page = await db.run(request, _run_page, assembly_id, run_id)
    return render(request, "selection/run.html",
                  {"r": page, "assembly": page.assembly, "active": False, "percent": 100,
                   "algorithms": ALGORITHM_TEXT, "errors": errors, "seed": seed},
                  block="draw_form", status_code=422)


@dataclass
class Person:
    member: Member
    respondent: Respondent
    name: str
    profile: dict[str, str]
    replaced_by: str = ""


@dataclass
class PanelPage:
    assembly: Assembly
    draw: Draw | None
    run: SelectionRun | None
    panel: list[Person] = field(default_factory=list)
    left: list[Person] = field(default_factory=list)
    reserves: list[Person] = field(default_factory=list)
    features: tuple[str, ...] = ()
    composition: list[dict[str, Any]] = field(default_factory=list)
    chart: str = ""


def _people(session: Session, assembly_id: int, *, member_id: int | None = None
            ) -> list[tuple[Person, bool]]:
    """Every member of the assembly (or just one) with their respondent, name and profile, and
    whether they hold a seat: one query, however large the panel."""
    rows = session.execute(
        sa.select(Member, Respondent, col(Contact.name), col(Profile.values),
                  on_panel().label("seated"))
        .join(Respondent, col(Respondent.id) == col(Member.respondent_id))
        .outerjoin(Contact, col(Contact.respondent_id) == col(Member.respondent_id))
        .outerjoin(Profile, col(Profile.respondent_id) == col(Member.respondent_id))
        .where(col(Member.assembly_id) == assembly_id,
               *([col(Member.id) == member_id] if member_id is not None else []))
        .order_by(col(Member.id))
    ).all()
    return [(Person(member, respondent, name or "", dict(values or {})), bool(seated))
            for member, respondent, name, values, seated in rows]


def _panel_page(session: Session, assembly_id: int) -> PanelPage:
    assembly = assembly_or_404(session, assembly_id)
    record = draw_of(session, assembly_id)
    page = PanelPage(assembly, record, session.get(SelectionRun, record.run_id) if record else None)
    if record is None:
        return page
    # The same partition as panel.panel_members, reserve_members and left_members, from one
    # query (a query per member made this page slow for large panels).
    people = _people(session, assembly_id)
    public_ids = {person.member.id: person.respondent.public_id for person, _ in people}
    page.panel = [person for person, seated in people if seated]
    page.reserves = [person for person, _ in people
                     if person.member.role == MemberRole.reserve.value]
    for person, _ in people:
        if person.member.status in LEFT:
            person.replaced_by = public_ids.get(person.member.replaced_by, "") \
                if person.member.replaced_by else ""
            page.left.append(person)
    page.left.sort(key=lambda p: (p.member.status_changed_at is None,
                                  p.member.status_changed_at or datetime.min))
    quotas = stored_quotas(session, assembly_id)
    if quotas is not None and page.run is not None and page.run.report:
        page.features = quotas.features
        report = page.run.report
        pool = dict(zip([(normalise(q["feature"]), normalise(q["value"])) for q in report["quotas"]],
                        report["pool_counts"], strict=True))
        for category in quotas.categories:
            seats = sum(1 for p in page.panel
                        if normalise(p.profile.get(category.feature, "")) == normalise(category.value))
            page.composition.append({"feature": category.feature, "value": category.value,
                                     "seats": seats, "min": category.min, "max": category.max,
                                     "pool": pool.get(category.key, 0)})
        page.chart = composition_chart(
            [CompositionRow(c["feature"], c["value"], c["seats"], c["min"], c["max"], c["pool"])
             for c in page.composition],
            panel_size=page.run.panel_size, pool_size=report["pool_size"],
            title="The panel against targets and the pool", id_prefix="panel-composition")
    return page


async def panel_page(request: Request) -> Response:
    require(request, "members.manage")
    page = await db.run(request, _panel_page, request.path_params["assembly_id"])
    return render(request, "selection/panel.html", {"p": page, "assembly": page.assembly},
                  block="content")


def _member_page(session: Session, assembly_id: int, member_id: int) -> tuple[Assembly, Person]:
    assembly = assembly_or_404(session, assembly_id)
    found = _people(session, assembly_id, member_id=member_id)
    if not found:
        raise HTTPException(404, "There is no such member.")
    return assembly, found[0][0]


async def drop_out_page(request: Request) -> Response:
    """Replacing a member cannot be undone, so it is confirmed on a page of its own."""
    require(request, "members.manage")
    assembly, person = await db.run(request, _member_page, request.path_params["assembly_id"],
                                    request.path_params["member_id"])
    return render(request, "selection/drop_out.html",
                  {"assembly": assembly, "person": person, "errors": {}}, block="content")


async def drop_out(request: Request) -> Response:
    actor = require(request, "members.manage")
    assembly_id = request.path_params["assembly_id"]
    member_id = request.path_params["member_id"]
    form = await forms.read(request)
    reason = "declined" if form.get("reason") == "declined" else "dropped out"
    if form.get("confirm") != "yes":
        assembly, person = await db.run(request, _member_page, assembly_id, member_id)
        return render(request, "selection/drop_out.html", {
            "assembly": assembly, "person": person,
            "errors": {"confirm": "Tick the box to confirm that this member will not take part."}},
            block="content", status_code=422)

    def work(session: Session) -> panel.Replacement:
        assembly = assembly_or_404(session, assembly_id)
        member = session.get(Member, member_id)
        if member is None or member.assembly_id != assembly_id:
            raise HTTPException(404, "There is no such member.")
        return panel.replace(session, assembly, member, actor.label, reason=reason)

    try:
        replacement = await db.run(request, work, write=True)
    except draws.DrawError as error:
        return see_other(request, url(request, "panel", assembly_id=assembly_id), str(error), "error")

    def names(session: Session) -> tuple[str, str]:
        leaving = session.get(Respondent, replacement.leaving.respondent_id)
        joining = session.get(Respondent, replacement.joining.respondent_id)
        return (leaving.public_id if leaving else "", joining.public_id if joining else "")

    leaving, joining = await db.run(request, names)
    return see_other(request, url(request, "panel", assembly_id=assembly_id),
                     f"Member {leaving} has left the panel; reserve {joining} takes the seat "
                     "and every quota is still met. Invite them next.")


async def commitment_file(request: Request) -> Response:
    """One of the files an officer publishes (they reveal nobody's answers)."""
    require(request, "selection.view")
    assembly_id = request.path_params["assembly_id"]
    name = request.path_params["name"]
    if name not in publication.PUBLIC_FILES:
        raise HTTPException(404, "There is no such file.")

    def load(session: Session) -> str | None:
        assembly = assembly_or_404(session, assembly_id)
        run = run_or_404(session, assembly, request.path_params["run_id"])
        return publication.public_file(session, run, name)

    body = await db.run(request, load)
    if body is None:
        raise HTTPException(404, "This selection has no such file.")
    media = "application/json" if name.endswith(".json") else "text/csv"
    return Response(body, media_type=f"{media}; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{name}"'})


async def public_pack(request: Request) -> Response:
    """Every file to publish, in one ZIP (they reveal nobody's answers)."""
    require(request, "selection.view")
    assembly_id = request.path_params["assembly_id"]
    run_id = request.path_params["run_id"]

    def load(session: Session) -> bytes | None:
        assembly = assembly_or_404(session, assembly_id)
        run = run_or_404(session, assembly, run_id)
        return publication.public_pack(session, assembly, run)

    body = await db.run(request, load)
    if body is None:
        raise HTTPException(404, "This selection has no files to publish.")
    return Response(body, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="public-files-run-{run_id}.zip"'})


async def auditor_pack(request: Request) -> Response:
    """The salts that open every hash, for the appointed auditor; each download is audited."""
    actor = require(request, "selection.audit_pack")
    assembly_id = request.path_params["assembly_id"]
    run_id = request.path_params["run_id"]

    def work(session: Session) -> bytes | None:
        assembly = assembly_or_404(session, assembly_id)
        run = run_or_404(session, assembly, run_id)
        return publication.auditor_pack(session, assembly, run, actor.label)

    body = await db.run(request, work, write=True)
    if body is None:
        raise HTTPException(404, "This selection has no auditor's pack.")
    return Response(body, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="auditor-pack-run-{run_id}.zip"',
        "Cache-Control": "no-store"})
