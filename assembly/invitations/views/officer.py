"""Inviting the drawn panel: prepare letters, watch them being made, download them.

Letters are all or nothing (see `assembly.invitations.batches`): "Create letters" prepares a
batch whose links and codes do not work yet and renders it in the background; the officer
watches its progress (htmx polling, or a meta refresh without JavaScript) and downloads one ZIP
holding the letters PDF and the mail-merge CSV. Only that download makes the new letters work and
the earlier ones stop. If members hold letters that still work, the officer confirms first.

The raw links and codes are never stored in the clear: the ZIP is kept encrypted with a key only
the officer's browser can supply (its session cookie), for a short time. The download form is a
plain POST without htmx, because a file download cannot be swapped into the page.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from anyio import to_thread
from sqlmodel import Session, col, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from assembly import db, forms, sessions
from assembly.assemblies.access import assembly_or_404
from assembly.assemblies.models import Assembly
from assembly.authz import Actor, require
from assembly.invitations import batches, letters, returning
from assembly.invitations.batches import Live
from assembly.invitations.credentials import InvitationError, Issued
from assembly.invitations.models import BatchStatus, Invitation, LetterBatch
from assembly.recruitment.models import Contact, Respondent
from assembly.selection import panel
from assembly.selection.access import member_or_404
from assembly.selection.draws import draw_of
from assembly.selection.models import Decline, Member, MemberRole
from assembly.settings import Settings
from assembly.tables import utcnow
from assembly.templating import attachment, is_partial, render, see_other, url


@dataclass(frozen=True)
class MemberRow:
    member: Member
    reference: str
    name: str
    issued_at: datetime | None
    expires_at: datetime | None
    live: Live | None = None  # the letter that works now, if any
    decline: Decline | None = None  # if they said no from their invitation page


async def page(request: Request) -> Response:
    actor = require(request, "invitations.issue")
    assembly_id = request.path_params["assembly_id"]

    settings: Settings = request.app.state.settings

    def load(session: Session) -> dict[str, object]:
        context = _context(session, assembly_or_404(session, assembly_id), settings)
        # Letters this sign-in prepared that are still being made or waiting for the download.
        now = utcnow()
        mine = session.exec(
            select(LetterBatch).where(
                LetterBatch.assembly_id == assembly_id, LetterBatch.session_id == actor.session_id,
                col(LetterBatch.status).in_((BatchStatus.rendering.value,
                                             BatchStatus.ready.value)))
            .order_by(col(LetterBatch.id).desc())).all()
        context["pending"] = [(batch, batches.status_of(batch, now).value) for batch in mine
                              if batches.status_of(batch, now) is not BatchStatus.abandoned]
        return context

    context = await db.run(request, load)
    return render(request, "invitations/officer.html", context)


def _rows(session: Session, assembly_id: int) -> list[MemberRow]:
    latest = (
        select(Invitation.member_id, sa.func.max(Invitation.created_at).label("issued_at"),
               sa.func.max(Invitation.expires_at).label("expires_at"))
        .group_by(col(Invitation.member_id)).subquery()
    )
    # SQLAlchemy's own select() and execute(): SQLModel's select() is typed for at most four
    # columns, and its exec() takes only its own select.
    found = session.execute(
        sa.select(Member, col(Respondent.external_id), col(Contact.name), latest.c.issued_at,
                  latest.c.expires_at)
        .join(Respondent, col(Respondent.id) == Member.respondent_id)
        .outerjoin(Contact, col(Contact.respondent_id) == Member.respondent_id)
        .outerjoin(latest, latest.c.member_id == Member.id)
        .where(col(Member.assembly_id) == assembly_id,
               col(Member.role) == MemberRole.panel.value)
        .order_by(col(Member.id))
    ).all()
    ids = [member.id for member, *_ in found if member.id]
    live = batches.live_letters(session, ids)
    declines = {d.member_id: d for d in session.exec(
        select(Decline).where(col(Decline.member_id).in_(ids))).all()} if ids else {}
    return [MemberRow(member, reference, name or "", issued, expires, live.get(member.id or 0),
                      declines.get(member.id or 0))
            for member, reference, name, issued, expires in found]


async def issue_all(request: Request) -> Response:
    """Prepare letters for everyone on the panel who has not joined yet (after confirming, if
    some of them hold letters that still work), then show their progress."""
    actor = require(request, "invitations.issue")
    assembly_id = request.path_params["assembly_id"]
    form = await forms.read(request)
    confirmed = form.get("confirm") == "yes"
    missing = await _renderer_missing(request, assembly_id)
    if missing is not None:
        return missing

    def members(session: Session, assembly: Assembly) -> list[Member]:
        assert assembly.id is not None
        return panel.invitable_members(session, assembly.id)

    def prepare(session: Session, assembly: Assembly, settings: Settings) -> batches.Prepared:
        return batches.prepare_panel(session, assembly, days=settings.invitation_days,
                                     **_owner(actor))

    return await _prepare(request, actor, assembly_id, members, prepare, confirmed,
                          action=url(request, "invitations_issue", assembly_id=assembly_id))


async def reissue(request: Request) -> Response:
    """A new letter for one member (a lost letter, a new phone); their current one keeps working
    until the new one is downloaded."""
    actor = require(request, "invitations.issue")
    assembly_id = request.path_params["assembly_id"]
    member_id = request.path_params["member_id"]
    form = await forms.read(request)
    confirmed = form.get("confirm") == "yes"
    missing = await _renderer_missing(request, assembly_id)
    if missing is not None:
        return missing

    def members(session: Session, assembly: Assembly) -> list[Member]:
        return [member_or_404(session, assembly_id, member_id)]

    def prepare(session: Session, assembly: Assembly, settings: Settings) -> batches.Prepared:
        member = member_or_404(session, assembly_id, member_id)
        return batches.prepare_member(session, member, days=settings.invitation_days,
                                      **_owner(actor))

    return await _prepare(request, actor, assembly_id, members, prepare, confirmed,
                          action=url(request, "invitation_reissue", assembly_id=assembly_id,
                                     member_id=member_id))


def _owner(actor: Actor) -> dict[str, int | None]:
    return {"officer_id": actor.officer.id if actor.officer else None,
            "session_id": actor.session_id}


def _cookie(request: Request) -> str:
    token = sessions.cookie_token(request)
    if token is None:  # require() let an officer in, so there is a session cookie
        raise HTTPException(403, "Sign in again to make letters.")
    return token


async def _prepare(request: Request, actor: Actor, assembly_id: int,
                   members: Callable[[Session, Assembly], list[Member]],
                   prepare: Callable[[Session, Assembly, Settings], batches.Prepared],
                   confirmed: bool, *, action: str) -> Response:
    settings: Settings = request.app.state.settings
    token = _cookie(request)
    privacy = letters.printed_address(
        settings.public_address, url(request, "privacy_notice", assembly_id=assembly_id))

    def work(session: Session) -> _Outcome:
        assembly = assembly_or_404(session, assembly_id)
        if not confirmed:
            chosen = members(session, assembly)
            live = batches.live_letters(session, [m.id for m in chosen if m.id is not None])
            if live:
                return _Outcome("confirm", {
                    "assembly": assembly, "action": action, "live": len(live),
                    "count": len(chosen),
                    "newest": max(item.issued_at for item in live.values())})
        try:
            prepared = prepare(session, assembly, settings)
        except InvitationError as error:
            return _Outcome("error", _context(session, assembly, settings, {"form": str(error)}))
        return _Outcome("prepared", {}, prepared.batch.public_id,
                        letters.LetterHead.of(assembly, settings.site_name, privacy),
                        _letters(session, request, prepared.issued))

    outcome = await db.run(request, work, write=True)
    if outcome.kind == "confirm":
        return render(request, "invitations/confirm.html", outcome.context)
    if outcome.kind == "error":
        return render(request, "invitations/officer.html", outcome.context, status_code=409)
    assert outcome.head is not None
    batches.start_rendering(request.app.state.engine, outcome.public_id,
                            batches.batch_key(token, outcome.public_id), outcome.head,
                            outcome.batch_letters, utcnow().date())
    return see_other(request, url(request, "letter_batch", assembly_id=assembly_id,
                                  batch_id=outcome.public_id))


@dataclass(frozen=True)
class _Outcome:
    """What preparing letters came to: a question, a refusal, or a batch to render."""

    kind: str  # "confirm", "error" or "prepared"
    context: dict[str, object]
    public_id: str = ""
    head: letters.LetterHead | None = None
    batch_letters: list[letters.Letter] = field(default_factory=list)


def _batch_or_404(session: Session, actor: Actor, assembly_id: int, public_id: str
                  ) -> LetterBatch:
    """The batch, if it belongs to this assembly and to this sign-in (the browser that made it
    is the only one that could decrypt it anyway)."""
    batch = session.exec(select(LetterBatch).where(LetterBatch.public_id == public_id)).first()
    if batch is None or batch.assembly_id != assembly_id or batch.session_id is None \
            or batch.session_id != actor.session_id:
        raise HTTPException(404, "There are no such letters. Letters can be downloaded only "
                                 "from the browser, and the sign-in, that created them.")
    return batch


@dataclass(frozen=True)
class BatchRow:
    reference: str
    name: str
    status: str
    live: Live | None


def _batch_context(session: Session, batch: LetterBatch) -> dict[str, object]:
    assembly = assembly_or_404(session, batch.assembly_id)
    now = utcnow()
    status = batches.status_of(batch, now)
    context: dict[str, object] = {
        "assembly": assembly, "batch": batch, "status": status.value,
        "percent": math.floor(100 * batch.done / batch.count) if batch.count else 0,
        "download_again": batches.can_download_again(batch, now), "errors": {},
        "keep_minutes": int(batches.KEEP_AFTER_DOWNLOAD.total_seconds() // 60),
        "ready_hours": int(batches.READY_FOR.total_seconds() // 3600),
    }
    ids = batches.member_ids(batch)
    if status in (BatchStatus.ready, BatchStatus.activated):
        found = session.exec(
            select(Member, Respondent.external_id, Contact.name)
            .join(Respondent, col(Respondent.id) == col(Member.respondent_id))
            .outerjoin(Contact, col(Contact.respondent_id) == col(Member.respondent_id))
            .where(col(Member.id).in_(ids)).order_by(col(Member.id))).all()
        live = batches.live_letters(session, ids, now=now)
        context["rows"] = [BatchRow(reference, name or "", member.status,
                                    live.get(member.id or 0))
                           for member, reference, name in found]
        context["holding"] = len(live)
    return context


async def batch_page(request: Request) -> Response:
    """The letters' progress, then the download; after it, who holds working letters."""
    actor = require(request, "invitations.issue")
    assembly_id = request.path_params["assembly_id"]
    public_id = request.path_params["batch_id"]

    def load(session: Session) -> dict[str, object]:
        return _batch_context(session, _batch_or_404(session, actor, assembly_id, public_id))

    context = await db.run(request, load)
    waiting = context["status"] in (BatchStatus.rendering.value, BatchStatus.ready.value)
    if is_partial(request):
        seen = request.query_params.get("seen", "")
        if context["status"] != seen and seen:
            # The batch moved on (finished, or downloaded): load the whole page again.
            return Response(status_code=204, headers={"HX-Refresh": "true"})
        if context["status"] != BatchStatus.rendering.value:
            # Waiting for the download: nothing to swap (the button must not be replaced
            # under the officer's pointer or a screen reader's focus).
            return Response(status_code=204)
        return render(request, "invitations/batch.html", {**context, "waiting": waiting},
                      block="progress")
    return render(request, "invitations/batch.html", {**context, "waiting": waiting})


