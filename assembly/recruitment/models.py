"""The pool of respondents and the quotas.

Personal data is split on purpose: `Contact` (how to reach someone) and `Profile` (their
demographic answers) are separate tables keyed by the respondent, so that purge and erasure can
blank them without touching selection results, and so that most code never loads them.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel, col

from assembly.tables import foreign_key, json_field, public_id, when


class Respondent(SQLModel, table=True):
    """Someone who answered the recruitment letter and is in the pool."""

    __table_args__ = (
        sa.UniqueConstraint("assembly_id", "external_id", name="uq_respondent_external_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=public_id, max_length=32, unique=True)
    assembly_id: int = foreign_key("assembly.id", ondelete="CASCADE")
    external_id: str = Field(max_length=200)
    # Where `external_id` came from: "column" (the file's id column), "row" (the file had no id
    # column, so it is the row number), "" (not recorded: loaded before this was kept). Only a
    # row number, or an id column value that looks like no contact detail, survives erasure.
    id_source: str = Field(default="", max_length=8)
    # sha256 of the normalised address, so one-per-household works without keeping addresses.
    household_key: str | None = Field(default=None, max_length=64)
    legal_basis: str = Field(default="", max_length=2000)
    consent_version: str = Field(default="", max_length=100)
    created_at: datetime = when()
    erased: bool = False
    erased_at: datetime | None = when(nullable=True)


class Contact(SQLModel, table=True):
    """How to reach a respondent. Kept apart from the profile; blanked by purge and erasure."""

    respondent_id: int | None = Field(
        default=None, primary_key=True, foreign_key="respondent.id", ondelete="CASCADE"
    )
    name: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=320)
    phone: str = Field(default="", max_length=50)
    address_line_1: str = Field(default="", max_length=200)
    address_line_2: str = Field(default="", max_length=200)
    address_line_3: str = Field(default="", max_length=200)
    town: str = Field(default="", max_length=100)
    postcode: str = Field(default="", max_length=16)


class Profile(SQLModel, table=True):
    """A respondent's demographic answers, {feature: value}. Special-category data."""

    respondent_id: int | None = Field(
        default=None, primary_key=True, foreign_key="respondent.id", ondelete="CASCADE"
    )
    values: dict[str, str] = json_field()


class Quota(SQLModel, table=True):
    """Target range for one category of one feature (the Sortition Foundation's CSV layout)."""

    __table_args__ = (
        sa.UniqueConstraint("assembly_id", "feature", "value", name="uq_quota_category"),
        sa.CheckConstraint("min_count >= 0 AND min_count <= max_count", name="range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    assembly_id: int = foreign_key("assembly.id", ondelete="CASCADE")
    position: int = 0
    feature: str = Field(max_length=100)
    value: str = Field(max_length=200)
    min_count: int
    max_count: int
    min_flex: int | None = None
    max_flex: int | None = None
    # The share of the population with this value (0-1), when the quotas file gives it.
    target_share: float | None = None


class PoolCount(SQLModel, table=True):
    """How many respondents were in each category when the pool was loaded.

    Kept after the pool's personal data is purged, so reports and the charter can still compare
    the panel with the pool.
    """

    __tablename__ = "pool_count"
    __table_args__ = (
        sa.UniqueConstraint("assembly_id", "feature", "value", name="uq_pool_count_category"),
    )

    id: int | None = Field(default=None, primary_key=True)
    assembly_id: int = foreign_key("assembly.id", ondelete="CASCADE")
    feature: str = Field(max_length=100)
    value: str = Field(max_length=200)
    count: int


def in_pool() -> sa.ColumnElement[bool]:
    """The condition "this respondent counts in the pool": everyone not erased on request."""
    return col(Respondent.erased).is_(False)
