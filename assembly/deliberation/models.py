"""The programme of an assembly: its rounds in order, the moments each round changed state, and
the meetings that serve the rounds.

A round's state is never stored: it follows from the clock and the round's times (see
`assembly.deliberation.rounds.state_of`). `RoundTransition` records when each change of state
happened, once, so the audit log says it exactly once even with several workers.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from assembly.tables import UTCDateTime, foreign_key, json_field, public_id, when


class RoundKind(str, enum.Enum):
    learn = "learn"        # members read briefings and ask the speakers questions
    discuss = "discuss"    # members respond to one another's statements
    draft = "draft"        # members write and amend principles
    vote = "vote"          # members vote on the principles


class RoundState(str, enum.Enum):
    scheduled = "scheduled"
    open = "open"
    closed = "closed"
    results_released = "results_released"


# Kinds whose closing produces something to release: the opinion groups of a discussion, the
# drafted principles, the tally of a vote. A learn round's briefings are its whole content.
WITH_RESULTS = frozenset({RoundKind.discuss, RoundKind.draft, RoundKind.vote})
# Kinds of which only one round may be open at a time: members hold one conversation, one draft
# and one ballot at once, and the results of one feed the next. Learn rounds may overlap (a
# library of briefings can stay open while the next one opens).
EXCLUSIVE = frozenset({RoundKind.discuss, RoundKind.draft, RoundKind.vote})


class Transition(str, enum.Enum):
    opened = "opened"
    closed = "closed"
    results_released = "results_released"


class Round(SQLModel, table=True):
    """One round of the programme. `position` orders the timeline; `cycle` counts reopenings
    (each reopening starts a new cycle with its own opened/closed transitions)."""

    __tablename__ = "round"

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=public_id, max_length=32, unique=True)
    assembly_id: int = foreign_key("assembly.id", ondelete="CASCADE")
    position: int = 0
    kind: str = Field(max_length=16)
    title: str = Field(max_length=200)
    purpose: str = Field(default="", max_length=2000)
    instructions: str = Field(default="", max_length=5000)
    opens_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    closes_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    cycle: int = 0
    sequence: int = 0  # rises whenever its times change, for calendars (RFC 5545 SEQUENCE)
    reopen_reason: str = Field(default="", max_length=1000)
    results_released_at: datetime | None = when(nullable=True)
    created_at: datetime = when()


class RoundTransition(SQLModel, table=True):
    """The moment a round changed state, recorded once: UNIQUE(round, cycle, transition) with
    insert-on-conflict-do-nothing, so whichever worker sees the change first writes the audit
    event and every other one writes nothing."""

    __tablename__ = "round_transition"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "cycle", "transition", name="uq_round_transition"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = foreign_key("round.id", ondelete="CASCADE")
    cycle: int = 0
    transition: str = Field(max_length=32)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)  # when it happened
    actor: str = Field(max_length=200)                          # "schedule" or an officer
    recorded_at: datetime = when()


class StepFree(str, enum.Enum):
    yes = "yes"
    no = "no"
    unknown = "unknown"


class Meeting(SQLModel, table=True):
    """A meeting in person or online; `sequence` rises with every edit, so calendars that
    imported it replace their copy (RFC 5545 SEQUENCE)."""

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=public_id, max_length=32, unique=True)
    assembly_id: int = foreign_key("assembly.id", ondelete="CASCADE")
    title: str = Field(max_length=200)
    starts_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ends_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    place: str = Field(default="", max_length=200)
    address: str = Field(default="", max_length=1000)
    step_free: str = Field(default=StepFree.unknown.value, max_length=16)
    access_notes: str = Field(default="", max_length=2000)
    online_url: str = Field(default="", max_length=1000)
    sequence: int = 0
    created_at: datetime = when()
    updated_at: datetime = when()


class MeetingRound(SQLModel, table=True):
    """Which rounds a meeting serves."""

    __tablename__ = "meeting_round"

    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE", primary_key=True)
    round_id: int = Field(foreign_key="round.id", ondelete="CASCADE", primary_key=True,
                          index=True)


class ReminderEvent(SQLModel, table=True):
    """A reminder that has been queued for a round's cycle ("opened", "closing"), once:
    UNIQUE(round, cycle, event) with insert-on-conflict-do-nothing, so whichever worker gets
    there first queues the e-mails and every other one, or a restart, queues nothing. The
    outbox's own unique keys keep each member's message single even without this row; the row
    keeps a pass cheap and stops a repeat once sent messages have been purged."""

    __tablename__ = "reminder_event"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "cycle", "event", name="uq_reminder_event"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = foreign_key("round.id", ondelete="CASCADE")
    cycle: int = 0
    event: str = Field(max_length=16)
    queued: int = 0  # how many e-mails this event queued
    recorded_at: datetime = when()


class ReminderOptOut(SQLModel, table=True):
    """A member who asked not to be e-mailed reminders (they can still print or be phoned)."""

    __tablename__ = "reminder_opt_out"

    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE", primary_key=True)
    opted_out_at: datetime = when()


# --- the evidence library of a learn round ------------------------------------------------------


class Briefing(SQLModel, table=True):
    """One piece of evidence in a learn round, as it reads now. Every saved text is also kept
    as a `BriefingVersion`, so an edit never loses what members read before."""

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=public_id, max_length=32, unique=True)
    round_id: int = foreign_key("round.id", ondelete="CASCADE")
    position: int = 0
    title: str = Field(max_length=200)
    summary: str = Field(default="", max_length=2000)       # plain language, shown first
    body: str = Field(default="", max_length=50000)         # Markdown, rendered and sanitised
    easy_read: str = Field(default="", max_length=20000)    # Markdown, optional
    speaker_name: str = Field(max_length=200)
    speaker_organisation: str = Field(default="", max_length=200)
    speaker_role: str = Field(default="", max_length=200)
    interests: str = Field(default="", max_length=2000)     # declared interests, or "None"
    video_url: str = Field(default="", max_length=1000)
    transcript: str = Field(default="", max_length=50000)   # required with a video
    version: int = 1
    created_at: datetime = when()
    updated_at: datetime | None = when(nullable=True)       # the last edit after the first


class BriefingVersion(SQLModel, table=True):
    """A briefing's text as it was saved, one row per save (the first included)."""

    __tablename__ = "briefing_version"
    __table_args__ = (sa.UniqueConstraint("briefing_id", "version",
                                          name="uq_briefing_version"),)

    id: int | None = Field(default=None, primary_key=True)
    briefing_id: int = foreign_key("briefing.id", ondelete="CASCADE")
    version: int
    content: dict[str, Any] = json_field()
    saved_by: str = Field(max_length=200)
    saved_at: datetime = when()


