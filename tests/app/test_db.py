"""The database layer on both SQLite and PostgreSQL: migrations match the models, pragmas,
append-only audit log, time zones, and the one-per-X invariants under 16 concurrent threads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, select
from starlette.applications import Starlette

from assembly import db
from assembly.assemblies.models import Assembly
from assembly.audit import AuditEvent
from assembly.invitations.models import Invitation
from assembly.recruitment.models import Quota
from assembly.selection.models import Member, SelectionRun
from assembly.tables import utcnow
from tests.app.builders import make_member
from tests.app.databases import TestDatabase
from tests.app.flows import make_client

THREADS = 16


def run_together(work: Callable[[int], object]) -> list[object]:
    """Start THREADS threads at the same instant; return what each returned (or raised)."""
    barrier = threading.Barrier(THREADS)
    results: list[object] = [None] * THREADS

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work(index)
        except Exception as error:  # collected and asserted on by the caller
            results[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def new_assembly(engine: Engine) -> int:
    with db.session(engine, write=True) as session:
        assembly = Assembly(title="Data and AI", question="How should our council use data and AI?")
        session.add(assembly)
        session.flush()
        assert assembly.id is not None
        return assembly.id


def test_migrations_create_exactly_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == [], "models and migrations differ; add a migration for: " + repr(
        differences)


def test_schema_is_at_head_and_app_refuses_an_unmigrated_database(engine: Engine, tmp_path: Path
                                                                    ) -> None:
    db.check_schema(engine)
    empty = db.make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    try:
        with pytest.raises(db.SchemaOutOfDate, match="minipublic migrate"):
            db.check_schema(empty)
        db.migrate(empty)
        db.migrate(empty)  # running it again is harmless
        db.check_schema(empty)
    finally:
        empty.dispose()


def test_sqlite_pragmas(database: TestDatabase, engine: Engine) -> None:
    if database.kind != "sqlite":
        pytest.skip("SQLite pragmas")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(sa.exc.IntegrityError), db.session(engine, write=True) as session:
        session.add(Quota(assembly_id=424242, feature="age", value="16-29", min_count=1,
                          max_count=2))
        session.flush()


def test_deleting_an_assembly_removes_its_pool_but_not_its_audit_log(engine: Engine) -> None:
    member = make_member(engine)
    with db.session(engine, write=True) as session:
        session.add(AuditEvent(assembly_id=member.assembly_id, seq=1, actor="officer:1",
                               action="assembly.created", prev_hash="0" * 64, hash="a" * 64))
    with db.session(engine, write=True) as session:
        session.exec(sa.delete(Assembly).where(Assembly.id == member.assembly_id))
    with db.session(engine) as session:
        assert session.exec(select(Member)).all() == []
        assert len(session.exec(select(AuditEvent)).all()) == 1


@pytest.mark.parametrize("statement", ["UPDATE audit_event SET actor = 'someone else'",
                                       "DELETE FROM audit_event"])
def test_audit_log_refuses_update_and_delete(engine: Engine, statement: str) -> None:
    with db.session(engine, write=True) as session:
        session.add(AuditEvent(assembly_id=0, seq=1, actor="system", action="test",
                               prev_hash="0" * 64, hash="b" * 64))
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), \
            db.session(engine, write=True) as session:
        session.exec(sa.text(statement))
    with db.session(engine) as session:
        assert session.exec(select(AuditEvent.actor)).all() == ["system"]


def test_audit_sequence_is_unique_per_assembly(engine: Engine) -> None:
    with db.session(engine, write=True) as session:
        session.add(AuditEvent(assembly_id=0, seq=1, actor="system", action="a",
                               prev_hash="0" * 64, hash="c" * 64))
        session.add(AuditEvent(assembly_id=7, seq=1, actor="system", action="a",
                               prev_hash="0" * 64, hash="d" * 64))
    with pytest.raises(sa.exc.IntegrityError), db.session(engine, write=True) as session:
        session.add(AuditEvent(assembly_id=0, seq=1, actor="system", action="b",
                               prev_hash="c" * 64, hash="e" * 64))
        session.flush()


def test_datetimes_come_back_aware_and_in_utc(engine: Engine) -> None:
    local = datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    assembly_id = new_assembly(engine)
    with db.session(engine, write=True) as session:
        session.add(SelectionRun(assembly_id=assembly_id, number=1, algorithm="leximin",
                                 panel_size=30, started_at=local))
    with db.session(engine) as session:
        run = session.exec(select(SelectionRun)).one()
    assert run.started_at == local
    assert run.started_at.tzinfo == timezone.utc and run.started_at.hour == 23
    assert run.created_at.tzinfo == timezone.utc


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    assembly_id = new_assembly(engine)
    with pytest.raises(sa.exc.StatementError, match="naive datetime"), \
            db.session(engine, write=True) as session:
        session.add(SelectionRun(assembly_id=assembly_id, number=1, algorithm="leximin",
                                 panel_size=30, started_at=datetime(2026, 1, 1)))
        session.flush()


def test_json_columns_round_trip(engine: Engine) -> None:
    assembly_id = new_assembly(engine)
    marginals = {"R0001": 0.25, "R0002": 0.75}
    with db.session(engine, write=True) as session:
        session.add(SelectionRun(assembly_id=assembly_id, number=1, algorithm="leximin", panel_size=2,
                                 options={"seed": None, "panels": 1000}, marginals=marginals))
    with db.session(engine) as session:
        run = session.exec(select(SelectionRun)).one()
    assert run.marginals == marginals and run.options == {"seed": None, "panels": 1000}


# --- invariants under concurrency ----------------------------------------------------------------


def test_concurrent_upserts_leave_one_row_per_category(engine: Engine) -> None:
    """16 officers saving the same quota at once: one row, holding one of their values."""
    assembly_id = new_assembly(engine)

    def save(index: int) -> None:
        with db.session(engine) as session:
            statement = db.insert(session, Quota).values(
                assembly_id=assembly_id, position=0, feature="age", value="16-29",
                min_count=index, max_count=index + 10,
            )
            session.exec(statement.on_conflict_do_update(
                index_elements=["assembly_id", "feature", "value"],
                set_={"min_count": statement.excluded.min_count,
                      "max_count": statement.excluded.max_count},
            ))

    results = run_together(save)
    assert [result for result in results if result is not None] == []
    with db.session(engine) as session:
        rows = session.exec(select(Quota)).all()
    assert len(rows) == 1
    assert rows[0].max_count == rows[0].min_count + 10 and 0 <= rows[0].min_count < THREADS


def test_concurrent_redemptions_of_one_invitation_succeed_once(engine: Engine) -> None:
    """The single-use token pattern: UPDATE ... WHERE consumed_at IS NULL RETURNING."""
    member = make_member(engine)
    with db.session(engine, write=True) as session:
        session.add(Invitation(member_id=member.id, token_hash="f" * 64,
                               expires_at=utcnow() + timedelta(days=28)))

    def redeem(index: int) -> int | None:
        with db.session(engine) as session:
            return session.exec(
                sa.update(Invitation)
                .where(Invitation.token_hash == "f" * 64, Invitation.consumed_at.is_(None),
                       Invitation.expires_at > utcnow())
                .values(consumed_at=utcnow())
                .returning(Invitation.member_id)
            ).scalar_one_or_none()

    results = run_together(redeem)
    assert not [result for result in results if isinstance(result, Exception)]
    assert results.count(member.id) == 1
    assert results.count(None) == THREADS - 1


def test_read_then_write_in_a_write_unit_loses_no_update(engine: Engine) -> None:
    """`db.session(write=True)` plus FOR UPDATE: SQLite queues writers with BEGIN IMMEDIATE,
    PostgreSQL locks the row; either way 16 increments make 16."""
    assembly_id = new_assembly(engine)
    with db.session(engine, write=True) as session:
        session.add(SelectionRun(assembly_id=assembly_id, number=1, algorithm="leximin",
                                 panel_size=0))

    def increment(index: int) -> None:
        with db.session(engine, write=True) as session:
            run = session.exec(select(SelectionRun).with_for_update()).one()
            run.panel_size += 1
            session.add(run)

    results = run_together(increment)
    assert [result for result in results if result is not None] == []
    with db.session(engine) as session:
        assert session.exec(select(SelectionRun.panel_size)).one() == THREADS


def test_unique_member_per_respondent(engine: Engine) -> None:
    member = make_member(engine)
    with pytest.raises(sa.exc.IntegrityError), db.session(engine, write=True) as session:
        session.add(Member(assembly_id=member.assembly_id, respondent_id=member.respondent_id))
        session.flush()


def test_an_app_does_not_close_an_engine_it_was_given(app: Starlette, engine: Engine) -> None:
    """Tests and embedders share one engine between clients; one client leaving must not cut
    the others off (a disposed pool would drop their connections mid-request)."""
    with engine.connect() as held:
        with make_client(app) as first:
            assert first.get("/").status_code == 200
        assert held.exec_driver_sql("SELECT 1").scalar() == 1
    assert engine.pool.checkedin() >= 1  # the pool survived the client's shutdown
