"""Members' agree / disagree / pass votes on the statements of a discuss round.

A vote is taken only while the round is open, on a statement the member can see. The latest vote
per member and statement is one row, written with an upsert on UNIQUE(statement, member), so a
double click or two tabs leave one current vote; every vote that changes something is also
appended to the history (`VoteRecord`). Votes are not written to the audit log (it would tie
members to their views); an officer keying in votes given on paper or by phone is, without the
votes.

The next statement a member is shown is the one with the fewest votes so far that they have not
voted on, as Pol.is does, so every statement gathers votes; ties are broken at random, with a
generator seeded by the round, the member and how far they have got, so reloading the page shows
the same statement and two members rarely see the same order.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assembly import audit, db
from assembly.deliberation import rounds
from assembly.deliberation.models import Round, RoundKind
from assembly.deliberation.progress import Progress
from assembly.discussion.models import (
    Channel,
    Statement,
    StatementStatus,
    Vote,
    VoteRecord,
    VoteValue,
)
from assembly.discussion.statements import StatementError, visible_to
from assembly.recruitment.models import Contact, Respondent
from assembly.selection.models import SEATED, Member
from assembly.tables import row_id


class VoteError(StatementError):
    """A vote cannot be taken as given."""


def parse(value: str) -> VoteValue:
    """A vote as a form sends it: "agree", "disagree" or "pass"."""
    words = {"agree": VoteValue.agree, "disagree": VoteValue.disagree, "pass": VoteValue.pass_}
    if value not in words:
        raise VoteError("Choose agree, disagree or pass / unsure.", field="vote")
    return words[value]


def cast(session: Session, round_item: Round, statement: Statement, member_id: int,
         value: VoteValue, now: datetime, *, channel: Channel = Channel.online,
         entered_by: str = "") -> bool:
    """Record the member's vote; False if it was already their vote (nothing changes).

    Refused unless the round is open now and the member can see the statement."""
    if RoundKind(round_item.kind) is not RoundKind.discuss or statement.round_id != round_item.id:
        raise VoteError("That statement is not part of this round.")
    rounds.require_open(session, round_item, now)
    if not visible_to(statement, member_id):
        raise VoteError("That statement is not open for votes: the assembly team has not "
                        "accepted it, or has hidden it.")
    if channel is not Channel.online and not entered_by:
        raise VoteError("Say which officer keyed in the votes.")
    insert = db.insert(session, Vote).values(statement_id=statement.id, member_id=member_id,
                                             value=value.value, channel=channel.value,
                                             voted_at=now)
    changed = session.execute(
        insert.on_conflict_do_update(index_elements=["statement_id", "member_id"],
                                     set_={"value": value.value, "channel": channel.value,
                                           "voted_at": now},
                                     where=col(Vote.value) != insert.excluded.value)
        .returning(col(Vote.statement_id))).first()
    if changed is None:
        return False
    session.add(VoteRecord(statement_id=row_id(statement.id), member_id=member_id,
                           value=value.value, channel=channel.value, entered_by=entered_by,
                           voted_at=now))
    return True


def record_keyed_in(session: Session, round_item: Round, votes: int, channel: Channel, *,
                    actor: str) -> None:
    """The audit event for votes an officer keyed in from paper or a phone call: how many and
    by whom, never whose or which way."""
    audit.record(session, round_item.assembly_id, actor, "votes.keyed_in", {
        "round": round_item.public_id, "round_title": round_item.title, "votes": votes,
        "channel": channel.value})


@dataclass(frozen=True)
class Counts:
    agrees: int = 0
    disagrees: int = 0
    passes: int = 0

    @property
    def votes(self) -> int:
        return self.agrees + self.disagrees + self.passes


def counts(session: Session, round_id: int) -> dict[int, Counts]:
    """Latest votes per statement of the round: statement id -> counts."""
    rows = session.exec(
        select(Vote.statement_id, Vote.value, sa.func.count())
        .join(Statement, col(Statement.id) == col(Vote.statement_id))
        .where(Statement.round_id == round_id)
        .group_by(col(Vote.statement_id), col(Vote.value))).all()
    tally: dict[int, dict[int, int]] = {}
    for statement_id, value, number in rows:
        tally.setdefault(statement_id, {})[value] = int(number)
    return {statement_id: Counts(by.get(1, 0), by.get(-1, 0), by.get(0, 0))
            for statement_id, by in tally.items()}


def of_member(session: Session, round_id: int, member_id: int) -> dict[int, VoteValue]:
    """The member's latest vote on each statement of the round they voted on."""
    rows = session.exec(select(Vote.statement_id, Vote.value)
                        .join(Statement, col(Statement.id) == col(Vote.statement_id))
                        .where(Statement.round_id == round_id, Vote.member_id == member_id)).all()
    return {statement_id: VoteValue(value) for statement_id, value in rows}


def _open_to_vote(session: Session, round_id: int, member_id: int) -> list[Statement]:
    """Accepted statements of the round the member has not voted on."""
    voted = select(Vote.statement_id).where(Vote.member_id == member_id)
    return list(session.exec(
        select(Statement).where(Statement.round_id == round_id,
                                Statement.status == StatementStatus.accepted.value,
                                col(Statement.id).not_in(voted))
        .order_by(col(Statement.number))).all())


