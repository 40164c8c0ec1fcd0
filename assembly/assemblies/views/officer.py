"""Assemblies: the list, creating one, its overview and editing its details."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from assembly import audit, audit_words, db, forms, journey
from assembly.assemblies import details
from assembly.assemblies.access import assembly_or_404
from assembly.assemblies.models import Assembly
from assembly.authz import require
from assembly.templating import attachment, navigate, render, url


@dataclass(frozen=True)
class Row:
    assembly: Assembly
    respondents: int
    panel: int


async def index(request: Request) -> Response:
    require(request, "workspace.view")

    def load(session: Session) -> list[Row]:
        assemblies = session.exec(select(Assembly).order_by(col(Assembly.created_at).desc())).all()
        respondents = journey.respondents_in_pool(session)
        panels = journey.panel_sizes(session)
        return [Row(a, respondents.get(a.id or 0, 0), panels.get(a.id or 0, 0))
                for a in assemblies]

    rows = await db.run(request, load)
    return render(request, "assemblies/index.html", {"rows": rows}, block="content")


def _values(form: FormData | None, assembly: Assembly | None = None) -> dict[str, str]:
    if form is not None:
        return {name: forms.text(form, name, multiline=name in details.MULTILINE)
                for name in details.FIELDS}
    if assembly is None:
        return dict.fromkeys(details.FIELDS, "")
    return {
        "title": assembly.title, "question": assembly.question, "remit": assembly.remit,
        "commissioning_body": assembly.commissioning_body,
        "starts_on": assembly.starts_on.isoformat() if assembly.starts_on else "",
        "ends_on": assembly.ends_on.isoformat() if assembly.ends_on else "",
        **{name: getattr(assembly, name) for name in details.CONTACT_FIELDS},
    }


async def new(request: Request) -> Response:
    require(request, "assembly.create")
    return render(request, "assemblies/form.html",
                  {"values": _values(None), "errors": {}, "assembly": None}, block="form")


async def create(request: Request) -> Response:
    actor = require(request, "assembly.create")
    values = _values(await forms.read(request))
    errors, cleaned = details.check(values)
    if errors:
        return render(request, "assemblies/form.html",
                      {"values": values, "errors": errors, "assembly": None},
                      block="form", status_code=422)
    settings = request.app.state.settings

    def work(session: Session) -> int:
        assembly = details.create(session, cleaned, actor=actor.label,
                                  officer_id=actor.officer.id if actor.officer else None,
                                  retention_days=settings.retention_days)
        return assembly.id or 0

    assembly_id = await db.run(request, work, write=True)
    return navigate(request, url(request, "assembly", assembly_id=assembly_id),
                    "Assembly created. Next, upload the quotas and the pool of respondents.")


async def show(request: Request) -> Response:
    require(request, "assembly.view")
    assembly_id = request.path_params["assembly_id"]

    def load(session: Session) -> tuple[Assembly, journey.Progress]:
        return assembly_or_404(session, assembly_id), journey.progress(session, assembly_id)

    assembly, progress = await db.run(request, load)
    return render(request, "assemblies/overview.html", {"o": progress, "assembly": assembly},
                  block="content")


async def edit(request: Request) -> Response:
    require(request, "assembly.edit")
    assembly_id = request.path_params["assembly_id"]
    assembly = await db.run(request, assembly_or_404, assembly_id)
    return render(request, "assemblies/form.html",
                  {"values": _values(None, assembly), "errors": {}, "assembly": assembly},
                  block="form")


async def update(request: Request) -> Response:
    actor = require(request, "assembly.edit")
    assembly_id = request.path_params["assembly_id"]
    assembly = await db.run(request, assembly_or_404, assembly_id)
    values = _values(await forms.read(request))
    errors, cleaned = details.check(values)
    if errors:
        return render(request, "assemblies/form.html",
                      {"values": values, "errors": errors, "assembly": assembly},
                      block="form", status_code=422)

    def work(session: Session) -> None:
        details.update(session, assembly_or_404(session, assembly_id), cleaned, actor=actor.label)

    await db.run(request, work, write=True)
    return navigate(request, url(request, "assembly", assembly_id=assembly_id), "Details saved.")

# --- the audit log ---------------------------------------------------------------------------


PAGE_SIZE = 100


@dataclass(frozen=True)
class LogPage:
    assembly: Assembly
    events: list[audit_words.Described]
    check: audit.ChainCheck
    total: int
    page: int
    pages: int


async def audit_page(request: Request) -> Response:
    assembly_id = request.path_params["assembly_id"]
    require(request, "audit.read")
    try:
        number = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        number = 1

    def load(session: Session) -> LogPage:
        assembly = assembly_or_404(session, assembly_id)
        total = audit.count(session, assembly_id)
        pages = max(1, -(-total // PAGE_SIZE))
        current = min(number, pages)
        events = audit.events(session, assembly_id, newest_first=True, limit=PAGE_SIZE,
                              offset=(current - 1) * PAGE_SIZE)
        return LogPage(assembly, audit_words.describe(session, events),
                       audit.verify_chain(session, assembly_id), total, current, pages)

    log = await db.run(request, load)
    return render(request, "assemblies/audit.html", {"log": log, "assembly": log.assembly},
                  block="content")


async def audit_csv(request: Request) -> Response:
    return await _export_audit(request, "csv")


async def audit_jsonl(request: Request) -> Response:
    return await _export_audit(request, "jsonl")


async def _export_audit(request: Request, kind: str) -> Response:
    require(request, "audit.read")
    assembly_id = request.path_params["assembly_id"]

    def load(session: Session) -> tuple[Assembly, str]:
        assembly = assembly_or_404(session, assembly_id)
        if kind == "csv":
            return assembly, audit_words.export_csv(session, assembly_id)
        return assembly, audit.export_jsonl(session, assembly_id)

    assembly, body = await db.run(request, load)
    media = "text/csv" if kind == "csv" else "application/x-ndjson"
    return Response(body, media_type=f"{media}; charset=utf-8", headers={
        **attachment(assembly.title, "audit-log", extension="csv" if kind == "csv" else "jsonl"),
        "Cache-Control": "no-store",
    })
