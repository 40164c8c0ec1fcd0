"""LEXIMIN over the fractional relaxation of the panel polytope.

Every distribution over feasible panels has marginals in the polytope of probability vectors that
sum to k, meet every quota in expectation and give each household at most one seat in expectation.
LEXIMIN over that polytope is a short sequence of small linear programs (one variable per type),
and its levels are upper bounds for the true LEXIMIN: on realistic pools they are usually reached
exactly, which is what makes the fast path in `leximin` fast. The same linear program, with some
types' probabilities fixed, bounds every stage of the classic column generation.
"""

from __future__ import annotations

from collections.abc import Callable

import highspy
import numpy as np

from sortition.arrays import Floats, Ints
from sortition.solver.panels import new_highs
from sortition.solver.types import Types

INF = highspy.kHighsInf
# Dual values below this (relative to the largest) are treated as zero when fixing levels.
DUAL_TOLERANCE = 1e-7


class FractionalLeximin:
    """Stage LPs: maximise z with p_t >= z for free types and p_t >= fixed[t] for the others."""

    def __init__(self, types: Types) -> None:
        self.types = types
        size = len(types)
        self.size = size
        self.highs = highs = new_highs()
        sizes = types.sizes.astype(float)
        # Columns 0..size-1: p_t, the chance of each member of type t; column `size`: z.
        highs.addVars(size + 1, np.zeros(size + 1), np.concatenate([np.ones(size), [INF]]))
        rows: list[tuple[Ints, Floats, float, float]] = []
        everyone = np.arange(size)
        rows.append((everyone, sizes, types.panel_size, types.panel_size))
        for c in range(types.matrix.shape[0]):
            inside = np.flatnonzero(types.matrix[c])
            rows.append((inside, sizes[inside], float(types.lower[c]), float(types.upper[c])))
        for group in types.households:
            rows.append((np.asarray(group), np.ones(len(group)), -INF, 1.0))
        self.first_type_row = len(rows)
        for t in range(size):
            rows.append((np.array([t, size]), np.array([1.0, -1.0]), 0.0, INF))
        starts = np.concatenate([[0], np.cumsum([len(r[0]) for r in rows])[:-1]]).astype(np.int32)
        indices = np.concatenate([r[0] for r in rows]).astype(np.int32)
        values = np.concatenate([r[1] for r in rows])
        highs.addRows(len(rows), np.array([r[2] for r in rows]), np.array([r[3] for r in rows]),
                      len(indices), starts, indices, values)
        highs.changeColCost(size, 1.0)
        highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.fixed = np.full(size, np.nan)

    def fix(self, chosen: Ints, level: float) -> None:
        """Hold the chosen types at probability >= `level` from now on."""
        for t in np.asarray(chosen, dtype=np.int64):
            if np.isnan(self.fixed[t]):
                self.highs.changeCoeff(self.first_type_row + int(t), self.size, 0.0)
            self.fixed[t] = level
            self.highs.changeRowBounds(self.first_type_row + int(t), level, INF)

    def solve(self) -> tuple[float, Floats, Ints]:
        """Optimal z, the probabilities, and the types whose chance cannot rise above z."""
        highs = self.highs
        highs.run()
        status = highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise ArithmeticError(
                f"fractional LEXIMIN stage ended with {highs.modelStatusToString(status)}")
        solution = highs.getSolution()
        values = np.asarray(solution.col_value)
        duals = -np.asarray(solution.row_dual)[self.first_type_row:]
        free = np.isnan(self.fixed)
        duals = np.where(free, duals, 0.0)
        top = duals.max(initial=0.0)
        stuck = np.flatnonzero(free & (duals > DUAL_TOLERANCE * max(top, 1e-300)))
        if len(stuck) == 0:
            stuck = np.array([int(np.argmax(np.where(free, duals, -np.inf)))])
        return float(values[self.size]), values[: self.size], stuck

    def run(self, progress: Callable[[float], None] | None = None
            ) -> tuple[Floats, list[tuple[float, Ints]]]:
        """Full fractional LEXIMIN: the probabilities and the (level, types fixed) sequence."""
        levels: list[tuple[float, Ints]] = []
        while np.isnan(self.fixed).any():
            z, _, stuck = self.solve()
            self.fix(stuck, z)
            levels.append((z, stuck))
            if progress is not None:
                progress(1.0 - np.isnan(self.fixed).mean())
        return self.fixed.copy(), levels