def remaining(session: Session, round_id: int, member_id: int) -> int:
    """How many statements the member has still to vote on."""
    return len(_open_to_vote(session, round_id, member_id))


def next_for(session: Session, round_item: Round, member_id: int) -> Statement | None:
    """The statement to show the member next: fewest votes so far, ties at random; None when
    they have voted on every statement there is."""
    waiting = _open_to_vote(session, row_id(round_item.id), member_id)
    if not waiting:
        return None
    tally = counts(session, row_id(round_item.id))
    fewest = min(tally.get(row_id(s.id), Counts()).votes for s in waiting)
    tied = [s for s in waiting if tally.get(row_id(s.id), Counts()).votes == fewest]
    voted = len(of_member(session, row_id(round_item.id), member_id))
    chooser = random.Random(f"{round_item.public_id}:{member_id}:{voted}")
    return chooser.choice(tied)


def history(session: Session, round_id: int) -> Iterable[VoteRecord]:
    """Every vote cast in the round, oldest first (for exports)."""
    return session.exec(select(VoteRecord)
                        .join(Statement, col(Statement.id) == col(VoteRecord.statement_id))
                        .where(Statement.round_id == round_id)
                        .order_by(col(VoteRecord.voted_at), col(VoteRecord.id))).all()


# --- what a member sees ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    """The voting card: the statement to vote on next (None once every one has a vote), and how
    far the member has got among the statements shown to everyone."""

    statement: Statement | None
    voted: int      # accepted statements the member has a vote on (their own included)
    total: int      # accepted statements in the round

    @property
    def left(self) -> int:
        return self.total - self.voted


def _accepted_and_voted(session: Session, round_id: int, member_id: int) -> tuple[int, int]:
    total = int(session.exec(select(sa.func.count()).select_from(Statement).where(
        Statement.round_id == round_id,
        Statement.status == StatementStatus.accepted.value)).one())
    voted = int(session.exec(select(sa.func.count()).select_from(Vote)
                             .join(Statement, col(Statement.id) == col(Vote.statement_id))
                             .where(Statement.round_id == round_id,
                                    Statement.status == StatementStatus.accepted.value,
                                    Vote.member_id == member_id)).one())
    return voted, total


def card_for(session: Session, round_item: Round, member_id: int) -> Card:
    voted, total = _accepted_and_voted(session, row_id(round_item.id), member_id)
    return Card(next_for(session, round_item, member_id), voted, total)


def voted_on(session: Session, round_id: int, member_id: int
             ) -> list[tuple[Statement, VoteValue]]:
    """The statements the member has voted on and can still see, with their vote, by number
    (a statement hidden since is left out: it takes no part any more)."""
    rows = session.exec(select(Statement, Vote.value)
                        .join(Vote, col(Vote.statement_id) == col(Statement.id))
                        .where(Statement.round_id == round_id, Vote.member_id == member_id)
                        .order_by(col(Statement.number))).all()
    return [(statement, VoteValue(value)) for statement, value in rows
            if visible_to(statement, member_id)]


def vote_of(session: Session, statement: Statement, member_id: int) -> VoteValue | None:
    found = session.get(Vote, (statement.id, member_id))
    return VoteValue(found.value) if found is not None else None


def progress_of(session: Session, item: Round, member: Member) -> Progress | None:
    """For the member's home: "12 of 40 statements voted on" (nothing until a statement is
    shown to everyone)."""
    voted, total = _accepted_and_voted(session, row_id(item.id), row_id(member.id))
    if not total:
        return None
    return Progress(voted, total, "statement" if total == 1 else "statements", "voted on")


# --- keyed in by an officer -------------------------------------------------------------------------


def key_in(session: Session, round_item: Round, member_id: int,
           choices: list[tuple[Statement, VoteValue]], now: datetime, *, channel: Channel,
           actor: str) -> int:
    """Votes a member gave on paper or by phone, keyed in by an officer: each cast as the member
    would (refused unless the round is open and they can see the statement), then one audit
    event saying how many and by whom, never whose or which way. How many changed."""
    if channel is Channel.online:
        raise VoteError("Say whether the votes came on paper or by phone.", field="channel")
    changed = sum(cast(session, round_item, statement, member_id, value, now, channel=channel,
                       entered_by=actor) for statement, value in choices)
    if changed:
        record_keyed_in(session, round_item, changed, channel, actor=actor)
    return changed


def panel_for_keying(session: Session, assembly_id: int) -> list[tuple[Member, str]]:
    """The members holding a seat, each with their name and reference in the people file (two
    people can share a name), for an officer keying in what one gave on paper or by phone
    (officers only; in name order)."""
    rows = session.exec(
        select(Member, Contact.name, Respondent.external_id)
        .join(Respondent, col(Respondent.id) == col(Member.respondent_id))
        .outerjoin(Contact, col(Contact.respondent_id) == col(Member.respondent_id))
        .where(Member.assembly_id == assembly_id, col(Member.status).in_(SEATED))
        .order_by(col(Contact.name), col(Respondent.external_id))).all()
    return [(member, f"{name} ({reference})" if name else reference)
            for member, name, reference in rows]
