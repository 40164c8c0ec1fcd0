"""Maximum Nash welfare: maximise the sum over respondents of log(chance of selection).

First the optimum over the fractional relaxation (`convex`, an interior-point method), split
into panels by the face walk: when the walk succeeds that is the exact optimum, since no
distribution over panels beats the relaxation. Otherwise, column generation with a convex master. The objective is concave in the panel weights, so over
the panels found so far it is maximised by pairwise (away-step) Frank-Wolfe with an exact line
search, and a new panel is priced with the gradient, 1 / chance per person. That gradient also
gives a certificate: no distribution's objective exceeds ours by more than
max_panel sum(1 / chance of its members) - n, which is the convergence test.
"""

from __future__ import annotations

import math

import numpy as np

from sortition.arrays import Bools, Floats
from sortition.model import Progress, ProgressCallback, no_progress
from sortition.solver.colgen import remaining
from sortition.solver.convex import fractional_nash
from sortition.solver.fractional import FractionalLeximin
from sortition.solver.leximin import Outcome, from_walk, leximin, maximin
from sortition.solver.walk import walk
from sortition.solver.panels import OutOfTime, PanelFinder
from sortition.solver.types import Types

# Stop when the objective (a sum of n logs) is provably within this much of the optimum.
RELATIVE_TOLERANCE = 1e-7
INNER_ITERATIONS = 2_000


def objective(sizes: Floats, chances: Floats) -> float:
    """Sum of log chances over every respondent (types with no chance at all left out)."""
    positive = chances > 0
    return float(np.dot(sizes[positive], np.log(chances[positive])))


def _line_search(sizes: Floats, chances: Floats, delta: Floats, top: float) -> float:
    """The step in [0, top] maximising sum(sizes * log(chances + step * delta)) (concave)."""
    moving = delta != 0
    s, p, d = sizes[moving], chances[moving], delta[moving]

    def slope(step: float) -> float:
        after = p + step * d
        if np.any(after <= 0):
            return -math.inf  # a chance would reach zero: the objective falls to minus infinity
        return float(np.sum(s * d / after))

    if slope(top) >= 0:
        return top
    lo, hi = 0.0, top
    for _ in range(60):
        mid = (lo + hi) / 2
        if slope(mid) > 0:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-15:
            break
    return lo


def _inner(counts: Floats, weights: Floats, sizes: Floats, tolerance: float,
           alive: Bools) -> Floats:
    """Pairwise Frank-Wolfe over the known panels."""
    matrix = counts / sizes  # panels x types: chance contributed per unit of weight
    for _ in range(INNER_ITERATIONS):
        chances = weights @ matrix
        inverse = np.where(alive, 1.0 / np.where(alive, chances, 1.0), 0.0)
        gradient = counts @ inverse
        best = int(np.argmax(gradient))
        active = np.flatnonzero(weights > 0)
        worst = int(active[np.argmin(gradient[active])])
        if gradient[best] - gradient[worst] <= tolerance or best == worst:
            break
        delta = matrix[best] - matrix[worst]
        step = _line_search(sizes * alive, chances, delta, weights[worst])
        if step <= 0:
            break
        weights[best] += step
        weights[worst] -= step
        if weights[worst] < 1e-15:
            weights[worst] = 0.0
    return weights


def nash(types: Types, deadline: float = math.inf,
         progress: ProgressCallback = no_progress) -> Outcome:
    """Maximum Nash welfare (see the module docstring)."""
    sizes = types.sizes.astype(float)
    n = float(sizes.sum())
    progress(Progress("fractional nash", None, "Solving the relaxation"))
    relaxed = fractional_nash(types, RELATIVE_TOLERANCE)
    if relaxed is not None:
        progress(Progress("decomposing", None, "Splitting the optimal chances into panels"))
        found, shares, finished = walk(types, relaxed[0] * sizes, PanelFinder(types), deadline)
        walked = from_walk(found, shares, finished)
        if walked is not None:
            return walked
    start = maximin(types, deadline, progress)
    if np.any(start.weights @ start.counts == 0):
        # Some type never sits on the maximin panels: start from LEXIMIN, which gives every
        # type that can be chosen at all a positive chance.
        start = leximin(types, deadline, progress)
    counts = start.counts.astype(float)
    weights = start.weights.copy()
    alive = (weights @ counts) > 0
    finder = PanelFinder(types)
    keys = {row.astype(np.int64).tobytes() for row in counts}
    tolerance = RELATIVE_TOLERANCE * n
    gap = math.inf
    notes: tuple[str, ...] = ()
    while True:
        weights = _inner(counts, weights, sizes, tolerance / 10, alive)
        chances = (weights @ counts) / sizes
        if remaining(deadline) <= 0:
            notes = ("The time budget ran out before the optimum was proven; this is the best "
                     "distribution found.",)
            break
        inverse = np.where(alive, 1.0 / np.where(alive, chances, 1.0), 0.0)
        try:
            priced = finder.best(inverse, exact=True, seconds=remaining(deadline))
        except OutOfTime:
            continue
        gap = priced.bound - n
        progress(Progress("column generation", None,
                          f"sum of log chances within {max(gap, 0):.2g} of the optimum"))
        key = priced.counts.tobytes()
        if gap <= tolerance or key in keys:
            break
        keys.add(key)
        counts = np.vstack([counts, priced.counts.astype(float)])
        weights = np.append(weights, 0.0)
    keep = weights > 1e-12
    final_weights = weights[keep] / weights[keep].sum()
    # The gap reported is on the smallest chance, like every algorithm's: zero when converged.
    reported = 0.0 if not notes else max(0.0, start_bound(types) - float(chances.min()))
    return Outcome(counts[keep].astype(np.int64), final_weights, reported, notes)


def start_bound(types: Types) -> float:
    """The fractional maximin: no distribution's smallest chance exceeds it."""
    return FractionalLeximin(types).solve()[0]
