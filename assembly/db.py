"""Database engines, sessions and migrations for SQLite and PostgreSQL.

SQLite is the default so a council can try the app with nothing to install; PostgreSQL is for
several worker processes. The code paths differ only here: pragmas and transaction start.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from anyio import CapacityLimiter, to_thread
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import QueryableAttribute
from sqlmodel import Session, SQLModel
from starlette.requests import Request

# Every room's tables, so foreign keys between rooms resolve in any process (the selection
# worker, a command) whichever rooms it happens to import.
from assembly import schema  # noqa: F401

MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")


def make_engine(url: str) -> Engine:
    """An engine with the pragmas and pool settings our invariants rely on.

    `hide_parameters`: an error's text never carries the values being written (a respondent's
    e-mail address, say), so it can be logged or shown without leaking personal data.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
        )
        _configure_sqlite(engine)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10,
                            hide_parameters=True)


def _configure_sqlite(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself, so writers can ask for IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def on_begin(connection: sa.Connection) -> None:
        # A deferred transaction that reads and then writes can fail with SQLITE_BUSY without
        # waiting; IMMEDIATE takes the write lock up front and waits for it (busy_timeout).
        if connection.get_execution_options().get("immediate"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


def dialect_name(engine_or_session: Engine | Session) -> str:
    bind = engine_or_session.get_bind() if isinstance(engine_or_session, Session) else engine_or_session
    return bind.dialect.name


def insert(session_or_engine: Session | Engine, table: type[SQLModel]
           ) -> postgresql.Insert | sqlite.Insert:
    """`INSERT` that supports `on_conflict_do_update`/`do_nothing` on both databases.

    Use it for every one-per-something rule instead of check-then-insert.
    """
    if dialect_name(session_or_engine) == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def attribute(field: object) -> QueryableAttribute[Any]:
    """`Model.field` as what it is at run time, the class-bound attribute that loader options such
    as `sa.orm.defer` take (SQLModel types it as the field's value, `col()` as `Mapped`)."""
    if not isinstance(field, QueryableAttribute):
        raise TypeError(f"{field!r} is not a column of a table model")
    return field


@contextlib.contextmanager
def session(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    """A unit of work: commits on success, rolls back on error.

    `write=True` is for read-then-write work: on SQLite it starts with BEGIN IMMEDIATE so two
    writers queue instead of one failing; PostgreSQL needs no special start.
    """
    bind = engine.execution_options(immediate=True) if write else engine
    with _queued(engine, write), Session(bind, expire_on_commit=False) as db:
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise


# SQLite lets one writer in at a time. Writers of one process queue here, on a lock, rather than
# in SQLite's busy handler, which sleeps up to 100 ms between tries: under many writers some were
# passed over again and again (p50 30 ms, p99 2-5 s for a ballot in bench/bench_ballots.py).
# SQLite serves one process only (settings refuse more workers), so this queues every writer; one
# that waits longer than SQLite's own busy_timeout goes on and lets SQLite decide, as before.
_WRITE_LOCKS: dict[str, threading.RLock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()
WRITE_WAIT_SECONDS = 30.0  # the busy_timeout set in `_configure_sqlite`


@contextlib.contextmanager
def _queued(engine: Engine, write: bool) -> Iterator[None]:
    if not write or engine.dialect.name != "sqlite":
        yield
        return
    with _WRITE_LOCKS_GUARD:
        lock = _WRITE_LOCKS.setdefault(str(engine.url.database), threading.RLock())
    acquired = lock.acquire(timeout=WRITE_WAIT_SECONDS)
    try:
        yield
    finally:
        if acquired:
            lock.release()


async def run(request: Request, work: Callable[..., T], *args: Any, write: bool = False,
              limiter: CapacityLimiter | None = None, **kwargs: Any) -> T:
    """Run `work(db, *args, **kwargs)` in a worker thread inside one unit of work.

    Database drivers block; doing this in a thread keeps the event loop free for other requests.
    Work that can arrive in floods (sign-in attempts) passes a small `limiter`: it then queues
    without a thread, instead of taking every worker thread from ordinary pages.
    """
    engine: Engine = request.app.state.engine

    def call() -> T:
        with session(engine, write=write) as db:
            return work(db, *args, **kwargs)

    return await to_thread.run_sync(call, limiter=limiter)


def alembic_config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision`; safe to run repeatedly.

    On SQLite, foreign keys are off while migrating: a batch migration copies a table, drops the
    old one and renames the copy, and with foreign keys on, that drop would cascade and delete
    every row that refers to the table (an assembly's runs, respondents and members). Whether
    the references still hold is checked before the migration commits."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        # PRAGMA foreign_keys is ignored inside a transaction: set it on the driver's
        # connection before SQLAlchemy begins one.
        raw = connection.connection.dbapi_connection
        if sqlite and raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                command.upgrade(alembic_config(connection), revision)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(
                            f"The migration would leave {len(broken)} broken references "
                            f"(first: {tuple(broken[0])}); nothing was changed.")
        finally:
            if sqlite and raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


@functools.lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest migration (cached: reading the scripts costs more than the rest of start-up)."""
    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


class SchemaOutOfDate(RuntimeError):
    """The database was not migrated; the message says what to run."""


def check_schema(engine: Engine) -> None:
    current = current_revision(engine)
    head = head_revision()
    if current != head:
        raise SchemaOutOfDate(
            f"The database schema is at {current or 'nothing'} but this version needs {head}. "
            "Run `minipublic migrate` (or `minipublic serve`, which migrates first)."
        )
