"""The principles of a draft round, as they read now and as every version read.

A principle belongs to the draft round in which it is written; `version` rises with every
accepted change (an officer's edit or an accepted amendment), and each version's text is kept as
a `PrincipleVersion`, so the history and any two versions' difference can be shown, and a ballot
can say exactly which text it was cast on.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from assembly.tables import foreign_key, public_id, when

TITLE_LIMIT = 200
TEXT_LIMIT = 2000
RATIONALE_LIMIT = 5000


class Theme(str, enum.Enum):
    """The themes of a charter on data and AI (the Liverpool City Region charter's, broadly)."""

    community_benefit = "community_benefit"
    human_dignity = "human_dignity"
    transparency = "transparency"
    accountability = "accountability"
    privacy_and_security = "privacy_and_security"
    inclusion = "inclusion"
    governance = "governance"
    other = "other"


class Principle(SQLModel, table=True):
    """A draft principle as it reads now."""

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=public_id, max_length=32, unique=True)
    round_id: int = foreign_key("round.id", ondelete="CASCADE")
    position: int = 0
    theme: str = Field(default=Theme.other.value, max_length=32)
    title: str = Field(max_length=TITLE_LIMIT)
    text: str = Field(max_length=TEXT_LIMIT)
    rationale: str = Field(default="", max_length=RATIONALE_LIMIT)
    version: int = 1
    created_at: datetime = when()
    updated_at: datetime = when()


class PrincipleVersion(SQLModel, table=True):
    """A principle's wording as it was at one version (the first included). `change` says what
    made it: "written", "edited" or "amendment" (then `amendment_id` says which)."""

    __tablename__ = "principle_version"
    __table_args__ = (sa.UniqueConstraint("principle_id", "version",
                                          name="uq_principle_version"),)

    id: int | None = Field(default=None, primary_key=True)
    principle_id: int = foreign_key("principle.id", ondelete="CASCADE")
    version: int
    theme: str = Field(max_length=32)
    title: str = Field(max_length=TITLE_LIMIT)
    text: str = Field(max_length=TEXT_LIMIT)
    rationale: str = Field(default="", max_length=RATIONALE_LIMIT)
    change: str = Field(default="written", max_length=16)
    amendment_id: int | None = None
    saved_by: str = Field(max_length=200)
    saved_at: datetime = when()


class Stance(str, enum.Enum):
    """What a comment says about the principle."""

    support = "support"
    concern = "concern"
    question = "question"


class Channel(str, enum.Enum):
    """How a comment reached us: typed by the member, or keyed in by an officer from paper or a
    phone call (issue 11, item 4)."""

    online = "online"
    paper = "paper"
    phone = "phone"


class AmendmentStatus(str, enum.Enum):
    waiting = "waiting"      # an officer has not decided yet
    accepted = "accepted"    # as proposed, or with the officer's changes (`changed`)
    rejected = "rejected"    # with a reason the member reads


COMMENT_LIMIT = 2000
REASON_LIMIT = 1000
NOTE_LIMIT = 2000
DEFAULT_COSIGNERS = 3


class DraftRound(SQLModel, table=True):
    """A draft round's settings; one row per draft round, made with the defaults when first
    needed. `cosigners` is how many members (the author first) must sign a dissent note before
    it becomes part of the record."""

    __tablename__ = "draft_round"

    round_id: int = Field(foreign_key="round.id", ondelete="CASCADE", primary_key=True)
    cosigners: int = DEFAULT_COSIGNERS
    updated_at: datetime = when()


class PrincipleStatement(SQLModel, table=True):
    """A discuss-round statement that inspired a principle."""

    __tablename__ = "principle_statement"

    principle_id: int = Field(foreign_key="principle.id", ondelete="CASCADE", primary_key=True)
    statement_id: int = Field(foreign_key="statement.id", ondelete="CASCADE", primary_key=True,
                              index=True)


class Comment(SQLModel, table=True):
    """A member's comment on a principle, with a stance; `parent_id` when it replies to another.
    `member_id` is the author (shown to nobody; NULL once their details are erased). A hidden
    comment stays in the thread as "hidden by the assembly team" with the reason, so replies
    keep their place."""

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=public_id, max_length=32, unique=True)
    principle_id: int = foreign_key("principle.id", ondelete="CASCADE")
    parent_id: int | None = foreign_key("comment.id", nullable=True, ondelete="CASCADE")
    member_id: int | None = foreign_key("member.id", nullable=True, ondelete="SET NULL")
    version: int                                        # the principle's version it was about
    stance: str = Field(max_length=16)
    text: str = Field(max_length=COMMENT_LIMIT)
    hidden: bool = False
    hidden_reason: str = Field(default="", max_length=REASON_LIMIT)
    hidden_by: str = Field(default="", max_length=200)
    hidden_at: datetime | None = when(nullable=True)
    channel: str = Field(default=Channel.online.value, max_length=16)
    entered_by: str = Field(default="", max_length=200)  # the officer who keyed it in
    created_at: datetime = when()


class Amendment(SQLModel, table=True):
    """A member's proposed change to a principle's wording, made against `base_version`.
    `text`/`title` are as the member proposed them; when accepted, `accepted_text`/
    `accepted_title` are what went in (with `changed` when the officer edited them first)."""

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=public_id, max_length=32, unique=True)
    principle_id: int = foreign_key("principle.id", ondelete="CASCADE")
    member_id: int | None = foreign_key("member.id", nullable=True, ondelete="SET NULL")
    base_version: int
    title: str = Field(default="", max_length=TITLE_LIMIT)   # "" keeps the title
    text: str = Field(max_length=TEXT_LIMIT)
    reason: str = Field(max_length=REASON_LIMIT)
    status: str = Field(default=AmendmentStatus.waiting.value, max_length=16)
    decision_reason: str = Field(default="", max_length=REASON_LIMIT)
    accepted_title: str = Field(default="", max_length=TITLE_LIMIT)
    accepted_text: str = Field(default="", max_length=TEXT_LIMIT)
    changed: bool = False
    made_version: int | None = None
    decided_by: str = Field(default="", max_length=200)
    decided_at: datetime | None = when(nullable=True)
    created_at: datetime = when()


class PrincipleView(SQLModel, table=True):
    """The version of a principle a member last read, and when: one row per member and
    principle, written with an upsert, so "changed since you last looked" needs no history."""

    __tablename__ = "principle_view"

    principle_id: int = Field(foreign_key="principle.id", ondelete="CASCADE", primary_key=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE", primary_key=True,
                           index=True)
    version: int
    viewed_at: datetime = when()


class DissentNote(SQLModel, table=True):
    """A minority note on a principle. It becomes part of the record (`recorded_at`) once the
    round's number of members have signed it, the author being the first."""

    __tablename__ = "dissent_note"

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=public_id, max_length=32, unique=True)
    principle_id: int = foreign_key("principle.id", ondelete="CASCADE")
    member_id: int | None = foreign_key("member.id", nullable=True, ondelete="SET NULL")
    text: str = Field(max_length=NOTE_LIMIT)
    signatures: int = 1
    recorded_at: datetime | None = when(nullable=True)
    created_at: datetime = when()


class DissentSignature(SQLModel, table=True):
    """One member's signature on a dissent note: one per member and note (the primary key)."""

    __tablename__ = "dissent_signature"

    note_id: int = Field(foreign_key="dissent_note.id", ondelete="CASCADE", primary_key=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE", primary_key=True,
                           index=True)
    signed_at: datetime = when()
