"""Fixtures for tests that drive the real app against real databases.

Every test that uses `app`, `client`, `engine` (or anything built on them) runs twice: once on
SQLite and once on PostgreSQL. Set MINIPUBLIC_TEST_DB=sqlite or MINIPUBLIC_TEST_DB=postgresql to
run only one while debugging; MINIPUBLIC_TEST_POSTGRES_URL overrides where PostgreSQL is.

Isolation: SQLite gets a fresh copy of a migrated database file per test. PostgreSQL gets a private
schema for the whole test session (so parallel runs and the developer's own tables are left
alone), migrated once and emptied with one TRUNCATE between tests.

The databases themselves are in `tests.app.databases`; what the fixtures build is in
`tests.app.builders` (straight to the database) and `tests.app.flows` (through the app, over HTTP);
the SMTP server behind `mailbox` is in `tests.app.mailbox`; the settable `clock` in
`tests.app.clocks`.
Test modules import helpers from those, never from this file or from each other.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from assembly import db
from assembly.accounts.models import Officer
from assembly.app import create_app
from assembly.selection.models import Member
from assembly.settings import Settings
from tests.app.builders import make_member, make_officer
from tests.app.clocks import T0, Clock
from tests.app.databases import TestDatabase
from tests.app.flows import BASE_URL, TEST_SECRET, login, make_client, sign_in_member
from tests.app.mailbox import Mailbox, running_mailbox, settings_for

KINDS = ("sqlite", "postgresql")
ONLY = os.environ.get("MINIPUBLIC_TEST_DB", "").strip().lower()
if ONLY and ONLY not in KINDS:
    raise pytest.UsageError(f"MINIPUBLIC_TEST_DB is {ONLY!r}; use 'sqlite' or 'postgresql'.")
SELECTED = (ONLY,) if ONLY else KINDS


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
    """Development settings pointing at the test database, with cheap password hashing and no
    delay before answering a paused try (test_limits.py checks the delay)."""
    return Settings(
        data_dir=tmp_path,
        database_url=database_url_and_engine[0],
        secret_key=TEST_SECRET,
        password_memory_kib=1024,
        password_time_cost=1,
        paused_answer_ms=1,
        public_url=BASE_URL,
    )


@pytest.fixture
def app(settings: Settings, engine: Engine) -> Starlette:
    return create_app(settings, engine=engine)


@pytest.fixture
def clock(app: Starlette) -> Clock:
    """The app's clock, set to `tests.app.clocks.T0`; a test moves it with `clock.now = ...`."""
    app.state.clock = Clock(T0)
    return app.state.clock


@pytest.fixture
def dbs(engine: Engine) -> Callable[..., contextlib.AbstractContextManager[Session]]:
    """`with dbs() as session:` (or `dbs(write=True)`) for direct database work in a test."""
    return lambda write=False: db.session(engine, write=write)


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


@pytest.fixture
def member(engine: Engine) -> Member:
    return make_member(engine)


@pytest.fixture
def member_client(app: Starlette, engine: Engine, settings: Settings, member: Member
                  ) -> Iterator[TestClient]:
    with make_client(app) as test_client:
        sign_in_member(test_client, engine, settings, member)
        yield test_client


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server on a free local port that keeps what it receives."""
    with running_mailbox() as running:
        yield running


@pytest.fixture
def mail_settings(settings: Settings, mailbox: Mailbox) -> Settings:
    """`settings` that send e-mail to `mailbox`."""
    return settings_for(settings, mailbox)
