"""Compress a pool into respondent types.

Two respondents with the same category in every feature are interchangeable: swapping them maps
every quota-feasible panel to another one. LEXIMIN's optimum is unique, so it gives them the same
probability, and the fair algorithms can work with one integer "how many of this type" per type
instead of one yes/no per person. A pool of 5,000 with 6-7 features has far fewer types than
people. The household rule breaks the symmetry for people who share an address with another
respondent, so each of them becomes a type of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sortition.arrays import Ints
from sortition.model import Instance


@dataclass(frozen=True)
class Types:
    """The type-level view of an instance.

    `of_person[i]` is person i's type; `members[t]` lists the people of type t (ascending);
    `sizes[t] = len(members[t])`; `matrix[c, t]` is 1 when type t is in category c;
    `households` are groups of single-person types of which at most one may be chosen;
    `profile[t, f]` is the category (index into the quotas) of type t for feature f.
    """

    of_person: Ints
    members: tuple[Ints, ...]
    sizes: Ints
    matrix: Ints
    households: tuple[Ints, ...]
    profile: Ints
    panel_size: int
    lower: Ints
    upper: Ints

    def __len__(self) -> int:
        return len(self.sizes)


def compress(instance: Instance, *, merge: bool = True) -> Types:
    """Group the pool's respondents into types (see the module docstring).

    `merge=False` gives every person a type of their own: the classic algorithm on that view is
    the person-level reference the tests compare against.
    """
    pool = instance.pool
    n = len(pool)
    keys = np.asarray(pool.categories, dtype=np.int64).reshape(n, -1)
    separate = np.zeros(n, dtype=np.int64)
    groups = instance.household_groups
    for group in groups:
        separate[group] = group + 1
    if not merge:
        separate = np.arange(1, n + 1, dtype=np.int64)
    keys = np.column_stack([keys, separate])
    _, of_person = np.unique(keys, axis=0, return_inverse=True)
    of_person = of_person.reshape(-1).astype(np.int64)
    order = np.argsort(of_person, kind="stable")
    sizes = np.bincount(of_person)
    members = tuple(np.split(order, np.cumsum(sizes)[:-1]))
    first = np.array([m[0] for m in members], dtype=np.int64)
    matrix = instance.membership[:, first].astype(np.int64)
    households = tuple(np.unique(of_person[group]) for group in groups)
    return Types(
        of_person=of_person,
        members=members,
        sizes=sizes.astype(np.int64),
        matrix=matrix,
        households=households,
        profile=np.asarray(pool.categories, dtype=np.int64).reshape(n, -1)[first],
        panel_size=instance.panel_size,
        lower=instance.quotas.lower.astype(np.int64),
        upper=instance.quotas.upper.astype(np.int64),
    )
