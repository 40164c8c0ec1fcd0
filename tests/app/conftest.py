"""Fixtures for tests that drive the real app against real databases.

Every test that uses `app`, `client`, `engine` (or anything built on them) runs twice: once on
SQLite and once on PostgreSQL. Set MINIPUBLIC_TEST_DB=sqlite or MINIPUBLIC_TEST_DB=postgresql to
run only one while debugging; MINIPUBLIC_TEST_POSTGRES_URL overrides where PostgreSQL is.

Isolation: SQLite gets a fresh copy of a migrated database file per test. PostgreSQL gets a private
schema for the whole test session (so parallel runs and the developer's own tables are left
alone), migrated once and emptied with one TRUNCATE between tests.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from assembly import db, sessions
from assembly.accounts import signin
from assembly.accounts.models import Officer
from assembly.app import create_app
from assembly.assemblies.models import Assembly
from assembly.recruitment.models import Respondent
from assembly.selection.models import Member
from assembly.settings import Settings

POSTGRES_URL = os.environ.get(
    "MINIPUBLIC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
KINDS = ("sqlite", "postgresql")
ONLY = os.environ.get("MINIPUBLIC_TEST_DB", "").strip().lower()
if ONLY and ONLY not in KINDS:
    raise pytest.UsageError(f"MINIPUBLIC_TEST_DB is {ONLY!r}; use 'sqlite' or 'postgresql'.")
SELECTED = (ONLY,) if ONLY else KINDS

BASE_URL = "http://testserver"
# What a browser sends with a form submitted from one of our own pages.
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin", "Origin": BASE_URL}
# What htmx 4 sends when it asks for a fragment.
HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}
PASSWORD = "correct horse battery staple"
TEST_SECRET = "test-secret-" + "x" * 40


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


@pytest.fixture(scope="session", params=SELECTED)
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[TestDatabase]:
    test_database = TestDatabase.create(request.param, tmp_path_factory.mktemp(request.param))
    yield test_database
    test_database.close()


@pytest.fixture
def database_url_and_engine(database: TestDatabase, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    url, engine = database.fresh(tmp_path)
    yield url, engine
    if database.kind == "sqlite":
        engine.dispose()


@pytest.fixture
def engine(database_url_and_engine: tuple[str, Engine]) -> Engine:
    """An empty, migrated database of the kind under test."""
    return database_url_and_engine[1]


@pytest.fixture
def settings(database_url_and_engine: tuple[str, Engine], tmp_path: Path) -> Settings:
    """Development settings pointing at the test database, with cheap password hashing."""
    return Settings(
        data_dir=tmp_path,
        database_url=database_url_and_engine[0],
        secret_key=TEST_SECRET,
        password_memory_kib=1024,
        password_time_cost=1,
        public_url=BASE_URL,
    )


@pytest.fixture
def app(settings: Settings, engine: Engine) -> Starlette:
    return create_app(settings, engine=engine)


@pytest.fixture
def dbs(engine: Engine) -> Callable[..., contextlib.AbstractContextManager[Session]]:
    """`with dbs() as session:` (or `dbs(write=True)`) for direct database work in a test."""
    return lambda write=False: db.session(engine, write=write)


def make_client(app: Starlette, headers: Mapping[str, str] | None = SAME_ORIGIN) -> TestClient:
    return TestClient(app, base_url=BASE_URL, headers=dict(headers or {}))


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    """An anonymous browser on one of our pages: requests carry `Sec-Fetch-Site: same-origin`.
    Override per request, e.g. `headers={"Sec-Fetch-Site": "cross-site"}`."""
    with make_client(app) as test_client:
        yield test_client


@pytest.fixture
def bare_client(app: Starlette) -> Iterator[TestClient]:
    """A client sending no fetch-metadata headers at all (curl, a script, an old browser)."""
    with make_client(app, headers=None) as test_client:
        yield test_client


def post_form(client: TestClient, url: str, data: Mapping[str, Any] | None = None, *,
              htmx: bool = False, headers: Mapping[str, str] | None = None,
              **kwargs: Any) -> Any:
    """POST a form as a browser does from our own page (plain, or with htmx if `htmx=True`)."""
    all_headers = {**SAME_ORIGIN, **(HTMX if htmx else {}), **(headers or {})}
    return client.post(url, data=dict(data or {}), headers=all_headers, **kwargs)


def make_officer(engine: Engine, settings: Settings, email: str = "officer@example.org", *,
                 is_admin: bool = False, password: str = PASSWORD) -> Officer:
    with db.session(engine, write=True) as session:
        officer = Officer(email=email, name="Test Officer", is_admin=is_admin,
                          password_hash=signin.hash_password(settings, password))
        session.add(officer)
        session.flush()
        return officer


def login(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    """Sign in through the real form; asserts it worked."""
    response = post_form(client, "/login", {"email": email, "password": password},
                         follow_redirects=False)
    assert response.status_code == 303, response.text
    return response


@pytest.fixture
def officer(engine: Engine, settings: Settings) -> Officer:
    """An ordinary officer (not an admin), password `PASSWORD`."""
    return make_officer(engine, settings)


@pytest.fixture
def admin(engine: Engine, settings: Settings) -> Officer:
    return make_officer(engine, settings, "admin@example.org", is_admin=True)


@pytest.fixture
def officer_client(app: Starlette, officer: Officer) -> Iterator[TestClient]:
    with make_client(app) as test_client:
        login(test_client, officer.email)
        yield test_client


@pytest.fixture
def admin_client(app: Starlette, admin: Officer) -> Iterator[TestClient]:
    with make_client(app) as test_client:
        login(test_client, admin.email)
        yield test_client


def make_member(engine: Engine, *, assembly: Assembly | None = None,
                external_id: str = "R0001") -> Member:
    """A drawn panel member of `assembly` (a new one if not given), with no personal data."""
    with db.session(engine, write=True) as session:
        if assembly is None:
            assembly = Assembly(title="Test assembly", question="How should we test?")
            session.add(assembly)
            session.flush()
        respondent = Respondent(assembly_id=assembly.id, external_id=external_id)
        session.add(respondent)
        session.flush()
        member = Member(assembly_id=assembly.id, respondent_id=respondent.id)
        session.add(member)
        session.flush()
        return member


@pytest.fixture
def member(engine: Engine) -> Member:
    return make_member(engine)


def sign_in_member(client: TestClient, engine: Engine, settings: Settings, member: Member) -> None:
    """Give `client` a member session, as redeeming an invitation does."""
    with db.session(engine, write=True) as session:
        token = sessions.start(session, settings, member=member)
    client.cookies.set(settings.session_cookie, token)


@pytest.fixture
def member_client(app: Starlette, engine: Engine, settings: Settings, member: Member
                  ) -> Iterator[TestClient]:
    with make_client(app) as test_client:
        sign_in_member(test_client, engine, settings, member)
        yield test_client
