"""The tables, for the whole assembly journey.

Personal data is split on purpose: `Contact` (how to reach someone) and `Profile` (their
demographic answers) are separate tables keyed by the respondent, so that purge and erasure can
blank them without touching selection results, and so that most code never loads them. Anything a
member writes later (votes, statements, comments) references `Member.id` only.

Rules of the form "one X per Y" are UNIQUE constraints, never checks in Python.
"""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def public_id() -> str:
    """An unguessable identifier safe to show in URLs and letters (96 bits)."""
    return secrets.token_urlsafe(12)


class UTCDateTime(sa.types.TypeDecorator):
    """Timezone-aware UTC datetimes on both databases (SQLite forgets the zone otherwise)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use models.utcnow() or an aware datetime")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


def _when(*, nullable: bool = False, index: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, nullable=True, index=index)
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=index)


def _json(*, nullable: bool = False, default_factory: Any = dict) -> Any:
    if nullable:
        return Field(default=None, sa_type=JSONType, nullable=True)
    return Field(default_factory=default_factory, sa_type=JSONType, nullable=False)


def _fk(target: str, *, nullable: bool = False, ondelete: str = "RESTRICT") -> Any:
    return Field(default=None, foreign_key=target, ondelete=ondelete, nullable=nullable, index=True)


# Named constraints, so Alembic's batch mode can alter SQLite tables later.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# --- people who run the process -----------------------------------------------------------------


class Officer(SQLModel, table=True):
    """An engagement officer; admins can also manage officers and revoke sessions."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True)
    name: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=200)
    is_admin: bool = False
    disabled: bool = False
    created_at: datetime = _when()
    last_login_at: datetime | None = _when(nullable=True)
    password_changed_at: datetime = _when()


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
    officer_id: int | None = _fk("officer.id", nullable=True, ondelete="CASCADE")
    member_id: int | None = _fk("member.id", nullable=True, ondelete="CASCADE")
    created_at: datetime = _when()
    last_seen_at: datetime = _when()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    revoked_at: datetime | None = _when(nullable=True)
    revoked_reason: str | None = Field(default=None, max_length=100)


