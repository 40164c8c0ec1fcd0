"""Running a selection through the real app: worker process, progress, result, failures."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from assembly import db
from assembly.audit import AuditEvent
from assembly.selection import worker
from assembly.selection.models import SelectionRun
from assembly.selection.runs import take_number
from assembly.tables import utcnow
from sortition.synthetic import quotas_to_csv
from tests.app.builders import synthetic
from tests.app.flows import (
    HTMX,
    create,
    loaded,
    login,
    make_client,
    post_form,
    start,
    upload,
    wait_for,
)

SVG_IMAGE = re.compile(r'<svg xmlns="http://www.w3.org/2000/svg" role="img"')


@pytest.mark.slow
def test_full_selection_shows_charts_numbers_and_commitment(officer_client: TestClient,
                                                            dbs: Callable) -> None:
    pool = synthetic()
    assembly_id = loaded(officer_client, pool)
    url = start(officer_client, assembly_id)
    phases = wait_for(officer_client, url)
    # Starting a process takes a moment, so the poll always sees the run before it ends.
    assert phases
    known = ("Waiting for the computer to start", *worker.STEP_NAMES.values())
    assert all(phase.startswith(known) for phase in phases), phases

    page = officer_client.get(url)
    assert page.status_code == 200
    text = page.text
    assert len(SVG_IMAGE.findall(text)) == 2
    with dbs() as session:
        run = session.exec(select(SelectionRun).where(SelectionRun.assembly_id == assembly_id)).one()
        events = session.exec(select(AuditEvent.action).where(
            AuditEvent.assembly_id == assembly_id).order_by(AuditEvent.seq)).all()
    assert run.status == "done" and run.fraction == 1.0
    report = run.report
    chances = run.marginals["lottery"]
    assert report["minimum"] == pytest.approx(min(chances))
    assert report["maximum"] == pytest.approx(max(chances))
    assert sum(chances) == pytest.approx(12, abs=1e-6)
    assert f"{report['minimum'] * 100:.2f}%" in text
    assert f"{report['maximum'] * 100:.2f}%" in text
    assert f"{report['gini']:.3f}" in text
    assert f"<code>{run.commitment}</code>" in text
    # The table of expected seats matches the quotas, row by row.
    for quota, seats in zip(report["quotas"], report["expected_seats"], strict=True):
        assert quota["min"] - 1e-6 <= seats <= quota["max"] + 1e-6
        assert f"<td class=\"numeric\">{seats:.1f}</td>" in text
    assert events == ["assembly.created", "pool.uploaded", "selection.started",
                      "selection.finished"]

    # The published files recompute to the commitment shown.
    from sortition import commitment

    files = {}
    for name in commitment.FILES:
        response = officer_client.get(f"{url}/files/{name}")
        assert response.status_code == 200
        assert "attachment" in response.headers["content-disposition"]
        files[name] = response.content
    record = officer_client.get(f"{url}/files/commitment.json").json()
    parameters = commitment.Parameters.from_dict(record["parameters"])
    assert commitment.digest(parameters, files) == run.commitment == record["commitment"]
    assert parameters.panel_size == 12 and parameters.lottery_size == 1000
    # De-identified: no respondent id, name or e-mail in what is published.
    published = b"".join(files.values()).decode()
    assert pool.ids[0] not in published and pool.details[0][2] not in published
    assert officer_client.get(f"{url}/files/people.csv").status_code == 404
    assert officer_client.get(f"{url}/files/profiles.csv").status_code == 404
    assert officer_client.get(f"{url}/files/draw.json").status_code == 404  # not drawn yet

    listing = officer_client.get(f"/assemblies/{assembly_id}/selection").text
    assert f'href="{url}"' in listing and "Finished" in listing


@pytest.mark.slow
def test_infeasible_quotas_fail_with_advice(officer_client: TestClient) -> None:
    pool = synthetic()
    assembly_id = create(officer_client)
    response = upload(officer_client, assembly_id, quotas=quotas_to_csv(pool.infeasible_quotas()),
                      people=pool.people_csv())
    assert response.status_code == 303
    url = start(officer_client, assembly_id)
    wait_for(officer_client, url)
    text = html.unescape(officer_client.get(url).text)
    assert "The selection did not finish" in text
    assert "No panel of 12 can meet all the quotas together" in text
    assert "The smallest change to the quotas that makes a panel possible:" in text
    assert "Smallest change that makes them possible:" not in text  # the advice is listed once
    assert 'href="/assemblies/%d/quotas"' % assembly_id in text


def test_start_form_reports_every_problem(officer_client: TestClient, dbs: Callable) -> None:
    assembly_id = create(officer_client)
    page = officer_client.get(f"/assemblies/{assembly_id}/selection").text
    assert "Upload the quotas and the pool first." in page
    assembly_id = loaded(officer_client)
    page = officer_client.get(f"/assemblies/{assembly_id}/selection").text
    for key in ("leximin", "maximin", "nash", "legacy"):
        assert f'value="{key}"' in page
    assert "Fairest (recommended)" in page and "for comparison only" in page
    # The number fields keep their markup (not escaped into the value of another attribute).
    assert 'name="panel_size" type="number"' in page and ' min="1" class="input-short"' in page
    response = post_form(officer_client, f"/assemblies/{assembly_id}/selection", {
        "algorithm": "magic", "panel_size": "twelve", "lottery_size": "5", "time_limit": "-1"})
    assert response.status_code == 422
    for name in ("algorithm", "panel_size", "lottery_size", "time_limit"):
        assert f'href="#field-{name}"' in response.text
    with dbs() as session:
        assert session.exec(select(SelectionRun)).all() == []


def test_household_rule_needs_address_columns(officer_client: TestClient) -> None:
    pool = synthetic()
    assembly_id = create(officer_client)
    response = upload(officer_client, assembly_id, quotas=pool.quotas_csv(),
                      people=pool.people_csv(),
                      data={"legal_basis": "Public task", "address_columns": ""})
    assert response.status_code == 303
    response = post_form(officer_client, f"/assemblies/{assembly_id}/selection", {
        "algorithm": "leximin", "panel_size": "12", "one_per_household": "on"})
    assert response.status_code == 422
    assert "households cannot be told apart" in response.text


def _fake_run(engine: Engine, assembly_id: int, **values: object) -> int:
    with db.session(engine, write=True) as session:
        run = SelectionRun(assembly_id=assembly_id, number=take_number(session, assembly_id),
                           algorithm="leximin", panel_size=12,
                           options={"algorithm": "leximin"}, **values)
        session.add(run)
        session.flush()
        assert run.id is not None
        return run.id


def test_only_one_selection_runs_at_a_time(officer_client: TestClient, engine: Engine) -> None:
    assembly_id = loaded(officer_client)
    run_id = _fake_run(engine, assembly_id, status="running", heartbeat_at=utcnow())
    response = post_form(officer_client, f"/assemblies/{assembly_id}/selection",
                         {"algorithm": "leximin", "panel_size": "12"})
    assert response.status_code == 422
    assert f"Selection run {run_id} is still going." in response.text


def test_progress_page_works_with_and_without_javascript(officer_client: TestClient,
                                                         engine: Engine) -> None:
    assembly_id = loaded(officer_client)
    run_id = _fake_run(engine, assembly_id, status="running", fraction=0.42,
                       phase="Finding the fairest selection chances", heartbeat_at=utcnow())
    url = f"/assemblies/{assembly_id}/runs/{run_id}"
    page = officer_client.get(url).text
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert '<progress id="progress-bar" max="100" value="42">42%</progress>' in page
    assert f'<a href="{url}">Check again now</a>' in page
    assert 'hx-trigger="every 1s"' in page
    fragment = officer_client.get(url, headers=HTMX)
    assert fragment.text.lstrip().startswith('<div id="progress"')
    assert "<html" not in fragment.text and "Finding the fairest selection chances" in fragment.text


def test_runs_left_by_a_stopped_server_are_marked_failed(officer_client: TestClient,
                                                         engine: Engine, dbs: Callable,
                                                         app: Starlette) -> None:
    assembly_id = loaded(officer_client)
    stale = _fake_run(engine, assembly_id, status="running",
                      heartbeat_at=utcnow() - timedelta(minutes=5))
    live = _fake_run(engine, assembly_id, status="running", heartbeat_at=utcnow())
    page = officer_client.get(f"/assemblies/{assembly_id}/runs/{stale}").text
    assert "The server stopped while this selection was running" in page
    with dbs() as session:
        assert session.get(SelectionRun, stale).status == "failed"
        assert session.get(SelectionRun, live).status == "running"
    # A fresh start of a single-process (SQLite) server fails whatever was left running.
    with make_client(app):
        pass
    with dbs() as session:
        expected = "failed" if engine.dialect.name == "sqlite" else "running"
        assert session.get(SelectionRun, live).status == expected
        reasons = session.exec(select(AuditEvent.details).where(
            AuditEvent.assembly_id == assembly_id, AuditEvent.action == "selection.failed")).all()
    assert {"run": stale, "reason": "server stopped"} in [
        {k: r[k] for k in ("run", "reason")} for r in reasons]


def test_progress_writer_throttles_but_never_skips_a_phase(engine: Engine,
                                                           officer_client: TestClient) -> None:
    from sortition.model import Progress

    assembly_id = loaded(officer_client)
    run_id = _fake_run(engine, assembly_id, status="running")
    now = [0.0]
    writer = worker.ProgressWriter(engine, run_id, clock=lambda: now[0])
    writer.enter("solve")
    writes = []

    def read() -> tuple[str, float]:
        with db.session(engine) as session:
            run = session.get(SelectionRun, run_id)
            return run.phase, run.fraction

    for step in range(10):
        now[0] += 0.05
        writer(Progress("leximin", step / 10, f"step {step}"))
        writes.append(read())
    # Only the first report of the phase was written within half a second.
    assert writes[-1] == ("Finding the fairest selection chances: step 0",
                          pytest.approx(worker.STEPS["solve"][0]))
    now[0] += 1
    writer(Progress("leximin", 0.5, "half"))
    start_, end = worker.STEPS["solve"]
    assert read() == ("Finding the fairest selection chances: half",
                      pytest.approx(start_ + 0.5 * (end - start_)))
    writer(Progress("expand", 0.1, "new phase"))  # a new phase is written at once
    assert read()[0] == "Finding the fairest selection chances: new phase"


@pytest.mark.slow
def test_a_dead_worker_process_or_a_stopping_server_fails_the_run(
        app: Starlette, officer: object, dbs: Callable) -> None:
    with make_client(app) as client:
        login(client, officer.email)  # type: ignore[attr-defined]
        # Large enough that the solver is still busy when the process is killed.
        assembly_id = loaded(client, synthetic(300, 30, features=6, seed=5))
        url = start(client, assembly_id, panel_size="30")
        run_id = int(url.rsplit("/", 1)[1])
        pool = worker.worker_of(app)
        deadline = time.monotonic() + 30
        while not pool.owns(run_id) or run_id not in pool.running:
            assert time.monotonic() < deadline, "the run never started"
            time.sleep(0.05)
        pool.running[run_id].kill()
        wait_for(client, url, seconds=30)
        text = client.get(url).text
        assert "The selection process ended unexpectedly" in text
        assert "ran out of memory or was stopped by the system" in text

        second = int(start(client, assembly_id, panel_size="30").rsplit("/", 1)[1])
        deadline = time.monotonic() + 30
        while True:
            with dbs() as session:
                if session.get(SelectionRun, second).status == "running":
                    break
            assert time.monotonic() < deadline, "the second run never started"
            time.sleep(0.1)
    # Leaving the client shuts the app down: the worker stops the run and says why.
    with dbs() as session:
        run = session.get(SelectionRun, second)
        assert run.status == "failed" and run.error == worker.SERVER_STOPPED
        assert session.get(SelectionRun, run_id).status == "failed"


@pytest.mark.slow
def test_one_person_per_household_holds_in_every_ticket(officer_client: TestClient,
                                                        dbs: Callable) -> None:
    import numpy as np

    from assembly.recruitment.pool import instance_from_db
    from sortition.synthetic import make_pool

    pool = make_pool(120, 12, features=4, seed=3, households=True)
    assembly_id = loaded(officer_client, pool)
    url = start(officer_client, assembly_id, one_per_household="on")
    wait_for(officer_client, url)
    with dbs() as session:
        run = session.exec(select(SelectionRun).where(SelectionRun.assembly_id == assembly_id)).one()
        assert run.status == "done", run.error
        instance = instance_from_db(session, assembly_id, 12, one_per_household=True)
    # The households come from the keyed address hashes, and match the file's addresses.
    shared = len(pool) - len(set(pool.household_labels.tolist()))
    assert shared > 0
    assert len(instance.pool) - len(set(instance.pool.households.tolist())) == shared
    assert instance.pool.ids == tuple(run.marginals["ids"])
    for ticket in run.lottery["tickets"]:
        assert instance.is_feasible_panel(np.array(ticket))
    assert run.report["one_per_household"] is True
