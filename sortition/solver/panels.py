"""The pricing integer program: the best quota-feasible panel for given values per person.

Column generation asks the same question hundreds of times with different values, so the model is
built once in HiGHS and only its objective changes between calls. Variables count how many people
of each type sit on the panel; a panel of people is recovered later by `expand`.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from dataclasses import dataclass

import highspy
import numpy as np

from sortition.arrays import Floats, Ints
from sortition.solver.types import Types


@dataclass(frozen=True)
class Priced:
    """One pricing answer: the panel found, its value, and a proven bound on the best value."""

    counts: Ints
    value: float
    bound: float


class NoPanel(Exception):
    """No panel meets every quota (and the household rule)."""


class OutOfTime(Exception):
    """The time budget ran out before the integer program found any panel."""


def _constraint_rows(types: Types) -> tuple[Floats, Floats, list[Ints]]:
    rows = [np.arange(len(types))]
    lower = [types.panel_size]
    upper = [types.panel_size]
    for c in range(types.matrix.shape[0]):
        rows.append(np.flatnonzero(types.matrix[c]))
        lower.append(int(types.lower[c]))
        upper.append(int(types.upper[c]))
    for group in types.households:
        rows.append(np.asarray(group))
        lower.append(0)
        upper.append(1)
    return np.array(lower, dtype=float), np.array(upper, dtype=float), rows


_banner = threading.Lock()
_banner_hidden = False


def _first_highs() -> highspy.Highs:
    """HiGHS prints its licence banner to standard output from the first instance a process
    makes, before any option can be set. Make that one with the process's standard output (file
    descriptor 1, where the C++ library writes) pointed at the null device, so a command's
    output is only what the command says."""
    global _banner_hidden
    with _banner:
        if _banner_hidden:
            return highspy.Highs()
        sys.stdout.flush()
        saved = os.dup(1)
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, 1)
            highs = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(null)
        _banner_hidden = True
        return highs


def new_highs() -> highspy.Highs:
    """A silent, single-threaded HiGHS instance (the machine's other core runs the web app)."""
    highs = _first_highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", 1)
    return highs


def change_rows_bounds(highs: highspy.Highs, rows: Ints, lower: Floats, upper: Floats) -> None:
    """`Highs.changeRowsBounds`, which exists but is missing from highspy 1.16's type stubs."""
    highs.changeRowsBounds(len(rows), rows, lower, upper)  # type: ignore[attr-defined]


class PanelFinder:
    """Best panel for a vector of values per type member, by a reusable HiGHS integer program."""

    def __init__(self, types: Types) -> None:
        self.types = types
        size = len(types)
        self.highs = highs = new_highs()
        highs.setOptionValue("mip_rel_gap", 1e-6)
        highs.setOptionValue("mip_abs_gap", 1e-9)
        highs.addVars(size, np.zeros(size), types.sizes.astype(float))
        highs.changeColsIntegrality(
            size, np.arange(size, dtype=np.int32),
            np.full(size, highspy.HighsVarType.kInteger),
        )
        lower, upper, rows = _constraint_rows(types)
        starts = np.concatenate([[0], np.cumsum([len(r) for r in rows])[:-1]]).astype(np.int32)
        indices = np.concatenate(rows).astype(np.int32)
        highs.addRows(len(rows), lower, upper, len(indices), starts, indices,
                      np.ones(len(indices)))
        highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.columns = np.arange(size, dtype=np.int32)
        self.last: Ints | None = None
        self.solves = 0
        self.restricted = False
        self.bounds = (lower, upper)
        self.rows = rows

    def restrict(self, low: Floats, high: Floats, lower: Floats, upper: Floats,
                 household_lower: Floats, household_upper: Floats) -> None:
        """Only look at panels with low <= counts <= high and the given row bounds (a face)."""
        size = len(self.columns)
        self.highs.changeColsBounds(size, self.columns, np.asarray(low, dtype=float),
                                    np.asarray(high, dtype=float))
        rows = np.arange(1, 1 + len(lower) + len(household_lower), dtype=np.int32)
        change_rows_bounds(self.highs, rows,
                           np.concatenate([lower, household_lower]).astype(float),
                           np.concatenate([upper, household_upper]).astype(float))
        self.restricted = True

    def unrestrict(self) -> None:
        """Back to every feasible panel."""
        if not self.restricted:
            return
        size = len(self.columns)
        self.highs.changeColsBounds(size, self.columns, np.zeros(size),
                                    self.types.sizes.astype(float))
        lower, upper = self.bounds
        rows = np.arange(1, len(lower), dtype=np.int32)
        change_rows_bounds(self.highs, rows, lower[1:], upper[1:])
        self.restricted = False

    def best(self, values: Floats, *, exact: bool = False,
             seconds: float = math.inf, gap: float = 1e-6) -> Priced:
        """The panel maximising sum(values[t] * count[t]) with a proven upper bound.

        `values` are per member of each type. With `exact`, the optimality gap is closed to
        1e-9 so the bound can certify optimality of a column generation.
        """
        highs = self.highs
        values = np.asarray(values, dtype=float)
        highs.changeColsCost(len(self.columns), self.columns, values)
        highs.setOptionValue("mip_rel_gap", 1e-9 if exact else gap)
        highs.setOptionValue("time_limit", max(0.05, seconds) if math.isfinite(seconds) else math.inf)
        warm = self.last is not None and not self.restricted
        if warm:
            self._warm_start()
        counts, objective, bound = self._run()
        if warm and not self._consistent(values, counts, objective):
            # HiGHS 1.16 can hand back the MIP start itself while reporting the objective (and
            # bound) of a better panel it found in the presolved space. Trusting that pair made
            # column generation stop early, sure that a type's chance could not rise, and fix
            # it at zero. Solve again from scratch, without the start.
            highs.clearSolver()
            counts, objective, bound = self._run()
        if not self._consistent(values, counts, objective):
            raise ArithmeticError("the panel search returned a panel that is not its own answer")
        self.last = counts
        value = float(np.dot(values, counts))
        return Priced(counts=counts, value=value, bound=max(bound, value))

    def _warm_start(self) -> None:
        assert self.last is not None
        solution = highspy.HighsSolution()
        solution.col_value = list(self.last.astype(float))
        self.highs.setSolution(solution)

    def _run(self) -> tuple[Ints, float, float]:
        """Solve the integer program: the rounded panel, HiGHS's objective and dual bound."""
        highs = self.highs
        highs.run()
        self.solves += 1
        status = highs.getModelStatus()
        info = highs.getInfo()
        if status == highspy.HighsModelStatus.kInfeasible:
            raise NoPanel("no panel meets every quota")
        if info.primal_solution_status != 2:  # no feasible point
            if status == highspy.HighsModelStatus.kTimeLimit:
                raise OutOfTime("the time budget ran out while looking for a panel")
            raise NoPanel(f"the panel search ended with status {highs.modelStatusToString(status)}")
        counts = np.rint(np.asarray(highs.getSolution().col_value)).astype(np.int64)
        bound = float(info.mip_dual_bound)
        if math.isnan(bound):
            bound = math.inf  # no proof of optimality: nothing is certified
        return counts, float(info.objective_function_value), bound

    def _consistent(self, values: Floats, counts: Ints, objective: float) -> bool:
        """Whether `counts` is a feasible panel worth what HiGHS says its answer is worth."""
        lower, upper = self.bounds
        activity = np.array([counts[row].sum() for row in self.rows])
        if np.any(activity < lower) or np.any(activity > upper):
            return False
        if np.any(counts < 0) or np.any(counts > self.types.sizes):
            return False
        # Rounding to integers moves the value by at most the integrality tolerance per seat.
        slack = 1e-6 * (1.0 + float(np.abs(values).sum()) * max(1, self.types.panel_size))
        return abs(float(np.dot(values, counts)) - objective) <= slack

    def any_panel(self) -> Ints:
        """Some feasible panel (values favour rarer types so the first panel is spread)."""
        return self.best(1.0 / self.types.sizes).counts
