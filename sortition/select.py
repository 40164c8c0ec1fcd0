"""Find a fair distribution over quota-feasible panels: the engine's one entry point.

`find_distribution` checks that some panel exists (with advice when none does), compresses the
pool into respondent types, runs the chosen algorithm on the types, and expands the result into
panels of people whose chances are computed from the panels themselves, never copied from a
solver's claims.
"""

from __future__ import annotations

import math
import time
from typing import cast

import numpy as np
from threadpoolctl import threadpool_limits

from sortition.arrays import Floats, Ints
from sortition.model import (
    ALGORITHMS,
    Distribution,
    Instance,
    Progress,
    ProgressCallback,
    SelectionOptions,
    no_progress,
)
from sortition.relax import check_feasible
from sortition.solver.expand import expand
from sortition.solver.leximin import leximin, maximin
from sortition.solver.legacy import legacy
from sortition.solver.nash import nash
from sortition.solver.types import compress


def marginals(n: int, panels: Ints, weights: Floats) -> Floats:
    """Each person's chance: the total weight of the panels they sit on."""
    # With weights, bincount adds floats (numpy's stubs only know the integer counting form).
    return cast(Floats, np.bincount(panels.reshape(-1),
                                    weights=np.repeat(weights, panels.shape[1]), minlength=n))


def find_distribution(instance: Instance, options: SelectionOptions = SelectionOptions(),
                      progress: ProgressCallback = no_progress) -> Distribution:
    """A distribution over feasible panels chosen by `options.algorithm` (see ALGORITHMS)."""
    if options.algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {options.algorithm!r}; choose one of "
                         + ", ".join(ALGORITHMS))
    started = time.monotonic()
    deadline = started + options.time_budget if math.isfinite(options.time_budget) else math.inf
    n = len(instance.pool)
    progress(Progress("preparing", 0.0, "Checking the quotas"))
    check_feasible(instance, progress)
    if options.algorithm == "legacy":
        panels, weights, restarts, drawn = legacy(
            instance, options.legacy_samples, options.seed, progress, deadline)
        notes = [f"Probabilities are estimated from {drawn:,} sampled panels, "
                 "not computed exactly."]
        if drawn < options.legacy_samples:
            notes.append(f"The time budget ran out after {drawn:,} of "
                         f"{options.legacy_samples:,} samples.")
        if restarts:
            notes.append(f"The greedy method hit {restarts:,} dead ends and started again.")
        progress(Progress("done", 1.0))
        return Distribution(
            algorithm="legacy", panels=panels, weights=weights,
            marginals=marginals(n, panels, weights), seconds=time.monotonic() - started,
            estimated=True, samples=drawn, notes=tuple(notes))
    types = compress(instance)
    progress(Progress("preparing", 1.0, f"{n:,} respondents in {len(types):,} types"))
    solve = {"leximin": leximin, "maximin": maximin, "nash": nash}[options.algorithm]
    # Small dense factorisations: extra BLAS threads only fight the web app for two cores.
    with threadpool_limits(limits=1, user_api="blas"):
        outcome = solve(types, deadline, progress)
    progress(Progress("expanding", 0.0, "Assigning panel seats to people"))
    panels, weights = expand(types, outcome.counts, outcome.weights)
    progress(Progress("done", 1.0))
    return Distribution(
        algorithm=options.algorithm, panels=panels, weights=weights,
        marginals=marginals(n, panels, weights), seconds=time.monotonic() - started,
        gap=outcome.gap, notes=outcome.notes)
