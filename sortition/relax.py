"""Deciding whether the quotas can be met together, and if not, the smallest change that helps.

Every quota can look reasonable on its own and still clash with the others (enough young people,
but not enough young people who are also from the right areas). An integer program decides
whether any panel exists; when none does, a second one finds the fewest quota bounds to move,
and then the smallest total movement, within each row's min_flex and max_flex, so the officer
gets one concrete change to make rather than a bare "infeasible".

Without the household rule, people with the same category in every feature are interchangeable,
so the programs count how many of each such "type" sit on the panel instead of deciding about
each person: a pool of 5,000 has far fewer types than people. People who share a household with
someone else keep one yes/no variable each, because the household rule tells them apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from sortition.arrays import Floats, Ints
from sortition.model import (
    InfeasibleQuotas,
    Instance,
    Progress,
    ProgressCallback,
    Relaxation,
    SelectionError,
    no_progress,
)


@dataclass(frozen=True)
class _Panels:
    """The panels of an instance as integer-program variables and constraints, without the
    quota bounds (which are what the relaxation moves)."""

    counts: sparse.csr_array  # categories x variables: how many of the category each unit adds
    upper: Floats  # per variable: how many people it stands for
    rules: sparse.csr_array  # panel size row, then one row per household of two or more
    rules_upper: Floats
    rules_lower: Floats
    in_pool: Ints  # per category: people in the pool


def _panels(instance: Instance) -> _Panels:
    membership = instance.membership
    n = membership.shape[1]
    groups = instance.household_groups
    in_group = np.zeros(n, dtype=bool)
    for group in groups:
        in_group[group] = True
    alone = np.flatnonzero(~in_group)
    grouped = np.flatnonzero(in_group)

    # One variable per type of person (identical categories) among those alone ...
    if len(alone):
        _, first, sizes = np.unique(
            instance.pool.categories[alone], axis=0, return_index=True, return_counts=True)
        representatives = alone[first]
    else:
        representatives, sizes = np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.int64)
    # ... and one yes/no variable per person who shares a household.
    columns = np.concatenate([representatives, grouped])
    counts = sparse.csr_array(membership[:, columns].astype(np.float64))
    upper = np.concatenate([sizes, np.ones(len(grouped))]).astype(np.float64)

    position = np.full(n, -1, dtype=np.int64)
    position[grouped] = len(representatives) + np.arange(len(grouped))
    row_index = [np.zeros(len(columns), dtype=np.int64)]
    col_index = [np.arange(len(columns))]
    for r, group in enumerate(groups, start=1):
        row_index.append(np.full(len(group), r, dtype=np.int64))
        col_index.append(position[group])
    rows = np.concatenate(row_index)
    cols = np.concatenate(col_index)
    rules = sparse.csr_array(
        (np.ones(len(rows)), (rows, cols)), shape=(1 + len(groups), len(columns)))
    k = float(instance.panel_size)
    rules_lower = np.concatenate([[k], np.full(len(groups), -np.inf)])
    rules_upper = np.concatenate([[k], np.ones(len(groups))])
    return _Panels(counts, upper, rules, rules_upper, rules_lower,
                   membership.sum(axis=1).astype(np.int64))


def _options(variables: int) -> dict[str, object]:
    """HiGHS presolve settles a small model in a millisecond (without it the search pays
    ~15 ms of set-up), but on a pool with thousands of types it spends 0.4 s finding nothing to
    remove from a model the search then solves in 0.1 s."""
    return {"presolve": variables <= 500, "mip_rel_gap": 0.0}


def _panel_exists(panels: _Panels, lower: Floats, upper: Floats) -> bool:
    variables = panels.counts.shape[1]
    result = milp(
        c=np.zeros(variables),
        integrality=np.ones(variables),
        bounds=Bounds(np.zeros(variables), panels.upper),
        constraints=[
            LinearConstraint(panels.counts, lower, upper),
            LinearConstraint(panels.rules, panels.rules_lower, panels.rules_upper),
        ],
        options=_options(variables),
    )
    return _decided(result)


def _decided(result: object) -> bool:
    """True when the solver found a solution, False when it proved there is none."""
    status = getattr(result, "status")
    if status == 0:
        return True
    if status == 2:
        return False
    raise SelectionError(
        "The solver could not decide whether the quotas can be met "
        f"({getattr(result, 'message')}). Please report this with your quotas file.")


def _smallest_change(
    panels: _Panels, lower: Ints, upper: Ints,
    lowest: Ints, highest: Ints,
) -> tuple[Ints, Ints] | None:
    """New (lower, upper) bounds with lowest <= lower' <= lower and upper <= upper' <= highest
    that admit a panel, changing as few bounds as possible and then moving them as little as
    possible in total; None when even the widest bounds admit none.

    Deciding people's places in fractions first is much faster (the integer program then only
    branches on which bounds move) and still exact whenever a whole panel fits the bounds it
    finds: the fractional problem is a relaxation, so no whole-panel change can be smaller.
    Otherwise the whole-panel program decides.
    """
    quick = _cheapest_bounds(panels, lower, upper, lowest, highest, whole_people=False)
    if quick is None:
        return None
    if _panel_exists(panels, quick[0].astype(float), quick[1].astype(float)):
        return quick
    return _cheapest_bounds(panels, lower, upper, lowest, highest, whole_people=True)


def _cheapest_bounds(
    panels: _Panels, lower: Ints, upper: Ints,
    lowest: Ints, highest: Ints, *, whole_people: bool,
) -> tuple[Ints, Ints] | None:
    categories, variables = panels.counts.shape
    down_room = (lower - lowest).astype(np.float64)
    up_room = (highest - upper).astype(np.float64)
    # Variables: people [V], lowered by [C], raised by [C], min moved? [C], max moved? [C].
    # Rows: count + lowered >= min [C]; count - raised <= max [C]; lowered <= room * moved [C];
    # raised <= room * moved [C]; then the panel size and household rows.
    c = np.arange(categories)
    down, up, down_on, up_on = (variables + i * categories + c for i in range(4))
    people = panels.counts.tocoo()
    rules = panels.rules.tocoo()
    rows = np.concatenate([
        people.row, c, categories + people.row, categories + c,
        2 * categories + c, 2 * categories + c, 3 * categories + c, 3 * categories + c,
        4 * categories + rules.row,
    ])
    cols = np.concatenate([
        people.col, down, people.col, up, down, down_on, up, up_on, rules.col,
    ])
    ones = np.ones(categories)
    values = np.concatenate([
        people.data, ones, people.data, -ones, ones, -down_room, ones, -up_room, rules.data,
    ])
    size = variables + 4 * categories
    matrix = sparse.csr_array(
        (values, (rows, cols)), shape=(4 * categories + rules.shape[0], size))
    inf = np.full(categories, np.inf)
    constraints = [LinearConstraint(
        matrix,
        np.concatenate([lower, -inf, -inf, -inf, panels.rules_lower]),
        np.concatenate([inf, upper, np.zeros(2 * categories), panels.rules_upper]),
    )]
    bounds = Bounds(
        np.zeros(size),
        np.concatenate([panels.upper, down_room, up_room,
                        (down_room > 0).astype(float), (up_room > 0).astype(float)]),
    )
    integrality = np.ones(size)
    if not whole_people:
        integrality[:variables] = 0
    switches = np.zeros(size)
    switches[variables + 2 * categories:] = 1.0
    first = milp(c=switches, integrality=integrality, bounds=bounds,
                 constraints=constraints, options=_options(size))
    if not _decided(first):
        return None
    fewest = round(first.fun)
    movement = np.zeros(size)
    movement[variables:variables + 2 * categories] = 1.0
    second = milp(
        c=movement, integrality=integrality, bounds=bounds,
        constraints=[*constraints, LinearConstraint(switches, -np.inf, fewest)],
        options=_options(size),
    )
    if not _decided(second):  # the first solution is feasible here, so this cannot happen
        raise SelectionError("The solver lost track of the smallest change to the quotas.")
    moves = np.rint(second.x[variables:variables + 2 * categories]).astype(np.int64)
    return lower - moves[:categories], upper + moves[categories:]


def _advice(instance: Instance, new_lower: Ints, new_upper: Ints
            ) -> list[Relaxation]:
    advice = []
    for c, category in enumerate(instance.quotas.categories):
        if new_lower[c] != category.min:
            advice.append(Relaxation(category.feature, category.value, "min",
                                     category.min, int(new_lower[c])))
        if new_upper[c] != category.max:
            advice.append(Relaxation(category.feature, category.value, "max",
                                     category.max, int(new_upper[c])))
    return advice


def check_feasible(instance: Instance, progress: ProgressCallback = no_progress) -> None:
    """Return quietly when some panel meets every quota (and the household rule); otherwise
    raise InfeasibleQuotas with the smallest change to the quotas that makes one possible."""
    progress(Progress("checking quotas", 0.0, "Checking that a panel can meet every quota"))
    k = instance.panel_size
    if k < 1:
        raise InfeasibleQuotas(f"The panel size must be at least 1, not {k}.")
    if k > _capacity(instance):
        raise InfeasibleQuotas(_too_few(instance))
    panels = _panels(instance)
    quotas = instance.quotas
    lower, upper = quotas.lower, quotas.upper
    if _panel_exists(panels, lower.astype(float), upper.astype(float)):
        progress(Progress("checking quotas", 1.0, "A panel can meet every quota"))
        return

    progress(Progress("relaxing quotas", 0.0, "Finding the smallest change to the quotas"))
    rule = " with at most one person per household" if instance.one_per_household else ""
    headline = f"No panel of {k} can meet all the quotas together{rule}."
    lowest = np.array([c.min_flex for c in quotas.categories], dtype=np.int64)
    # Raising a maximum past the number of such people in the pool cannot help.
    # A maximum above the panel size is no limit at all.
    reach = np.minimum(panels.in_pool, k)
    highest = np.array(
        [max(c.max, min(c.max_flex, k) if c.max_flex is not None else int(reach[i]))
         for i, c in enumerate(quotas.categories)], dtype=np.int64)
    within = _smallest_change(panels, lower, upper, np.minimum(lowest, lower), highest)
    if within is not None:
        progress(Progress("relaxing quotas", 1.0, "Found the smallest change to the quotas"))
        raise InfeasibleQuotas(headline, _advice(instance, *within))

    # The pool holds k people from different households, so with every bound open there is a
    # panel: min_flex and max_flex are what stand in the way.
    beyond = _smallest_change(
        panels, lower, upper, np.zeros_like(lower), np.maximum(upper, reach))
    progress(Progress("relaxing quotas", 1.0, "No change within min_flex and max_flex helps"))
    if beyond is None:
        raise SelectionError(
            "The solver found no panel even with every quota opened up, which should be "
            "impossible. Please report this with your files.")
    changes = "; ".join(str(a) for a in _advice(instance, *beyond))
    raise InfeasibleQuotas(
        f"{headline} Even moving every quota as far as its min_flex and max_flex allow "
        f"does not make a panel possible. Going beyond those limits, the smallest change "
        f"would be: {changes}. Widen min_flex or max_flex for those rows in the quotas "
        "file if that is acceptable, or change the panel size.")


def _capacity(instance: Instance) -> int:
    """The largest panel the pool allows, whatever the quotas."""
    if not instance.one_per_household:
        return len(instance.pool)
    labels = instance.pool.households
    return len(np.unique(labels[labels >= 0])) + int(np.sum(labels < 0))


def _too_few(instance: Instance) -> str:
    k = instance.panel_size
    if instance.one_per_household:
        rule = " with at most one person per household"
        cause = (f"the pool has {len(instance.pool)} respondents in {_capacity(instance)} "
                 "households, and at most one person per household may be chosen")
    else:
        rule, cause = "", f"the pool has only {len(instance.pool)} respondents"
    return (f"No panel of {k} can meet all the quotas together{rule}. No change to the quotas "
            f"can fix this: {cause}. Choose a smaller panel or recruit more respondents.")
