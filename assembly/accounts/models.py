"""Officers' accounts, the sessions of everyone signed in, and counts of failed tries."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from assembly.tables import UTCDateTime, foreign_key, when


class Officer(SQLModel, table=True):
    """An engagement officer; admins can also manage officers and revoke sessions."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True)
    name: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=200)
    is_admin: bool = False
    disabled: bool = False
    created_at: datetime = when()
    last_login_at: datetime | None = when(nullable=True)
    password_changed_at: datetime = when()


class SessionKind(str, enum.Enum):
    officer = "officer"
    member = "member"


class UserSession(SQLModel, table=True):
    """A signed-in browser. Only the sha256 of the cookie value is stored, so a copy of the
    database does not let anyone impersonate an officer or member."""

    __tablename__ = "user_session"
    __table_args__ = (
        sa.CheckConstraint(
            "(officer_id IS NULL) <> (member_id IS NULL)", name="one_owner"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    kind: str = Field(max_length=16)
    officer_id: int | None = foreign_key("officer.id", nullable=True, ondelete="CASCADE")
    member_id: int | None = foreign_key("member.id", nullable=True, ondelete="CASCADE")
    created_at: datetime = when()
    last_seen_at: datetime = when()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    revoked_at: datetime | None = when(nullable=True)
    revoked_reason: str | None = Field(default=None, max_length=100)


class Throttle(SQLModel, table=True):
    """Failed tries counted against one key, for the growing pauses of `assembly.accounts.throttle`
    (sign-in per account and address, per address, per account; invitation codes per address).
    The key is a keyed hash: no e-mail address or client address is kept in clear."""

    key: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    last_failure_at: datetime | None = when(nullable=True)
    blocked_until: datetime | None = when(nullable=True)
    # When the right password last came from this account and address: such an address is not
    # held back by failures from elsewhere.
    succeeded_at: datetime | None = when(nullable=True)