async def download(request: Request) -> Response:
    """Hand over the letters: in one transaction they start working, the members' earlier
    letters stop, and the audit log says so; the ZIP is this response."""
    actor = require(request, "invitations.issue")
    assembly_id = request.path_params["assembly_id"]
    public_id = request.path_params["batch_id"]
    key = batches.batch_key(_cookie(request), public_id)

    def work(session: Session) -> tuple[bytes, date, str] | dict[str, object]:
        batches.tidy(session)  # erase other archives whose time is up
        batch = _batch_or_404(session, actor, assembly_id, public_id)
        assembly = session.get(Assembly, assembly_id)
        title = assembly.title if assembly is not None else ""
        archive = batches.unseal(key, public_id, batch.archive) if batch.archive else None
        try:
            if archive is None:
                raise InvitationError(batches.NOT_READY)
            batches.activate(session, batch, actor=actor.label,
                             officer_id=actor.officer.id if actor.officer else None)
        except InvitationError as error:
            session.rollback()
            return {**_batch_context(session, batch), "errors": {"form": str(error)}}
        return archive, batch.created_at.date(), title

    outcome = await db.run(request, work, write=True)
    if isinstance(outcome, dict):
        return render(request, "invitations/batch.html", {**outcome, "waiting": False},
                      status_code=409)
    archive, made, title = outcome
    return Response(archive, media_type="application/zip", headers=attachment(
        title, "invitations", f"{made:%Y-%m-%d}", public_id[:6], extension="zip"))


