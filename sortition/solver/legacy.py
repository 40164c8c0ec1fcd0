"""The greedy selection many organisers still use, kept only as a baseline.

It follows the Sortition Foundation's "legacy" method: while some category is below its minimum,
take the category furthest below its minimum relative to the people still available in it and
pick a random person from it; once every minimum is met, pick a random eligible person. After each
pick, people in categories that are now full (and the chosen person's household) are removed; a
dead end starts the panel again. Its chances are not computed but estimated by drawing many panels.
"""

from __future__ import annotations

import math
import time

import numpy as np

from sortition.arrays import Floats, Ints
from sortition.model import Instance, Progress, ProgressCallback, SelectionError, no_progress

ATTEMPTS = 100


class DeadEnd(Exception):
    """The greedy method painted itself into a corner; the panel is drawn again."""


def _one_panel(instance: Instance, rng: np.random.Generator, households: list[Ints],
               household_of: Ints, in_pool: Ints) -> Ints:
    membership = instance.membership
    lower = instance.quotas.lower
    upper = instance.quotas.upper
    available = np.ones(len(instance.pool), dtype=bool)
    left = in_pool.copy()
    counts = np.zeros(len(lower), dtype=np.int64)
    chosen: list[int] = []

    def remove(people: Ints) -> None:
        people = people[available[people]]
        if len(people):
            available[people] = False
            left[:] -= membership[:, people].sum(axis=1)

    for _ in range(instance.panel_size):
        short = lower - counts
        if np.any(short > left):
            raise DeadEnd
        needy = np.flatnonzero(short > 0)
        if len(needy):
            ratios = short[needy] / left[needy]
            category = needy[int(np.argmax(ratios))]
            candidates = np.flatnonzero(available & membership[category])
        else:
            candidates = np.flatnonzero(available)
        if len(candidates) == 0:
            raise DeadEnd
        person = int(candidates[rng.integers(len(candidates))])
        chosen.append(person)
        counts += membership[:, person]
        remove(np.array([person]))
        if household_of[person] >= 0:
            remove(households[household_of[person]])
        full = np.flatnonzero((counts >= upper) & (left > 0))
        if len(full):
            remove(np.flatnonzero(available & membership[full].any(axis=0)))
    if np.any(counts < lower):
        raise DeadEnd
    return np.sort(np.array(chosen, dtype=np.int64))


def legacy(instance: Instance, samples: int, seed: int | None,
           progress: ProgressCallback = no_progress, deadline: float = math.inf
           ) -> tuple[Ints, Floats, int, int]:
    """Distinct sampled panels, their empirical weights, how many draws hit a dead end, and
    how many panels were drawn (fewer than asked when the deadline passed)."""
    rng = np.random.default_rng(seed)
    households = list(instance.household_groups)
    household_of = np.full(len(instance.pool), -1, dtype=np.int64)
    for h, group in enumerate(households):
        household_of[group] = h
    in_pool = instance.membership.sum(axis=1).astype(np.int64)
    panels: list[Ints] = []
    restarts = 0
    step = max(1, samples // 100)
    for s in range(samples):
        for _ in range(ATTEMPTS):
            try:
                panels.append(_one_panel(instance, rng, households, household_of, in_pool))
                break
            except DeadEnd:
                restarts += 1
        else:
            raise SelectionError(
                f"The legacy greedy method hit a dead end {ATTEMPTS} times in a row: the quotas "
                "are too tight for it. Use leximin, which finds panels whenever any exist.")
        if time.monotonic() > deadline:
            break
        if s % step == 0:
            progress(Progress("sampling", s / samples, f"{s} of {samples} greedy panels drawn"))
    matrix = np.vstack(panels)
    unique, counts = np.unique(matrix, axis=0, return_counts=True)
    return unique, counts / counts.sum(), restarts, len(panels)
