"""Loading a round or meeting for someone who acts on it, and checking they may, in one step:
404 unless it belongs to the assembly named (officers) or to the member's own assembly."""

from __future__ import annotations

from sqlmodel import Session, select
from starlette.exceptions import HTTPException

from assembly.assemblies.models import Assembly
from assembly.authz import Actor, authorize
from assembly.deliberation.models import Meeting, Round
from assembly.invitations import access as invitations_access


def round_or_404(session: Session, assembly_id: int, round_id: int) -> Round:
    item = session.get(Round, round_id)
    if item is None or item.assembly_id != assembly_id:
        raise HTTPException(404, "There is no such round in this assembly's programme.")
    return item


def meeting_or_404(session: Session, assembly_id: int, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.assembly_id != assembly_id:
        raise HTTPException(404, "There is no such meeting in this assembly's programme.")
    return meeting


def members_assembly(session: Session, actor: Actor) -> Assembly:
    """The signed-in member's own assembly."""
    return invitations_access.members_assembly(session, actor, "member.view_assembly")


def members_round(session: Session, actor: Actor, public_id: str) -> Round:
    """A round of the member's own assembly, by the id shown in its address."""
    item = session.exec(select(Round).where(Round.public_id == public_id)).first()
    if item is None or not actor.is_member or actor.member is None \
            or item.assembly_id != actor.member.assembly_id:
        raise HTTPException(404, "There is no such round in your assembly.")
    authorize(actor, "member.view_assembly", item)
    return item


def members_meeting(session: Session, actor: Actor, public_id: str) -> Meeting:
    meeting = session.exec(select(Meeting).where(Meeting.public_id == public_id)).first()
    if meeting is None or not actor.is_member or actor.member is None \
            or meeting.assembly_id != actor.member.assembly_id:
        raise HTTPException(404, "There is no such meeting in your assembly.")
    authorize(actor, "member.view_assembly", meeting)
    return meeting
