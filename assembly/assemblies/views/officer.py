"""Assemblies: the list, creating one, its overview and editing its details."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from assembly import audit, db, journey
from assembly.assemblies.access import assembly_or_404
from assembly.assemblies.models import Assembly
from assembly.audit import AuditEvent
from assembly.authz import require
from assembly.forms import parse_date
from assembly.templating import navigate, render, url

FIELDS = ("title", "question", "remit", "commissioning_body", "starts_on", "ends_on")
LIMITS = {"title": 200, "question": 1000, "remit": 10000, "commissioning_body": 200}


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
        return {name: str(form.get(name, "")).strip() for name in FIELDS}
    if assembly is None:
        return dict.fromkeys(FIELDS, "")
    return {
        "title": assembly.title, "question": assembly.question, "remit": assembly.remit,
        "commissioning_body": assembly.commissioning_body,
        "starts_on": assembly.starts_on.isoformat() if assembly.starts_on else "",
        "ends_on": assembly.ends_on.isoformat() if assembly.ends_on else "",
    }


def validate(values: dict[str, str]) -> tuple[dict[str, str], dict[str, Any]]:
    """Every problem with the details form, keyed by field, and the cleaned values."""
    errors: dict[str, str] = {}
    if not values["title"]:
        errors["title"] = "Enter a title, for example 'Our council, data and AI'."
    if not values["question"]:
        errors["question"] = ("Enter the question the assembly will answer, for example 'How "
                              "should our council use data and AI?'.")
    for name, limit in LIMITS.items():
        if len(values[name]) > limit and name not in errors:
            errors[name] = f"Use at most {limit:,} characters (this has {len(values[name]):,})."
    cleaned: dict[str, Any] = {k: values[k] for k in LIMITS}
    for name, label in (("starts_on", "start"), ("ends_on", "end")):
        try:
            cleaned[name] = parse_date(values[name])
        except ValueError:
            errors[name] = f"Enter the {label} date as a real date, for example 2026-03-14."
    if (cleaned.get("starts_on") and cleaned.get("ends_on")
            and cleaned["ends_on"] < cleaned["starts_on"]):
        errors["ends_on"] = "The end date must be on or after the start date."
    return errors, cleaned


async def new(request: Request) -> Response:
    require(request, "assembly.create")
    return render(request, "assemblies/form.html",
                  {"values": _values(None), "errors": {}, "assembly": None}, block="form")


async def create(request: Request) -> Response:
    actor = require(request, "assembly.create")
    values = _values(await request.form())
    errors, cleaned = validate(values)
    if errors:
        return render(request, "assemblies/form.html",
                      {"values": values, "errors": errors, "assembly": None},
                      block="form", status_code=422)
    settings = request.app.state.settings

    def work(session: Session) -> int:
        assembly = Assembly(**cleaned, created_by=actor.officer.id if actor.officer else None,
                            retention_days=settings.retention_days)
        session.add(assembly)
        session.flush()
        assert assembly.id is not None
        audit.record(session, assembly.id, actor.label, "assembly.created",
                     {"assembly": assembly.public_id})
        return assembly.id

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
    values = _values(await request.form())
    errors, cleaned = validate(values)
    if errors:
        return render(request, "assemblies/form.html",
                      {"values": values, "errors": errors, "assembly": assembly},
                      block="form", status_code=422)

    def work(session: Session) -> None:
        current = assembly_or_404(session, assembly_id)
        changed = sorted(k for k, v in cleaned.items() if getattr(current, k) != v)
        for key, value in cleaned.items():
            setattr(current, key, value)
        session.add(current)
        if changed:
            audit.record(session, assembly_id, actor.label, "assembly.edited",
                         {"fields": changed})

    await db.run(request, work, write=True)
    return navigate(request, url(request, "assembly", assembly_id=assembly_id), "Details saved.")

# --- the audit log ---------------------------------------------------------------------------


PAGE_SIZE = 100


@dataclass(frozen=True)
class LogPage:
    assembly: Assembly
    events: list[AuditEvent]
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
        return LogPage(assembly, events, audit.verify_chain(session, assembly_id), total,
                       current, pages)

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
            return assembly, audit.export_csv(session, assembly_id)
        return assembly, audit.export_jsonl(session, assembly_id)

    assembly, body = await db.run(request, load)
    media = "text/csv" if kind == "csv" else "application/x-ndjson"
    filename = f"audit-{assembly.public_id}.{'csv' if kind == 'csv' else 'jsonl'}"
    return Response(body, media_type=f"{media}; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    })
