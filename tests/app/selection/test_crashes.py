"""Crashed servers (issue #7, item 15): children end with their parent, and a run a dead server
left behind is marked failed by the servers still alive, without anyone opening a page."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx2
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.testclient import TestClient

from assembly import db
from assembly.audit import AuditEvent
from assembly.selection import worker
from assembly.selection.models import SelectionRun
from assembly.selection.runs import take_number
from assembly.settings import Settings
from assembly.tables import utcnow
from tests.app import servers
from tests.app.builders import PASSWORD, make_officer, synthetic
from tests.app.flows import create, loaded, start, upload


def _stale_run(engine: Engine, assembly_id: int) -> int:
    """A run as a server killed five minutes ago leaves it: running, its heartbeat old."""
    with db.session(engine, write=True) as session:
        run = SelectionRun(assembly_id=assembly_id, number=take_number(session, assembly_id),
                           algorithm="leximin", panel_size=12,
                           options={"algorithm": "leximin"}, status="running",
                           heartbeat_at=utcnow() - timedelta(minutes=5))
        session.add(run)
        session.flush()
        assert run.id is not None
        return run.id


def test_the_server_marks_a_stale_run_failed_without_a_page_view(
        officer_client: TestClient, engine: Engine, dbs: Callable,
        monkeypatch: pytest.MonkeyPatch) -> None:
    assembly_id = loaded(officer_client)
    # The app is running (its monitor thread too); look for stale runs every 0.2 s, not 10 s.
    monkeypatch.setattr(worker, "STALE_CHECK_SECONDS", 0.2)
    run_id = _stale_run(engine, assembly_id)  # after start-up, so start-up cannot be what fails it
    deadline = time.monotonic() + 15
    while True:  # no request to the app from here on: only its own thread can mark the run
        with dbs() as session:
            run = session.get(SelectionRun, run_id)
            assert run is not None
            if run.status == "failed":
                break
        assert time.monotonic() < deadline, "the stale run was not marked failed within 15 s"
        time.sleep(0.1)
    assert run.error == worker.SERVER_STOPPED and run.finished_at is not None
    with dbs() as session:
        events = session.exec(select(AuditEvent.details).where(
            AuditEvent.action == "selection.failed")).all()
    assert events == [{"run": run_id, "run_number": 1, "reason": "server stopped",
                       "message": worker.SERVER_STOPPED}]


def test_a_stale_run_does_not_block_a_new_one(officer_client: TestClient, engine: Engine,
                                              dbs: Callable) -> None:
    assembly_id = loaded(officer_client)
    stale = _stale_run(engine, assembly_id)
    url = start(officer_client, assembly_id)  # asserts the 303: the run was accepted
    with dbs() as session:
        runs = session.exec(select(SelectionRun).where(SelectionRun.assembly_id == assembly_id)
                            .order_by(SelectionRun.id)).all()
    assert [run.id for run in runs][0] == stale and url.endswith(f"/runs/{runs[1].id}")
    assert runs[0].status == "failed" and runs[0].error == worker.SERVER_STOPPED
    assert runs[1].status in ("queued", "running", "done")


@pytest.mark.slow  # real server processes
def test_server_workers_exit_and_free_the_port_when_the_server_is_killed(
        settings: Settings, tmp_path: Path) -> None:
    if settings.is_sqlite:
        pytest.skip("several workers need PostgreSQL (the settings refuse them with SQLite)")
    port = servers.free_port()
    server = servers.serve(tmp_path, port, DATABASE_URL=settings.database_url,
                           MINIPUBLIC_WORKERS="2")
    workers: dict[int, str] = {}
    try:
        servers.wait_until_up(server, port)
        servers.wait_for(lambda: len(servers.children(server.pid)) >= 2, 30, "two workers started")
        workers = {pid: servers.command_line(pid) for pid in servers.children(server.pid)}
        servers.kill_hard(server)
        servers.wait_for(lambda: not any(servers.alive(pid) for pid in workers), 15,
                         f"the workers {sorted(workers)} did not exit")
        servers.wait_for(lambda: servers.port_is_free(port), 5, f"port {port} was not freed")
        # And a new server can start on the same port at once.
        again = servers.serve(tmp_path, port, DATABASE_URL=settings.database_url)
        try:
            servers.wait_until_up(again, port)
        finally:
            servers.stop(again)
    finally:
        servers.stop(server, workers)


@pytest.mark.slow  # a real server process and a real selection process
def test_a_selection_process_exits_when_its_server_is_killed(
        settings: Settings, engine: Engine, tmp_path: Path) -> None:
    make_officer(engine, settings)
    port = servers.free_port()
    server = servers.serve(tmp_path, port, DATABASE_URL=settings.database_url)
    left: dict[int, str] = {}
    try:
        servers.wait_until_up(server, port)
        base = f"http://127.0.0.1:{port}"
        with httpx2.Client(base_url=base, headers={"Sec-Fetch-Site": "same-origin",
                                                  "Origin": base}, timeout=60) as browser:
            signed_in = browser.post("/login", data={"email": "officer@example.org",
                                                     "password": PASSWORD})
            assert signed_in.status_code == 303, signed_in.text
            # A pool big enough that the selection is still computing when the server dies.
            pool = synthetic(n=3000, k=150, features=6, seed=5)
            assembly_id = create(browser)  # type: ignore[arg-type]
            uploaded = upload(browser, assembly_id, quotas=pool.quotas_csv(),  # type: ignore[arg-type]
                              people=pool.people_csv())
            assert getattr(uploaded, "status_code") == 303
            start(browser, assembly_id, panel_size="150")  # type: ignore[arg-type]

        def selection_processes() -> list[int]:
            return [pid for pid in servers.children(server.pid)
                    if "multiprocessing" in servers.command_line(pid)
                    and "resource_tracker" not in servers.command_line(pid)]

        servers.wait_for(selection_processes, 30, "a selection process started")
        left = {pid: servers.command_line(pid) for pid in servers.children(server.pid)}
        with db.session(engine) as session:
            assert session.exec(select(SelectionRun.status)).one() in ("queued", "running")
        servers.kill_hard(server)
        servers.wait_for(lambda: not any(servers.alive(pid) for pid in left), 10,
                         f"the server's children {left} did not exit")
        with db.session(engine) as session:  # the dead server could not say it failed
            assert session.exec(select(SelectionRun.status)).one() in ("queued", "running")
    finally:
        servers.stop(server, left)
