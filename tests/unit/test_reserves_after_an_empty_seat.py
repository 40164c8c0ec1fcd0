"""Reserves for a panel that already falls short of a quota, because a seat was left empty
(issue 8, item 4): a replacement may join when it makes no category worse than it is now, and
only then; for a panel that meets every quota the rule is unchanged."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sortition.reserves import NoReplacement, replace_member, reserves_for
from tests.unit._examples import examples
from tests.unit._lottery_instances import feasible_panels, make_instance


@settings(max_examples=examples(40), deadline=None)
@given(seed=st.integers(0, 10_000), households=st.booleans(), pick=st.integers(0, 10**6),
       empty=st.integers(0, 10**6))
def test_after_an_empty_seat_replacements_make_no_shortfall_worse(
        seed: int, households: bool, pick: int, empty: int) -> None:
    instance = make_instance(seed, n=12, k=4, households=households)
    panels = feasible_panels(instance)
    full = panels[pick % len(panels)]
    vacated = int(full[empty % len(full)])
    panel = full[full != vacated]  # one seat left empty
    before = instance.membership[:, panel].sum(axis=1)
    floor = np.minimum(instance.quotas.lower, before)
    for member in panel:
        member = int(member)
        entry = reserves_for(instance, panel, member, excluded=[vacated])
        for person in range(len(instance.pool)):
            if person in panel or person == vacated:
                assert person not in entry.replacements
                continue
            swapped = np.where(panel == member, person, panel)
            counts = instance.membership[:, swapped].sum(axis=1)
            keeps = bool(np.all(counts >= floor) and np.all(counts <= instance.quotas.upper))
            if instance.one_per_household:
                labels = instance.pool.households[swapped]
                labels = labels[labels >= 0]
                keeps &= len(np.unique(labels)) == len(labels)
            assert (person in entry.replacements) == keeps
        try:
            new_panel, joining = replace_member(instance, panel, member, declined=[vacated])
        except NoReplacement as error:
            assert not entry.replacements and str(error) == entry.message
        else:
            assert joining == entry.replacements[0] and len(new_panel) == len(panel)
