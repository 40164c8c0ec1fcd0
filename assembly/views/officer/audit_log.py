"""The audit log of an assembly: read it, check its chain, export it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from assembly import audit, db
from assembly.authz import require
from assembly.models import Assembly, AuditEvent
from assembly.templating import render
from assembly.views.officer.common import assembly_or_404

PAGE_SIZE = 100


@dataclass(frozen=True)
class LogPage:
    assembly: Assembly
    events: list[AuditEvent]
    check: audit.ChainCheck
    total: int
    page: int
    pages: int


async def page(request: Request) -> Response:
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
    return render(request, "officer/audit.html", {"log": log, "assembly": log.assembly},
                  block="content")


async def export_csv(request: Request) -> Response:
    return await _export(request, "csv")


async def export_jsonl(request: Request) -> Response:
    return await _export(request, "jsonl")


async def _export(request: Request, kind: str) -> Response:
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
