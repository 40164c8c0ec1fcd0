"""Reserves: who can step in when a panel member drops out, without breaking a quota.

Swapping one member for one person from the rest of the pool changes the panel's count in at
most two categories per feature, so a replacement keeps every quota exactly when, for each
category, the count without the leaving member plus the newcomer stays within [min, max] (and,
with the household rule, the newcomer shares no household with those who stay). We list every
such person for every member, the most similar first (fewest features on which they differ from
the member they replace), ties in a seeded random order so nobody is favoured by their position
in the file. When nobody fits we say so, and what a replacement would have to be.

A panel that already falls short of a quota (a seat was left empty because nobody could fill
it) can still have its other members replaced: there a category's floor is what it holds now
rather than its minimum, so a replacement never makes a shortfall worse. For a panel that meets
every quota the floor is the minimum, and nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from sortition.arrays import Bools, Ints
from sortition.model import Instance, SelectionError


@dataclass(frozen=True)
class Reserves:
    """The ordered replacements for one panel member; `message` explains an empty list."""

    member: int
    replacements: tuple[int, ...]
    differences: tuple[int, ...]
    message: str = ""


class NoReplacement(SelectionError):
    """Nobody left in the pool can replace a member and keep every quota."""


def _counts(instance: Instance, panel: Ints) -> Ints:
    counts: Ints = instance.membership[:, panel].sum(axis=1).astype(np.int64)
    return counts


def _floor(instance: Instance, panel: Ints) -> Ints:
    """The least each category may hold after a swap: its minimum, or what it holds now where the
    panel already falls short (so a replacement never makes a shortfall worse)."""
    floor: Ints = np.minimum(instance.quotas.lower, _counts(instance, panel))
    return floor


def _keeps_quotas(instance: Instance, panel: Ints, new_panel: Ints) -> bool:
    """The swap kept every category within [floor, max] and one person per household."""
    if instance.is_feasible_panel(panel):
        return instance.is_feasible_panel(new_panel)
    counts = _counts(instance, new_panel)
    if len(np.unique(new_panel)) != len(panel) or np.any(counts < _floor(instance, panel)) \
            or np.any(counts > instance.quotas.upper):
        return False
    if instance.one_per_household:
        labels = instance.pool.households[new_panel]
        labels = labels[labels >= 0]
        return len(np.unique(labels)) == len(labels)
    return True


def _candidates(instance: Instance, panel: Ints, member: int,
                excluded: Bools) -> tuple[Bools, Bools]:
    """Who may replace `member` (bool over the pool), and who would if not for households."""
    membership = instance.membership
    base = _counts(instance, panel) - membership[:, member]
    need = _floor(instance, panel) - base  # a newcomer must add at least this (<= 1 if possible)
    room = instance.quotas.upper - base  # and at most this
    fits = (membership >= need[:, None]).all(axis=0) & (membership <= room[:, None]).all(axis=0)
    fits &= ~excluded
    by_quota = fits.copy()
    if instance.one_per_household:
        staying = panel[panel != member]
        taken = instance.pool.households[staying]
        taken = taken[taken >= 0]
        labels = instance.pool.households
        fits &= ~((labels >= 0) & np.isin(labels, taken))
    return fits, by_quota


def _explain(instance: Instance, panel: Ints, member: int, by_quota: Bools) -> str:
    name = instance.pool.ids[member]
    if by_quota.any():
        return (f"No one left in the pool can replace {name}: everyone who would keep the "
                "quotas lives in a household already on the panel.")
    base = _counts(instance, panel) - instance.membership[:, member]
    needed: dict[str, list[str]] = {}
    barred: dict[str, list[str]] = {}
    for category, count, floor in zip(instance.quotas.categories, base, _floor(instance, panel)):
        if count < floor:
            needed.setdefault(category.feature, []).append(category.value)
        elif count >= category.max:
            barred.setdefault(category.feature, []).append(category.value)
    parts = [f"{feature} {' and '.join(values)}" for feature, values in needed.items()]
    parts += [f"{feature} other than {' or '.join(values)}"
              for feature, values in barred.items() if feature not in needed]
    wanted = "; ".join(parts) if parts else "anyone at all"
    return (f"No one left in the pool can replace {name} and keep every quota: a replacement "
            f"would need {wanted}, and nobody remaining has that. The quotas are fixed once "
            "the panel is drawn, so the seat can only be left empty.")


def _tiebreak(instance: Instance, seed: int) -> Ints:
    """A seeded random rank for every person, used to order equally close replacements."""
    return np.random.default_rng(seed).permutation(len(instance.pool))


def reserves_for(
    instance: Instance,
    panel: Sequence[int] | Ints,
    member: int,
    *,
    seed: int = 0,
    excluded: Iterable[int] = (),
) -> Reserves:
    """Everyone who can replace `member` on `panel` keeping every rule, most similar first."""
    panel = np.asarray(panel, dtype=np.int64)
    if member not in set(panel.tolist()):
        raise ValueError(f"{instance.pool.ids[member]} is not on the panel")
    blocked = np.zeros(len(instance.pool), dtype=bool)
    blocked[panel] = True
    blocked[np.fromiter(excluded, dtype=np.int64)] = True
    fits, by_quota = _candidates(instance, panel, member, blocked)
    people = np.flatnonzero(fits)
    if len(people) == 0:
        return Reserves(member, (), (), _explain(instance, panel, member, by_quota))
    profile = instance.pool.categories
    differences = (profile[people] != profile[member]).sum(axis=1)
    order = np.lexsort((_tiebreak(instance, seed)[people], differences))
    return Reserves(
        member=member,
        replacements=tuple(int(p) for p in people[order]),
        differences=tuple(int(d) for d in differences[order]),
    )


def find_reserves(instance: Instance, panel: Sequence[int] | Ints, *,
                  seed: int = 0) -> list[Reserves]:
    """The reserves of every member of `panel`, in the panel's order."""
    panel = np.asarray(panel, dtype=np.int64)
    if not instance.is_feasible_panel(panel):
        raise ValueError("reserves are only meaningful for a panel that meets every quota")
    return [reserves_for(instance, panel, int(member), seed=seed) for member in panel]


def replace_member(
    instance: Instance,
    panel: Sequence[int] | Ints,
    leaving: int,
    *,
    seed: int = 0,
    declined: Iterable[int] = (),
) -> tuple[Ints, int]:
    """The panel after `leaving` drops out and their first available reserve joins.

    `declined` lists people already asked who could not serve. Reserves are worked out afresh
    against the panel as it is now, since earlier replacements change who fits. Raises
    NoReplacement with the explanation when nobody can keep the quotas.
    """
    panel = np.asarray(panel, dtype=np.int64)
    reserves = reserves_for(instance, panel, leaving, seed=seed, excluded=declined)
    if not reserves.replacements:
        raise NoReplacement(reserves.message)
    joining = reserves.replacements[0]
    new_panel = np.sort(np.where(panel == leaving, joining, panel))
    if not _keeps_quotas(instance, panel, new_panel):  # guards the reasoning in the docstring
        raise ArithmeticError("a reserve broke the quotas")
    return new_panel, joining