class LoginAttempt(SQLModel, table=True):
    """One sign-in attempt, for rate limiting. Keys are hashes: no e-mail addresses or client
    addresses are kept in clear."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        sa.Index("ix_login_attempt_account_at", "account_key", "at"),
        sa.Index("ix_login_attempt_address_at", "address_key", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _when()
    account_key: str = Field(max_length=64)
    address_key: str = Field(max_length=64)
    succeeded: bool = False


# --- the assembly and its pool -------------------------------------------------------------------


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
    starts_on: date | None = None
    ends_on: date | None = None
    status: str = Field(default=AssemblyStatus.setup.value, max_length=16)
    panel_size: int | None = None
    one_per_household: bool = False
    address_columns: list[str] = _json(default_factory=list)
    retention_days: int = 90
    legal_basis: str = Field(default="", max_length=2000)
    consent_version: str = Field(default="", max_length=100)
    pool_uploaded_at: datetime | None = _when(nullable=True)
    purged_at: datetime | None = _when(nullable=True)
    created_at: datetime = _when()
    created_by: int | None = _fk("officer.id", nullable=True, ondelete="SET NULL")


class Respondent(SQLModel, table=True):
    """Someone who answered the recruitment letter and is in the pool."""

    __table_args__ = (
        sa.UniqueConstraint("assembly_id", "external_id", name="uq_respondent_external_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=public_id, max_length=32, unique=True)
    assembly_id: int = _fk("assembly.id", ondelete="CASCADE")
    external_id: str = Field(max_length=200)
    # sha256 of the normalised address, so one-per-household works without keeping addresses.
    household_key: str | None = Field(default=None, max_length=64)
    legal_basis: str = Field(default="", max_length=2000)
    consent_version: str = Field(default="", max_length=100)
    created_at: datetime = _when()
    erased: bool = False
    erased_at: datetime | None = _when(nullable=True)


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
    values: dict[str, str] = _json()


class Quota(SQLModel, table=True):
    """Target range for one category of one feature (the Sortition Foundation's CSV layout)."""

    __table_args__ = (
        sa.UniqueConstraint("assembly_id", "feature", "value", name="uq_quota_category"),
        sa.CheckConstraint("min_count >= 0 AND min_count <= max_count", name="range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    assembly_id: int = _fk("assembly.id", ondelete="CASCADE")
    position: int = 0
    feature: str = Field(max_length=100)
    value: str = Field(max_length=200)
    min_count: int
    max_count: int
    min_flex: int | None = None
    max_flex: int | None = None


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
    assembly_id: int = _fk("assembly.id", ondelete="CASCADE")
    feature: str = Field(max_length=100)
    value: str = Field(max_length=200)
    count: int


# --- selection -----------------------------------------------------------------------------------


class RunStatus(str, enum.Enum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class SelectionRun(SQLModel, table=True):
    """One computation of a fair distribution over panels, and its transparent lottery."""

    __tablename__ = "selection_run"

    id: int | None = Field(default=None, primary_key=True)
    assembly_id: int = _fk("assembly.id", ondelete="CASCADE")
    algorithm: str = Field(max_length=32)
    panel_size: int
    options: dict[str, Any] = _json()
    status: str = Field(default=RunStatus.queued.value, max_length=16, index=True)
    phase: str = Field(default="", max_length=200)
    fraction: float = 0.0
    error: str | None = Field(default=None, max_length=20000)
    marginals: dict[str, Any] | None = _json(nullable=True)
    report: dict[str, Any] | None = _json(nullable=True)
    commitment: str | None = Field(default=None, max_length=128)
    lottery: dict[str, Any] | None = _json(nullable=True)
    created_at: datetime = _when()
    created_by: int | None = _fk("officer.id", nullable=True, ondelete="SET NULL")
    started_at: datetime | None = _when(nullable=True)
    finished_at: datetime | None = _when(nullable=True)
    # Stamped every few seconds by the server process that owns a queued or running run; a stale
    # stamp means that server stopped, so the run can be marked failed instead of hanging.
    heartbeat_at: datetime | None = _when(nullable=True)


class Draw(SQLModel, table=True):
    """The public draw: a seed announced in public picks one panel from the lottery.

    UNIQUE(run_id): a run is drawn once; a second draw needs a new run, which the audit shows.
    """

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="selection_run.id", ondelete="CASCADE",
                        unique=True)
    assembly_id: int = _fk("assembly.id", ondelete="CASCADE")
    seed: str = Field(max_length=200)
    ticket: int
    panel: list[str] = _json(default_factory=list)
    reserves: list[str] = _json(default_factory=list)
    drawn_at: datetime = _when()
    drawn_by: int | None = _fk("officer.id", nullable=True, ondelete="SET NULL")


class MemberRole(str, enum.Enum):
    panel = "panel"
    reserve = "reserve"


class MemberStatus(str, enum.Enum):
    selected = "selected"    # drawn, not yet invited
    invited = "invited"      # invitation issued
    joined = "joined"        # opened the invitation
    declined = "declined"
    replaced = "replaced"    # dropped out and was replaced by a reserve


class Member(SQLModel, table=True):
    """A respondent chosen by the draw (panel or reserve). Later records reference this id only."""

    __table_args__ = (
        sa.UniqueConstraint("assembly_id", "respondent_id", name="uq_member_respondent"),
    )

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=public_id, max_length=32, unique=True)
    assembly_id: int = _fk("assembly.id", ondelete="CASCADE")
    respondent_id: int = _fk("respondent.id", ondelete="CASCADE")
    draw_id: int | None = _fk("draw.id", nullable=True, ondelete="SET NULL")
    role: str = Field(default=MemberRole.panel.value, max_length=16)
    status: str = Field(default=MemberStatus.selected.value, max_length=16)
    replaced_by: int | None = _fk("member.id", nullable=True, ondelete="SET NULL")
    created_at: datetime = _when()
    joined_at: datetime | None = _when(nullable=True)
    status_changed_at: datetime | None = _when(nullable=True)


class Invitation(SQLModel, table=True):
    """A single-use link. Only sha256(token) is stored; consume it with
    `UPDATE invitation SET consumed_at=... WHERE token_hash=... AND consumed_at IS NULL
    RETURNING ...` so two concurrent clicks cannot both succeed."""

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = _fk("member.id", ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _when()
    created_by: int | None = _fk("officer.id", nullable=True, ondelete="SET NULL")
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    consumed_at: datetime | None = _when(nullable=True)
    revoked_at: datetime | None = _when(nullable=True)


# --- accountability ------------------------------------------------------------------------------


class AuditEvent(SQLModel, table=True):
    """Append-only, hash-chained record of every step (per assembly; assembly 0 = system-wide).

    hash = sha256(prev_hash + canonical JSON of the event). UNIQUE(assembly_id, seq) makes two
    writers racing for the same position fail instead of forking the chain. Database triggers
    (see the initial migration) refuse UPDATE and DELETE. `details` never holds personal data:
    refer to respondents and members by public id.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        sa.UniqueConstraint("assembly_id", "seq", name="uq_audit_event_seq"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Not a foreign key: 0 is the system chain, and the log must outlive what it describes.
    assembly_id: int = Field(index=True)
    seq: int
    at: datetime = _when()
    actor: str = Field(max_length=200)
    action: str = Field(max_length=100)
    details: dict[str, Any] = _json()
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
