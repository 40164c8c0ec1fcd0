"""The officers' charter page: what still stops publishing, the council's response to each
principle, a preview of the next version, publishing it, and the versions published so far.

Every change is a plain form (303 + flash without JavaScript; htmx follows the redirect).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from anyio import to_thread
from sqlmodel import Session, col, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from assembly import clock, db, forms
from assembly.assemblies.access import assembly_or_404
from assembly.assemblies.models import Assembly
from assembly.authz import require
from assembly.ballots.models import Tally
from assembly.errors import ActionableError
from assembly.publishing import documents, publish, responses, snapshot
from assembly.publishing.models import CouncilResponse, PublishedCharter
from assembly.publishing.principles import InCharter, in_charter
from assembly.publishing.views import public
from assembly.tables import row_id
from assembly.templating import render, see_other, url
from charter.publication import RESPONSE_WORDS, ResponseStatus

PREVIEW_NOTICE = ('<p class="notice" role="note"><strong>Preview.</strong> This is what the next '
                  'version would look like if it were published now. Nobody else can see it.</p>')


def site(request: Request) -> publish.Site:
    return publish.Site(request.app.state.settings.public_address, request.app.url_path_for)


@dataclass(frozen=True)
class Page:
    assembly: Assembly
    problems: list[str]
    principles: list[InCharter]
    responses: dict[int, CouncilResponse]
    versions: list[PublishedCharter]
    adopted: dict[int, bool]


def _adopted(session: Session, entries: list[InCharter]) -> dict[int, bool]:
    found: dict[int, bool] = {}
    if not entries:
        return found
    rows = session.exec(select(Tally).where(
        col(Tally.principle_id).in_([row_id(e.principle.id) for e in entries]))).all()
    decided = {(t.round_id, t.principle_id): t for t in rows}
    for entry in entries:
        tally = decided.get((row_id(entry.round.id), row_id(entry.principle.id)))
        if tally is not None:
            found[row_id(entry.principle.id)] = bool(tally.result.get("adopted"))
    return found


def _load(session: Session, assembly_id: int, now: datetime) -> Page:
    assembly = assembly_or_404(session, assembly_id)
    entries = in_charter(session, assembly)
    return Page(assembly, snapshot.problems(session, assembly, now=now), entries,
                responses.of_assembly(session, assembly_id),
                publish.versions(session, assembly_id), _adopted(session, entries))


def _render(request: Request, page: Page, *, values: dict[str, str] | None = None,
            errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    today = clock.now(request).date()
    return render(request, "publishing/officer.html", {
        "assembly": page.assembly, "p": page, "values": values or {}, "errors": errors or {},
        "statuses": [(s.value, RESPONSE_WORDS[s]) for s in ResponseStatus],
        "status_words": {s.value: RESPONSE_WORDS[s] for s in ResponseStatus},
        "today": today.isoformat(), "next_version": len(page.versions) + 1,
    }, status_code=status_code)


async def page(request: Request) -> Response:
    require(request, "charter.view")
    found = await db.run(request, _load, request.path_params["assembly_id"], clock.now(request))
    return _render(request, found)


async def respond(request: Request) -> Response:
    actor = require(request, "charter.respond")
    assembly_id = request.path_params["assembly_id"]
    principle_id = request.path_params["principle_id"]
    form = await forms.read(request)
    # Each principle's form on the page names its fields after the principle, so ids stay unique.
    values = {"status": forms.text(form, f"{principle_id}-status"),
              "reasons": forms.text(form, f"{principle_id}-reasons", multiline=True),
              "responded_on": forms.text(form, f"{principle_id}-responded_on")}
    now = clock.now(request)

    def work(session: Session) -> tuple[bool, InCharter]:
        assembly = assembly_or_404(session, assembly_id)
        entry = next((e for e in in_charter(session, assembly)
                      if e.principle.id == principle_id), None)
        if entry is None:
            raise HTTPException(404, "That principle is not in this assembly's charter.")
        status, reasons, responded_on = responses.check(
            values["status"], values["reasons"], values["responded_on"], today=now.date())
        return responses.record(session, assembly, entry, status, reasons, responded_on,
                                actor=actor.label, now=now), entry

    try:
        changed, entry = await db.run(request, work, write=True)
    except ActionableError as error:
        found = await db.run(request, _load, assembly_id, now)
        keyed = {f"{principle_id}-{k}": v for k, v in values.items()}
        return _render(request, found, values=keyed,
                       errors={f"{principle_id}-{error.field}": str(error)},
                       status_code=error.status_code)
    target = url(request, "charter_officer", assembly_id=assembly_id) + f"#response-{entry.number}"
    return see_other(request, target,
                     f"Response to principle {entry.number} saved; it appears in the next "
                     "published version." if changed else "Nothing changed.")


async def preview(request: Request) -> Response:
    """The next version as it would be published now: the same page, never stored."""
    require(request, "charter.view")
    assembly_id = request.path_params["assembly_id"]
    now = clock.now(request)
    settings = request.app.state.settings
    where = site(request)

    def load(session: Session) -> str:
        assembly = assembly_or_404(session, assembly_id)
        missing = snapshot.problems(session, assembly, now=now)
        if missing:
            raise publish.PublishError("There is nothing to preview yet. " + " ".join(missing))
        version = (publish.latest_version(session, assembly_id) or 0) + 1
        made = publish.snapshot_of(session, assembly, version=version, now=now,
                                   changes="(what you will say changed)" if version > 1 else "",
                                   site=where, k=settings.suppress_below)
        return documents.charter_html(made, medium="web", links=where.links(assembly_id))

    html = await db.run(request, load)
    return HTMLResponse(html.replace(documents.NOTICE_MARKER, PREVIEW_NOTICE, 1),
                        headers={"Content-Security-Policy": public.page_policy(html),
                                 "X-Robots-Tag": "noindex"})


async def publish_version(request: Request) -> Response:
    actor = require(request, "charter.publish")
    assembly_id = request.path_params["assembly_id"]
    form = await forms.read(request)
    changes = forms.text(form, "publish-changes", multiline=True)
    now = clock.now(request)
    settings = request.app.state.settings
    where = site(request)
    engine = request.app.state.engine
    try:
        made = await to_thread.run_sync(lambda: publish.publish(
            engine, assembly_id, actor=actor.label, changes=changes, now=now, site=where,
            k=settings.suppress_below))
    except ActionableError as error:
        found = await db.run(request, _load, assembly_id, now)
        return _render(request, found, values={"publish-changes": changes},
                       errors={"form" if error.field == "form" else f"publish-{error.field}":
                               str(error)},
                       status_code=error.status_code)
    return see_other(request, url(request, "charter_officer", assembly_id=assembly_id),
                     f"Version {made.version} of the charter is published.")
