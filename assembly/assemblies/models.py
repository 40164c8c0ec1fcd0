"""An assembly: its question, remit, dates and where it is in the journey."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlmodel import Field, SQLModel

from assembly.tables import foreign_key, json_field, public_id, when


class AssemblyStatus(str, enum.Enum):
    setup = "setup"            # details, pool and quotas being prepared
    selecting = "selecting"    # a selection run exists
    drawn = "drawn"            # the public draw has chosen the panel
    inviting = "inviting"      # invitations issued
    running = "running"        # deliberation under way
    closed = "closed"          # charter published; only retention work remains


class Assembly(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=public_id, max_length=32, unique=True)
    title: str = Field(max_length=200)
    question: str = Field(max_length=1000)
    remit: str = Field(default="", max_length=10000)
    commissioning_body: str = Field(default="", max_length=200)
    # Whom residents contact: printed on every letter and shown on every member page.
    contact_phone: str = Field(default="", max_length=40)
    contact_email: str = Field(default="", max_length=254)
    contact_address: str = Field(default="", max_length=500)
    # What the organisers offer so anyone can take part: expenses, childcare, interpreters...
    support_offer: str = Field(default="", max_length=2000)
    starts_on: date | None = None
    ends_on: date | None = None
    status: str = Field(default=AssemblyStatus.setup.value, max_length=16)
    panel_size: int | None = None
    one_per_household: bool = False
    address_columns: list[str] = json_field(default_factory=list)
    # Respondents neither on the panel nor reserves: deleted this many days after the draw.
    retention_days: int = 90
    # Panel members and reserves: deleted this many days after the assembly ends (`ends_on`).
    member_retention_days: int = 90
    # The time zone every time of the programme is typed and shown in (an IANA name); times are
    # stored in UTC.
    time_zone: str = Field(default="Europe/London", max_length=64)
    legal_basis: str = Field(default="", max_length=2000)
    consent_version: str = Field(default="", max_length=100)
    pool_uploaded_at: datetime | None = when(nullable=True)
    purged_at: datetime | None = when(nullable=True)
    # Selection runs ever started here: the next run's number is one more, so numbers are never
    # reused even when runs are discarded.
    runs_started: int = 0
    created_at: datetime = when()
    created_by: int | None = foreign_key("officer.id", nullable=True, ondelete="SET NULL")
