"""What every room's tables share: aware UTC datetimes, JSON columns, random public ids, and
constraint names Alembic can find.

Rooms define their tables in their own `models.py` with these helpers; `assembly.schema` imports
every room's models so that the metadata (and so the migrations) sees them all.

Rules of the form "one X per Y" are UNIQUE constraints, never checks in Python.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import QueryableAttribute
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


def when(*, nullable: bool = False, index: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, nullable=True, index=index)
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=index)


def json_field(*, nullable: bool = False, default_factory: Any = dict) -> Any:
    if nullable:
        return Field(default=None, sa_type=JSONType, nullable=True)
    return Field(default_factory=default_factory, sa_type=JSONType, nullable=False)


OnDelete = Literal["CASCADE", "SET NULL", "RESTRICT"]  # what SQLModel's Field accepts


def foreign_key(target: str, *, nullable: bool = False, ondelete: OnDelete = "RESTRICT") -> Any:
    return Field(default=None, foreign_key=target, ondelete=ondelete, nullable=nullable, index=True)


def row_id(value: int | None) -> int:
    """The id of a row that has been stored. SQLModel types primary keys `int | None` because
    they are unset until the row is flushed; a row read from the database always has one."""
    assert value is not None, "the row has not been stored yet"
    return value


def attribute(field: object) -> QueryableAttribute[Any]:
    """A table field as the mapped attribute it is on the class, for loader options such as
    `sa.orm.defer` (SQLModel declares fields with their value types; `col()` gives `Mapped`)."""
    assert isinstance(field, QueryableAttribute), f"not a mapped attribute: {field!r}"
    return field


# Named constraints, so Alembic's batch mode can alter SQLite tables later.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
