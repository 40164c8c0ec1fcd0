"""Selection runs, the public draw, and the members it chose.

Anything a member writes later (votes, statements, comments) references `Member.id` only.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel, col

from assembly.tables import foreign_key, json_field, public_id, when


class RunStatus(str, enum.Enum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


ACTIVE_RUN = (RunStatus.queued.value, RunStatus.running.value)


class SelectionRun(SQLModel, table=True):
    """One computation of a fair distribution over panels, and its transparent lottery."""

    __tablename__ = "selection_run"
    __table_args__ = (
        sa.UniqueConstraint("assembly_id", "number", name="uq_selection_run_number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    assembly_id: int = foreign_key("assembly.id", ondelete="CASCADE")
    # What officers call it: run 1, 2, 3 within the assembly, never reused (the assembly counts
    # the runs it has started, so a discarded run's number stays taken).
    number: int
    algorithm: str = Field(max_length=32)
    panel_size: int
    options: dict[str, Any] = json_field()
    status: str = Field(default=RunStatus.queued.value, max_length=16, index=True)
    phase: str = Field(default="", max_length=200)
    fraction: float = 0.0
    error: str | None = Field(default=None, max_length=20000)
    marginals: dict[str, Any] | None = json_field(nullable=True)
    report: dict[str, Any] | None = json_field(nullable=True)
    commitment: str | None = Field(default=None, max_length=128)
    lottery: dict[str, Any] | None = json_field(nullable=True)
    created_at: datetime = when()
    created_by: int | None = foreign_key("officer.id", nullable=True, ondelete="SET NULL")
    started_at: datetime | None = when(nullable=True)
    finished_at: datetime | None = when(nullable=True)
    # Stamped every few seconds by the server process that owns a queued or running run; a stale
    # stamp means that server stopped, so the run can be marked failed instead of hanging.
    heartbeat_at: datetime | None = when(nullable=True)


class Draw(SQLModel, table=True):
    """The public draw: a seed announced in public picks one panel from the lottery.

    UNIQUE(run_id): a run is drawn once; a second draw needs a new run, which the audit shows.
    """

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="selection_run.id", ondelete="CASCADE",
                        unique=True)
    assembly_id: int = foreign_key("assembly.id", ondelete="CASCADE")
    seed: str = Field(max_length=200)
    ticket: int
    panel: list[str] = json_field(default_factory=list)
    reserves: list[str] = json_field(default_factory=list)
    drawn_at: datetime = when()
    drawn_by: int | None = foreign_key("officer.id", nullable=True, ondelete="SET NULL")


class MemberRole(str, enum.Enum):
    panel = "panel"
    reserve = "reserve"


class MemberStatus(str, enum.Enum):
    selected = "selected"    # drawn, not yet invited
    invited = "invited"      # invitation issued
    joined = "joined"        # opened the invitation
    declined = "declined"    # left the panel (said no, dropped out, or erased) with no replacement
    replaced = "replaced"    # dropped out and was replaced by a reserve
    vacated = "vacated"      # dropped out, nobody could keep the quotas: the seat is left empty


# Who holds a seat: drawn to the panel (or promoted from the reserves) and not gone since.
# Every count and list of the panel goes through `on_panel()`, so no two pages can disagree.
SEATED = (MemberStatus.selected.value, MemberStatus.invited.value, MemberStatus.joined.value)
LEFT = (MemberStatus.declined.value, MemberStatus.replaced.value, MemberStatus.vacated.value)


class Member(SQLModel, table=True):
    """A respondent chosen by the draw (panel or reserve). Later records reference this id only."""

    __table_args__ = (
        sa.UniqueConstraint("assembly_id", "respondent_id", name="uq_member_respondent"),
    )

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=public_id, max_length=32, unique=True)
    assembly_id: int = foreign_key("assembly.id", ondelete="CASCADE")
    respondent_id: int = foreign_key("respondent.id", ondelete="CASCADE")
    draw_id: int | None = foreign_key("draw.id", nullable=True, ondelete="SET NULL")
    role: str = Field(default=MemberRole.panel.value, max_length=16)
    status: str = Field(default=MemberStatus.selected.value, max_length=16)
    replaced_by: int | None = foreign_key("member.id", nullable=True, ondelete="SET NULL")
    # Why the officer left this member's seat empty (status `vacated`); empty otherwise.
    vacated_reason: str = Field(default="", max_length=1000)
    created_at: datetime = when()
    joined_at: datetime | None = when(nullable=True)
    status_changed_at: datetime | None = when(nullable=True)


class Decline(SQLModel, table=True):
    """A member who said no to their invitation, and why if they said. The reason is personal
    data, kept apart from the member row: erasure and the purge blank it and keep the date."""

    __tablename__ = "member_decline"

    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE", primary_key=True)
    reason: str = Field(default="", max_length=1000)
    via: str = Field(default="invitation", max_length=16)
    declined_at: datetime = when()


def on_panel() -> sa.ColumnElement[bool]:
    """The condition "this member holds a seat on the panel", for queries."""
    return sa.and_(col(Member.role) == MemberRole.panel.value, col(Member.status).in_(SEATED))


def active_run() -> sa.ColumnElement[bool]:
    """The condition "this run is queued or computing", for queries."""
    return col(SelectionRun.status).in_(ACTIVE_RUN)
