"""Checks the solver's tests share: a reference LEXIMIN and what a valid distribution is."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from sortition.model import Instance
from sortition.solver.expand import expand
from sortition.solver.leximin import classic
from sortition.solver.panels import NoPanel, PanelFinder
from sortition.solver.types import compress
from tests.unit._examples import examples

SETTINGS = settings(max_examples=examples(25), deadline=None,
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
