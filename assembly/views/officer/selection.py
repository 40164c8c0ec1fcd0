"""Starting a selection, following its progress, and reading its result.

The run itself happens in a worker process (`assembly.jobs`); these views only create the run,
hand it over, and read what the worker wrote. The progress block polls with htmx every second;
without JavaScript the page refreshes itself (a `<meta http-equiv="refresh">` inside
`<noscript>`) and has a plain "check again" link.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import defer
from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import Response

from assembly import audit, db, jobs
from assembly.authz import require
from assembly.models import Assembly, Draw, RunStatus, SelectionRun
from assembly.pool import household_count, pool_size, stored_quotas
from assembly.templating import is_partial, navigate, render
from assembly.views.officer.common import assembly_or_404, draw_of, run_or_404, whole_number
from charter.charts import CompositionRow, composition_chart, probability_chart
from sortition.model import ALGORITHMS

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
DEFAULT_LOTTERY_SIZE = 1000
# Lists of runs need neither every person's chance nor the thousand tickets.
LIGHT = (defer(SelectionRun.marginals), defer(SelectionRun.lottery))  # type: ignore[arg-type]


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


async def expire_stale(request: Request, assembly_id: int) -> None:
    """Mark failed the runs a stopped server left behind, before showing them."""
    if await db.run(request, jobs.stale_runs_exist, assembly_id):
        await db.run(request, jobs.expire_stale, write=True)


def _selection_page(session: Session, assembly_id: int) -> SelectionPage:
    assembly = assembly_or_404(session, assembly_id)
    runs = list(session.exec(select(SelectionRun).where(SelectionRun.assembly_id == assembly_id)
                             .options(*LIGHT).order_by(SelectionRun.id.desc())).all())  # type: ignore[union-attr]
    return SelectionPage(
        assembly=assembly, runs=runs, respondents=pool_size(session, assembly_id),
        households=household_count(session, assembly_id),
        quotas=stored_quotas(session, assembly_id) is not None,
        drawn=draw_of(session, assembly_id),
        values={"algorithm": "leximin", "panel_size": str(assembly.panel_size or ""),
                "one_per_household": "on" if assembly.one_per_household else "",
                "lottery_size": str(DEFAULT_LOTTERY_SIZE), "time_limit": ""},
    )


def _context(page: SelectionPage) -> dict[str, Any]:
    return {"p": page, "assembly": page.assembly, "algorithms": ALGORITHM_TEXT}


async def selection_page(request: Request) -> Response:
    require(request, "selection.view")
    await expire_stale(request, request.path_params["assembly_id"])
    page = await db.run(request, _selection_page, request.path_params["assembly_id"])
    return render(request, "officer/selection.html", _context(page), block="start")


def parse_start(form: Any) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """Options from the start form, every problem by field, and the values as typed."""
    values = {name: str(form.get(name, "")).strip() for name in
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
    try:
        options["lottery_size"] = whole_number(values["lottery_size"] or str(DEFAULT_LOTTERY_SIZE),
                                               10, 100_000)
    except ValueError:
        errors["lottery_size"] = "Enter the number of lottery tickets as a whole number from 10 to 100,000."
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
    options, errors, values = parse_start(await request.form())

    def work(session: Session) -> int | None:
        assembly = assembly_or_404(session, assembly_id)
        active = session.exec(select(SelectionRun.id).where(
            SelectionRun.assembly_id == assembly_id,
            SelectionRun.status.in_(jobs.ACTIVE))).first()  # type: ignore[attr-defined]
        if active is not None:
            errors["form"] = (f"Selection run {active} is still going. Wait for it to finish "
                              "(or fail) before starting another.")
        elif draw_of(session, assembly_id) is not None:
            errors["form"] = ("The panel has already been drawn, so no new selection can start: "
                              "the published commitment and the draw depend on the one made.")
        if stored_quotas(session, assembly_id) is None or not pool_size(session, assembly_id):
            errors["form"] = "Upload the quotas and the pool before running the selection."
        if options["one_per_household"] and household_count(session, assembly_id) is None:
            errors["one_per_household"] = (
                "The pool was uploaded without address columns, so households cannot be told "
                "apart. Upload the people file again with address columns, or untick this.")
        if errors:
            return None
        run = SelectionRun(
            assembly_id=assembly_id, algorithm=options["algorithm"],
            panel_size=options["panel_size"], created_by=actor.officer.id if actor.officer else None,
            options={k: options[k] for k in ("algorithm", "one_per_household", "lottery_size",
                                              "time_budget")},
            heartbeat_at=None,
        )
        session.add(run)
        assembly.panel_size = options["panel_size"]
        assembly.one_per_household = options["one_per_household"]
        assembly.status = "selecting"
        session.add(assembly)
        session.flush()
        assert run.id is not None
        audit.record(session, assembly_id, actor.label, "selection.started", {
            "run": run.id, "algorithm": run.algorithm, "panel_size": run.panel_size,
            "one_per_household": options["one_per_household"],
            "lottery_size": options["lottery_size"], "time_budget": options["time_budget"]})
        return run.id

    run_id = None if errors else await db.run(request, work, write=True)
    if run_id is None:
        page = await db.run(request, _selection_page, assembly_id)
        page.values, page.errors = values, errors
        return render(request, "officer/selection.html", _context(page), block="start",
                      status_code=422)
    jobs.worker_of(request.app).submit(run_id)
    return navigate(request, f"/assemblies/{assembly_id}/runs/{run_id}",
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
    active = page.run.status in jobs.ACTIVE
    if is_partial(request) and not active:
        # The poll saw the run finish: load the whole page, which now shows the result.
        return Response(status_code=204, headers={"HX-Refresh": "true"})
    return render(request, "officer/run.html",
                  {"r": page, "assembly": page.assembly, "active": active,
                   "percent": math.floor(page.run.fraction * 100),
                   "algorithms": ALGORITHM_TEXT},
                  block="progress" if active else "content")