async def _renderer_missing(request: Request, assembly_id: int) -> Response | None:
    """Checked before letters are prepared: no point making credentials that no letter can
    carry (the earlier letters would keep working anyway, but the officer should know now)."""
    try:
        await to_thread.run_sync(letters.renderer)
    except letters.RendererMissing as error:
        message = str(error)
        settings: Settings = request.app.state.settings

        def load(session: Session) -> dict[str, object]:
            return _context(session, assembly_or_404(session, assembly_id), settings,
                            {"form": message})

        return render(request, "invitations/officer.html", await db.run(request, load),
                      status_code=503)
    return None


def _context(session: Session, assembly: Assembly, settings: Settings,
             errors: dict[str, str] | None = None) -> dict[str, object]:
    assert assembly.id is not None
    return {"assembly": assembly, "drawn": draw_of(session, assembly.id) is not None,
            "rows": _rows(session, assembly.id), "errors": errors or {},
            "on_panel": len(panel.panel_members(session, assembly.id)), "pending": [],
            "invitation_days": settings.invitation_days}


def _letters(session: Session, request: Request, issued: list[Issued]) -> list[letters.Letter]:
    """One letter per member; the link and the code page are full addresses on the public site."""
    settings: Settings = request.app.state.settings
    respondent_ids = [item.respondent_id for item in issued]
    contacts = {c.respondent_id: c for c in session.exec(
        select(Contact).where(col(Contact.respondent_id).in_(respondent_ids))
    ).all()}
    references = dict(session.exec(
        select(Respondent.id, Respondent.external_id)
        .where(col(Respondent.id).in_(respondent_ids))
    ).all())
    code_page = settings.public_address.split("://", 1)[-1] + url(request, "invite_code_page")
    batch = []
    for item in issued:
        contact = contacts.get(item.respondent_id) or Contact()
        address = tuple(line for line in (contact.address_line_1, contact.address_line_2,
                                          contact.address_line_3, contact.town) if line)
        batch.append(letters.Letter(
            member_ref=references[item.respondent_id],
            name=contact.name or "Resident",
            address=address,
            postcode=contact.postcode,
            email=contact.email,
            link=settings.public_address + url(request, "invitation", token=item.token),
            code=item.code,
            code_page=code_page,
            expires=item.expires_at,
        ))
    return batch


