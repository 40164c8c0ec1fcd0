"""The tables of publishing: the council's response to each principle, and the published
versions of the charter with their files.

A published version and its files are immutable: the database itself refuses UPDATE and DELETE
on `published_charter` and `published_file` (triggers, as for the audit log), so what the public
read at an address, and the sha256 printed beside it, can never change. A correction is a new
version that says what changed; the earlier ones stay at their addresses.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from assembly.tables import foreign_key, when
from charter.publication import ResponseStatus

__all__ = [
    "CouncilResponse",
    "FileKind",
    "PublishedCharter",
    "PublishedFile",
    "ResponseStatus",
]

REASONS_LIMIT = 5000
CHANGES_LIMIT = 2000


class FileKind(str, enum.Enum):
    """What a published file is, for the page that lists them."""

    page = "page"            # charter.html, the canonical web page (self-contained)
    pdf = "pdf"              # charter.pdf (PDF/UA-1)
    easy_read = "easy_read"  # easy-read.pdf
    open_data = "open_data"  # open-data.zip and each file inside it under open-data/
    checksums = "checksums"  # SHA256SUMS


class CouncilResponse(SQLModel, table=True):
    """The commissioning body's answer to one principle. It may be revised until the next
    version of the charter is published; each published version keeps the answer it showed."""

    __tablename__ = "council_response"
    __table_args__ = (sa.UniqueConstraint("assembly_id", "principle_id",
                                          name="uq_council_response_principle"),)

    id: int | None = Field(default=None, primary_key=True)
    assembly_id: int = foreign_key("assembly.id", ondelete="CASCADE")
    principle_id: int = foreign_key("principle.id", ondelete="CASCADE")
    status: str = Field(max_length=24)
    reasons: str = Field(max_length=REASONS_LIMIT)
    responded_on: date
    recorded_at: datetime = when()
    recorded_by: str = Field(default="", max_length=200)


class PublishedCharter(SQLModel, table=True):
    """One published version of an assembly's charter. `digest` is the sha256 of its
    SHA256SUMS file, which lists the sha256 of every other file."""

    __tablename__ = "published_charter"
    __table_args__ = (sa.UniqueConstraint("assembly_id", "version",
                                          name="uq_published_charter_version"),)

    id: int | None = Field(default=None, primary_key=True)
    assembly_id: int = foreign_key("assembly.id", ondelete="RESTRICT")
    version: int
    published_at: datetime = when()
    published_by: str = Field(default="", max_length=200)
    changes: str = Field(default="", max_length=CHANGES_LIMIT)
    digest: str = Field(max_length=64)


class PublishedFile(SQLModel, table=True):
    """A file of a published version, byte for byte as published."""

    __tablename__ = "published_file"
    __table_args__ = (sa.UniqueConstraint("charter_id", "name", name="uq_published_file_name"),)

    id: int | None = Field(default=None, primary_key=True)
    charter_id: int = foreign_key("published_charter.id", ondelete="RESTRICT")
    name: str = Field(max_length=300)
    kind: str = Field(max_length=16)
    media_type: str = Field(max_length=100)
    sha256: str = Field(max_length=64)
    size: int
    content: bytes = Field(sa_type=sa.LargeBinary, nullable=False)
