"""The tables of a vote round: its settings, the principles on its ballot paper, the members'
ballots while it is open, and what is left of them once it is sealed.

While the round is open a `Ballot` names its member, so they can change it (one row per member,
principle and round: UNIQUE, written with an upsert). When the round closes it is sealed, once:
each ballot's choice and reason is copied to `SealedBallot` (no member, no time, in a random
order), the counts per option for each value of each selection feature to `StratumCount`, the
hashes of the receipts of members who voted to `CountedReceipt`, and then the linked ballots and
receipts are deleted. No table left after sealing has both a member and a choice.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from assembly.tables import foreign_key, json_field, when

REASON_LIMIT = 1000


class Reasons(str, enum.Enum):
    optional = "optional"                   # a member may say why, whatever they choose
    required_against = "required_against"   # needed with a disagreeing or blocking ballot


class VoteRound(SQLModel, table=True):
    """How a vote round is run; one row per vote round, made when first needed.

    `scale`, `rule` hold `charter.tallies.Scale` and `RuleKind` values. `frozen_at` is when the
    ballot paper was fixed (the round's opening, or the first moment anyone looked after it);
    `sealed_at` and `sealed_digest` are set once, by the claim that seals the round, and
    `eligible` is how many members could vote at that moment."""

    __tablename__ = "vote_round"

    round_id: int = Field(foreign_key="round.id", ondelete="CASCADE", primary_key=True)
    draft_round_id: int | None = foreign_key("round.id", nullable=True, ondelete="SET NULL")
    scale: str = Field(default="five", max_length=16)
    reasons: str = Field(default=Reasons.optional.value, max_length=24)
    rule: str = Field(default="majority", max_length=24)
    on_lower_bound: bool = False
    quorum: float = 0.0
    consent_threshold: float = 0.5
    chosen: bool = False  # officers chose the principles; otherwise all of the draft round
    frozen_at: datetime | None = when(nullable=True)
    sealed_at: datetime | None = when(nullable=True)
    sealed_digest: str = Field(default="", max_length=64)
    eligible: int = 0
    updated_at: datetime = when()


class BallotItem(SQLModel, table=True):
    """A principle on the ballot paper. `version` is the principle's version members vote on,
    fixed when the paper is frozen (NULL before), so a later edit cannot change what a ballot
    meant."""

    __tablename__ = "ballot_item"
    __table_args__ = (sa.UniqueConstraint("round_id", "principle_id", name="uq_ballot_item"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = foreign_key("round.id", ondelete="CASCADE")
    principle_id: int = foreign_key("principle.id", ondelete="CASCADE")
    position: int = 0
    version: int | None = None


class Ballot(SQLModel, table=True):
    """A member's ballot on one principle while the round is open; deleted at sealing.
    `channel` and `entered_by` say whether an officer keyed it in from paper or a phone call."""

    __table_args__ = (sa.UniqueConstraint("round_id", "principle_id", "member_id",
                                          name="uq_ballot"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = foreign_key("round.id", ondelete="CASCADE")
    principle_id: int = foreign_key("principle.id", ondelete="CASCADE")
    member_id: int = foreign_key("member.id", ondelete="CASCADE")
    choice: str = Field(max_length=24)
    reason: str = Field(default="", max_length=REASON_LIMIT)
    channel: str = Field(default="online", max_length=16)
    entered_by: str = Field(default="", max_length=200)
    updated_at: datetime = when()


class Receipt(SQLModel, table=True):
    """A member's receipt for a round while it is open: only the code's hash is kept. Deleted
    at sealing (the hash moves to `CountedReceipt` if the member voted)."""

    round_id: int = Field(foreign_key="round.id", ondelete="CASCADE", primary_key=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE", primary_key=True,
                           index=True)
    code_hash: str = Field(max_length=64, unique=True)


class SealedBallot(SQLModel, table=True):
    """A counted ballot: its choice and reason, and nothing that says whose it was or when."""

    __tablename__ = "sealed_ballot"

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = foreign_key("round.id", ondelete="CASCADE")
    principle_id: int = foreign_key("principle.id", ondelete="CASCADE")
    choice: str = Field(max_length=24)
    reason: str = Field(default="", max_length=REASON_LIMIT)


class StratumCount(SQLModel, table=True):
    """How many ballots on a principle chose `option` among members with `value` of a
    selection `feature` (only non-zero counts are stored)."""

    __tablename__ = "stratum_count"
    __table_args__ = (sa.UniqueConstraint("round_id", "principle_id", "feature", "value",
                                          "option", name="uq_stratum_count"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = foreign_key("round.id", ondelete="CASCADE")
    principle_id: int = foreign_key("principle.id", ondelete="CASCADE")
    feature: str = Field(max_length=100)
    value: str = Field(max_length=200)
    option: str = Field(max_length=24)
    count: int


class CountedReceipt(SQLModel, table=True):
    """The hash of a receipt whose holder's ballots were counted; nothing else."""

    __tablename__ = "counted_receipt"

    round_id: int = Field(foreign_key="round.id", ondelete="CASCADE", primary_key=True)
    code_hash: str = Field(max_length=64, primary_key=True)


class Tally(SQLModel, table=True):
    """One principle's tally as computed at sealing, with what anyone needs to recompute it:
    the method's version, its parameters and the sha256 of its inputs (`inputs` keeps them)."""

    __tablename__ = "ballot_tally"
    __table_args__ = (sa.UniqueConstraint("round_id", "principle_id", name="uq_ballot_tally"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = foreign_key("round.id", ondelete="CASCADE")
    principle_id: int = foreign_key("principle.id", ondelete="CASCADE")
    method_version: str = Field(max_length=16)
    parameters: dict[str, Any] = json_field()
    inputs: dict[str, Any] = json_field()
    digest: str = Field(max_length=64)
    result: dict[str, Any] = json_field()
    computed_at: datetime = when()
