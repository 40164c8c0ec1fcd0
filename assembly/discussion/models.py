"""The tables of a discuss round: its settings, its statements, and the members' votes on them.

Votes are kept twice: `VoteRecord` is the append-only history (every vote as cast, for the
Pol.is export's `votes.csv`), and `Vote` holds each member's latest vote on each statement,
UNIQUE(statement, member) and written with an upsert, so a double click or two tabs can never
leave two current votes. Both reference the member id only, never contact details.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from assembly.tables import foreign_key, public_id, when

STATEMENT_LIMIT = 280  # characters, as Pol.is


class Moderation(str, enum.Enum):
    strict = "strict"   # other members see a statement once an officer accepts it
    open = "open"       # other members see it at once; officers can hide it later


class StatementStatus(str, enum.Enum):
    waiting = "waiting"      # strict rounds: not yet accepted; only its author sees it
    accepted = "accepted"    # shown to every member of the assembly (never who wrote it)
    rejected = "rejected"    # shown to nobody but its author, with the reason; no part in the maths


class Channel(str, enum.Enum):
    online = "online"   # the member typed it
    paper = "paper"     # an officer keyed in what the member gave on paper
    phone = "phone"     # an officer keyed in what the member said on the phone


class VoteValue(int, enum.Enum):
    """Pol.is's signs, so exports need no translation."""

    agree = 1
    disagree = -1
    pass_ = 0


class DiscussRound(SQLModel, table=True):
    """What a discuss round asks and how it is moderated; one row per discuss round, made when
    first needed. `statements` counts the statements ever numbered in the round (an UPDATE ...
    RETURNING counter, so two members posting at once never get the same number)."""

    __tablename__ = "discuss_round"

    round_id: int = Field(foreign_key="round.id", ondelete="CASCADE", primary_key=True)
    prompt: str = Field(default="", max_length=500)
    moderation: str = Field(default=Moderation.strict.value, max_length=16)
    statements: int = 0
    updated_at: datetime = when()


class Statement(SQLModel, table=True):
    """A short statement in answer to the round's prompt. `number` is its id within the round
    (Pol.is's comment-id in exports). `member_id` is the author (NULL for an officer's seed
    statement); other members never see it."""

    __table_args__ = (
        sa.UniqueConstraint("round_id", "number", name="uq_statement_number"),
        sa.Index("ix_statement_round_normalised", "round_id", "normalised"),
    )

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=public_id, max_length=32, unique=True)
    round_id: int = foreign_key("round.id", ondelete="CASCADE")
    number: int
    member_id: int | None = foreign_key("member.id", nullable=True, ondelete="SET NULL")
    seed: bool = False                                     # written by an officer to start
    text: str = Field(max_length=STATEMENT_LIMIT)
    normalised: str = Field(max_length=STATEMENT_LIMIT)    # for spotting duplicates
    status: str = Field(default=StatementStatus.waiting.value, max_length=16)
    reason: str = Field(default="", max_length=1000)       # why it was rejected or hidden
    moderated_by: str = Field(default="", max_length=200)
    moderated_at: datetime | None = when(nullable=True)
    channel: str = Field(default=Channel.online.value, max_length=16)
    entered_by: str = Field(default="", max_length=200)    # the officer who keyed it in
    created_at: datetime = when()


class Vote(SQLModel, table=True):
    """A member's latest vote on a statement: one per member and statement."""

    statement_id: int = Field(foreign_key="statement.id", ondelete="CASCADE", primary_key=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE", primary_key=True,
                           index=True)
    value: int
    channel: str = Field(default=Channel.online.value, max_length=16)
    voted_at: datetime = when()


class VoteRecord(SQLModel, table=True):
    """Every vote as it was cast, never changed or deleted: the history behind `Vote`."""

    __tablename__ = "vote_record"

    id: int | None = Field(default=None, primary_key=True)
    statement_id: int = foreign_key("statement.id", ondelete="CASCADE")
    member_id: int = foreign_key("member.id", ondelete="CASCADE")
    value: int
    channel: str = Field(default=Channel.online.value, max_length=16)
    entered_by: str = Field(default="", max_length=200)
    voted_at: datetime = when()
