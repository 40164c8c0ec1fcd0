"""Statements in a discuss round: members write them, officers seed and moderate them.

A member writes (up to 280 characters, as in Pol.is) only while the round is open
(`rounds.require_open`); the statement counts as their own agree vote. In a strict round other
members see it once an officer accepts it; in an open round at once, and an officer can hide it
later (a rejection with a reason). The author sees the reason; nobody else ever sees who wrote
a statement. A statement that says the same as one already there (same words once case, spacing
and punctuation are set aside) is pointed out instead of being posted twice.

Writing a statement is not written to the audit log (it would tie a member to their words in a
log kept for years); seeding and moderating are, and so is an officer keying in a statement a
member gave on paper or by phone (who keyed it in and when, never who gave it).
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assembly import audit, db, forms
from assembly.deliberation import rounds
from assembly.deliberation.models import Round, RoundKind, RoundState
from assembly.discussion.models import (
    STATEMENT_LIMIT,
    Channel,
    DiscussRound,
    Moderation,
    Statement,
    StatementStatus,
    Vote,
    VoteRecord,
    VoteValue,
)
from assembly.errors import ActionableError
from assembly.tables import row_id, utcnow

PROMPT_LIMIT = 500
REASON_LIMIT = 1000


class StatementError(ActionableError):
    """A statement, or a decision on one, cannot be saved as given."""


class DuplicateStatement(StatementError):
    """The statement says the same as one already in the round: `existing` is that one."""

    status_code = 409

    def __init__(self, message: str, existing: Statement) -> None:
        super().__init__(message, field="text")
        self.existing = existing


def normalise(text: str) -> str:
    """The words of a statement with case, spacing and punctuation set aside, for spotting
    duplicates: "Data, used FAIRLY!" and "data used fairly" are the same statement."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(" " if unicodedata.category(ch)[0] in "PZSC" else ch for ch in folded)
    return " ".join(kept.split())[:STATEMENT_LIMIT]


def _require_discuss(round_item: Round) -> None:
    if RoundKind(round_item.kind) is not RoundKind.discuss:
        raise StatementError("Statements belong to discuss rounds.")


# --- the round's settings ---------------------------------------------------------------------


def settings_of(session: Session, round_item: Round) -> DiscussRound:
    """The round's prompt and moderation, made with the defaults the first time it is asked for
    (insert-or-nothing, so two workers asking at once make one row)."""
    found = session.get(DiscussRound, round_item.id)
    if found is not None:
        return found
    session.execute(db.insert(session, DiscussRound).values(
        round_id=round_item.id, prompt="", moderation=Moderation.strict.value, statements=0,
        updated_at=utcnow()).on_conflict_do_nothing(index_elements=["round_id"]))
    found = session.get(DiscussRound, round_item.id)
    assert found is not None
    return found


