"""Starting a selection run: the checks, the row the worker picks up, and the audit event.

The computation itself happens in a worker process (`assembly.selection.worker`).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assembly import audit
from assembly.assemblies.models import Assembly, AssemblyStatus
from assembly.assemblies.status import advance
from assembly.errors import Conflict
from assembly.recruitment.pool import household_count, pool_size, stored_quotas
from assembly.selection.draws import draw_of
from assembly.selection import worker
from assembly.selection.models import SelectionRun, active_run


class RunRefused(Conflict):
    """A selection cannot start now; `problems` says why, by form field."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(" ".join(problems.values()), field=next(iter(problems)))
        self.problems = problems


@dataclass(frozen=True)
class RunOptions:
    algorithm: str
    panel_size: int
    one_per_household: bool
    lottery_size: int | None  # None: the engine chooses (sortition.lottery.choose_lottery)
    time_budget: int | None  # seconds
    # Published pool counts below this are left empty (MINIPUBLIC_SUPPRESS_BELOW).
    suppress_below: int = 5


def take_number(session: Session, assembly_id: int) -> int:
    """The next run number of the assembly, taken for good: one atomic increment of the count of
    runs started, so two runs never share a number and a discarded run's number is not reused."""
    number = session.exec(
        sa.update(Assembly).where(col(Assembly.id) == assembly_id)
        .values(runs_started=col(Assembly.runs_started) + 1)
        .returning(col(Assembly.runs_started))
    ).one()[0]
    return int(number)


def start(session: Session, assembly: Assembly, options: RunOptions, *, actor: str,
          officer_id: int | None) -> SelectionRun:
    """Queue a selection run for the worker. Raises RunRefused with every reason it cannot."""
    assert assembly.id is not None
    problems: dict[str, str] = {}
    # A run left "running" by a server that died must not block this one (issue #7, item 15).
    worker.expire_stale(session, assembly_id=assembly.id)
    active = session.exec(select(SelectionRun.number).where(
        SelectionRun.assembly_id == assembly.id, active_run())).first()
    if active is not None:
        problems["form"] = (f"Selection run {active} is still going. Wait for it to finish "
                            "(or fail) before starting another.")
    elif draw_of(session, assembly.id) is not None:
        problems["form"] = ("The panel has already been drawn, so no new selection can start: "
                            "the published commitment and the draw depend on the one made.")
    if stored_quotas(session, assembly.id) is None or not pool_size(session, assembly.id):
        problems["form"] = "Upload the quotas and the pool before running the selection."
    if options.one_per_household and household_count(session, assembly.id) is None:
        problems["one_per_household"] = (
            "The pool was uploaded without address columns, so households cannot be told "
            "apart. Upload the people file again with address columns, or untick this.")
    if problems:
        raise RunRefused(problems)
    run = SelectionRun(
        assembly_id=assembly.id, number=take_number(session, assembly.id), algorithm=options.algorithm, panel_size=options.panel_size,
        created_by=officer_id, heartbeat_at=None,
        options={"algorithm": options.algorithm, "one_per_household": options.one_per_household,
                 "lottery_size": options.lottery_size, "time_budget": options.time_budget,
                 "suppress_below": options.suppress_below},
    )
    session.add(run)
    assembly.panel_size = options.panel_size
    assembly.one_per_household = options.one_per_household
    advance(session, assembly, AssemblyStatus.selecting)
    session.add(assembly)
    session.flush()
    audit.record(session, assembly.id, actor, "selection.started", {
        "run": run.id, "run_number": run.number, "algorithm": run.algorithm, "panel_size": run.panel_size,
        "one_per_household": options.one_per_household,
        "lottery_size": options.lottery_size, "time_budget": options.time_budget})
    return run
