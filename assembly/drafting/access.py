"""Loading a principle, comment, amendment or dissent note for someone who acts on it, and
checking they may, in one step: 404 unless it belongs to the assembly named (officers) or to the
member's own assembly, in a draft round that has opened (members)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select
from starlette.exceptions import HTTPException

from assembly.authz import Actor, authorize
from assembly.deliberation import rounds
from assembly.deliberation.models import Round, RoundKind, RoundState
from assembly.drafting.models import Amendment, Comment, DissentNote, Principle


def principle_or_404(session: Session, assembly_id: int, principle_id: int
                     ) -> tuple[Round, Principle]:
    principle = session.get(Principle, principle_id)
    round_item = session.get(Round, principle.round_id) if principle is not None else None
    if principle is None or round_item is None or round_item.assembly_id != assembly_id:
        raise HTTPException(404, "There is no such principle in this assembly's programme.")
    return round_item, principle


def comment_or_404(session: Session, assembly_id: int, comment_id: int
                   ) -> tuple[Round, Principle, Comment]:
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise HTTPException(404, "There is no such comment in this assembly's programme.")
    try:
        round_item, principle = principle_or_404(session, assembly_id, comment.principle_id)
    except HTTPException:
        raise HTTPException(404, "There is no such comment in this assembly's programme.") \
            from None
    return round_item, principle, comment


def amendment_or_404(session: Session, assembly_id: int, amendment_id: int
                     ) -> tuple[Round, Principle, Amendment]:
    amendment = session.get(Amendment, amendment_id)
    if amendment is None:
        raise HTTPException(404, "There is no such amendment in this assembly's programme.")
    try:
        round_item, principle = principle_or_404(session, assembly_id, amendment.principle_id)
    except HTTPException:
        raise HTTPException(404, "There is no such amendment in this assembly's programme.") \
            from None
    return round_item, principle, amendment


def _members_draft(actor: Actor, round_item: Round | None, now: datetime, what: str) -> Round:
    """A draft round of the member's own assembly that has opened (before then officers may
    still be writing its principles)."""
    if round_item is None or not actor.is_member or actor.member is None \
            or round_item.assembly_id != actor.member.assembly_id \
            or RoundKind(round_item.kind) is not RoundKind.draft \
            or rounds.state_of(round_item, now) is RoundState.scheduled:
        raise HTTPException(404, f"There is no such {what} in your assembly.")
    authorize(actor, "member.view_assembly", round_item)
    return round_item


def members_draft_round(session: Session, actor: Actor, public_id: str, now: datetime
                        ) -> Round:
    item = session.exec(select(Round).where(Round.public_id == public_id)).first()
    return _members_draft(actor, item, now, "draft round")


def members_principle(session: Session, actor: Actor, public_id: str, now: datetime
                      ) -> tuple[Round, Principle]:
    principle = session.exec(select(Principle).where(Principle.public_id == public_id)).first()
    round_item = session.get(Round, principle.round_id) if principle is not None else None
    round_item = _members_draft(actor, round_item, now, "principle")
    assert principle is not None
    return round_item, principle


def members_comment(session: Session, principle: Principle, public_id: str) -> Comment:
    """A comment on this principle, to reply to."""
    comment = session.exec(select(Comment).where(Comment.public_id == public_id)).first()
    if comment is None or comment.principle_id != principle.id:
        raise HTTPException(404, "There is no such comment on this principle.")
    return comment


def members_note(session: Session, actor: Actor, public_id: str, now: datetime
                 ) -> tuple[Round, Principle, DissentNote]:
    note = session.exec(select(DissentNote).where(DissentNote.public_id == public_id)).first()
    principle = session.get(Principle, note.principle_id) if note is not None else None
    round_item = session.get(Round, principle.round_id) if principle is not None else None
    round_item = _members_draft(actor, round_item, now, "dissent note")
    assert principle is not None and note is not None
    return round_item, principle, note
