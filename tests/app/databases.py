"""The real databases the app tests run on: a migrated SQLite file copied per test, or a private
PostgreSQL schema for the whole session, emptied between tests. `tests/app/conftest.py` hands one
out per test through the `database` and `engine` fixtures.
"""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from assembly import db

POSTGRES_URL = os.environ.get(
    "MINIPUBLIC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


# Names and types of every column, index, constraint and trigger in the schema, from pg_catalog
# (information_schema is ten times slower, and this runs before every test).
SHAPE_QUERY = """
SELECT md5(coalesce(string_agg(item, ',' ORDER BY item), '')) FROM (
    SELECT 'c:' || c.relname || '.' || a.attname || ':' || a.atttypid || ':' || a.attnotnull AS item
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    WHERE c.relnamespace = to_regnamespace(:schema) AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT 'k:' || conname FROM pg_constraint WHERE connamespace = to_regnamespace(:schema)
    UNION ALL
    SELECT 't:' || t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
    WHERE c.relnamespace = to_regnamespace(:schema) AND NOT t.tgisinternal
) AS shape
"""
RESTART_SEQUENCES = """
SELECT setval(c.oid::regclass, 1, false) FROM pg_class c
WHERE c.relkind = 'S' AND c.relnamespace = to_regnamespace(:schema)
"""


@dataclass
class TestDatabase:
    """One real database for the whole test session; `fresh()` gives an empty, migrated one."""

    __test__ = False  # not a test class, despite the name

    kind: str
    url: str
    root: Path
    admin_url: str = ""
    schema: str = ""
    _template: Path | None = None
    _engine: Engine | None = field(default=None, repr=False)

    @classmethod
    def create(cls, kind: str, root: Path) -> TestDatabase:
        if kind == "sqlite":
            template = root / "template.sqlite3"
            engine = db.make_engine(f"sqlite:///{template}")
            db.migrate(engine)
            engine.dispose()  # closing the last connection folds the WAL into the file
            return cls(kind, url="", root=root, _template=template)
        schema = f"test_{os.getpid()}_{secrets.token_hex(4)}"
        admin = sa.create_engine(POSTGRES_URL)
        try:
            with admin.begin() as connection:
                connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        except sa.exc.OperationalError as error:
            raise pytest.UsageError(
                f"PostgreSQL is not reachable at {POSTGRES_URL} ({error.orig}). Start it, or set "
                "MINIPUBLIC_TEST_DB=sqlite to run on SQLite only."
            ) from None
        finally:
            admin.dispose()
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
        engine = db.make_engine(url)
        db.migrate(engine)
        created = cls(kind, url=url, root=root, admin_url=POSTGRES_URL, schema=schema,
                      _engine=engine)
        created._shape = created._schema_shape()
        return created

    _shape: str = ""

    def _schema_shape(self) -> str:
        """A digest of the schema's columns, indexes and triggers. A test that alters the schema
        (e.g. drops the audit triggers to play an attacker) must not leak that into the next."""
        assert self._engine is not None
        with self._engine.connect() as connection:
            return connection.execute(sa.text(SHAPE_QUERY), {"schema": self.schema}).scalar_one()

    def _rebuild(self) -> None:
        assert self._engine is not None
        self._engine.dispose()
        with self._engine.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{self.schema}" CASCADE')
            connection.exec_driver_sql(f'CREATE SCHEMA "{self.schema}"')
        db.migrate(self._engine)

    def fresh(self, directory: Path) -> tuple[str, Engine]:
        if self.kind == "sqlite":
            assert self._template is not None
            path = directory / "minipublic.sqlite3"
            shutil.copyfile(self._template, path)
            url = f"sqlite:///{path}"
            return url, db.make_engine(url)
        assert self._engine is not None
        if self._schema_shape() != self._shape:
            self._rebuild()
        with self._engine.begin() as connection:
            tables = connection.execute(
                sa.text("SELECT tablename FROM pg_tables WHERE schemaname = :schema "
                        "AND tablename <> 'alembic_version'"),
                {"schema": self.schema},
            ).scalars().all()
            # DELETE with triggers off (foreign keys, the audit log's guard) is ~20x faster than
            # TRUNCATE on small tables; sequences restart so ids match a fresh SQLite copy.
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
            connection.exec_driver_sql("; ".join(f'DELETE FROM "{name}"' for name in tables))
            connection.execute(sa.text(RESTART_SEQUENCES), {"schema": self.schema}).all()
        return self.url, self._engine

    def close(self) -> None:
        if self.kind == "postgresql":
            if self._engine is not None:
                self._engine.dispose()
            admin = sa.create_engine(self.admin_url)
            with admin.begin() as connection:
                connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
            admin.dispose()
