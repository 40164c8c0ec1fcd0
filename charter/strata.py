"""Agreement per stratum: does agreement with a statement hold across the groups the panel was
selected on (age, area, ...)? Pol.is cannot say; a stratified panel can.

For each statement and each selection feature, one cell per value of the feature: of the members
with that value who voted on the statement, how many agreed, disagreed or passed (% agree is
agrees / votes seen, passes included, as in Pol.is). Across the values of a feature, per
statement (DESIGN.md, "Tallies"): the smoothed agree rate (A+1)/(S+2) of each value, their
geometric mean and their minimum (with the value that has it), and the group-informed consensus
over the values, the product of the smoothed rates. The product shrinks as values are added, so
the geometric mean compares features with different numbers of values; the minimum says how the
least convinced stratum sees it.

Small cells: with `suppress=True` (anything shown to anyone but officers) a cell of fewer than
`k` voters is withheld and marked (`Suppression.small`), never shown as zero. The overall counts
are public, so a feature with exactly one withheld cell would give it away by subtraction: then
the next smallest cell of that statement and feature is withheld too (`Suppression.secondary`).
The spread across values is then taken over the cells shown, and says how many that is, so
nothing withheld leaks through a minimum. Officers (`suppress=False`) see every cell and every
count.

Pure: no web, database or file access; the app passes in votes and each participant's values.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

SMALL_CELL = 5  # members; the same k as every public table (DESIGN.md, "Personal data")


class Suppression(str, enum.Enum):
    small = "small"          # fewer than k voters in the cell
    secondary = "secondary"  # withheld so that a small cell cannot be found by subtraction


@dataclass(frozen=True)
class Cell:
    """One value of one feature, on one statement. Counts are None when withheld."""

    value: str
    agrees: int | None
    disagrees: int | None
    passes: int | None
    suppressed: Suppression | None = None

    @property
    def votes(self) -> int | None:
        if self.agrees is None or self.disagrees is None or self.passes is None:
            return None
        return self.agrees + self.disagrees + self.passes

    @property
    def share(self) -> float | None:
        """Agrees / votes seen (passes included); None when withheld or nobody voted."""
        votes = self.votes
        return None if not votes or self.agrees is None else self.agrees / votes

    @property
    def smoothed(self) -> float | None:
        """Pol.is's smoothed agree rate (A+1)/(S+2); None when withheld."""
        votes = self.votes
        return None if votes is None or self.agrees is None else (self.agrees + 1) / (votes + 2)


@dataclass(frozen=True)
class Spread:
    """Agreement with one statement across the values of one feature (those shown)."""

    values: int                    # how many values it is taken over
    geometric_mean: float | None   # of the smoothed agree rates; None over no values
    minimum: float | None          # the lowest smoothed agree rate
    lowest: str | None             # the value that has it (the first such, in value order)
    consensus: float | None        # the product of the smoothed agree rates


@dataclass(frozen=True)
class FeatureRow:
    feature: str
    cells: tuple[Cell, ...]        # one per value of the feature, in the feature's value order
    spread: Spread


@dataclass(frozen=True)
class StatementStrata:
    statement: str
    features: tuple[FeatureRow, ...]

    @property
    def minimum(self) -> tuple[str, str, float] | None:
        """(feature, value, smoothed rate) of the least convinced stratum over every feature."""
        found = [(row.spread.minimum, row.feature, row.spread.lowest) for row in self.features
                 if row.spread.minimum is not None and row.spread.lowest is not None]
        if not found:
            return None
        rate, feature, value = min(found, key=lambda item: item[0])
        return feature, value, rate


@dataclass(frozen=True)
class Strata:
    features: tuple[tuple[str, tuple[str, ...]], ...]   # (feature, its values) in order
    statements: tuple[StatementStrata, ...]              # in the order asked for
    k: int
    suppressed: bool                                     # small cells withheld (not officers)

    def of(self, statement: str) -> StatementStrata:
        for item in self.statements:
            if item.statement == statement:
                return item
        raise KeyError(statement)


