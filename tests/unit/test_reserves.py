"""Reserves: every listed replacement keeps every quota, and nobody who would is left out."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sortition.model import Category, Instance, Pool, Quotas
from sortition.reserves import NoReplacement, find_reserves, replace_member, reserves_for
from tests.unit._examples import examples
from tests.unit._lottery_instances import feasible_panels, make_instance


@settings(max_examples=examples(40), deadline=None)
@given(seed=st.integers(0, 10_000), households=st.booleans(), pick=st.integers(0, 10**6),
       ties=st.integers(0, 2**32))
def test_reserves_keep_every_quota_and_miss_nobody(seed: int, households: bool, pick: int,
                                                   ties: int) -> None:
    instance = make_instance(seed, n=12, k=4, households=households)
    panels = feasible_panels(instance)
    panel = panels[pick % len(panels)]
    for entry in find_reserves(instance, panel, seed=ties):
        replacements = set(entry.replacements)
        for person in range(len(instance.pool)):
            if person in panel:
                assert person not in replacements
                continue
            swapped = np.where(panel == entry.member, person, panel)
            assert (person in replacements) == instance.is_feasible_panel(swapped)
        assert list(entry.differences) == sorted(entry.differences)
        profile = instance.pool.categories
        assert list(entry.differences) == [
            int((profile[r] != profile[entry.member]).sum()) for r in entry.replacements]
        assert bool(entry.message) == (not entry.replacements)


def test_ties_are_ordered_by_the_seed_not_by_file_order() -> None:
    quotas = Quotas((Category("gender", "F", 2, 2), Category("gender", "M", 0, 0)))
    n = 30
    pool = Pool(ids=tuple(f"P{i}" for i in range(n)),
                categories=np.zeros((n, 1), dtype=np.int64), households=np.full(n, -1))
    instance = Instance(pool, quotas, 2)
    orders = {reserves_for(instance, [0, 1], 0, seed=s).replacements for s in range(5)}
    assert len(orders) > 1
    assert all(sorted(order) == list(range(2, n)) for order in orders)
    assert reserves_for(instance, [0, 1], 0, seed=3) == reserves_for(instance, [0, 1], 0, seed=3)


def _two_feature_instance(households: np.ndarray | None = None) -> Instance:
    # Gender F (index 0) / M (1); age young (2) / old (3). Panel of 2: exactly one F, one young.
    quotas = Quotas((
        Category("gender", "F", 1, 1), Category("gender", "M", 1, 1),
        Category("age", "young", 1, 1), Category("age", "old", 1, 1),
    ))
    profiles = np.array([[0, 2], [1, 3], [1, 3], [0, 3], [1, 2]], dtype=np.int64)
    labels = households if households is not None else np.full(5, -1)
    pool = Pool(ids=("ANA", "BEN", "CAL", "DEE", "EVE"), categories=profiles,
                households=labels.astype(np.int64))
    return Instance(pool, quotas, 2, one_per_household=households is not None)


def test_when_nobody_fits_the_message_says_what_a_replacement_would_need() -> None:
    instance = _two_feature_instance()
    entry = reserves_for(instance, [0, 1], 0)  # ANA is the only young woman
    assert entry.replacements == ()
    assert "ANA" in entry.message
    assert "would need gender F; age young, and nobody remaining" in entry.message
    # BEN (old man) can be replaced by CAL (old man) only.
    assert reserves_for(instance, [0, 1], 1).replacements == (2,)


def test_when_only_the_household_rule_blocks_the_message_says_so() -> None:
    instance = _two_feature_instance(households=np.array([0, 1, 0, 2, 3]))
    entry = reserves_for(instance, [0, 1], 1)  # CAL would fit but lives with ANA
    assert entry.replacements == ()
    assert "household" in entry.message


def test_replacing_a_drop_out_applies_the_first_available_reserve() -> None:
    instance = make_instance(8, n=12, k=4)
    panel = feasible_panels(instance)[0]
    leaving = int(panel[1])
    expected = reserves_for(instance, panel, leaving, seed=5).replacements
    assert expected, "the example needs a member with reserves"
    new_panel, joining = replace_member(instance, panel, leaving, seed=5)
    assert joining == expected[0]
    assert instance.is_feasible_panel(new_panel)
    assert leaving not in new_panel and joining in new_panel
    if len(expected) > 1:
        _, second = replace_member(instance, panel, leaving, seed=5, declined=[expected[0]])
        assert second == expected[1]


def test_replacing_without_any_reserve_raises_the_explanation() -> None:
    instance = _two_feature_instance()
    with pytest.raises(NoReplacement, match="ANA"):
        replace_member(instance, [0, 1], 0)
    with pytest.raises(ValueError, match="not on the panel"):
        reserves_for(instance, [0, 1], 2)
