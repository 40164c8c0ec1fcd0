"""How many tickets, and what rounding takes from people (issue 8, item 13).

The number of tickets is chosen so that the lowest chance after rounding stays within 5 % of
the exact one (up to the cap), the officer can choose another, and the rounding aims to take
nobody's chance down by a whole ticket (1/m): where it cannot, an independent integer program
confirms that no counts of tickets on those panels could.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from sortition.lottery import (
    KEEP_LOWEST,
    LOTTERY_SIZES,
    Lottery,
    choose_lottery,
    first_size,
    round_distribution,
    support,
)
from sortition.model import Distribution, Instance
from tests.unit._examples import examples
from tests.unit._lottery_instances import (
    make_instance,
    maximin_distribution,
    random_distribution,
)


def _distribution(instance: Instance, seed: int, kind: str) -> Distribution:
    if kind == "maximin":
        return maximin_distribution(instance)
    return random_distribution(instance, seed, support=60)


def _some_counts_spare_everyone(instance: Instance, distribution: Distribution,
                                size: int) -> bool:
    """Do whole ticket counts on the support exist with which nobody loses a whole ticket?"""
    panels, weights = support(distribution)
    n = len(instance.pool)
    incidence = np.zeros((n, len(panels)))
    for j, panel in enumerate(panels):
        incidence[panel, j] = 1
    target = size * (incidence @ weights)
    constraints = [LinearConstraint(np.ones((1, len(panels))), size, size),
                   LinearConstraint(incidence, np.floor(target + 1e-7), np.inf)]
    result = milp(np.zeros(len(panels)), constraints=constraints,
                  integrality=np.ones(len(panels)), bounds=Bounds(0, size))
    return bool(result.status == 0)


@settings(max_examples=examples(30), deadline=None)
@given(seed=st.integers(0, 10_000), size=st.sampled_from([7, 50, 1000]),
       kind=st.sampled_from(["random", "maximin"]), households=st.booleans())
def test_nobody_loses_a_whole_ticket_unless_no_counts_could_avoid_it(
        seed: int, size: int, kind: str, households: bool) -> None:
    instance = make_instance(seed, n=11, k=4, households=households)
    distribution = _distribution(instance, seed, kind)
    lottery = round_distribution(instance, distribution, size, seed=seed)
    lost = lottery.original - lottery.marginals
    if lost.max() >= 1 / size - 1e-12:
        assert not _some_counts_spare_everyone(instance, distribution, size)
    assert lottery.most_tickets_lost == pytest.approx(max(0.0, lost.max() * size))
    # The Beck-Fiala guarantee still holds, and every ticket is a feasible panel.
    assert lottery.max_change < instance.panel_size / size
    assert all(instance.is_feasible_panel(panel) for panel in lottery.panels)


@settings(max_examples=examples(15), deadline=None)
@given(seed=st.integers(0, 10_000), kind=st.sampled_from(["random", "maximin"]),
       cap=st.sampled_from([1000, 5000, 100_000]))
def test_the_chosen_number_keeps_the_lowest_chance_within_five_percent_where_the_cap_allows(
        seed: int, kind: str, cap: int) -> None:
    instance = make_instance(seed, n=11, k=4)
    distribution = _distribution(instance, seed, kind)
    lottery = choose_lottery(instance, distribution, cap=cap, seed=seed)
    assert lottery.size <= cap and (lottery.size in LOTTERY_SIZES or lottery.size == cap)
    if lottery.keeps_lowest():
        assert lottery.lowest >= (1 - KEEP_LOWEST) * lottery.lowest_exact - 1e-12
        # The fewest: every smaller size tried first fell short.
        lowest = float(distribution.marginals.min())
        for smaller in (s for s in LOTTERY_SIZES if first_size(lowest, cap) <= s < lottery.size):
            assert not round_distribution(instance, distribution, smaller,
                                          seed=seed).keeps_lowest()
    else:
        assert lottery.size == cap


def test_the_officer_can_choose_the_number_of_tickets() -> None:
    instance = make_instance(3)
    distribution = maximin_distribution(instance)
    assert choose_lottery(instance, distribution, 50).size == 50
    assert choose_lottery(instance, distribution).size == first_size(
        float(distribution.marginals.min()))


def test_first_size_needs_a_ticket_worth_at_most_five_percent_of_the_lowest_chance() -> None:
    assert first_size(0.0248) == 1000   # 1 / (5 % of 2.48 %) = 807 tickets
    assert first_size(0.0115) == 2000   # 1,740
    assert first_size(0.0042) == 5000   # 4,762
    assert first_size(0.0002) == 100_000
    assert first_size(0.00001) == 100_000
    assert first_size(0.0042, cap=3000) == 3000
    assert first_size(0.0) == 1000


def test_losses_are_reported_as_a_share_of_each_persons_chance() -> None:
    lottery = Lottery(panels=np.array([[0, 1], [0, 2], [1, 2], [0, 1]]),
                      original=np.array([0.8, 0.7, 0.5]),
                      marginals=np.array([0.75, 0.75, 0.5]), panel_size=2)
    assert lottery.lowest_exact == 0.5 and lottery.lowest == 0.5
    assert lottery.lowest_loss_share == 0.0
    assert lottery.largest_loss_share == pytest.approx(0.05 / 0.8)
    assert lottery.most_tickets_lost == pytest.approx(0.05 * 4)
    assert lottery.keeps_lowest()