class Attachment(SQLModel, table=True):
    """A file of a briefing, kept in the database so every worker can serve it. Its content
    type is what the bytes are (checked on upload), never what the browser claimed."""

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=public_id, max_length=32, unique=True)
    briefing_id: int = foreign_key("briefing.id", ondelete="CASCADE")
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=100)
    size: int
    alt_text: str = Field(default="", max_length=1000)     # required for images
    data: bytes = Field(sa_type=sa.LargeBinary, nullable=False)
    created_at: datetime = when()


class BriefingRead(SQLModel, table=True):
    """A member marked a briefing as read. Officers only ever see the count."""

    __tablename__ = "briefing_read"

    briefing_id: int = Field(foreign_key="briefing.id", ondelete="CASCADE", primary_key=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE", primary_key=True,
                           index=True)
    read_at: datetime = when()


class RoundVisit(SQLModel, table=True):
    """The first time a member opened a round's page (for the officers' round view)."""

    __tablename__ = "round_visit"

    round_id: int = Field(foreign_key="round.id", ondelete="CASCADE", primary_key=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE", primary_key=True,
                           index=True)
    first_at: datetime = when()


class QuestionStatus(str, enum.Enum):
    waiting = "waiting"        # asked, not yet moderated
    published = "published"    # every member of the assembly sees it (never who asked)
    rejected = "rejected"
    merged = "merged"          # a duplicate: `merged_into_id` is the question that answers it


class Question(SQLModel, table=True):
    """A member's question to the speakers of a learn round. `member_id` goes (NULL) when the
    member's details are erased; the question itself stays, as nobody can tell who asked."""

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=public_id, max_length=32, unique=True)
    round_id: int = foreign_key("round.id", ondelete="CASCADE")
    member_id: int | None = foreign_key("member.id", nullable=True, ondelete="SET NULL")
    briefing_id: int | None = foreign_key("briefing.id", nullable=True, ondelete="SET NULL")
    text: str = Field(max_length=1000)
    status: str = Field(default=QuestionStatus.waiting.value, max_length=16)
    merged_into_id: int | None = foreign_key("question.id", nullable=True, ondelete="SET NULL")
    answer: str = Field(default="", max_length=5000)
    answered_by: str = Field(default="", max_length=200)   # the speaker, as officers typed
    answered_at: datetime | None = when(nullable=True)
    asked_at: datetime = when()
    moderated_at: datetime | None = when(nullable=True)
    channel: str = Field(default="online", max_length=16)   # or "paper", "phone": keyed in
    entered_by: str = Field(default="", max_length=200)     # the officer who keyed it in
