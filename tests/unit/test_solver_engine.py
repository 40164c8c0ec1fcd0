"""find_distribution around the algorithms: types, expansion, legacy, progress, time budget."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings

from sortition.model import InfeasibleQuotas, Instance, Progress, SelectionOptions
from sortition.select import find_distribution
from sortition.solver.expand import expand
from sortition.solver.leximin import leximin
from sortition.solver.types import compress
from sortition.solver.walk import Rows, _round
from sortition.synthetic import make_instance
from tests.unit._examples import examples
from tests.unit._solver_checks import check_distribution, feasible
from tests.unit._solver_instances import build, instances


def test_types_group_people_with_the_same_profile_and_split_households() -> None:
    profiles = np.array([[0, 1], [0, 1], [1, 0], [0, 1], [1, 0]])
    instance = build(profiles, [2, 2], [(0, 2)] * 4, 2)
    types = compress(instance)
    assert sorted(types.sizes.tolist()) == [2, 3]
    assert sorted(map(list, types.members)) == [[0, 1, 3], [2, 4]]
    households = np.array([7, -1, 8, 7, -1])
    split = compress(build(profiles, [2, 2], [(0, 2)] * 4, 2, households))
    # People 0 and 3 share an address: each becomes a type of their own, and a household group.
    assert sorted(split.sizes.tolist()) == [1, 1, 1, 2]
    assert [sorted(split.of_person[[0, 3]].tolist())] == [sorted(g.tolist()) for g in split.households]


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(instances())
def test_expansion_gives_every_member_of_a_type_the_same_chance(instance: Instance) -> None:
    assume(feasible(instance))
    types = compress(instance)
    outcome = leximin(types)
    panels, weights = expand(types, outcome.counts, outcome.weights)
    assert all(instance.is_feasible_panel(p) for p in panels)
    chances = np.zeros(len(instance.pool))
    for panel, weight in zip(panels, weights):
        chances[panel] += weight
    type_chances = (outcome.weights @ outcome.counts) / types.sizes
    np.testing.assert_allclose(chances, type_chances[types.of_person], atol=1e-12)


def test_expansion_of_a_large_type_with_uneven_counts() -> None:
    """Ten people of one type, sitting 1, 3 or 4 at a time with awkward weights."""
    profiles = np.array([[0]] * 10 + [[1]] * 10)
    instance = build(profiles, [2], [(0, 5), (0, 5)], 5)
    types = compress(instance)
    first = int(types.of_person[0])
    counts = np.zeros((3, 2), dtype=np.int64)
    counts[:, first] = [1, 3, 4]
    counts[:, 1 - first] = [4, 2, 1]
    weights = np.array([0.137, 0.5, 0.363])
    panels, out = expand(types, counts, weights)
    chances = np.zeros(20)
    for panel, weight in zip(panels, out):
        assert instance.is_feasible_panel(panel)
        chances[panel] += weight
    np.testing.assert_allclose(chances[:10], (weights @ counts[:, first]) / 10, atol=1e-12)
    np.testing.assert_allclose(chances[10:], (weights @ counts[:, 1 - first]) / 10, atol=1e-12)


def test_legacy_estimates_chances_from_samples_and_says_so() -> None:
    instance = make_instance(120, 12, features=4, seed=3)
    distribution = find_distribution(
        instance, SelectionOptions(algorithm="legacy", legacy_samples=400, seed=9))
    assert distribution.estimated and distribution.samples == 400
    assert any("estimated from 400 sampled panels" in note for note in distribution.notes)
    check_distribution(instance, distribution)
    # Empirical weights: each distinct panel's share of the 400 draws.
    np.testing.assert_allclose(distribution.weights * 400, np.rint(distribution.weights * 400))
    again = find_distribution(
        instance, SelectionOptions(algorithm="legacy", legacy_samples=400, seed=9))
    np.testing.assert_array_equal(again.panels, distribution.panels)


def test_leximin_beats_legacy_on_the_smallest_chance() -> None:
    instance = make_instance(150, 15, features=5, seed=4)
    fair = find_distribution(instance)
    greedy = find_distribution(instance, SelectionOptions(algorithm="legacy",
                                                          legacy_samples=300, seed=1))
    assert not fair.estimated and fair.gap == 0.0
    check_distribution(instance, fair)
    assert fair.minimum > greedy.minimum


def test_progress_reports_phases_with_fractions() -> None:
    instance = make_instance(150, 15, features=5, seed=5)
    seen: list[Progress] = []
    find_distribution(instance, progress=seen.append)
    phases = [p.phase for p in seen]
    assert phases[0] == "preparing" and phases[-1] == "done"
    assert "fractional leximin" in phases and "decomposing" in phases
    assert all(p.fraction is None or 0.0 <= p.fraction <= 1.0 for p in seen)


def test_a_time_budget_returns_a_valid_distribution_with_its_gap() -> None:
    instance = make_instance(300, 30, features=6, seed=2)
    cut = find_distribution(instance, SelectionOptions(time_budget=0.0))
    check_distribution(instance, cut)
    full = find_distribution(instance)
    assert cut.gap > 0
    assert cut.minimum + cut.gap >= full.minimum - 1e-9
    assert any("time budget" in note for note in cut.notes)


def test_impossible_quotas_are_reported() -> None:
    profiles = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    # Two seats, both must be value 0 of feature 0 and value 1 of feature 1: only person 1 fits.
    instance = build(profiles, [2, 2], [(2, 2), (0, 0), (0, 0), (2, 2)], 2)
    with pytest.raises(InfeasibleQuotas):
        find_distribution(instance)


def test_unknown_algorithm_is_refused() -> None:
    instance = make_instance(60, 6, features=3, seed=1)
    with pytest.raises(ValueError, match="unknown algorithm"):
        find_distribution(instance, SelectionOptions(algorithm="fastest"))


def test_rounding_repairs_a_face_where_every_single_swap_makes_things_worse() -> None:
    # Features A and B, each with values 0 and 1, every quota exactly 1 of a panel of 2; persons
    # 2 and 3 (profile A0 B1) share an address and the face says that household must send one.
    # The start {A0 B0, A1 B1} meets every quota but sends nobody from the household. Each
    # single swap that fixes the household breaks two quotas, and the one other swap (A1 B0 in)
    # breaks two as well; only two swaps at once reach {A0 B1, A1 B0}.
    profiles = np.array([[0, 0], [1, 1], [0, 1], [0, 1], [1, 0]])
    households = np.array([-1, -1, 5, 5, -1])
    types = compress(build(profiles, [2, 2], [(1, 1)] * 4, 2, households))
    rows = Rows(types)
    start = np.zeros(len(types))
    start[types.of_person[[0, 1]]] = 1
    lower = rows.lower.copy()
    lower[rows.first_household] = 1  # the household row is tight at the current point
    sizes = types.sizes.astype(float)
    panel = _round(start, np.zeros(len(types)), sizes, lower, rows.upper, rows, 2,
                   np.random.default_rng(0))
    assert panel is not None
    chosen = sorted(tuple(profiles[types.members[t][0]]) for t in np.flatnonzero(panel))
    assert chosen == [(0, 1), (1, 0)]
    assert panel[types.of_person[[2, 3]]].sum() == 1