def spread(cells: Sequence[Cell]) -> Spread:
    """Geometric mean, minimum and product of the smoothed agree rates of the cells shown that
    anyone voted in (a value nobody voted from says nothing about agreement)."""
    rates = [(cell.smoothed, cell.value) for cell in cells
             if cell.smoothed is not None and cell.votes]
    if not rates:
        return Spread(0, None, None, None, None)
    logs = [math.log(rate) for rate, _ in rates]
    lowest_rate, lowest_value = min(rates, key=lambda item: item[0])
    return Spread(len(rates), math.exp(sum(logs) / len(logs)), lowest_rate, lowest_value,
                  math.exp(sum(logs)))


def _withhold(cells: list[Cell], k: int) -> list[Cell]:
    """Small cells withheld, and one more when a single small cell could be found by
    subtracting the others from the public totals."""
    small = {i for i, cell in enumerate(cells) if 0 < (cell.votes or 0) < k}
    withheld = {i: Suppression.small for i in small}
    if len(small) == 1:
        others = [(cell.votes or 0, i) for i, cell in enumerate(cells)
                  if i not in small and (cell.votes or 0) > 0]
        if others:
            withheld[min(others)[1]] = Suppression.secondary
    return [Cell(cell.value, None, None, None, withheld[i]) if i in withheld else cell
            for i, cell in enumerate(cells)]


def by_strata(votes: Iterable[tuple[str, str, int]], profiles: Mapping[str, Mapping[str, str]],
              statements: Sequence[str], *,
              features: Sequence[tuple[str, Sequence[str]]] | None = None,
              k: int = SMALL_CELL, suppress: bool = True) -> Strata:
    """Agreement with each statement per value of each feature.

    `votes`: (participant, statement, value) in time order, values in Pol.is's signs (1 agree,
    -1 disagree, 0 pass); a later vote on the same statement by the same participant replaces
    the earlier one. `profiles`: each participant's value per feature; a participant without a
    value for a feature is left out of that feature's cells. `features`: the features and their
    values in the order to show them (the quotas' order); values found in profiles but not named
    there come after, sorted. Default: every feature found, sorted. `suppress`: withhold small
    cells, for anyone but officers."""
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    latest: dict[tuple[str, str], int] = {}
    for participant, statement, value in votes:
        if value not in (1, 0, -1):
            raise ValueError(f"a vote by {participant} on {statement} is {value!r}, "
                             "not 1, 0 or -1")
        latest[(participant, statement)] = value
    order: dict[str, list[str]] = {}
    for feature, values in features or ():
        order.setdefault(feature, list(dict.fromkeys(values)))
    named = set(order)
    found: dict[str, set[str]] = {}
    for profile in profiles.values():
        for feature, stratum in profile.items():
            if stratum:
                found.setdefault(feature, set()).add(stratum)
    for feature in sorted(found):
        if features is not None and feature not in named:
            continue  # only the features asked for
        known = order.setdefault(feature, [])
        known.extend(sorted(found[feature] - set(known)))
    wanted = set(statements)
    tally: dict[tuple[str, str, str, int], int] = {}
    for (participant, statement), value in latest.items():
        if statement not in wanted:
            continue
        for feature, stratum in profiles.get(participant, {}).items():
            if stratum and feature in order:
                key = (statement, feature, stratum, value)
                tally[key] = tally.get(key, 0) + 1
    results = []
    for statement in statements:
        rows = []
        for feature, values in order.items():
            cells = [Cell(value, tally.get((statement, feature, value, 1), 0),
                          tally.get((statement, feature, value, -1), 0),
                          tally.get((statement, feature, value, 0), 0)) for value in values]
            if suppress:
                cells = _withhold(cells, k)
            rows.append(FeatureRow(feature, tuple(cells), spread(cells)))
        results.append(StatementStrata(statement, tuple(rows)))
    return Strata(tuple((feature, tuple(values)) for feature, values in order.items()),
                  tuple(results), k, suppress)
