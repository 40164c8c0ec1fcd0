"""Infeasible quotas: the advice must be the smallest change, within min_flex and max_flex,
and following it must make a panel possible. Checked against brute force on tiny pools."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sortition.model import (
    Category,
    InfeasibleQuotas,
    Instance,
    Pool,
    Progress,
    Quotas,
    Relaxation,
)
from sortition.relax import check_feasible
from sortition.synthetic import make_pool
from tests.unit._examples import examples


def pool_of(profiles: list[tuple[int, ...]], households: list[int] | None = None) -> Pool:
    n = len(profiles)
    return Pool(
        ids=tuple(f"p{i}" for i in range(n)),
        categories=np.array(profiles, dtype=np.int64).reshape(n, -1),
        households=np.array(households if households is not None else [-1] * n,
                            dtype=np.int64),
    )


def advice_of(instance: Instance) -> InfeasibleQuotas:
    with pytest.raises(InfeasibleQuotas) as caught:
        check_feasible(instance)
    return caught.value


def applied(quotas: Quotas, advice: list[Relaxation]) -> Quotas:
    categories = list(quotas.categories)
    for change in advice:
        c = quotas.index(change.feature, change.value)
        assert getattr(categories[c], change.bound) == change.old
        categories[c] = replace(categories[c], **{change.bound: change.new})
    return Quotas(tuple(categories))


# -- Brute force ---------------------------------------------------------------------------


def panels(instance: Instance):
    for panel in itertools.combinations(range(len(instance.pool)), instance.panel_size):
        chosen = np.array(panel, dtype=np.intp)
        if instance.one_per_household:
            labels = instance.pool.households[chosen]
            labels = labels[labels >= 0]
            if len(np.unique(labels)) != len(labels):
                continue
        yield chosen


def some_panel_exists(instance: Instance) -> bool:
    return any(instance.is_feasible_panel(p) for p in panels(instance))


def cheapest_fix(instance: Instance, *, flex: bool = True) -> tuple[int, int] | None:
    """(bounds changed, total change) of the smallest relaxation, found by trying every panel:
    the cheapest change that admits a given panel moves each violated bound just to that
    panel's count, so the best over all panels is the best overall."""
    in_pool = instance.membership.sum(axis=1)
    best: tuple[int, int] | None = None
    for panel in panels(instance):
        counts = instance.membership[:, panel].sum(axis=1)
        changes = total = 0
        possible = True
        for c, category in enumerate(instance.quotas.categories):
            lowest = category.min_flex if flex else 0
            highest = in_pool[c]
            if flex and category.max_flex is not None:
                highest = category.max_flex
            if counts[c] < category.min:
                possible &= counts[c] >= lowest
                changes, total = changes + 1, total + category.min - counts[c]
            elif counts[c] > category.max:
                possible &= counts[c] <= highest
                changes, total = changes + 1, total + counts[c] - category.max
        if possible and (best is None or (changes, total) < best):
            best = (int(changes), int(total))
    return best


@st.composite
def tiny_instances(draw: st.DrawFn) -> Instance:
    sizes = draw(st.lists(st.integers(2, 3), min_size=1, max_size=3))
    n = draw(st.integers(1, 8))
    offsets = np.cumsum([0, *sizes[:-1]])
    profiles = [
        tuple(int(offsets[f] + draw(st.integers(0, s - 1))) for f, s in enumerate(sizes))
        for _ in range(n)
    ]
    categories = []
    for f, s in enumerate(sizes):
        for v in range(s):
            low = draw(st.integers(0, 4))
            high = draw(st.integers(low, 6))
            min_flex = draw(st.one_of(st.just(0), st.integers(0, low)))
            max_flex = draw(st.one_of(st.none(), st.integers(high, 8)))
            categories.append(Category(f"F{f}", f"v{v}", low, high, min_flex, max_flex))
    households = draw(st.lists(st.integers(-1, 2), min_size=n, max_size=n))
    return Instance(
        pool=pool_of(profiles, households),
        quotas=Quotas(tuple(categories)),
        panel_size=draw(st.integers(1, n)),
        one_per_household=draw(st.booleans()),
    )


