"""Small selection problems built by hand, with every feasible panel enumerated.

The lottery, commitment, draw and reserves tests need distributions whose panels are certainly
feasible, without depending on the solver: on a pool of a dozen people we can list every panel
that meets the quotas and weight them ourselves (at random, or by the maximin LP).
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.optimize import linprog

from sortition.model import Category, Distribution, Instance, Pool, Quotas

FEATURES = {"gender": ("Female", "Male", "Other"), "age": ("16-29", "30-59", "60+")}


def make_instance(
    seed: int, n: int = 12, k: int = 4, slack: int = 1, households: bool = False
) -> Instance:
    """A random pool of n people with quotas built around a random panel, so one exists."""
    rng = np.random.default_rng(seed)
    categories = []
    base = 0
    columns = []
    for values in FEATURES.values():
        columns.append(base + rng.integers(0, len(values), size=n))
        base += len(values)
    people = np.column_stack(columns).astype(np.int64)
    witness = rng.choice(n, size=k, replace=False)
    counts = np.zeros(base, dtype=np.int64)
    for f in range(people.shape[1]):
        np.add.at(counts, people[witness, f], 1)
    position = 0
    for feature, values in FEATURES.items():
        for value in values:
            c = int(counts[position])
            categories.append(Category(feature, value, max(0, c - slack), c + slack))
            position += 1
    labels = (
        rng.integers(0, max(2, n - 3), size=n) if households else np.full(n, -1)
    ).astype(np.int64)
    if households:
        # Keep the witness panel legal: its members get households of their own.
        labels[witness] = n + np.arange(k)
    ids = tuple(f"P{i + 1:03d}" for i in range(n))
    columns_out = ("id", "name", "gender", "age", "address")
    rows = tuple(
        (
            ids[i],
            f"Name {i}",
            FEATURES["gender"][people[i, 0]],
            FEATURES["age"][people[i, 1] - 3],
            f"{labels[i]} High Street",
        )
        for i in range(n)
    )
    pool = Pool(ids=ids, categories=people, households=labels, columns=columns_out, rows=rows)
    return Instance(pool=pool, quotas=Quotas(tuple(categories)), panel_size=k,
                    one_per_household=households)


def feasible_panels(instance: Instance) -> np.ndarray:
    found = [
        combo
        for combo in itertools.combinations(range(len(instance.pool)), instance.panel_size)
        if instance.is_feasible_panel(np.array(combo))
    ]
    return np.array(found, dtype=np.int64)


def random_distribution(instance: Instance, seed: int, support: int | None = None) -> Distribution:
    """Random weights on a random subset of the feasible panels."""
    rng = np.random.default_rng(seed)
    panels = feasible_panels(instance)
    if support is not None and support < len(panels):
        panels = panels[np.sort(rng.choice(len(panels), size=support, replace=False))]
    weights = rng.dirichlet(np.full(len(panels), 0.5))
    return _distribution("random", instance, panels, weights)


def maximin_distribution(instance: Instance) -> Distribution:
    """The maximin distribution over all feasible panels, by one LP (exact on tiny pools)."""
    panels = feasible_panels(instance)
    n, count = len(instance.pool), len(panels)
    a = np.zeros((n, count))
    for j, panel in enumerate(panels):
        a[panel, j] = 1
    # variables: weights..., t ; maximise t  s.t.  t - a w <= 0, sum w = 1
    c = np.zeros(count + 1)
    c[-1] = -1
    a_ub = np.hstack([-a, np.ones((n, 1))])
    a_eq = np.hstack([np.ones((1, count)), np.zeros((1, 1))])
    result = linprog(c, A_ub=a_ub, b_ub=np.zeros(n), A_eq=a_eq, b_eq=[1],
                     bounds=[(0, None)] * count + [(None, None)], method="highs")
    weights = np.clip(result.x[:-1], 0, None)
    keep = weights > 1e-12
    return _distribution("maximin", instance, panels[keep], weights[keep] / weights[keep].sum())


def _distribution(name: str, instance: Instance, panels: np.ndarray,
                  weights: np.ndarray) -> Distribution:
    marginals = np.zeros(len(instance.pool))
    for panel, weight in zip(panels, weights):
        marginals[panel] += weight
    return Distribution(algorithm=name, panels=panels, weights=weights, marginals=marginals)


def large_random_support(seed: int, n: int, k: int, panels: int) -> tuple[Instance, Distribution]:
    """A pool of n people with one quota every panel of k meets, and `panels` random panels
    with random weights: a support as large as real ones, built without the solver."""
    rng = np.random.default_rng(seed)
    ids = tuple(f"P{i + 1:05d}" for i in range(n))
    pool = Pool(ids=ids, categories=np.zeros((n, 1), dtype=np.int64),
                households=np.full(n, -1, dtype=np.int64), columns=("id", "area"),
                rows=tuple((ids[i], "Town") for i in range(n)))
    instance = Instance(pool=pool, quotas=Quotas((Category("area", "Town", k, k),)),
                        panel_size=k)
    members = np.sort(np.argsort(rng.random((panels, n)), axis=1)[:, :k], axis=1)
    weights = rng.dirichlet(np.full(panels, 0.5))
    return instance, _distribution("random", instance, members, weights)
