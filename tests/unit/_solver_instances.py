"""Small selection problems for the solver's property tests, built straight from the data model."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from sortition.model import Category, Instance, Pool, Quotas


def build(profiles: np.ndarray, values: list[int], bands: list[tuple[int, int]], k: int,
          households: np.ndarray | None = None) -> Instance:
    """An instance from person x feature value indices and (min, max) per category."""
    categories = []
    offsets = np.concatenate([[0], np.cumsum(values)[:-1]])
    c = 0
    for f, count in enumerate(values):
        for v in range(count):
            low, high = bands[c]
            categories.append(Category(f"feature {f}", f"value {v}", low, high))
            c += 1
    n = len(profiles)
    pool = Pool(
        ids=tuple(f"P{i}" for i in range(n)),
        categories=(profiles + offsets[None, :]).astype(np.int64),
        households=np.full(n, -1, dtype=np.int64) if households is None else households,
    )
    return Instance(pool, Quotas(tuple(categories)), k, one_per_household=households is not None)


def non_integral() -> Instance:
    """Three binary features whose fractional optimum no distribution over panels reaches.

    A panel of 2 must hold exactly one person with each value of every feature, so panels are
    pairs of complementary profiles: {000, 111}, {011, 100} and {101, 010}; 110 has no partner
    and can never be chosen. The fractional relaxation still gives 110 a positive chance, so its
    optimum is out of reach for every distribution over panels.
    """
    profiles = np.array([[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 0], [1, 1, 1], [1, 0, 0],
                         [0, 1, 0]])
    return build(profiles, [2, 2, 2], [(1, 1)] * 6, 2)


@st.composite
def instances(draw: st.DrawFn, households: bool = False) -> Instance:
    """Random small pools with tight quotas; only feasible ones are useful, callers filter."""
    features = draw(st.integers(2, 4))
    values = [draw(st.integers(2, 3)) for _ in range(features)]
    n = draw(st.integers(6, 16))
    k = draw(st.integers(2, min(6, n - 2)))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    profiles = np.column_stack([
        rng.choice(v, size=n, p=rng.dirichlet(np.ones(v))) for v in values])
    bands = []
    for f, count in enumerate(values):
        shares = rng.dirichlet(np.ones(count) * 2)
        for v in range(count):
            expected = shares[v] * k
            width = draw(st.integers(0, 1))
            bands.append((max(0, int(np.floor(expected)) - width),
                          min(k, int(np.ceil(expected)) + width)))
    labels = None
    if households:
        labels = rng.integers(0, max(2, n - 3), size=n)
        labels[rng.random(n) < 0.3] = -1
    return build(profiles, values, bands, k, labels)
