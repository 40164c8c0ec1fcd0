"""The uniform lottery: every ticket a feasible panel, and nobody's chance moved beyond k/m."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sortition.lottery import lottery_marginals, round_distribution, support
from sortition.model import Distribution
from tests.unit._examples import examples
from tests.unit._lottery_instances import (
    feasible_panels,
    make_instance,
    maximin_distribution,
    random_distribution,
)


@settings(max_examples=examples(25), deadline=None)
@given(seed=st.integers(0, 10_000), size=st.sampled_from([7, 50, 1000]),
       households=st.booleans())
def test_every_ticket_is_a_feasible_panel_and_movement_is_within_the_bound(
        seed: int, size: int, households: bool) -> None:
    instance = make_instance(seed, n=11, k=4, households=households)
    distribution = random_distribution(instance, seed, support=60)
    lottery = round_distribution(instance, distribution, size, seed=seed)
    assert lottery.size == size
    assert all(instance.is_feasible_panel(panel) for panel in lottery.panels)
    # Each ticket's panel comes from the distribution's support.
    allowed = {tuple(p) for p in np.sort(distribution.panels, axis=1)}
    assert {tuple(p) for p in lottery.panels} <= allowed
    # Beck-Fiala bound from Flanigan, Kehne and Procaccia: strictly below k/m.
    assert lottery.max_change < instance.panel_size / size
    assert lottery.bound == instance.panel_size / size
    np.testing.assert_allclose(lottery.marginals, lottery_marginals(lottery.panels, 11))
    np.testing.assert_allclose(lottery.original, distribution.marginals, atol=1e-12)
    np.testing.assert_allclose(lottery.change, lottery.marginals - lottery.original)
    assert lottery.marginals.sum() == pytest.approx(instance.panel_size)


def test_each_panel_gets_floor_or_ceiling_of_its_share_of_tickets() -> None:
    instance = make_instance(4)
    distribution = random_distribution(instance, 4)
    panels, weights = support(distribution)
    lottery = round_distribution(instance, distribution, 100)
    for panel, weight in zip(panels, weights):
        tickets = int((lottery.panels == panel).all(axis=1).sum())
        assert np.floor(weight * 100 - 1e-9) <= tickets <= np.ceil(weight * 100 + 1e-9)


def test_same_seed_same_lottery_and_panel_order_does_not_matter() -> None:
    instance = make_instance(7)
    distribution = random_distribution(instance, 7)
    first = round_distribution(instance, distribution, 200, seed=3)
    again = round_distribution(instance, distribution, 200, seed=3)
    np.testing.assert_array_equal(first.panels, again.panels)
    order = np.random.default_rng(0).permutation(len(distribution.panels))
    shuffled = Distribution(
        "random", distribution.panels[order][:, ::-1], distribution.weights[order],
        distribution.marginals)
    np.testing.assert_array_equal(
        round_distribution(instance, shuffled, 200, seed=3).panels, first.panels)


def test_weights_already_in_whole_tickets_do_not_move() -> None:
    instance = make_instance(2)
    panels = feasible_panels(instance)[:4]
    weights = np.array([0.1, 0.2, 0.3, 0.4])
    marginals = np.zeros(len(instance.pool))
    for panel, weight in zip(panels, weights):
        marginals[panel] += weight
    lottery = round_distribution(
        instance, Distribution("x", panels, weights, marginals), 10)
    assert lottery.max_change == pytest.approx(0, abs=1e-12)
    assert sorted(int((lottery.panels == p).all(axis=1).sum()) for p in panels) == [1, 2, 3, 4]


def test_maximin_distribution_rounds_closely() -> None:
    instance = make_instance(11, n=12, k=4)
    distribution = maximin_distribution(instance)
    lottery = round_distribution(instance, distribution, 1000)
    assert lottery.max_change < 4 / 1000
    assert lottery.marginals.min() >= distribution.minimum - 4 / 1000


def test_a_panel_breaking_the_quotas_is_refused() -> None:
    instance = make_instance(1)
    good = feasible_panels(instance)[0]
    bad = next(np.array(p) for p in ([0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11])
               if not instance.is_feasible_panel(np.array(p)))
    panels = np.array([good, bad])
    with pytest.raises(ValueError, match="breaks the quotas"):
        round_distribution(instance, Distribution("x", panels, np.array([0.5, 0.5]),
                                                  np.zeros(12)), 10)


def test_ticket_numbers_start_at_one() -> None:
    instance = make_instance(3)
    lottery = round_distribution(instance, random_distribution(instance, 3), 5)
    np.testing.assert_array_equal(lottery.panel(1), lottery.panels[0])
    with pytest.raises(ValueError):
        lottery.panel(0)
    with pytest.raises(ValueError):
        lottery.panel(6)


def test_the_rounding_walk_keeps_every_panels_expected_share() -> None:
    """Step 2 alone is a martingale: averaged over seeds, each fraction is kept."""
    from sortition.lottery import _beck_fiala, _incidence
    from sortition.model import no_progress

    instance = make_instance(6)
    panels, weights = support(random_distribution(instance, 6, support=30))
    fractions = (weights * 37) % 1.0
    fractions[-1] = 0.0
    fractions[-1] = np.ceil(fractions.sum()) - fractions.sum()  # a whole total, as in practice
    incidence = _incidence(panels, len(instance.pool))
    runs = np.array([
        _beck_fiala(panels, incidence, fractions, np.random.default_rng(s), no_progress)
        for s in range(200)])
    assert set(np.unique(runs)) <= {0.0, 1.0}
    assert (runs.sum(axis=1) == round(fractions.sum())).all()
    # 200 runs: the standard error of each mean is at most 0.036.
    np.testing.assert_allclose(runs.mean(axis=0), fractions, atol=0.15)


def test_large_supports_take_the_same_decisions_without_the_overlap_table(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import sortition.lottery

    instance = make_instance(9)
    distribution = random_distribution(instance, 9)
    with_table = round_distribution(instance, distribution, 300, seed=1)
    monkeypatch.setattr(sortition.lottery, "_DENSE_OVERLAP_PANELS", 0)
    without = round_distribution(instance, distribution, 300, seed=1)
    np.testing.assert_array_equal(with_table.panels, without.panels)
