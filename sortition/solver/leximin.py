"""LEXIMIN (Flanigan, Gölz, Gupta, Hennig, Procaccia, Nature 2021) on free solvers, fast.

1. LEXIMIN over the fractional relaxation (`fractional`): a few small LPs give target chances
   that no distribution over panels can beat, level by level.
2. Decompose the target into integral panels by column generation, maximising the fraction
   theta of the target reached (`coef = target` in the master). theta = 1 proves the target is
   the LEXIMIN optimum: it is achievable and nothing lexicographically better is.
3. If some target proves unreachable, run the classic stage-by-stage column generation, warm
   started with every panel found so far and still cut short by the fractional bound wherever
   it is reached.

`classic` (the same stages with no fractional bounds) is the exactness reference for tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sortition.arrays import Floats, Ints
from sortition.model import Progress, ProgressCallback, no_progress
from sortition.solver.colgen import TOLERANCE, remaining, stage
from sortition.solver.fractional import FractionalLeximin
from sortition.solver.master import Master
from sortition.solver.panels import OutOfTime, PanelFinder
from sortition.solver.types import Types
from sortition.solver.walk import walk

# Share of the target a face walk may leave unplaced (rounding drift) and still count as done.
RESIDUE = 1e-7


@dataclass
class Outcome:
    """Type-level panels (counts per type), their weights, and the proven gap on the minimum."""

    counts: Ints
    weights: Floats
    gap: float
    notes: tuple[str, ...] = ()


def from_walk(panels: list[Ints], weights: list[float], finished: bool
              ) -> Outcome | None:
    """The walk's distribution, or None when it left a real part of the target unplaced."""
    missing = 1.0 - sum(weights)
    if not panels or not (finished or missing <= RESIDUE):
        return None
    # What the walk could not place is below the solver's own tolerances: give it to the last
    # panel found rather than pretend it matters.
    weights = list(weights)
    weights[-1] += missing
    counts, inverse = np.unique(np.vstack(panels), axis=0, return_inverse=True)
    merged = np.bincount(inverse.reshape(-1), weights=np.array(weights), minlength=len(counts))
    keep = merged > 0
    return Outcome(counts[keep], merged[keep] / merged[keep].sum(), 0.0)


def _outcome(master: Master, gap: float, notes: tuple[str, ...] = ()) -> Outcome:
    counts, weights = master.support()
    return Outcome(counts, weights, max(gap, 0.0), notes)


def _start(types: Types, finder: PanelFinder) -> Master:
    master = Master(types)
    master.add(finder.any_panel())
    return master


def staged(types: Types, finder: PanelFinder, master: Master, deadline: float,
           progress: ProgressCallback, *, use_bounds: bool, stages: int | None = None,
           phase: str = "column generation") -> Outcome:
    """Classic LEXIMIN column generation; `stages=1` is maximin."""
    size = len(types)
    fixed = np.full(size, np.nan)
    master.set_rows(np.ones(size), np.zeros(size))
    fractional = FractionalLeximin(types) if use_bounds else None
    first_bound = math.inf
    done = 0
    while np.isnan(fixed).any():
        free = np.isnan(fixed)
        hint = None
        if fractional is not None:
            level, _, stuck = fractional.solve()
            hint = (level, stuck)
        share = 1.0 - free.mean()
        result = stage(master, finder, free, deadline, hint,
                       lambda z, b: progress(Progress(phase, share, f"smallest chance {z:.4%}")))
        if done == 0:
            first_bound = result.bound
        if not result.finished:
            gap = first_bound - result.level if done == 0 else 0.0
            return _outcome(master, gap, ("The time budget ran out before the optimum was "
                                          "proven; this is the best distribution found.",))
        if stages is not None and done + 1 >= stages:
            return _outcome(master, 0.0)
        stuck = result.stuck[free[result.stuck]]
        level = result.level
        fixed[stuck] = level
        coef = np.where(np.isnan(fixed), 1.0, 0.0)
        floor = np.where(np.isnan(fixed), 0.0, np.nan_to_num(fixed) - TOLERANCE)
        master.set_rows(coef, floor)
        if fractional is not None:
            fractional.fix(stuck, level - TOLERANCE)
        done += 1
    master.solve()
    return _outcome(master, 0.0)


def classic(types: Types, deadline: float = math.inf,
            progress: ProgressCallback = no_progress) -> Outcome:
    """The classic column-generation LEXIMIN with no fractional shortcuts (the reference)."""
    finder = PanelFinder(types)
    return staged(types, finder, _start(types, finder), deadline, progress, use_bounds=False)


def leximin(types: Types, deadline: float = math.inf,
            progress: ProgressCallback = no_progress, *, stages: int | None = None) -> Outcome:
    """Exact LEXIMIN over type-level panels (see the module docstring).

    With `stages=1` the fallback stops once the smallest chance is optimal (maximin).
    """
    finder = PanelFinder(types)
    progress(Progress("fractional leximin", 0.0, "Bounding every chance"))
    fractional = FractionalLeximin(types)
    target, levels = fractional.run(
        lambda share: progress(Progress("fractional leximin", share)))
    lowest = levels[0][0]
    progress(Progress("decomposing", 0.0, "Splitting the target chances into panels"))
    panels, weights, finished = walk(types, target * types.sizes, finder, deadline)
    walked = from_walk(panels, weights, finished)
    if walked is not None:
        return walked
    master = Master(types)
    for panel in panels or [finder.any_panel()]:
        master.add(panel)
    master.set_rows(target, np.zeros(len(types)))

    def report(theta: float) -> None:
        progress(
            Progress("decomposing", max(0.0, min(1.0, theta)),
                     f"{max(0.0, theta):.2%} of the target chances reached"))

    while True:
        theta = master.solve()
        report(theta)
        if theta >= 1.0 - TOLERANCE:
            return _outcome(master, 0.0)
        if remaining(deadline) <= 0:
            return _outcome(master, lowest - master.probabilities().min(),
                            ("The time budget ran out before the optimum was reached; this is "
                             "the best distribution found.",))
        values = master.duals / types.sizes
        try:
            priced = finder.best(values, seconds=remaining(deadline))
            if not (priced.value > master.mu + TOLERANCE and master.add(priced.counts)):
                priced = finder.best(values, exact=True, seconds=remaining(deadline))
                if not (priced.value > master.mu + TOLERANCE and master.add(priced.counts)):
                    break
        except OutOfTime:
            continue
    # The fractional target is out of reach: integral panels cannot give everyone the chance the
    # relaxation suggests. Fall back to the classic stages, warm started with every panel found.
    outcome = staged(types, finder, master, deadline, progress, use_bounds=True,
                     stages=stages)
    note = ("Integral panels cannot reach the fractional optimum here, so the classic "
            "column generation finished the job.")
    return Outcome(outcome.counts, outcome.weights, outcome.gap, outcome.notes + (note,))


def maximin(types: Types, deadline: float = math.inf,
            progress: ProgressCallback = no_progress) -> Outcome:
    """Maximise the smallest chance.

    Among the distributions that do, prefer a well-spread one: the walk decomposes the fractional
    LEXIMIN target, which has the optimal smallest chance whenever it is reachable; otherwise
    column generation stops as soon as the smallest chance is proven optimal.
    """
    return leximin(types, deadline, progress, stages=1)

