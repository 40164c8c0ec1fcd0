"""Column generation drivers shared by LEXIMIN, maximin and the classic reference.

`stage` raises the smallest chance among the free types as far as integral panels allow: it adds
panels priced by the master's duals until either a bound proves the stage optimal or (when a
fractional bound is supplied) the master reaches the fractional optimum, which no distribution
over panels can beat.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sortition.arrays import Bools, Ints
from sortition.solver.fractional import DUAL_TOLERANCE
from sortition.solver.master import Master
from sortition.solver.panels import OutOfTime, PanelFinder

# Two chances closer than this are equal (well inside the 1e-6 the tests demand).
TOLERANCE = 1e-9


@dataclass
class StageResult:
    level: float
    bound: float
    stuck: Ints
    finished: bool


def remaining(deadline: float) -> float:
    return deadline - time.monotonic()


def stage(master: Master, finder: PanelFinder, free: Bools, deadline: float,
          fractional: tuple[float, Ints] | None = None,
          report: Callable[[float, float], None] | None = None) -> StageResult:
    """Optimise one LEXIMIN stage (free types' minimum, the others held at their floors)."""
    sizes = finder.types.sizes
    bound = fractional[0] if fractional is not None else math.inf
    while True:
        z = master.solve()
        if report is not None:
            report(z, bound)
        if fractional is not None and z >= fractional[0] - TOLERANCE:
            return StageResult(z, z, fractional[1], True)
        if remaining(deadline) <= 0:
            return StageResult(z, bound, np.zeros(0, dtype=np.int64), False)
        values = master.duals / sizes
        try:
            priced = finder.best(values, seconds=remaining(deadline))
            current = master.bound(priced.bound)
            improving = priced.value > master.mu + TOLERANCE and master.add(priced.counts)
            if not improving and current > z + TOLERANCE:
                priced = finder.best(values, exact=True, seconds=remaining(deadline))
                current = master.bound(priced.bound)
                improving = priced.value > master.mu + TOLERANCE and master.add(priced.counts)
        except OutOfTime:
            return StageResult(z, bound, np.zeros(0, dtype=np.int64), False)
        bound = min(bound, current)
        # Only duals that price no better panel prove which chances are stuck: an earlier
        # bound can show z is optimal while the current duals are not yet optimal.
        if current <= z + TOLERANCE or not improving:
            duals = np.where(free, master.duals, 0.0)
            top = duals.max(initial=0.0)
            stuck = np.flatnonzero(free & (duals > DUAL_TOLERANCE * max(top, 1e-300)))
            if len(stuck) == 0:
                stuck = np.array([int(np.argmax(np.where(free, duals, -np.inf)))])
            return StageResult(z, max(z, min(bound, z)), stuck, True)
