"""The restricted master LP of column generation over type-level panels.

One column per panel found so far (its weight lambda_P) and one for the objective z. Row t says
"the members of type t are chosen with probability at least coef[t] * z + floor[t]":
`floor = 0, coef = 1` is a free type in a LEXIMIN stage, `floor = level, coef = 0` a fixed one,
and `coef = target` asks for a fraction z of a target vector (the decomposition fast path).
The duals of these rows are the values that price the next panel.
"""

from __future__ import annotations

import highspy
import numpy as np

from sortition.arrays import Floats, Ints
from sortition.solver.panels import change_rows_bounds, new_highs
from sortition.solver.types import Types

INF = highspy.kHighsInf


class Master:
    def __init__(self, types: Types) -> None:
        self.types = types
        size = len(types)
        self.size = size
        self.inverse_sizes = 1.0 / types.sizes.astype(float)
        self.highs = highs = new_highs()
        highs.setOptionValue("simplex_strategy", 4)  # primal simplex: new columns keep the basis feasible
        highs.addVar(-INF, INF)  # z
        highs.changeColCost(0, 1.0)
        highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
        # Rows 0..size-1: types; row `size`: the weights sum to one.
        lower = np.concatenate([np.zeros(size), [1.0]])
        upper = np.concatenate([np.full(size, INF), [1.0]])
        highs.addRows(size + 1, lower, upper, 0, np.zeros(size + 1, dtype=np.int32),
                      np.zeros(0, dtype=np.int32), np.zeros(0))
        self.coef = np.zeros(size)
        self.floor = np.zeros(size)
        self.panels: list[Ints] = []
        self.keys: set[bytes] = set()
        self.weights = np.zeros(0)
        self.z = -np.inf
        self.duals = np.zeros(size)
        self.mu = 0.0

    def set_rows(self, coef: Floats, floor: Floats) -> None:
        """Change what each type's row asks for (only the rows that differ are touched)."""
        coef = np.asarray(coef, dtype=float)
        floor = np.asarray(floor, dtype=float)
        for t in np.flatnonzero(coef != self.coef):
            self.highs.changeCoeff(int(t), 0, -float(coef[t]))
        changed = np.flatnonzero(floor != self.floor)
        if len(changed):
            change_rows_bounds(self.highs, changed.astype(np.int32), floor[changed],
                               np.full(len(changed), INF))
        if not coef.any() and self.coef.any():
            self.highs.changeColBounds(0, 0.0, 0.0)  # nothing left to raise
        self.coef = coef.copy()
        self.floor = floor.copy()

    def add(self, counts: Ints) -> bool:
        """Add a panel (counts per type) unless it is already there."""
        counts = np.asarray(counts, dtype=np.int64)
        key = counts.tobytes()
        if key in self.keys:
            return False
        self.keys.add(key)
        self.panels.append(counts)
        rows = np.flatnonzero(counts)
        values = counts[rows] * self.inverse_sizes[rows]
        rows = np.append(rows, self.size).astype(np.int32)
        values = np.append(values, 1.0)
        self.highs.addCol(0.0, 0.0, INF, len(rows), rows, values)
        return True

    def solve(self) -> float:
        """Re-optimise; returns z and stores the weights and the row duals (values per type)."""
        highs = self.highs
        highs.run()
        status = highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            # Warm starts occasionally stall on degenerate masters: solve afresh by dual simplex.
            highs.clearSolver()
            highs.setOptionValue("simplex_strategy", 1)
            highs.run()
            highs.setOptionValue("simplex_strategy", 4)
            status = highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise ArithmeticError(f"master LP ended with {highs.modelStatusToString(status)}")
        solution = highs.getSolution()
        values = np.asarray(solution.col_value)
        duals = np.asarray(solution.row_dual)
        self.z = float(values[0])
        self.weights = np.maximum(values[1:], 0.0)
        self.duals = np.maximum(-duals[: self.size], 0.0)
        self.mu = float(duals[self.size])
        return self.z

    def probabilities(self) -> Floats:
        """Chance of each member of each type under the current weights."""
        if not self.panels:
            return np.zeros(self.size)
        matrix = np.vstack(self.panels)
        return (self.weights @ matrix) * self.inverse_sizes

    def bound(self, best_value: float) -> float:
        """Upper bound on z from a proven bound on the best panel's value at the current duals."""
        return best_value - float(np.dot(self.duals, self.floor))

    def support(self, tolerance: float = 1e-12) -> tuple[Ints, Floats]:
        """Panels with positive weight and their weights (summing to one)."""
        keep = np.flatnonzero(self.weights > tolerance)
        weights = self.weights[keep]
        return np.vstack([self.panels[i] for i in keep]), weights / weights.sum()
