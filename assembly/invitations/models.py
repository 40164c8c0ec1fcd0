"""Single-use invitations: only hashes of the links and codes are stored."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from assembly.tables import UTCDateTime, foreign_key, when


class Invitation(SQLModel, table=True):
    """A single-use link. Only sha256(token) is stored; consume it with
    `UPDATE invitation SET consumed_at=... WHERE token_hash=... AND consumed_at IS NULL
    RETURNING ...` so two concurrent clicks cannot both succeed."""

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = foreign_key("member.id", ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = when()
    created_by: int | None = foreign_key("officer.id", nullable=True, ondelete="SET NULL")
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    consumed_at: datetime | None = when(nullable=True)
    revoked_at: datetime | None = when(nullable=True)
