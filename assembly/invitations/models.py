"""Single-use invitations: only hashes of the links and codes are stored; and the batches of
letters that carry them, which start working only once downloaded."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from assembly.tables import UTCDateTime, foreign_key, json_field, when


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


class BatchStatus(str, enum.Enum):
    rendering = "rendering"  # credentials made (not yet working), letters being rendered
    ready = "ready"          # letters rendered and stored encrypted; waiting for the download
    activated = "activated"  # downloaded: the new credentials work, the earlier ones stopped
    failed = "failed"        # rendering failed; nothing changed
    abandoned = "abandoned"  # the server stopped, or nobody downloaded in time; nothing changed


class LetterBatch(SQLModel, table=True):
    """Letters made for a set of members, whose credentials only start working when downloaded.

    `credentials` holds the sha256 of each member's new link and code (as `Invitation` does);
    `archive` the letters ZIP encrypted with a key derived from the officer's session cookie,
    which the database never holds (see `assembly.invitations.batches`)."""

    __tablename__ = "letter_batch"

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=32, unique=True)
    assembly_id: int = foreign_key("assembly.id", ondelete="CASCADE")
    officer_id: int | None = foreign_key("officer.id", nullable=True, ondelete="SET NULL")
    session_id: int | None = foreign_key("user_session.id", nullable=True, ondelete="SET NULL")
    kind: str = Field(max_length=16)  # "panel" (everyone not joined) or "member" (one letter)
    status: str = Field(default=BatchStatus.rendering.value, max_length=16, index=True)
    count: int = 0
    done: int = 0
    credentials: list[Any] = json_field(default_factory=list)
    error: str | None = Field(default=None, max_length=2000)
    archive: bytes | None = Field(default=None, sa_type=sa.LargeBinary, nullable=True)
    created_at: datetime = when()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    heartbeat_at: datetime | None = when(nullable=True)
    ready_at: datetime | None = when(nullable=True)
    activated_at: datetime | None = when(nullable=True)


class SignInKind(str, enum.Enum):
    link = "link"  # e-mailed to the member's own address, at their request
    code = "code"  # made by an officer, read out on the phone or printed


class SignInCredential(SQLModel, table=True):
    """A single-use way back in for a member who has joined: the invitation was single-use, and
    sessions end and phones change. Only the sha256 of the secret is stored, as for invitations;
    using it is one `UPDATE ... WHERE used_at IS NULL AND expires_at > now RETURNING`."""

    __tablename__ = "sign_in_credential"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = foreign_key("member.id", ondelete="CASCADE")
    kind: str = Field(max_length=8)
    secret_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = when()
    created_by: int | None = foreign_key("officer.id", nullable=True, ondelete="SET NULL")
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = when(nullable=True)
    revoked_at: datetime | None = when(nullable=True)
