"""The public draw, the chosen panel with its reserves, replacing a drop-out, and the
commitment files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from assembly import db, draws
from assembly.authz import require
from assembly.models import Assembly, Contact, Draw, Member, Profile, Respondent, SelectionRun
from assembly.pool import stored_quotas
from assembly.templating import navigate, render, see_other
from assembly.views.officer import selection
from assembly.views.officer.common import assembly_or_404, draw_of, run_or_404
from charter.charts import CompositionRow, composition_chart
from sortition.model import normalise


async def draw(request: Request) -> Response:
    actor = require(request, "draw.perform")
    assembly_id = request.path_params["assembly_id"]
    run_id = request.path_params["run_id"]
    form = await request.form()
    seed = str(form.get("seed", ""))
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
            return navigate(request, f"/assemblies/{assembly_id}/panel",
                            f"The panel has been drawn: ticket {ticket}.")
    page = await db.run(request, selection._run_page, assembly_id, run_id)
    return render(request, "officer/run.html",
                  {"r": page, "assembly": page.assembly, "active": False, "percent": 100,
                   "algorithms": selection.ALGORITHM_TEXT, "errors": errors, "seed": seed},
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


def _person(session: Session, member: Member) -> Person:
    respondent = session.get(Respondent, member.respondent_id)
    assert respondent is not None
    contact = session.get(Contact, member.respondent_id)
    profile = session.get(Profile, member.respondent_id)
    return Person(member, respondent, contact.name if contact else "",
                  dict(profile.values) if profile else {})


def _panel_page(session: Session, assembly_id: int) -> PanelPage:
    assembly = assembly_or_404(session, assembly_id)
    record = draw_of(session, assembly_id)
    page = PanelPage(assembly, record, session.get(SelectionRun, record.run_id) if record else None)
    if record is None:
        return page
    page.panel = [_person(session, m) for m in draws.panel_members(session, assembly_id)]
    left = session.exec(select(Member).where(
        Member.assembly_id == assembly_id, Member.status.in_(draws.GONE))  # type: ignore[attr-defined]
        .order_by(Member.status_changed_at)).all()
    by_id = {m.id: m for m in session.exec(select(Member).where(Member.assembly_id == assembly_id))}
    for member in left:
        person = _person(session, member)
        if member.replaced_by and member.replaced_by in by_id:
            joining = session.get(Respondent, by_id[member.replaced_by].respondent_id)
            person.replaced_by = joining.public_id if joining else ""
        page.left.append(person)
    page.reserves = [_person(session, m) for m in draws.reserve_members(session, assembly_id)]
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
    return render(request, "officer/panel.html", {"p": page, "assembly": page.assembly},
                  block="content")


def _member_page(session: Session, assembly_id: int, member_id: int) -> tuple[Assembly, Person]:
    assembly = assembly_or_404(session, assembly_id)
    member = session.get(Member, member_id)
    if member is None or member.assembly_id != assembly_id:
        raise HTTPException(404, "There is no such member.")
    return assembly, _person(session, member)


async def drop_out_page(request: Request) -> Response:
    """Replacing a member cannot be undone, so it is confirmed on a page of its own."""
    require(request, "members.manage")
    assembly, person = await db.run(request, _member_page, request.path_params["assembly_id"],
                                    request.path_params["member_id"])
    return render(request, "officer/drop_out.html",
                  {"assembly": assembly, "person": person, "errors": {}}, block="content")


async def drop_out(request: Request) -> Response:
    actor = require(request, "members.manage")
    assembly_id = request.path_params["assembly_id"]
    member_id = request.path_params["member_id"]
    form = await request.form()
    reason = "declined" if form.get("reason") == "declined" else "dropped out"
    if form.get("confirm") != "yes":
        assembly, person = await db.run(request, _member_page, assembly_id, member_id)
        return render(request, "officer/drop_out.html", {
            "assembly": assembly, "person": person,
            "errors": {"confirm": "Tick the box to confirm that this member will not take part."}},
            block="content", status_code=422)

    def work(session: Session) -> draws.Replacement:
        assembly = assembly_or_404(session, assembly_id)
        member = session.get(Member, member_id)
        if member is None or member.assembly_id != assembly_id:
            raise HTTPException(404, "There is no such member.")
        return draws.replace(session, assembly, member, actor.label, reason=reason)

    try:
        replacement = await db.run(request, work, write=True)
    except draws.DrawError as error:
        return see_other(request, f"/assemblies/{assembly_id}/panel", str(error), "error")

    def names(session: Session) -> tuple[str, str]:
        leaving = session.get(Respondent, replacement.leaving.respondent_id)
        joining = session.get(Respondent, replacement.joining.respondent_id)
        return (leaving.public_id if leaving else "", joining.public_id if joining else "")

    leaving, joining = await db.run(request, names)
    return see_other(request, f"/assemblies/{assembly_id}/panel",
                     f"Member {leaving} has left the panel; reserve {joining} takes the seat "
                     "and every quota is still met. Invite them next.")


PUBLIC_FILES = ("pool.csv", "quotas.csv", "lottery.csv", "commitment.json")


async def commitment_file(request: Request) -> Response:
    require(request, "selection.view")
    assembly_id = request.path_params["assembly_id"]
    name = request.path_params["name"]
    if name not in PUBLIC_FILES:
        raise HTTPException(404, "There is no such file.")

    def load(session: Session) -> str | None:
        assembly = assembly_or_404(session, assembly_id)
        run = run_or_404(session, assembly, request.path_params["run_id"])
        return ((run.lottery or {}).get("files") or {}).get(name)

    body = await db.run(request, load)
    if body is None:
        raise HTTPException(404, "This selection has no such file.")
    media = "application/json" if name.endswith(".json") else "text/csv"
    return Response(body, media_type=f"{media}; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{name}"'})
