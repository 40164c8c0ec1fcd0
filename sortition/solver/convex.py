"""Maximum Nash welfare over the fractional relaxation, by a barrier (interior-point) method.

Maximise sum_t size_t log p_t over chances p in the relaxation (sum of chances = k, quotas met in
expectation, at most one expected seat per household, 0 <= p <= 1). The objective is strictly
concave, so Newton's method on the log-barrier problem converges in a few dozen steps, each a
dense Cholesky solve with one unknown per type. The optimum bounds what any distribution over
panels can achieve; when the face walk decomposes it, it is the exact Nash optimum.
"""

from __future__ import annotations

import highspy
import numpy as np
from scipy.linalg import cho_factor, cho_solve

from sortition.arrays import Floats
from sortition.solver.panels import new_highs
from sortition.solver.types import Types

INF = highspy.kHighsInf


def _rows(types: Types) -> tuple[Floats, Floats, Floats, Floats]:
    """Inequalities G p <= h and equalities E p = e over the chances of each type."""
    sizes = types.sizes.astype(float)
    scaled = types.matrix * sizes[None, :]
    lower = types.lower.astype(float)
    upper = types.upper.astype(float)
    equal = lower == upper
    inequalities = [scaled[~equal], -scaled[~equal]]
    bounds = [upper[~equal], -lower[~equal]]
    for group in types.households:
        row = np.zeros(len(types))
        row[group] = 1.0
        inequalities.append(row[None, :])
        bounds.append(np.ones(1))
    equalities = np.vstack([sizes[None, :], scaled[equal]])
    targets = np.concatenate([[float(types.panel_size)], lower[equal]])
    return np.vstack(inequalities), np.concatenate(bounds), equalities, targets


def _interior(g: Floats, h: Floats, e_matrix: Floats, e: Floats
              ) -> Floats | None:
    """A point with every inequality (and 0 < p < 1) strictly slack, or None if none exists."""
    size = g.shape[1]
    highs = new_highs()
    highs.addVars(size + 1, np.concatenate([np.zeros(size), [0.0]]),
                  np.concatenate([np.ones(size), [1.0]]))
    rows = np.vstack([
        np.hstack([g, np.ones((len(g), 1))]),
        np.hstack([np.eye(size), -np.ones((size, 1))]),
        np.hstack([-np.eye(size), -np.ones((size, 1))]),
        np.hstack([e_matrix, np.zeros((len(e_matrix), 1))]),
    ])
    lower = np.concatenate([np.full(len(g), -INF), np.zeros(size), np.full(size, -1.0), e])
    upper = np.concatenate([h, np.full(size, INF), np.full(size, INF), e])
    starts, indices = [], []
    values = []
    position = 0
    for row in rows:
        nz = np.flatnonzero(row)
        starts.append(position)
        indices.append(nz)
        values.append(row[nz])
        position += len(nz)
    highs.addRows(len(rows), lower, upper, position, np.array(starts, dtype=np.int32),
                  np.concatenate(indices).astype(np.int32), np.concatenate(values))
    highs.changeColCost(size, 1.0)
    highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
    highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    values_out = np.asarray(highs.getSolution().col_value)
    if values_out[size] <= 1e-9:
        return None
    return values_out[:size]


def fractional_nash(types: Types, tolerance: float = 1e-9) -> tuple[Floats, float] | None:
    """Chances maximising Nash welfare over the relaxation and the proven objective gap
    (None when the relaxation has no interior, e.g. quotas that pin a count exactly and leave
    some type no room; the caller then uses column generation alone)."""
    sizes = types.sizes.astype(float)
    g, h, e_matrix, e = _rows(types)
    start = _interior(g, h, e_matrix, e)
    if start is None:
        return None
    # Centre the start a little: the LP's point has some constraints at the minimum slack only.
    p = start
    constraints = len(h) + 2 * len(p)
    mu = 1.0
    while True:
        for _ in range(60):
            slack = h - g @ p
            gradient = sizes / p - 1.0 / (1.0 - p) * mu + mu / p - mu * (g.T @ (1.0 / slack))
            diagonal = sizes / p**2 + mu / (1.0 - p) ** 2 + mu / p**2
            hessian = (g.T * (mu / slack**2)) @ g
            hessian[np.diag_indices_from(hessian)] += diagonal
            try:
                factor = cho_factor(hessian, check_finite=False)
            except np.linalg.LinAlgError:
                return None
            inverse_e = cho_solve(factor, e_matrix.T, check_finite=False)
            inverse_g = cho_solve(factor, gradient, check_finite=False)
            schur = e_matrix @ inverse_e
            multiplier = np.linalg.solve(schur, -(e_matrix @ inverse_g))
            step = inverse_g + inverse_e @ multiplier
            decrement = float(step @ gradient)
            if decrement / 2 <= 1e-12 * max(1.0, float(sizes.sum())):
                break
            # Largest step keeping every constraint strictly slack, then backtrack on the
            # barrier objective.
            t = 1.0
            moving = g @ step
            for bound in (
                np.where(step < 0, -p / np.where(step < 0, step, -1), np.inf),
                np.where(step > 0, (1 - p) / np.where(step > 0, step, 1), np.inf),
                np.where(moving > 0, slack / np.where(moving > 0, moving, 1), np.inf),
            ):
                t = min(t, 0.99 * float(bound.min(initial=np.inf)))

            def barrier(q: Floats) -> float:
                return float(sizes @ np.log(q) + mu * (np.log(1 - q).sum() + np.log(q).sum()
                                                       + np.log(h - g @ q).sum()))

            current = barrier(p)
            while t > 1e-14 and barrier(p + t * step) < current + 0.25 * t * decrement:
                t /= 2
            if t <= 1e-14:
                break
            p = p + t * step
        if mu * constraints <= tolerance * float(sizes.sum()):
            return p, mu * constraints
        mu /= 10
