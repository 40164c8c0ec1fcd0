"""LEXIMIN, maximin and Nash welfare: exactness against the classic column generation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings

from sortition.model import Instance, SelectionOptions
from sortition.select import find_distribution
from sortition.solver.expand import expand
from sortition.solver.leximin import classic
from sortition.solver.nash import objective
from sortition.solver.panels import NoPanel, PanelFinder
from sortition.solver.types import compress
from tests.unit._solver_instances import instances, non_integral

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def feasible(instance: Instance) -> bool:
    try:
        PanelFinder(compress(instance)).any_panel()
    except NoPanel:
        return False
    return True


def reference_profile(instance: Instance) -> np.ndarray:
    """Classic LEXIMIN with one type per person: no compression, no fractional shortcut."""
    people = compress(instance, merge=False)
    outcome = classic(people)
    panels, weights = expand(people, outcome.counts, outcome.weights)
    chances = np.zeros(len(instance.pool))
    for panel, weight in zip(panels, weights):
        chances[panel] += weight
    return np.sort(chances)


def check_distribution(instance: Instance, distribution) -> None:
    """Every panel is feasible, weights are a distribution, marginals are the panels' own."""
    k = instance.panel_size
    assert distribution.panels.shape[1] == k
    assert all(instance.is_feasible_panel(panel) for panel in distribution.panels)
    assert np.all(np.diff(distribution.panels, axis=1) > 0)
    assert np.all(distribution.weights > 0)
    assert distribution.weights.sum() == pytest.approx(1.0, abs=1e-12)
    membership = np.zeros(len(instance.pool))
    for panel, weight in zip(distribution.panels, distribution.weights):
        membership[panel] += weight
    np.testing.assert_allclose(distribution.marginals, membership, atol=1e-12)
    assert distribution.marginals.sum() == pytest.approx(k, abs=1e-9)


@SETTINGS
@given(instances())
def test_leximin_matches_the_classic_column_generation(instance: Instance) -> None:
    assume(feasible(instance))
    distribution = find_distribution(instance)
    check_distribution(instance, distribution)
    np.testing.assert_allclose(np.sort(distribution.marginals), reference_profile(instance),
                               atol=1e-6)
    assert distribution.gap == 0.0


@SETTINGS
@given(instances(households=True))
def test_leximin_with_households_matches_the_classic_column_generation(instance: Instance) -> None:
    assume(feasible(instance))
    distribution = find_distribution(instance)
    check_distribution(instance, distribution)
    for panel in distribution.panels:
        labels = instance.pool.households[panel]
        labels = labels[labels >= 0]
        assert len(np.unique(labels)) == len(labels)
    np.testing.assert_allclose(np.sort(distribution.marginals), reference_profile(instance),
                               atol=1e-6)


def test_leximin_is_exact_where_the_fractional_optimum_is_out_of_reach() -> None:
    instance = non_integral()
    distribution = find_distribution(instance)
    check_distribution(instance, distribution)
    np.testing.assert_allclose(np.sort(distribution.marginals), reference_profile(instance),
                               atol=1e-6)
    # The person with profile 110 has no complementary partner, so no panel includes them.
    assert distribution.marginals[3] == 0.0
    np.testing.assert_allclose(np.delete(distribution.marginals, 3), 1 / 3, atol=1e-9)
    assert any("fractional optimum" in note for note in distribution.notes)


@SETTINGS
@given(instances())
def test_leximin_minimum_is_at_least_maximin_and_nash_is_at_least_leximin(
        instance: Instance) -> None:
    assume(feasible(instance))
    fair = find_distribution(instance)
    best_minimum = find_distribution(instance, SelectionOptions(algorithm="maximin"))
    welfare = find_distribution(instance, SelectionOptions(algorithm="nash"))
    for distribution in (best_minimum, welfare):
        check_distribution(instance, distribution)
    assert fair.minimum >= best_minimum.minimum - 1e-6
    assert best_minimum.minimum >= fair.minimum - 1e-6  # both are the optimal minimum
    sizes = np.ones(len(instance.pool))
    assert objective(sizes, welfare.marginals) >= objective(sizes, fair.marginals) - 1e-4