@settings(max_examples=examples(120), deadline=None)
@given(tiny_instances())
def test_advice_is_the_smallest_change_and_makes_a_panel_possible(instance: Instance) -> None:
    if some_panel_exists(instance):
        check_feasible(instance)
        return
    error = advice_of(instance)
    best = cheapest_fix(instance)
    if best is None:
        assert error.advice == []
        if cheapest_fix(instance, flex=False) is None:
            assert "No change to the quotas can fix this" in str(error)
        else:
            assert "as far as its min_flex and max_flex allow" in str(error)
        return
    assert (len(error.advice), sum(abs(a.new - a.old) for a in error.advice)) == best
    for change in error.advice:
        category = instance.quotas.categories[
            instance.quotas.index(change.feature, change.value)]
        if change.bound == "min":
            assert category.min_flex <= change.new < category.min
        else:
            assert category.max < change.new
            assert category.max_flex is None or change.new <= category.max_flex
    fixed = replace(instance, quotas=applied(instance.quotas, error.advice))
    assert some_panel_exists(fixed)
    check_feasible(fixed)


# -- Worked examples -----------------------------------------------------------------------

AGE_GENDER = [("Age", "16-29"), ("Age", "30+"), ("Gender", "Woman"), ("Gender", "Man")]


def young_women_and_older_men(age_young: tuple[int, int, int | None],
                              woman: tuple[int, int, int]) -> Instance:
    """20 young women and 40 older men: the women's minimum needs young people."""
    low, high, max_flex = age_young
    w_low, w_high, w_flex = woman
    quotas = Quotas((
        Category("Age", "16-29", low, high, max_flex=max_flex),
        Category("Age", "30+", 0, 30),
        Category("Gender", "Woman", w_low, w_high, min_flex=w_flex),
        Category("Gender", "Man", 0, 30),
    ))
    return Instance(pool_of([(0, 2)] * 20 + [(1, 3)] * 40), quotas, 30)


def test_the_officer_reads_one_concrete_change() -> None:
    error = advice_of(young_women_and_older_men((0, 9, None), (10, 20, 10)))
    assert str(error) == (
        "No panel of 30 can meet all the quotas together. Smallest change that makes them "
        "possible: raise the maximum for Age 16-29 from 9 to 10.")
    assert error.advice == [Relaxation("Age", "16-29", "max", 9, 10)]


def test_the_advice_can_lower_a_minimum() -> None:
    # The young maximum may not move, so the women's minimum has to.
    error = advice_of(young_women_and_older_men((0, 7, 7), (10, 20, 0)))
    assert error.advice == [Relaxation("Gender", "Woman", "min", 10, 7)]
    assert str(error).endswith("lower the minimum for Gender Woman from 10 to 7.")


def test_a_minimum_is_not_lowered_below_its_min_flex() -> None:
    # Lowering the women's minimum to 7 is the only single change, but min_flex stops at 8;
    # so two changes are needed: the women's minimum to 8 and the young maximum to 8.
    error = advice_of(young_women_and_older_men((0, 7, 8), (10, 20, 8)))
    assert sorted(error.advice, key=str) == sorted([
        Relaxation("Age", "16-29", "max", 7, 8),
        Relaxation("Gender", "Woman", "min", 10, 8),
    ], key=str)


def test_when_flex_forbids_every_fix_the_message_says_so_and_what_it_would_take() -> None:
    error = advice_of(young_women_and_older_men((0, 9, 9), (10, 20, 10)))
    assert error.advice == []
    text = str(error)
    assert text.startswith("No panel of 30 can meet all the quotas together. Even moving every "
                           "quota as far as its min_flex and max_flex allow does not make a "
                           "panel possible.")
    assert ("raise the maximum for Age 16-29 from 9 to 10" in text
            or "lower the minimum for Gender Woman from 10 to 9" in text)
    assert "Widen min_flex or max_flex" in text


def test_a_pool_too_small_is_not_blamed_on_the_quotas() -> None:
    instance = young_women_and_older_men((0, 9, None), (10, 20, 10))
    small = replace(instance, pool=pool_of([(0, 2)] * 5 + [(1, 3)] * 20))
    error = advice_of(small)
    assert error.advice == []
    assert "No change to the quotas can fix this: the pool has only 25 respondents" in str(error)


