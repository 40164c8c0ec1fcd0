"""Loading a discuss round or one of its statements for someone who acts on it, and checking
they may, in one step: 404 unless it belongs to the assembly named (officers) or to the member's
own assembly and round (members), and, for members, unless they may see the statement."""

from __future__ import annotations

from sqlmodel import Session, select
from starlette.exceptions import HTTPException

from assembly.authz import Actor
from assembly.deliberation.access import members_round, round_or_404
from assembly.deliberation.models import Round, RoundKind
from assembly.discussion.models import Statement
from assembly.discussion.statements import visible_to
from assembly.selection.models import SEATED, Member
from assembly.tables import row_id


def _discuss(item: Round, message: str) -> Round:
    if RoundKind(item.kind) is not RoundKind.discuss:
        raise HTTPException(404, message)
    return item


def discuss_round_or_404(session: Session, assembly_id: int, round_id: int) -> Round:
    """A discuss round of the assembly named (officers)."""
    return _discuss(round_or_404(session, assembly_id, round_id),
                    "There is no such discuss round in this assembly's programme.")


def statement_or_404(session: Session, assembly_id: int, statement_id: int
                     ) -> tuple[Round, Statement]:
    """A statement of one of the assembly's discuss rounds (officers)."""
    statement = session.get(Statement, statement_id)
    round_item = session.get(Round, statement.round_id) if statement is not None else None
    if statement is None or round_item is None or round_item.assembly_id != assembly_id:
        raise HTTPException(404, "There is no such statement in this assembly's programme.")
    return round_item, statement


def members_discuss_round(session: Session, actor: Actor, public_id: str) -> Round:
    """A discuss round of the member's own assembly, by the id shown in its address."""
    return _discuss(members_round(session, actor, public_id),
                    "There is no such discussion in your assembly.")


def members_statement(session: Session, actor: Actor, round_item: Round, public_id: str, *,
                      seen: bool = True) -> Statement:
    """A statement of this round, by the id in a form or address; with `seen`, only one the
    member may see (accepted, or their own), so a waiting or hidden statement's words never
    reach another member."""
    assert actor.member is not None
    statement = session.exec(select(Statement).where(Statement.public_id == public_id)).first()
    if statement is None or statement.round_id != round_item.id \
            or (seen and not visible_to(statement, row_id(actor.member.id))):
        raise HTTPException(404, "There is no such statement in this discussion.")
    return statement


def panel_member_or_404(session: Session, assembly_id: int, public_id: str) -> Member:
    """A member holding a seat on the assembly's panel, for an officer keying in what they gave
    on paper or by phone."""
    member = session.exec(select(Member).where(Member.public_id == public_id)).first()
    if member is None or member.assembly_id != assembly_id or member.status not in SEATED:
        raise HTTPException(404, "There is no such member on this assembly's panel.")
    return member
