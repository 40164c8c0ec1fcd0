"""Running selections away from the web server, with progress written to the database.

A selection can take from a second to a few minutes of solver time. Each run gets its own
process (never a thread of the server: the solver holds the CPU and, in places, the GIL, and a
crash or an out-of-memory kill must not take the server down). The process reads the stored pool
and quotas, calls the engine, writes its phase and progress into the `selection_run` row
(throttled) and finally the results, or a message an officer can act on.

The server's monitor thread starts queued runs when a slot is free, notices processes that died,
and stamps a heartbeat on every run it owns. A run whose heartbeat has gone stale belongs to a
server that stopped; it is marked failed at start-up, by every server's monitor thread within
`STALE_CHECK_SECONDS` of going stale (no page view needed), and before a new run of the same
assembly starts, so nothing is left "running" for ever after a crash and a crash never blocks
the next run. Marking is one conditional UPDATE per run, so when several worker processes
notice the same stale run at once, exactly one marks it and writes the audit event.

A run's process ends with the server process that started it (`lifeline.die_with_parent`): a
server killed with SIGKILL leaves no orphan computing a selection for nobody.
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from assembly import db, logs
from assembly.recruitment.pool import instance_from_db
from assembly.selection.models import RunStatus, SelectionRun
from assembly.tables import utcnow
from sortition.model import (
    Distribution,
    InfeasibleQuotas,
    InputError,
    Instance,
    Progress,
    SelectionOptions,
    gini,
)

log = logging.getLogger("minipublic.jobs")

HEARTBEAT_SECONDS = 5.0
STALE_AFTER = timedelta(seconds=60)
STALE_CHECK_SECONDS = 10.0  # how often each server looks for runs whose owner has died
PROGRESS_INTERVAL = 0.5  # seconds between progress writes, except on a change of phase
POLL_SECONDS = 0.25
ACTIVE = (RunStatus.queued.value, RunStatus.running.value)

# How the overall bar is shared between the steps of a run: (start, end) of each step.
STEPS: dict[str, tuple[float, float]] = {
    "load": (0.0, 0.03),
    "check": (0.03, 0.10),
    "solve": (0.10, 0.85),
    "lottery": (0.85, 0.97),
    "commit": (0.97, 1.0),
}
STEP_NAMES = {
    "load": "Loading the pool and quotas",
    "check": "Checking that the quotas can be met",
    "solve": "Finding the fairest selection chances",
    "lottery": "Building the lottery of numbered panels",
    "commit": "Computing the commitment",
}
SERVER_STOPPED = ("The server stopped while this selection was running, so it did not finish. "
                  "Start the selection again.")


# --- inside the worker process -----------------------------------------------------------------


class ProgressWriter:
    """Turns the engine's progress reports into throttled updates of the run's row."""

    def __init__(self, engine: Engine, run_id: int, clock: Callable[[], float] = time.monotonic):
        self.engine, self.run_id, self.clock = engine, run_id, clock
        self.step = "load"
        self.last_write = -1e9
        self.last_phase = ""

    def enter(self, step: str) -> None:
        self.step = step
        self.write(STEP_NAMES[step], STEPS[step][0], force=True)

    def __call__(self, progress: Progress) -> None:
        start, end = STEPS[self.step]
        fraction = start if progress.fraction is None else (
            start + (end - start) * min(max(progress.fraction, 0.0), 1.0))
        phase = STEP_NAMES[self.step]
        if progress.message:
            phase = f"{phase}: {progress.message}"
        self.write(phase, fraction, force=progress.phase != self.last_phase)
        self.last_phase = progress.phase

    def write(self, phase: str, fraction: float, *, force: bool = False) -> None:
        now = self.clock()
        if not force and now - self.last_write < PROGRESS_INTERVAL:
            return
        self.last_write = now
        with db.session(self.engine) as session:
            session.exec(
                sa.update(SelectionRun)
                .where(col(SelectionRun.id) == self.run_id,
                       col(SelectionRun.status) == RunStatus.running.value)
                .values(phase=phase[:200], fraction=round(fraction, 4))
            )


def compute(instance: Instance, options: SelectionOptions, lottery_size: int | None,
            writer: ProgressWriter, suppress_below: int = 5) -> dict[str, Any]:
    """The engine's part of a run: check, solve (the engine checks feasibility and gives the
    relaxation advice), round into a lottery, commit."""
    from sortition.io import check_instance
    from sortition.lottery import choose_lottery
    from sortition.select import find_distribution

    writer.enter("check")
    check_instance(instance)
    writer.enter("solve")
    distribution = find_distribution(instance, options, progress=writer)
    writer.enter("lottery")
    lottery = choose_lottery(instance, distribution, lottery_size, progress=writer)
    writer.enter("commit")
    return results(instance, distribution, lottery,
                   commitment_of(instance, distribution, lottery, suppress_below),
                   chosen=lottery_size is None)


def commitment_of(instance: Instance, distribution: Distribution, lottery: Any,
                  suppress_below: int = 5) -> dict[str, Any]:
    """The commitment hash, the files to publish before the draw (salted hashes, quotas and
    suppressed pool counts: nobody's answers), and the auditor's files that open them."""
    from sortition import commitment

    made = commitment.commit(instance, lottery.panels, distribution.algorithm,
                             suppress_below=suppress_below)
    files = {name: data.decode("utf-8") for name, data in made.files.items()}
    files["commitment.json"] = json.dumps(made.record(), indent=2, ensure_ascii=False) + "\n"
    auditor = {name: data.decode("utf-8") for name, data in made.audit.items()}
    people = [instance.pool.ids[i] for i in made.order]
    return {"hash": made.digest, "files": files, "auditor": auditor, "people": people}


def results(instance: Instance, distribution: Distribution, lottery: Any,
            commitment: dict[str, Any], *, chosen: bool = False) -> dict[str, Any]:
    """What the run row keeps: per-person chances, the tickets and a report, by public id."""
    ids = list(instance.pool.ids)
    k, n = instance.panel_size, len(ids)
    chances = np.asarray(lottery.marginals, dtype=float)
    membership = instance.membership.astype(float)
    report = {
        "algorithm": distribution.algorithm,
        "pool_size": n,
        "panel_size": k,
        "one_per_household": instance.one_per_household,
        "minimum": round(float(chances.min()), 9),
        "maximum": round(float(chances.max()), 9),
        # Rounding noise can make an all-equal Gini a hair below zero.
        "gini": max(0.0, round(float(gini(chances)), 9)),
        "equal_chance": k / n,
        "below_half": int(np.sum(chances < k / n / 2)),
        "distribution_minimum": distribution.minimum,
        "distribution_maximum": distribution.maximum,
        "distribution_gini": distribution.gini,
        "panels": int(np.count_nonzero(np.asarray(distribution.weights) > 0)),
        "seconds": round(float(distribution.seconds), 3),
        "gap": float(distribution.gap),
        "estimated": bool(distribution.estimated),
        "samples": int(distribution.samples),
        "notes": list(distribution.notes),
        "lottery_size": lottery.size,
        "lottery_size_chosen": chosen,
        "lottery_keeps_lowest": lottery.keeps_lowest(),
        "lottery_lowest_loss_share": lottery.lowest_loss_share,
        "lottery_largest_loss_share": lottery.largest_loss_share,
        "lottery_most_tickets_lost": lottery.most_tickets_lost,
        "lottery_max_change": lottery.max_change,
        "lottery_bound": lottery.bound,
        "quotas": [
            {"feature": c.feature, "value": c.value, "min": c.min, "max": c.max}
            for c in instance.quotas.categories
        ],
        "expected_seats": [round(float(x), 6) for x in membership @ chances],
        "pool_counts": [int(x) for x in membership.sum(axis=1)],
        "files": sorted(commitment.get("files", {})),
    }
    return {
        "marginals": {
            "ids": ids,
            "distribution": [round(float(x), 12) for x in distribution.marginals],
            "lottery": [round(float(x), 12) for x in chances],
        },
        "lottery": {
            "size": lottery.size,
            "tickets": [[int(i) for i in panel] for panel in lottery.panels],
            "files": commitment.get("files", {}),
            # The salts: only for the officers' auditor's pack, never published; and whose
            # public id each person number is, so erasure can blank that person's row.
            "auditor": commitment.get("auditor", {}),
            "auditor_people": commitment.get("people", []),
        },
        "report": report,
        "commitment": commitment["hash"],
    }


def execute(database_url: str, run_id: int, parent_pid: int | None = None) -> None:
    """Entry point of the worker process: run one selection from start to stored result."""
    if parent_pid is not None:
        from assembly import lifeline

        lifeline.die_with_parent(parent_pid)
    engine = db.make_engine(database_url)
    try:
        with db.session(engine, write=True) as session:
            run = session.get(SelectionRun, run_id)
            if run is None or run.status != RunStatus.queued.value:
                return
            run.status, run.started_at = RunStatus.running.value, utcnow()
            run.phase, run.fraction = STEP_NAMES["load"], 0.0
            options_saved, panel_size = dict(run.options), run.panel_size
            assembly_id = run.assembly_id
            session.add(run)
        writer = ProgressWriter(engine, run_id)
        try:
            with db.session(engine) as session:
                instance = instance_from_db(
                    session, assembly_id, panel_size,
                    one_per_household=bool(options_saved.get("one_per_household")))
            options = SelectionOptions(
                algorithm=str(options_saved.get("algorithm", "leximin")),
                time_budget=float(options_saved.get("time_budget") or float("inf")),
                seed=options_saved.get("seed"),
            )
            size = options_saved.get("lottery_size")
            outcome = compute(instance, options, int(size) if size is not None else None,
                              writer, int(options_saved.get("suppress_below") or 5))
        except InfeasibleQuotas as error:
            # The advice is listed on its own, so keep only the explanation from the message.
            headline = str(error).split(" Smallest change that makes them possible:")[0]
            _fail(engine, run_id, headline, advice=[
                {"feature": a.feature, "value": a.value, "bound": a.bound, "old": a.old,
                 "new": a.new, "text": str(a)} for a in error.advice])
            return
        except InputError as error:
            _fail(engine, run_id, "The selection cannot start:\n" + "\n".join(
                str(p) for p in error.summary), reason="cannot start")
            return
        except Exception as error:  # the officer needs a message, the log the traceback
            # Frames only, never the exception's text: it could quote a respondent's answers.
            logs.log_error(log, "selection run %s failed", error, run_id)
            _fail(engine, run_id, "The selection stopped because of an error in the program "
                  f"({type(error).__name__}). Nothing was drawn. Try again; if it happens again, "
                  "report it with the time it happened.")
            return
        with db.session(engine, write=True) as session:
            run = session.get(SelectionRun, run_id)
            if run is None or run.status != RunStatus.running.value:
                return
            run.marginals = outcome["marginals"]
            run.lottery = outcome["lottery"]
            run.report = {**outcome["report"], "commitment": outcome["commitment"]}
            run.commitment = outcome["commitment"]
            run.status, run.phase, run.fraction = RunStatus.done.value, "Finished", 1.0
            run.finished_at = utcnow()
            session.add(run)
            from assembly import audit

            audit.record(session, run.assembly_id, "system", "selection.finished", {
                "run": run_id, "run_number": run.number, "algorithm": run.algorithm,
                "commitment": run.commitment,
                "minimum": outcome["report"]["minimum"], "gini": outcome["report"]["gini"],
                "lottery_size": outcome["report"]["lottery_size"],
            })
    finally:
        engine.dispose()


def _fail(engine: Engine, run_id: int, message: str,
          advice: list[dict[str, Any]] | None = None, *, reason: str = "error") -> None:
    from assembly import audit

    with db.session(engine, write=True) as session:
        run = session.get(SelectionRun, run_id)
        if run is None or run.status not in ACTIVE:
            return
        run.status, run.error, run.finished_at = RunStatus.failed.value, message[:20000], utcnow()
        run.phase = "Stopped"
        if advice is not None:
            run.report = {"advice": advice}
        session.add(run)
        audit.record(session, run.assembly_id, "system", "selection.failed",
                     {"run": run_id, "run_number": run.number,
                      "reason": "infeasible quotas" if advice is not None else reason,
                      "message": message[:1000]})


# --- in the web server -------------------------------------------------------------------------


class Worker:
    """Starts each run in a fresh process, a few at a time, and watches over them."""

    def __init__(self, engine: Engine, database_url: str, processes: int = 1) -> None:
        self.engine, self.database_url, self.processes = engine, database_url, max(1, processes)
        self.context = multiprocessing.get_context("spawn")
        self.queue: deque[int] = deque()
        self.running: dict[int, Any] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._monitor, name="selection-monitor",
                                       daemon=True)
        self.last_beat = 0.0
        self.last_stale_check = 0.0

    def start(self) -> None:
        self.thread.start()

    def submit(self, run_id: int) -> None:
        with self.lock:
            self.queue.append(run_id)
        self._beat(force=True)

    def owns(self, run_id: int) -> bool:
        with self.lock:
            return run_id in self.running or run_id in self.queue

    def _monitor(self) -> None:
        while not self.stopping.wait(POLL_SECONDS):
            try:
                self._reap()
                self._start_queued()
                self._beat()
                self._expire_stale()
            except Exception as error:
                logs.log_error(log, "selection monitor", error)

    def _start_queued(self) -> None:
        with self.lock:
            while self.queue and len(self.running) < self.processes:
                run_id = self.queue.popleft()
                process = self.context.Process(target=execute,
                                               args=(self.database_url, run_id, os.getpid()),
                                               name=f"selection-{run_id}", daemon=True)
                process.start()
                self.running[run_id] = process

    def _reap(self) -> None:
        with self.lock:
            finished = {r: p for r, p in self.running.items() if not p.is_alive()}
            for run_id in finished:
                del self.running[run_id]
        for run_id, process in finished.items():
            process.join()
            if process.exitcode != 0:
                reason = ("it ran out of memory or was stopped by the system"
                          if process.exitcode is not None and process.exitcode < 0
                          else f"it exited with status {process.exitcode}")
                _fail(self.engine, run_id, f"The selection process ended unexpectedly ({reason}). "
                      "Nothing was drawn. Try again; a smaller pool or a time limit may help.",
                      reason="process ended")

    def _beat(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last_beat < HEARTBEAT_SECONDS:
            return
        self.last_beat = now
        with self.lock:
            owned = list(self.running) + list(self.queue)
        if owned:
            with db.session(self.engine) as session:
                session.exec(
                    sa.update(SelectionRun)
                    .where(col(SelectionRun.id).in_(owned),
                           col(SelectionRun.status).in_(ACTIVE))
                    .values(heartbeat_at=utcnow())
                )

    def _expire_stale(self) -> None:
        """Fail the runs of servers that died, without waiting for anyone to open a page."""
        now = time.monotonic()
        if now - self.last_stale_check < STALE_CHECK_SECONDS:
            return
        self.last_stale_check = now
        with self.lock:
            owned = [*self.running, *self.queue]
        with db.session(self.engine) as session:
            if not stale_runs_exist(session, keep=owned):
                return
        with db.session(self.engine, write=True) as session:
            marked = expire_stale(session, keep=owned)
        if marked:
            log.warning("marked %s selection run(s) failed: their server stopped", marked)

    def stop(self) -> None:
        """Stop the monitor and every run still going; their rows say the server stopped."""
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(timeout=5)
        with self.lock:
            running, queued = dict(self.running), list(self.queue)
            self.running.clear()
            self.queue.clear()
        for process in running.values():
            if process.is_alive():
                process.terminate()
            process.join(timeout=5)
        for run_id in [*running, *queued]:
            _fail(self.engine, run_id, SERVER_STOPPED, reason="server stopped")


def _stale(assembly_id: int | None, keep: Sequence[int]) -> list[Any]:
    cutoff = utcnow() - STALE_AFTER
    conditions: list[Any] = [
        col(SelectionRun.status).in_(ACTIVE),
        sa.or_(col(SelectionRun.heartbeat_at) < cutoff,
               sa.and_(col(SelectionRun.heartbeat_at).is_(None),
                       col(SelectionRun.created_at) < cutoff)),
    ]
    if assembly_id is not None:
        conditions.append(col(SelectionRun.assembly_id) == assembly_id)
    if keep:
        conditions.append(col(SelectionRun.id).not_in(keep))
    return conditions


def stale_runs_exist(session: Session, assembly_id: int | None = None, *,
                     keep: Sequence[int] = ()) -> bool:
    """Cheap read-only check, so callers only open a write transaction when there is work."""
    return session.exec(select(SelectionRun.id).where(*_stale(assembly_id, keep)).limit(1)
                        ).first() is not None


def expire_stale(session: Session, *, everything: bool = False, assembly_id: int | None = None,
                 keep: Sequence[int] = ()) -> int:
    """Mark failed the runs whose owner stopped beating (`everything` active at a single-process
    start), of one assembly or all, except those in `keep`. Returns how many this call marked.

    Each run is claimed with `UPDATE ... WHERE status IN (queued, running) RETURNING`, so of
    several servers (or a server and a page view) doing this at once, one marks it and writes
    the audit event.
    """
    if everything:
        conditions: list[Any] = [col(SelectionRun.status).in_(ACTIVE)]
        if assembly_id is not None:
            conditions.append(col(SelectionRun.assembly_id) == assembly_id)
    else:
        conditions = _stale(assembly_id, keep)
    candidates = session.exec(select(SelectionRun.id).where(*conditions)
                              .order_by(col(SelectionRun.id))).all()
    from assembly import audit

    marked = 0
    for run_id in candidates:
        claimed = session.execute(
            sa.update(SelectionRun)
            .where(col(SelectionRun.id) == run_id, col(SelectionRun.status).in_(ACTIVE))
            .values(status=RunStatus.failed.value, error=SERVER_STOPPED, finished_at=utcnow(),
                    phase="Stopped")
            .returning(col(SelectionRun.assembly_id), col(SelectionRun.number))
        ).first()
        if claimed is None:
            continue
        audit.record(session, claimed[0], "system", "selection.failed",
                     {"run": run_id, "run_number": claimed[1], "reason": "server stopped",
                      "message": SERVER_STOPPED})
        marked += 1
    session.flush()
    return marked


def worker_of(app: Any) -> Worker:
    return app.state.selection_worker


@contextlib.asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """Start-up: fail what a crashed server left running, start the monitor; shut-down: stop."""
    settings = app.state.settings
    engine: Engine = app.state.engine
    with db.session(engine, write=True) as session:
        # With SQLite only one server process can exist, so anything active is an orphan.
        expire_stale(session, everything=settings.is_sqlite and settings.workers == 1)
    worker = Worker(engine, engine.url.render_as_string(hide_password=False))
    worker.start()
    app.state.selection_worker = worker
    try:
        yield
    finally:
        worker.stop()
