"""Rounds open and close by the clock, with nobody pressing anything, and each change is
written to the audit log exactly once (actor "schedule"): on repeated reads, with two app
instances on two engines reading at the same moment from many threads, and from `minipublic
tick`.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from assembly import audit, db
from assembly.app import create_app
from assembly.assemblies.models import Assembly
from assembly.deliberation import rounds, schedule
from assembly.deliberation.models import Round, RoundKind, Transition
from assembly.selection.models import Member
from assembly.settings import Settings
from tests.app.clocks import T0, Clock
from tests.app.flows import make_client, run_command, sign_in_member


def add_round(engine: Engine, assembly_id: int, title: str, opens: datetime,
              closes: datetime, kind: str = "learn") -> Round:
    with db.session(engine, write=True) as session:
        assembly = session.get(Assembly, assembly_id)
        assert assembly is not None
        return rounds.create(session, assembly, rounds.Details(
            RoundKind(kind), title, "Purpose.", "Instructions.", opens, closes), actor="test")


def scheduled_events(engine: Engine, assembly_id: int) -> list[tuple[str, str, str]]:
    with db.session(engine) as session:
        return [(e.action, e.details["title"], e.details["at"])
                for e in audit.events(session, assembly_id) if e.actor == "schedule"]


def test_each_change_is_recorded_once_at_its_own_moment(
        app: Starlette, engine: Engine, member: Member, member_client: TestClient) -> None:
    clock = app.state.clock = Clock(T0)
    opens = T0 + timedelta(hours=1)
    add_round(engine, member.assembly_id, "First", opens, opens + timedelta(days=1))
    member_client.get("/home")
    assert scheduled_events(engine, member.assembly_id) == []
    clock.now = opens
    for _ in range(3):
        assert member_client.get("/home").status_code == 200
    assert scheduled_events(engine, member.assembly_id) == [
        ("round.opened", "First", "2027-03-08T10:00:00.000000Z")]
    # Nobody looked for a week: both remaining moments are told as they were, in order.
    add_round(engine, member.assembly_id, "Second", opens + timedelta(hours=2),
              opens + timedelta(days=2))
    clock.now = T0 + timedelta(days=7)
    member_client.get("/home")
    member_client.get("/home")
    assert scheduled_events(engine, member.assembly_id) == [
        ("round.opened", "First", "2027-03-08T10:00:00.000000Z"),
        ("round.opened", "Second", "2027-03-08T12:00:00.000000Z"),
        ("round.closed", "First", "2027-03-09T10:00:00.000000Z"),
        ("round.closed", "Second", "2027-03-10T10:00:00.000000Z")]
    with db.session(engine) as session:
        assert audit.verify_chain(session, member.assembly_id).ok


def test_a_transition_is_inserted_once_and_the_second_insert_says_so(
        engine: Engine, member: Member) -> None:
    item = add_round(engine, member.assembly_id, "First", T0, T0 + timedelta(days=1))
    with db.session(engine, write=True) as session:
        assert schedule.insert(session, item, Transition.opened, T0, "test") is True
        assert schedule.insert(session, item, Transition.opened, T0, "test") is False
        assert schedule.insert(session, item, Transition.closed, T0, "test") is True
        assert len(schedule.recorded(session, [item.id or 0])) == 2


def test_two_app_instances_and_many_readers_record_each_change_once(
        app: Starlette, settings: Settings, engine: Engine, member: Member) -> None:
    """Two servers (each its own engine and pool) on the same database, eight browsers reading
    the member's home at the same moment, every round's opening and closing due at once."""
    second_engine = db.make_engine(settings.database_url)
    other = create_app(settings, engine=second_engine)
    try:
        when = T0 + timedelta(days=10)
        app.state.clock = other.state.clock = Clock(when)
        for number in range(3):
            opens = T0 + timedelta(days=1 + number)
            add_round(engine, member.assembly_id, f"Round {number}", opens,
                      opens + timedelta(days=1))
        clients = []
        for index in range(8):
            client = make_client(app if index % 2 else other)
            sign_in_member(client, engine, settings, member)
            clients.append(client)
        start = threading.Barrier(len(clients))
        statuses: list[int] = []

        def read(client: TestClient) -> None:
            start.wait()
            statuses.append(client.get("/home").status_code)

        threads = [threading.Thread(target=read, args=(c,)) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert statuses == [200] * len(clients)
    finally:
        second_engine.dispose()
    counted = Counter((action, title) for action, title, _ in
                      scheduled_events(engine, member.assembly_id))
    assert counted == {(action, f"Round {n}"): 1 for n in range(3)
                       for action in ("round.opened", "round.closed")}
    with db.session(engine) as session:
        assert audit.verify_chain(session, member.assembly_id).ok


def test_record_due_from_many_threads_on_two_engines(settings: Settings, engine: Engine,
                                                     member: Member) -> None:
    """The service itself, without HTTP in between: twelve workers at once."""
    for number in range(4):
        opens = T0 + timedelta(hours=number)
        add_round(engine, member.assembly_id, f"R{number}", opens, opens + timedelta(hours=1))
    engines = [engine, db.make_engine(settings.database_url)]
    start = threading.Barrier(12)
    written: list[int] = []
    problems: list[BaseException] = []

    def work(index: int) -> None:
        start.wait()
        try:
            with db.session(engines[index % 2], write=True) as session:
                written.append(schedule.record_due(session, member.assembly_id,
                                                   T0 + timedelta(days=1)))
        except BaseException as error:  # noqa: BLE001  (reported below)
            problems.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    engines[1].dispose()
    assert problems == []
    assert sum(written) == 8
    assert len(scheduled_events(engine, member.assembly_id)) == 8


def test_tick_records_every_programme(monkeypatch: pytest.MonkeyPatch, settings: Settings,
                                      engine: Engine, member: Member,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    past = datetime.now(UTC) - timedelta(days=3)
    add_round(engine, member.assembly_id, "Past", past, past + timedelta(days=1))
    assert run_command(["tick"], monkeypatch, settings) == 0
    assert "Recorded 2 changes of state in 1 programme." in capsys.readouterr().out
    assert run_command(["tick"], monkeypatch, settings) == 0
    assert "Recorded 0 changes" in capsys.readouterr().out
    assert [a for a, _, _ in scheduled_events(engine, member.assembly_id)] == [
        "round.opened", "round.closed"]
