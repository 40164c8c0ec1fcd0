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
