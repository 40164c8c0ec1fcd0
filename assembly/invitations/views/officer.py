"""Inviting the drawn panel: issue links and codes, download the letters and the mail-merge CSV.

The raw link tokens and codes exist only in the response to the POST that creates them: one ZIP
holding the letters PDF and the mail-merge CSV, built from the same secrets. Keeping them
anywhere (even encrypted with the app's secret) would let whoever gets the database and the
secret into every member's account; issuing again is cheap and invalidates the earlier letters,
which is exactly what an officer wants when a batch was lost. That is why the page has no
separate "download the letters again" link, and why the form is a plain POST without htmx (a
file download cannot be swapped into the page).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from anyio import to_thread
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response

from assembly import db
from assembly.assemblies.access import assembly_or_404
from assembly.assemblies.models import Assembly
from assembly.authz import require
from assembly.invitations import credentials, letters
from assembly.invitations.credentials import InvitationError, Issued
from assembly.invitations.models import Invitation
from assembly.recruitment.models import Contact, Respondent
from assembly.selection import panel
from assembly.selection.access import member_or_404
from assembly.selection.draws import draw_of
from assembly.selection.models import Member, MemberRole
from assembly.settings import Settings
from assembly.tables import utcnow
from assembly.templating import render, url


@dataclass(frozen=True)
class MemberRow:
    member: Member
    reference: str
    name: str
    issued_at: datetime | None
    expires_at: datetime | None


async def page(request: Request) -> Response:
    require(request, "invitations.issue")
    assembly_id = request.path_params["assembly_id"]

    settings: Settings = request.app.state.settings

    def load(session: Session) -> dict[str, object]:
        return _context(session, assembly_or_404(session, assembly_id), settings)

    context = await db.run(request, load)
    return render(request, "invitations/officer.html", context)


def _rows(session: Session, assembly_id: int) -> list[MemberRow]:
    latest = (
        select(Invitation.member_id, sa.func.max(Invitation.created_at).label("issued_at"),
               sa.func.max(Invitation.expires_at).label("expires_at"))
        .group_by(col(Invitation.member_id)).subquery()
    )
    found = session.exec(
        # SQLModel's select() is typed for at most four columns (it takes any number at run time).
        select(Member, Respondent.external_id, Contact.name,  # type: ignore[call-overload]
               latest.c.issued_at, latest.c.expires_at)
        .join(Respondent, col(Respondent.id) == Member.respondent_id)
        .outerjoin(Contact, col(Contact.respondent_id) == Member.respondent_id)
        .outerjoin(latest, latest.c.member_id == Member.id)
        .where(Member.assembly_id == assembly_id, Member.role == MemberRole.panel.value)
        .order_by(col(Member.id))
    ).all()
    return [MemberRow(member, reference, name or "", issued, expires)
            for member, reference, name, issued, expires in found]


async def issue_all(request: Request) -> Response:
    """Issue invitations to everyone on the panel who has not joined yet; download the letters."""
    actor = require(request, "invitations.issue")
    assembly_id = request.path_params["assembly_id"]
    settings: Settings = request.app.state.settings
    missing = await _renderer_missing(request, assembly_id)
    if missing is not None:
        return missing

    def work(session: Session) -> tuple[Assembly, list[letters.Letter]] | dict[str, object]:
        assembly = assembly_or_404(session, assembly_id)
        try:
            issued = credentials.invite_panel(
                session, assembly, days=settings.invitation_days, actor=actor.label,
                officer_id=actor.officer.id if actor.officer else None)
        except InvitationError as error:
            return _context(session, assembly, settings, {"form": str(error)})
        return assembly, _letters(session, request, issued)

    outcome = await db.run(request, work, write=True)
    if isinstance(outcome, dict):
        return render(request, "invitations/officer.html", outcome, status_code=409)
    assembly, batch = outcome
    return await _download(request, assembly, batch, f"invitations-{assembly.id}")


async def reissue(request: Request) -> Response:
    """A new invitation for one member (a lost letter, a new phone); their old one stops."""
    actor = require(request, "invitations.issue")
    assembly_id = request.path_params["assembly_id"]
    member_id = request.path_params["member_id"]
    settings: Settings = request.app.state.settings
    missing = await _renderer_missing(request, assembly_id)
    if missing is not None:
        return missing

    def work(session: Session) -> tuple[Assembly, list[letters.Letter]] | dict[str, object]:
        assembly = assembly_or_404(session, assembly_id)
        member = member_or_404(session, assembly_id, member_id)
        try:
            issued = credentials.reinvite(session, member, days=settings.invitation_days,
                                          actor=actor.label,
                                          officer_id=actor.officer.id if actor.officer else None)
        except InvitationError as error:
            return _context(session, assembly, settings, {"form": str(error)})
        return assembly, _letters(session, request, [issued])

    outcome = await db.run(request, work, write=True)
    if isinstance(outcome, dict):
        return render(request, "invitations/officer.html", outcome, status_code=409)
    assembly, batch = outcome
    return await _download(request, assembly, batch, f"invitation-{assembly.id}-member-{member_id}")


async def _renderer_missing(request: Request, assembly_id: int) -> Response | None:
    """Checked before any token is issued: issuing revokes the earlier letters, so it must not
    happen when the new ones cannot be made."""
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
            "on_panel": len(panel.panel_members(session, assembly.id)),
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
    code_page = settings.public_url.split("://", 1)[-1] + url(request, "invite_code_page")
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
            link=settings.public_url + url(request, "invitation", token=item.token),
            code=item.code,
            code_page=code_page,
            expires=item.expires_at,
        ))
    return batch


def letter_head(assembly: Assembly, settings: Settings) -> letters.LetterHead:
    return letters.LetterHead(
        title=assembly.title,
        question=assembly.question,
        commissioning_body=assembly.commissioning_body or settings.site_name,
        starts_on=assembly.starts_on,
        ends_on=assembly.ends_on,
        remit=assembly.remit,
    )


async def _download(request: Request, assembly: Assembly, batch: list[letters.Letter],
                    name: str) -> Response:
    """One ZIP with `letters.pdf` and `mail-merge.csv`, rendered off the event loop."""
    head = letter_head(assembly, request.app.state.settings)
    today = utcnow().date()

    def build() -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("letters.pdf", letters.letters_pdf(head, batch, today=today))
            archive.writestr("mail-merge.csv", letters.mail_merge_csv(batch))
            archive.writestr("README.txt", README.format(count=len(batch), today=today))
        return buffer.getvalue()

    content = await to_thread.run_sync(build)
    return Response(content, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{name}-{today:%Y-%m-%d}.zip"',
    })


README = """Invitations issued on {today} for {count} member(s).

letters.pdf     one letter per page, A4, for printing and posting in window envelopes
mail-merge.csv  the same links and codes, for e-mail or your own letter template

The links and codes in these files are the only copies: the system keeps only a fingerprint of
each. Store these files securely and delete them once the letters are sent. Issuing invitations
again makes every link and code in these files stop working.
"""
