"""The officers' view of one round: how many members opened it, read each briefing and asked
questions, and who has done nothing yet while it is open (with their phone number, so someone
can ring them). Counts only; nobody's reading is listed by name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assembly.deliberation import briefings
from assembly.deliberation.models import (
    Briefing,
    BriefingRead,
    Question,
    Round,
    RoundVisit,
)
from assembly.recruitment.models import Contact
from assembly.selection.models import Member, MemberStatus
from assembly.tables import row_id


@dataclass(frozen=True)
class Idle:
    member: Member
    name: str
    phone: str


@dataclass(frozen=True)
class Report:
    members: int            # members who have joined
    opened: int             # of them, how many opened the round's page
    asked: int              # how many members asked at least one question
    questions: int          # how many questions were asked
    reads: dict[int, int]   # briefing id -> members who read it
    idle: list[Idle]        # joined members with nothing done in the round yet


def _joined(round_item: Round) -> Any:
    return select(Member.id).where(Member.assembly_id == round_item.assembly_id,
                                   Member.status == MemberStatus.joined.value)


def load(session: Session, round_item: Round, *, with_idle: bool) -> Report:
    round_id = row_id(round_item.id)
    joined = _joined(round_item)
    members = int(session.exec(select(sa.func.count()).select_from(joined.subquery())).one())
    opened = int(session.exec(select(sa.func.count()).select_from(RoundVisit).where(
        RoundVisit.round_id == round_id, col(RoundVisit.member_id).in_(joined))).one())
    asked, questions = session.exec(select(
        sa.func.count(sa.distinct(col(Question.member_id))), sa.func.count())
        .where(Question.round_id == round_id)).one()
    idle: list[Idle] = []
    if with_idle:
        active: Any = sa.union(
            select(RoundVisit.member_id).where(RoundVisit.round_id == round_id),
            select(BriefingRead.member_id).join(
                Briefing, col(Briefing.id) == col(BriefingRead.briefing_id))
            .where(Briefing.round_id == round_id),
            select(Question.member_id).where(Question.round_id == round_id,
                                             col(Question.member_id).is_not(None)))
        rows = session.exec(
            select(Member, Contact.name, Contact.phone)
            .outerjoin(Contact, col(Contact.respondent_id) == col(Member.respondent_id))
            .where(col(Member.id).in_(joined), col(Member.id).not_in(active))
            .order_by(col(Contact.name), col(Member.id))).all()
        idle = [Idle(member, name or "", phone or "") for member, name, phone in rows]
    return Report(members, opened, int(asked), int(questions),
                  briefings.read_counts(session, round_id), idle)
