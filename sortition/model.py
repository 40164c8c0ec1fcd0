"""The data every part of the selection engine shares.

Kept small and immutable so the solver, the lottery, the CLI and the web app can pass the same
objects around without copying or re-validating them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from sortition.arrays import Floats, Ints


# Characters that have no place in a name, a title or a spreadsheet cell, and that can rewrite
# what a terminal shows (ESC starts an escape sequence, CR returns to the start of the line): C0
# and C1 controls, DEL, lone surrogates (not text at all), and the bidirectional overrides and
# isolates that make text display in another order than it is stored. Tab and the line breaks
# are handled apart.
_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff"
                       "\u202a-\u202e\u2066-\u2069]")
_LINE_BREAK = re.compile("\r\n|[\r\x85\u2028\u2029]")


def clean_text(value: str, *, multiline: bool = False) -> str:
    """`value` without control characters: a tab becomes a space, line breaks become a space
    (or `\\n` when `multiline`), and the rest (see `_UNWANTED`) are removed."""
    value = _LINE_BREAK.sub("\n", value).replace("\t", " ")
    if not multiline:
        value = value.replace("\n", " ")
    return _UNWANTED.sub("", value)


_UNSAFE_ON_A_TERMINAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff"
                                   "\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """`text` with every character that could move the cursor, clear the screen, set the window
    title or reorder the line (ESC, CR, the other controls, bidirectional overrides) written
    out visibly, e.g. `\\x1b`; newlines and tabs stay. For anything printed to a terminal."""
    return _UNSAFE_ON_A_TERMINAL.sub(
        lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
        else f"\\u{ord(m.group()):04x}", text)


def normalise(value: str) -> str:
    """How category values are compared: trimmed and case-insensitive."""
    return " ".join(value.split()).casefold()


@dataclass(frozen=True)
class Category:
    """One row of the quotas file: how many panel members may have `feature` = `value`.

    `min_flex` and `max_flex` bound how far the relaxation advice may move `min` and `max`
    (the practitioners' convention: min_flex <= min, max_flex >= max).
    """

    feature: str
    value: str
    min: int
    max: int
    min_flex: int = 0
    max_flex: int | None = None
    # The share of the population with this value (0-1, from the census), when the quotas file
    # gives it: published beside the panel's share. The selection never reads it.
    share: float | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (normalise(self.feature), normalise(self.value))


@dataclass(frozen=True)
class Quotas:
    """All categories, grouped by feature in file order."""

    categories: tuple[Category, ...]

    @cached_property
    def features(self) -> tuple[str, ...]:
        seen: dict[str, str] = {}
        for category in self.categories:
            seen.setdefault(normalise(category.feature), category.feature)
        return tuple(seen.values())

    def values(self, feature: str) -> tuple[str, ...]:
        wanted = normalise(feature)
        return tuple(c.value for c in self.categories if normalise(c.feature) == wanted)

    def index(self, feature: str, value: str) -> int:
        """Position of a category in `categories`; KeyError when unknown."""
        return self._positions[(normalise(feature), normalise(value))]

    @cached_property
    def _positions(self) -> dict[tuple[str, str], int]:
        return {c.key: i for i, c in enumerate(self.categories)}

    @property
    def lower(self) -> Ints:
        return np.array([c.min for c in self.categories], dtype=np.int64)

    @property
    def upper(self) -> Ints:
        return np.array([c.max for c in self.categories], dtype=np.int64)


@dataclass(frozen=True)
class Pool:
    """The respondents, with each person's category for every feature.

    `categories[i, f]` is the index into `Quotas.categories` of person i's value for feature f.
    `households[i]` is a household number shared by people at the same address, or -1 when the
    person's address is unknown (they then share a household with nobody).
    `rows` keeps every original column as read, for writing selected.csv and remaining.csv.
    `ids_from_rows`: the file had no id column, so each id is the person's row number in the
    file, which `columns` and `rows` then carry as an added first column (`row`).
    """

    ids: tuple[str, ...]
    categories: Ints
    households: Ints
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    ids_from_rows: bool = False

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Instance:
    """A selection problem: pick `panel_size` people from `pool` meeting every quota."""

    pool: Pool
    quotas: Quotas
    panel_size: int
    one_per_household: bool = False

    @cached_property
    def membership(self) -> Ints:
        """Boolean matrix (categories x people): person i belongs to category c."""
        n = len(self.pool)
        matrix = np.zeros((len(self.quotas.categories), n), dtype=bool)
        for f in range(self.pool.categories.shape[1]):
            matrix[self.pool.categories[:, f], np.arange(n)] = True
        return matrix

    @cached_property
    def household_groups(self) -> tuple[Ints, ...]:
        """Groups of two or more people who may not sit on the panel together."""
        if not self.one_per_household:
            return ()
        labels = self.pool.households
        groups = []
        known = labels >= 0
        if known.any():
            order = np.argsort(labels, kind="stable")
            order = order[known[order]]
            sorted_labels = labels[order]
            cuts = np.flatnonzero(np.diff(sorted_labels)) + 1
            for chunk in np.split(order, cuts):
                if len(chunk) > 1:
                    groups.append(chunk)
        return tuple(groups)

    def is_feasible_panel(self, panel: Ints) -> bool:
        """True when the panel (person indices) has the right size and meets every rule."""
        panel = np.asarray(panel)
        if len(panel) != self.panel_size or len(np.unique(panel)) != len(panel):
            return False
        counts = self.membership[:, panel].sum(axis=1)
        if np.any(counts < self.quotas.lower) or np.any(counts > self.quotas.upper):
            return False
        if self.one_per_household:
            labels = self.pool.households[panel]
            labels = labels[labels >= 0]
            if len(np.unique(labels)) != len(labels):
                return False
        return True


@dataclass(frozen=True)
class Distribution:
    """A probability distribution over quota-feasible panels.

    `panels` is an int array (P x k) of person indices, each row sorted; `weights` sums to 1.
    `marginals[i]` is person i's exact selection probability under this distribution, except when
    `estimated` is True (the legacy method), where it comes from `samples` random draws.
    `gap` is the proven distance of the smallest probability from the optimum (0 when optimal),
    non-zero only when a time budget cut the computation short.
    """

    algorithm: str
    panels: Ints
    weights: Floats
    marginals: Floats
    seconds: float = 0.0
    gap: float = 0.0
    estimated: bool = False
    samples: int = 0
    notes: tuple[str, ...] = ()

    @property
    def minimum(self) -> float:
        return float(self.marginals.min())

    @property
    def maximum(self) -> float:
        return float(self.marginals.max())

    @property
    def gini(self) -> float:
        return gini(self.marginals)


def gini(values: Floats) -> float:
    """Gini coefficient of non-negative values (0 = everyone equal)."""
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    total = x.sum()
    if n == 0 or total <= 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float((2 * np.sum(ranks * x) / (n * total)) - (n + 1) / n)


@dataclass(frozen=True)
class Progress:
    """What a long computation reports: a phase name, and a fraction done when known."""

    phase: str
    fraction: float | None = None
    message: str = ""


ProgressCallback = Callable[[Progress], None]


def no_progress(_: Progress) -> None:
    """The default callback: report nothing."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located as precisely as we can."""

    message: str
    file: str = ""
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class SelectionError(Exception):
    """Base class for problems an officer can fix; the message is meant for them."""


# How many problems a report shows at most, and how many rows it names for a problem that
# many rows share: a file with the same mistake on 2,000 rows gets one line, not 2,000.
SHOWN_PROBLEMS = 20
SHOWN_ROWS = 5
# What differs between rows with the same problem: quoted values and numbers.
_SPECIFICS = re.compile(r"'[^']*'|\d[\d,.]*")


def _kind(problem: Problem) -> tuple[str, str | None, str]:
    return problem.file, problem.column, _SPECIFICS.sub("#", problem.message)


def _rows(rows: list[int]) -> str:
    shown = ", ".join(f"{row:,}" for row in rows[:SHOWN_ROWS])
    rest = len(rows) - SHOWN_ROWS
    return f"{shown} and {rest:,} more" if rest > 0 else shown


def summarise(problems: list[Problem], limit: int = SHOWN_PROBLEMS) -> list[Problem]:
    """The problems as a short report: rows that share a problem (the same message but for the
    value, in the same file and column) become one entry that says how many rows have it and
    names the first few; beyond `limit` entries, one last entry says how many more there are.
    """
    groups: dict[tuple[str, str | None, str], list[Problem]] = {}
    for problem in problems:
        key = _kind(problem) if problem.row is not None else (problem.file, problem.column,
                                                                problem.message)
        groups.setdefault(key, []).append(problem)
    report: list[Problem] = []
    for group in groups.values():
        first = group[0]
        if len(group) == 1 or first.row is None:
            report.append(first)  # alone, or the very same message (nothing to add)
            continue
        rows = [p.row for p in group if p.row is not None]
        report.append(Problem(
            f"{len(group):,} rows have this problem: rows {_rows(rows)}. On row {rows[0]:,}: "
            f"{first.message}", file=first.file, column=first.column))
    if len(report) > limit:
        hidden = len(report) - (limit - 1)
        report = report[:limit - 1] + [Problem(
            f"… and {hidden:,} more kinds of problem, not listed to keep this short. Correct "
            "the ones above and check the files again to see the rest.")]
    return report


class InputError(SelectionError):
    """Everything wrong with the input files, reported all at once.

    `problems` holds every problem; the message (and `summary`) groups rows that share one, so
    that the report stays readable however many rows are wrong.
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.summary))

    @property
    def summary(self) -> list[Problem]:
        return summarise(self.problems)


@dataclass(frozen=True)
class Relaxation:
    """One change to the quotas, in the officer's words."""

    feature: str
    value: str
    bound: str  # "min" or "max"
    old: int
    new: int

    def __str__(self) -> str:
        verb = "raise" if self.new > self.old else "lower"
        word = "maximum" if self.bound == "max" else "minimum"
        return f"{verb} the {word} for {self.feature} {self.value} from {self.old} to {self.new}"


class InfeasibleQuotas(SelectionError):
    """No panel meets every quota together; `advice` is the smallest change that fixes it."""

    def __init__(self, message: str, advice: list[Relaxation] | None = None) -> None:
        self.advice = list(advice or [])
        text = message
        if self.advice:
            text += " Smallest change that makes them possible: " + "; ".join(
                str(a) for a in self.advice
            ) + "."
        super().__init__(text)


@dataclass(frozen=True)
class SelectionOptions:
    """How to run a selection; defaults are what an officer gets without choosing."""

    algorithm: str = "leximin"
    time_budget: float = math.inf
    legacy_samples: int = 10_000
    seed: int | None = None
    extra: dict[str, object] = field(default_factory=dict)


ALGORITHMS = ("leximin", "maximin", "nash", "legacy")