# --- a sign-in code for a member who has joined and cannot get back in --------------------------


def _member_for_code(session: Session, assembly_id: int, member_id: int
                     ) -> tuple[Assembly, Member, str, str]:
    assembly = assembly_or_404(session, assembly_id)
    member = member_or_404(session, assembly_id, member_id)
    respondent = session.get(Respondent, member.respondent_id)
    contact = session.exec(select(Contact).where(
        Contact.respondent_id == member.respondent_id)).first()
    reference = respondent.external_id if respondent is not None else member.public_id
    return assembly, member, reference, contact.name if contact is not None else ""


async def sign_in_code_page(request: Request) -> Response:
    """Confirm before making a code: making one stops the member's earlier unused code."""
    require(request, "members.manage")
    assembly, member, reference, name = await db.run(
        request, _member_for_code, request.path_params["assembly_id"],
        request.path_params["member_id"])
    return render(request, "invitations/sign_in_code.html", {
        "assembly": assembly, "member": member, "reference": reference, "name": name,
        "code": None, "can_return": returning.can_return(member)})


async def make_sign_in_code(request: Request) -> Response:
    """Make the code and show it once (never stored in a form we can show again)."""
    actor = require(request, "members.manage")
    assert actor.officer is not None and actor.officer.id is not None
    officer_id = actor.officer.id
    assembly_id = request.path_params["assembly_id"]
    member_id = request.path_params["member_id"]

    def work(session: Session) -> tuple[Assembly, Member, str, str, returning.Code]:
        assembly, member, reference, name = _member_for_code(session, assembly_id, member_id)
        return assembly, member, reference, name, returning.make_code(session, member,
                                                                      officer_id)

    try:
        assembly, member, reference, name, code = await db.run(request, work, write=True)
    except returning.NoWayBackIn as error:
        return see_other(request, url(request, "member_sign_in_code_page",
                                      assembly_id=assembly_id, member_id=member_id),
                         str(error), "error")
    settings: Settings = request.app.state.settings
    code_page = settings.public_url.split("://", 1)[-1] + url(request, "invite_code_page")
    return render(request, "invitations/sign_in_code.html", {
        "assembly": assembly, "member": member, "reference": reference, "name": name,
        "code": code, "can_return": True, "public_code_page": code_page},
        headers={"Cache-Control": "no-store"})
