"""Members' questions to the speakers of a learn round, and the officers who moderate them.

A member asks (up to 1,000 characters) only while the round is open (`rounds.require_open`).
Officers publish or reject each question, merge duplicates into one, and publish the speaker's
answer on their behalf. Members see every published question and its answer, never who asked;
officers see who asked, to follow up. Asking is not written to the audit log (it would tie a
member to a question in a log kept for years); moderating is.

Paper and phone: an officer can key in a question a member gave on paper or by phone. It is
marked with its channel and the officer, and the audit log says who keyed in whose question and
when (never its words, which are the member's).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assembly import audit, forms
from assembly.deliberation import rounds
from assembly.deliberation.models import (
    Briefing,
    Question,
    QuestionStatus,
    Round,
    RoundKind,
)
from assembly.errors import ActionableError, Conflict
from assembly.recruitment.models import Contact, Respondent
from assembly.selection.models import Member
from assembly.tables import row_id, utcnow

LIMIT = 1000
ANSWER_LIMIT = 5000
ONLINE = "online"
ASSISTED = ("paper", "phone")   # how a member gave a question an officer keyed in


class QuestionError(ActionableError):
    """A question or an answer cannot be saved as given."""


def check_text(text: str) -> str | None:
    if not text:
        return "Write your question, for example “Who checks the computer's decisions?”."
    return forms.too_long(text, LIMIT, "Your question")


def ask(session: Session, round_item: Round, member_id: int, text: str,
        briefing: Briefing | None, now: datetime, *, channel: str = ONLINE,
        entered_by: str = "") -> Question:
    """A member's question, waiting for an officer; refused unless the round is open now.
    With `channel` "paper" or "phone", `entered_by` is the officer who keyed it in."""
    if RoundKind(round_item.kind) is not RoundKind.learn:
        raise QuestionError("Questions to the speakers belong to learn rounds.")
    rounds.require_open(session, round_item, now)
    problem = check_text(text)
    if problem:
        raise QuestionError(problem, field="text")
    if briefing is not None and briefing.round_id != round_item.id:
        raise QuestionError("Choose one of this round's briefings, or none.", field="briefing")
    if channel != ONLINE and (channel not in ASSISTED or not entered_by):
        raise QuestionError("Say whether the member gave the question on paper or by phone.",
                            field="channel")
    question = Question(round_id=row_id(round_item.id), member_id=member_id, text=text,
                        briefing_id=briefing.id if briefing is not None else None, asked_at=now,
                        channel=channel, entered_by=entered_by)
    session.add(question)
    session.flush()
    if channel != ONLINE:
        member = session.get(Member, member_id)
        audit.record(session, round_item.assembly_id, entered_by, "question.keyed_in", {
            **_event(round_item, question), "channel": channel,
            "member": member.public_id if member is not None else ""})
    return question


def member_by_reference(session: Session, round_item: Round, reference: str) -> int:
    """The member of the round's assembly with this reference (the people file's id, any case),
    for an officer keying in what they gave on paper or by phone."""
    if not reference:
        raise QuestionError("Type the member's reference, for example R0007.",
                            field="reference")
    found = session.exec(select(Member.id)
                         .join(Respondent, col(Respondent.id) == col(Member.respondent_id))
                         .where(Member.assembly_id == round_item.assembly_id,
                                sa.func.upper(Respondent.external_id) == reference.upper())
                         ).first()
    if found is None:
        raise QuestionError(f"No member of this assembly has the reference “{reference}”.",
                            field="reference")
    return row_id(found)


def of_round(session: Session, round_id: int) -> list[Question]:
    return list(session.exec(select(Question).where(Question.round_id == round_id)
                             .order_by(col(Question.asked_at), col(Question.id))).all())


def published(session: Session, round_id: int) -> list[Question]:
    return [q for q in of_round(session, round_id) if q.status == QuestionStatus.published.value]


def _event(round_item: Round, question: Question) -> dict[str, object]:
    return {"round": round_item.public_id, "round_title": round_item.title,
            "question": question.public_id}


def moderate(session: Session, round_item: Round, question: Question, decision: str, *,
             actor: str, now: datetime | None = None) -> bool:
    """Publish or reject; False if it already was."""
    if decision not in (QuestionStatus.published.value, QuestionStatus.rejected.value):
        raise QuestionError("Choose to publish or to reject the question.", field="decision")
    if question.status == decision:
        return False
    if question.status == QuestionStatus.merged.value:
        raise Conflict("This question was merged into another; publish or reject that one.")
    question.status = decision
    question.moderated_at = now or utcnow()
    session.add(question)
    audit.record(session, round_item.assembly_id, actor,
                 "question.published" if decision == QuestionStatus.published.value
                 else "question.rejected",
                 _event(round_item, question))
    return True


def merge(session: Session, round_item: Round, question: Question, into: Question, *,
          actor: str, now: datetime | None = None) -> None:
    """`question` duplicates `into`: it stops showing on its own, and `into` answers both."""
    if into.id == question.id or into.round_id != question.round_id:
        raise QuestionError("Choose another question of the same round to merge it into.",
                            field="into")
    if into.status == QuestionStatus.merged.value:
        raise QuestionError("That question was itself merged; choose the one it went into.",
                            field="into")
    question.status = QuestionStatus.merged.value
    question.merged_into_id = into.id
    question.moderated_at = now or utcnow()
    session.add(question)
    for earlier in session.exec(select(Question).where(Question.merged_into_id == question.id)):
        earlier.merged_into_id = into.id
        session.add(earlier)
    audit.record(session, round_item.assembly_id, actor, "question.merged", {
        **_event(round_item, question), "into": into.public_id})


def answer(session: Session, round_item: Round, question: Question, text: str, speaker: str,
           *, actor: str, now: datetime | None = None) -> None:
    """Publish the speaker's answer (and so the question, if it was waiting)."""
    errors = {}
    if not text:
        errors["answer"] = "Write the speaker's answer."
    elif problem := forms.too_long(text, ANSWER_LIMIT, "The answer"):
        errors["answer"] = problem
    if not speaker:
        errors["answered_by"] = "Enter who answered, for example “Dr Amina Shah”."
    elif problem := forms.too_long(speaker, 200, "The speaker's name"):
        errors["answered_by"] = problem
    if question.status in (QuestionStatus.merged.value, QuestionStatus.rejected.value):
        errors["answer"] = "Only a published or waiting question can be answered; publish it " \
                           "first, or answer the question it was merged into."
    if errors:
        field, message = next(iter(errors.items()))
        raise QuestionError(message, field=field)
    now = now or utcnow()
    first = not question.answer
    question.answer = text
    question.answered_by = speaker
    question.answered_at = now
    if question.status == QuestionStatus.waiting.value:
        question.status = QuestionStatus.published.value
        question.moderated_at = now
    session.add(question)
    audit.record(session, round_item.assembly_id, actor,
                 "question.answered" if first else "question.answer_edited", {
                     **_event(round_item, question), "speaker": speaker})


def merged_counts(questions: list[Question]) -> dict[int, int]:
    """How many duplicates were merged into each question ("asked by 3 members")."""
    counts: dict[int, int] = {}
    for q in questions:
        if q.merged_into_id is not None:
            counts[q.merged_into_id] = counts.get(q.merged_into_id, 0) + 1
    return counts


def askers(session: Session, found: list[Question]) -> dict[int, str]:
    """Who asked each question, for officers only: member id -> their name."""
    ids = {q.member_id for q in found if q.member_id is not None}
    if not ids:
        return {}
    rows = session.exec(select(Member.id, Contact.name)
                        .outerjoin(Contact, col(Contact.respondent_id) == col(Member.respondent_id))
                        .where(col(Member.id).in_(ids))).all()
    return {row_id(member_id): name or "A member" for member_id, name in rows}


def forget_member(session: Session, member_id: int) -> None:
    """A member's details are erased: their questions stay, with nobody behind them; those not
    yet published go (nobody else has seen them)."""
    for question in session.exec(select(Question).where(Question.member_id == member_id)):
        if question.status == QuestionStatus.waiting.value:
            session.delete(question)
        else:
            question.member_id = None
            session.add(question)