def check_settings(prompt: str, moderation: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not prompt:
        errors["prompt"] = ("Write the question members answer, for example “How should the "
                            "council use data and AI in the services you use?”.")
    elif problem := forms.too_long(prompt, PROMPT_LIMIT, "The prompt"):
        errors["prompt"] = problem
    if moderation not in {m.value for m in Moderation}:
        errors["moderation"] = ("Choose strict (members' statements are shown once accepted) "
                                "or open (shown at once, can be hidden later).")
    return errors


def configure(session: Session, round_item: Round, prompt: str, moderation: str, now: datetime,
              *, actor: str) -> DiscussRound:
    """Set what the round asks and how statements are moderated. The moderation can change
    until the round closes; statements already waiting stay waiting when a round turns open
    (an officer still decides on each), so nothing unchecked appears by surprise."""
    _require_discuss(round_item)
    errors = check_settings(prompt, moderation)
    if errors:
        field, message = next(iter(errors.items()))
        raise StatementError(message, field=field)
    state = rounds.state_of(round_item, now)
    settings = settings_of(session, round_item)
    if state in (RoundState.closed, RoundState.results_released) \
            and moderation != settings.moderation:
        raise StatementError("This round has closed, so its moderation can no longer change.",
                             field="moderation")
    changes = {name: {"from": getattr(settings, name), "to": value}
               for name, value in (("prompt", prompt), ("moderation", moderation))
               if getattr(settings, name) != value}
    if not changes:
        return settings
    settings.prompt = prompt
    settings.moderation = moderation
    settings.updated_at = now
    session.add(settings)
    audit.record(session, round_item.assembly_id, actor, "discussion.configured", {
        "round": round_item.public_id, "round_title": round_item.title, "changes": changes})
    return settings


# --- writing ------------------------------------------------------------------------------------


def check_text(text: str) -> str | None:
    if not text:
        return ("Write your statement, for example “The council should say when a computer "
                "helped make a decision about me.”.")
    if not normalise(text):
        return "Write your statement in words; punctuation alone says nothing."
    return forms.too_long(text, STATEMENT_LIMIT, "Your statement")


def duplicate_of(session: Session, round_item: Round, text: str) -> Statement | None:
    """A statement of the round that says the same, unless it was rejected."""
    return session.exec(
        select(Statement).where(Statement.round_id == round_item.id,
                                Statement.normalised == normalise(text),
                                Statement.status != StatementStatus.rejected.value)
        .order_by(col(Statement.number))).first()


def _next_number(session: Session, round_item: Round) -> int:
    settings_of(session, round_item)
    number = session.execute(
        sa.update(DiscussRound).where(col(DiscussRound.round_id) == round_item.id)
        .values(statements=col(DiscussRound.statements) + 1)
        .returning(col(DiscussRound.statements))).scalar_one()
    return int(number)


def _add(session: Session, round_item: Round, text: str, *, member_id: int | None,
         seed: bool, status: StatementStatus, now: datetime, channel: Channel,
         entered_by: str) -> Statement:
    problem = check_text(text)
    if problem:
        raise StatementError(problem, field="text")
    existing = duplicate_of(session, round_item, text)
    if existing is not None:
        raise DuplicateStatement(
            f"Statement {existing.number} already says this: “{existing.text}”. Vote on it "
            "instead, or change your words to say something it does not.", existing)
    statement = Statement(round_id=row_id(round_item.id), number=_next_number(session, round_item),
                          member_id=member_id, seed=seed, text=text, normalised=normalise(text),
                          status=status.value, channel=channel.value, entered_by=entered_by,
                          created_at=now)
    if status is StatementStatus.accepted and seed:
        statement.moderated_at = now
        statement.moderated_by = entered_by
    session.add(statement)
    session.flush()
    return statement


def post(session: Session, round_item: Round, member_id: int, text: str, now: datetime, *,
         channel: Channel = Channel.online, entered_by: str = "") -> Statement:
    """A member's statement, with their agree vote; refused unless the round is open now.

    `channel` and `entered_by` say when an officer keyed in what the member gave on paper or by
    phone; then the audit log says who keyed it in (never who gave it)."""
    _require_discuss(round_item)
    rounds.require_open(session, round_item, now)
    if channel is not Channel.online and not entered_by:
        raise StatementError("Say which officer keyed in the statement.")
    settings = settings_of(session, round_item)
    status = (StatementStatus.accepted if settings.moderation == Moderation.open.value
              else StatementStatus.waiting)
    statement = _add(session, round_item, text, member_id=member_id, seed=False, status=status,
                     now=now, channel=channel, entered_by=entered_by)
    session.add(Vote(statement_id=row_id(statement.id), member_id=member_id,
                     value=VoteValue.agree.value, channel=channel.value, voted_at=now))
    session.add(VoteRecord(statement_id=row_id(statement.id), member_id=member_id,
                           value=VoteValue.agree.value, channel=channel.value,
                           entered_by=entered_by, voted_at=now))
    if channel is not Channel.online:
        audit.record(session, round_item.assembly_id, entered_by, "statement.keyed_in", {
            "round": round_item.public_id, "round_title": round_item.title,
            "statement": statement.number, "channel": channel.value})
    return statement


def seed(session: Session, round_item: Round, text: str, now: datetime, *,
         actor: str) -> Statement:
    """An officer's statement to start the conversation: shown at once, voted on like any other,
    and never counted as anyone's vote. Refused once the round has closed."""
    _require_discuss(round_item)
    if rounds.state_of(round_item, now) in (RoundState.closed, RoundState.results_released):
        raise StatementError("This round has closed; seed statements go in before or while it "
                             "is open.")
    statement = _add(session, round_item, text, member_id=None, seed=True,
                     status=StatementStatus.accepted, now=now, channel=Channel.online,
                     entered_by=actor)
    audit.record(session, round_item.assembly_id, actor, "statement.seeded", {
        "round": round_item.public_id, "round_title": round_item.title,
        "statement": statement.number, "text": text})
    return statement


# --- moderating ---------------------------------------------------------------------------------


def moderate(session: Session, round_item: Round, statement: Statement, decision: str,
             reason: str, now: datetime, *, actor: str) -> bool:
    """Accept, or reject with a reason the author sees (in an open round, rejecting hides a
    statement already shown). False if it already was so. A rejected statement takes no part
    in the maths; accepting it again brings it and its votes back."""
    if decision not in (StatementStatus.accepted.value, StatementStatus.rejected.value):
        raise StatementError("Choose to accept or to reject the statement.", field="decision")
    if statement.round_id != round_item.id:
        raise StatementError("That statement belongs to another round.")
    if decision == StatementStatus.rejected.value:
        if not reason:
            raise StatementError("Say why, in words the author will read, for example “It names "
                                 "a person” or “It repeats statement 4”.", field="reason")
        if problem := forms.too_long(reason, REASON_LIMIT, "The reason"):
            raise StatementError(problem, field="reason")
    if statement.status == decision and (decision == StatementStatus.accepted.value
                                         or statement.reason == reason):
        return False
    statement.status = decision
    statement.reason = reason if decision == StatementStatus.rejected.value else ""
    statement.moderated_by = actor
    statement.moderated_at = now
    session.add(statement)
    details: dict[str, object] = {"round": round_item.public_id, "round_title": round_item.title,
                                  "statement": statement.number}
    if decision == StatementStatus.rejected.value:
        details["reason"] = reason
    audit.record(session, round_item.assembly_id, actor,
                 "statement.rejected" if decision == StatementStatus.rejected.value
                 else "statement.accepted", details)
    return True


# --- reading ------------------------------------------------------------------------------------


def of_round(session: Session, round_id: int, *, status: StatementStatus | None = None
             ) -> list[Statement]:
    query = select(Statement).where(Statement.round_id == round_id)
    if status is not None:
        query = query.where(Statement.status == status.value)
    return list(session.exec(query.order_by(col(Statement.number))).all())


def visible_to(statement: Statement, member_id: int) -> bool:
    """Can this member see (and so vote on) the statement?"""
    return statement.status == StatementStatus.accepted.value or statement.member_id == member_id


def written_by(session: Session, round_id: int, member_id: int) -> list[Statement]:
    """A member's own statements in a round, with their status and any reason (theirs only)."""
    return list(session.exec(select(Statement).where(Statement.round_id == round_id,
                                                     Statement.member_id == member_id)
                             .order_by(col(Statement.number))).all())
