"""The uniform lottery: every ticket a feasible panel, and nobody's chance moved beyond k/m."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sortition.lottery import Lottery, lottery_marginals, round_distribution, support
from sortition.model import Distribution
from tests.unit._examples import examples
from tests.unit._lottery_instances import (
    feasible_panels,
    large_random_support,
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


def test_dependent_rounding_keeps_the_total_and_every_panels_expected_share() -> None:
    """The large-support rounding is a martingale too, and always a whole number of tickets."""
    from sortition.lottery import _pipage

    rng = np.random.default_rng(5)
    fractions = rng.random(40)
    fractions[-1] = 0.0
    fractions[-1] = np.ceil(fractions.sum()) - fractions.sum()
    runs = np.array([_pipage(fractions, np.random.default_rng(s)) for s in range(400)])
    assert set(np.unique(runs)) <= {0.0, 1.0}
    assert (runs.sum(axis=1) == round(fractions.sum())).all()
    # 400 runs: the standard error of each mean is at most 0.025.
    np.testing.assert_allclose(runs.mean(axis=0), fractions, atol=0.11)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_when_dependent_rounding_breaks_the_bound_the_walk_takes_over(
        seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Dependent rounding has no k/m guarantee of its own: on 300 panels of 2 from a pool of
    30 (each person on about 20 panels) it moves someone by 2 tickets or more, and the
    Beck-Fiala walk must then take over. The local search is left out, which would otherwise
    hide the problem on panels this small."""
    import sortition.lottery
    from sortition.lottery import _incidence, _pipage

    instance, distribution = large_random_support(seed, n=30, k=2, panels=300)
    panels, weights = support(distribution)
    scaled = weights * 100
    floors = np.floor(scaled + 1e-9)
    incidence = _incidence(panels, 30)
    alone = floors + _pipage(scaled - floors, np.random.default_rng(seed))
    assert np.abs(incidence @ alone - incidence @ scaled).max() >= 2

    monkeypatch.setattr(sortition.lottery, "_WALK_HELD", -1)
    monkeypatch.setattr(sortition.lottery, "_improve", lambda panels, incidence, counts,
                        *rest: counts)
    lottery = round_distribution(instance, distribution, 100, seed=seed)
    assert lottery.size == 100
    assert lottery.max_change < 2 / 100


def test_a_large_support_rounds_within_the_bound_and_fewer_whole_tickets_are_lost(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A support of 1,500 random panels of 20 on a pool of 1,000: as many people are held
    as panels float, the case the dependent rounding is for (forced here, to stay fast)."""
    import sortition.lottery

    instance, distribution = large_random_support(0, n=1000, k=20, panels=1500)
    monkeypatch.setattr(sortition.lottery, "_WALK_HELD", 0)
    lottery = round_distribution(instance, distribution, 1000, seed=0)
    assert lottery.size == 1000
    allowed = {tuple(p) for p in np.sort(distribution.panels, axis=1)}
    assert {tuple(p) for p in lottery.panels} <= allowed
    assert lottery.max_change < 20 / 1000
    np.testing.assert_array_equal(
        round_distribution(instance, distribution, 1000, seed=0).panels, lottery.panels)
    # The aim that nobody loses a whole ticket: lifting the worst off lowers the worst loss,
    # and the passes after it lower the number of whole tickets lost in all.
    monkeypatch.setattr(sortition.lottery, "_SPARE_PASSES", 0)
    lifted = round_distribution(instance, distribution, 1000, seed=0)
    monkeypatch.setattr(sortition.lottery, "_lift_the_worst_off", lambda *args: None)
    unrepaired = round_distribution(instance, distribution, 1000, seed=0)

    def whole_tickets_lost(chosen: Lottery) -> float:
        lost = (chosen.original - chosen.marginals) * chosen.size
        return float(np.floor(np.maximum(lost, 0) + 1e-9).sum())

    assert lottery.most_tickets_lost <= lifted.most_tickets_lost < unrepaired.most_tickets_lost
    assert whole_tickets_lost(lottery) < whole_tickets_lost(lifted)
