"""Loading a round or meeting for someone who acts on it, and checking they may, in one step:
404 unless it belongs to the assembly named (officers) or to the member's own assembly."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select
from starlette.exceptions import HTTPException

from assembly import db
from assembly.assemblies.models import Assembly
from assembly.authz import Actor, authorize
from assembly.deliberation import rounds
from assembly.deliberation.models import (
    Attachment,
    Briefing,
    Meeting,
    Question,
    Round,
    RoundState,
)
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


# --- the evidence library -------------------------------------------------------------------------


def briefing_or_404(session: Session, assembly_id: int, briefing_id: int
                    ) -> tuple[Round, Briefing]:
    item = session.get(Briefing, briefing_id)
    round_item = session.get(Round, item.round_id) if item is not None else None
    if item is None or round_item is None or round_item.assembly_id != assembly_id:
        raise HTTPException(404, "There is no such briefing in this assembly's programme.")
    return round_item, item


def attachment_or_404(session: Session, assembly_id: int, attachment_id: int, *,
                      with_data: bool = False) -> tuple[Round, Briefing, Attachment]:
    query = select(Attachment).where(Attachment.id == attachment_id)
    if not with_data:
        query = query.options(sa.orm.defer(db.attribute(Attachment.data)))
    attachment = session.exec(query).first()
    if attachment is None:
        raise HTTPException(404, "There is no such file in this assembly's programme.")
    try:
        round_item, item = briefing_or_404(session, assembly_id, attachment.briefing_id)
    except HTTPException:
        raise HTTPException(404, "There is no such file in this assembly's programme.") from None
    return round_item, item, attachment


def question_or_404(session: Session, assembly_id: int, question_id: int
                    ) -> tuple[Round, Question]:
    question = session.get(Question, question_id)
    round_item = session.get(Round, question.round_id) if question is not None else None
    if question is None or round_item is None or round_item.assembly_id != assembly_id:
        raise HTTPException(404, "There is no such question in this assembly's programme.")
    return round_item, question


def _members_own(actor: Actor, round_item: Round | None, now: datetime, what: str) -> Round:
    """A round of the member's own assembly that has opened (members see no briefing before
    its round opens: officers may still be preparing it)."""
    if round_item is None or not actor.is_member or actor.member is None \
            or round_item.assembly_id != actor.member.assembly_id \
            or rounds.state_of(round_item, now) is RoundState.scheduled:
        raise HTTPException(404, f"There is no such {what} in your assembly.")
    authorize(actor, "member.view_assembly", round_item)
    return round_item


def members_briefing(session: Session, actor: Actor, public_id: str, now: datetime
                     ) -> tuple[Round, Briefing]:
    item = session.exec(select(Briefing).where(Briefing.public_id == public_id)).first()
    if item is None:
        raise HTTPException(404, "There is no such briefing in your assembly.")
    return _members_own(actor, session.get(Round, item.round_id), now, "briefing"), item


def members_attachment(session: Session, actor: Actor, public_id: str, now: datetime
                       ) -> Attachment:
    attachment = session.exec(select(Attachment).where(Attachment.public_id == public_id)
                              ).first()
    item = session.get(Briefing, attachment.briefing_id) if attachment is not None else None
    round_item = session.get(Round, item.round_id) if item is not None else None
    _members_own(actor, round_item, now, "file")
    assert attachment is not None
    return attachment