def test_the_household_rule_is_part_of_the_question() -> None:
    # Two young people, at the same address; the quotas want both.
    quotas = Quotas((Category("Age", "Young", 2, 2), Category("Age", "Old", 0, 3)))
    profiles = [(0,), (0,), (1,), (1,), (1,)]
    apart = Instance(pool_of(profiles, [0, 1, -1, -1, -1]), quotas, 4, one_per_household=True)
    check_feasible(apart)
    together = Instance(pool_of(profiles, [0, 0, -1, -1, -1]), quotas, 4,
                        one_per_household=True)
    error = advice_of(together)
    assert str(error) == (
        "No panel of 4 can meet all the quotas together with at most one person per household. "
        "Smallest change that makes them possible: lower the minimum for Age Young from 2 to 1.")
    check_feasible(replace(together, one_per_household=False))


def test_quotas_met_only_by_half_people_still_get_whole_panel_advice() -> None:
    # Three people each in two of the groups a1, b1, c1, and one in none; the quotas want
    # exactly one of each group on a panel of two. Half of each of the four people would do,
    # but no two whole people do: the fractional shortcut must not be trusted here.
    quotas = Quotas(tuple(
        Category(feature, value, low, high)
        for feature in ("A", "B", "C")
        for value, low, high in (("0", 0, 2), ("1", 1, 1))
    ))
    profiles = [(1, 3, 4), (0, 3, 5), (1, 2, 5), (0, 2, 4)]
    instance = Instance(pool_of(profiles), quotas, 2)
    assert not some_panel_exists(instance)
    error = advice_of(instance)
    assert (len(error.advice), sum(abs(a.new - a.old) for a in error.advice)) == (
        cheapest_fix(instance)) == (1, 1)
    assert some_panel_exists(replace(instance, quotas=applied(quotas, error.advice)))


@pytest.mark.parametrize(("size", "expected"), [
    (0, "The panel size must be at least 1, not 0."),
    (1, "the pool has only 0 respondents"),
])
def test_an_empty_pool_or_panel_gets_a_message_not_a_crash(size: int, expected: str) -> None:
    quotas = Quotas((Category("Age", "Young", 0, 2), Category("Age", "Old", 0, 2)))
    empty = Pool((), np.zeros((0, 1), dtype=np.int64), np.zeros(0, dtype=np.int64))
    error = advice_of(Instance(empty, quotas, size))
    assert expected in str(error) and error.advice == []


def test_too_few_households_is_not_blamed_on_the_quotas() -> None:
    quotas = Quotas((Category("Age", "Young", 0, 4), Category("Age", "Old", 0, 4)))
    instance = Instance(pool_of([(0,), (0,), (1,), (1,)], [0, 0, 1, 1]), quotas, 3,
                        one_per_household=True)
    assert "4 respondents in 2 households" in str(advice_of(instance))


def test_progress_is_reported() -> None:
    seen: list[Progress] = []
    check_feasible(young_women_and_older_men((0, 10, None), (10, 20, 10)), seen.append)
    assert [p.fraction for p in seen] == [0.0, 1.0]
    seen.clear()
    with pytest.raises(InfeasibleQuotas):
        check_feasible(young_women_and_older_men((0, 9, None), (10, 20, 10)), seen.append)
    assert [(p.phase, p.fraction) for p in seen] == [
        ("checking quotas", 0.0), ("relaxing quotas", 0.0), ("relaxing quotas", 1.0)]


# -- Realistic pools -------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "k", "households"), [
    (300, 30, False), (300, 30, True), (1500, 60, False), (1500, 60, True),
])
def test_census_quotas_pass_and_clashing_quotas_get_a_one_seat_fix(
    n: int, k: int, households: bool,
) -> None:
    synthetic = make_pool(n, k, households=households, seed=5)
    check_feasible(synthetic.instance())
    clashing = synthetic.instance(synthetic.infeasible_quotas())
    error = advice_of(clashing)
    assert len(error.advice) == 1
    assert abs(error.advice[0].new - error.advice[0].old) == 1
    check_feasible(replace(clashing, quotas=applied(clashing.quotas, error.advice)))
