"""The commitment published before the draw: it binds the whole lottery and reveals nobody.

Respondents are known only by a **person number** 1..n given in a random order (so the order of
the people file, often sorted by area or by date, tells nothing). Each person's profile (their
category for every feature, and their household number when at most one person per household
may sit) and each ticket's list of members are committed to by **salted hashes**: a SHA-256 over
the values and a fresh 256-bit random salt, so nobody can test guesses against them, and a new
commitment's salts and numbers share nothing with an earlier one's.

Public files (the commitment hashes these four):

- ``pool.csv``: ``person,profile_sha256``: one salted hash per respondent.
- ``quotas.csv``: ``feature,value,min,max``: the quotas, in the quotas file's order.
- ``lottery.csv``: ``ticket,members_sha256``: one salted hash per ticket 1..m.
- ``pool-summary.csv``: ``feature,value,respondents``: how many respondents are in each
  category; a count below the threshold k (``suppress below``) is left empty, and so are as many
  of the feature's next-smallest counts as needed so that no empty cell can be worked out from
  the others and the pool's size (the empty cells of a feature hold k or more people together).

Auditor's files (never published; they open the hashes):

- ``profiles.csv``: ``person,salt,<feature>,...[,household]``. Person p's ``profile_sha256``
  is the SHA-256 of their line of this file, line feed included.
- ``tickets.csv``: ``ticket,salt,members``, members as person numbers in increasing order
  separated by single spaces. Ticket t's ``members_sha256`` is the SHA-256 of its line.

After the draw, ``draw.json`` opens the drawn ticket only: its salt and its members (person
numbers), so anyone can check that the panel is the ticket that was committed to.

All files are UTF-8 without a byte-order mark, lines end with ``\\n``, fields are quoted only
when they contain a comma, a quote or a line break (RFC 4180, minimal quoting), and cells are
escaped against spreadsheet formulas by `sortition.csvsafe`.

The commitment is the SHA-256 of this statement (UTF-8, each line ending with ``\\n``)::

    minipublic lottery commitment 2
    algorithm: <algorithm>
    engine: sortition <version>
    panel size: <k>
    one per household: <yes|no>
    lottery size: <m>
    suppress below: <threshold>
    pool.csv: sha256 <hex digest of the file>
    quotas.csv: sha256 <hex digest of the file>
    lottery.csv: sha256 <hex digest of the file>
    pool-summary.csv: sha256 <hex digest of the file>

so anyone can recompute it with ``sha256sum`` and a text editor.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

import sortition
from sortition import csvsafe
from sortition.arrays import Ints
from sortition.model import Category, Instance, Pool, Quotas, normalise

SCHEME = "minipublic lottery commitment 2"
FILES = ("pool.csv", "quotas.csv", "lottery.csv", "pool-summary.csv")
AUDIT_FILES = ("profiles.csv", "tickets.csv")
DEFAULT_SUPPRESS_BELOW = 5
SALT_BITS = 256
_HEX = re.compile(r"[0-9a-f]{64}\Z")


@dataclass(frozen=True)
class Parameters:
    """Everything besides the files that the commitment fixes."""

    algorithm: str
    engine: str
    panel_size: int
    one_per_household: bool
    lottery_size: int
    suppress_below: int = DEFAULT_SUPPRESS_BELOW

    def as_dict(self) -> dict[str, object]:
        return {
            "algorithm": self.algorithm,
            "engine": self.engine,
            "panel_size": self.panel_size,
            "one_per_household": self.one_per_household,
            "lottery_size": self.lottery_size,
            "suppress_below": self.suppress_below,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Parameters:
        """Read back what `as_dict` wrote; ValueError naming the field that is wrong."""
        try:
            algorithm, engine = data["algorithm"], data["engine"]
            panel_size, household = data["panel_size"], data["one_per_household"]
            size, threshold = data["lottery_size"], data["suppress_below"]
        except KeyError as missing:
            raise ValueError(f"the commitment's parameters lack {missing}") from None
        if not isinstance(algorithm, str) or not isinstance(engine, str):
            raise ValueError("the commitment's algorithm and engine must be text")
        if not isinstance(household, bool):
            raise ValueError("the commitment's one_per_household must be true or false")
        whole: list[int] = []
        for name, value in (("panel_size", panel_size), ("lottery_size", size),
                            ("suppress_below", threshold)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"the commitment's {name} must be a positive whole number")
            whole.append(value)
        return cls(algorithm, engine, whole[0], household, whole[1], whole[2])


@dataclass(frozen=True)
class Commitment:
    """The public files, the auditor's files, the parameters, and the hash that binds them.

    `order[p - 1]` is the position in the committed instance of person number p.
    """

    files: dict[str, bytes]
    audit: dict[str, bytes]
    parameters: Parameters
    digest: str
    order: tuple[int, ...]

    @property
    def statement(self) -> str:
        return statement(self.parameters, self.files)

    def record(self) -> dict[str, object]:
        """What commitment.json holds: enough to recompute and compare the hash."""
        return {
            "scheme": SCHEME,
            "commitment": self.digest,
            "parameters": self.parameters.as_dict(),
            "files": {name: sha256(self.files[name]) for name in FILES},
            "statement": self.statement,
        }

    def pseudonymous(self, instance: Instance, tickets: Ints) -> tuple[Instance, Ints]:
        """`instance` and `tickets` renumbered so that person p is at position p - 1."""
        return in_order(instance, tickets, self.order)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def line_hash(row: Sequence[object]) -> str:
    """The SHA-256 of one row's CSV line (line feed included): how profiles and tickets are
    committed to."""
    return sha256(csvsafe.line(row).encode("utf-8"))


def statement(parameters: Parameters, files: Mapping[str, bytes]) -> str:
    """The text whose SHA-256 is the commitment (layout in the module docstring)."""
    lines = [
        SCHEME,
        f"algorithm: {parameters.algorithm}",
        f"engine: {parameters.engine}",
        f"panel size: {parameters.panel_size}",
        f"one per household: {'yes' if parameters.one_per_household else 'no'}",
        f"lottery size: {parameters.lottery_size}",
        f"suppress below: {parameters.suppress_below}",
    ]
    lines += [f"{name}: sha256 {sha256(files[name])}" for name in FILES]
    return "".join(line + "\n" for line in lines)


def digest(parameters: Parameters, files: Mapping[str, bytes]) -> str:
    return sha256(statement(parameters, files).encode("utf-8"))


def in_order(instance: Instance, tickets: Ints, order: Sequence[int]) -> tuple[Instance, Ints]:
    """The instance with person `order[j]` moved to position j, and the tickets to match."""
    positions = np.asarray(order, dtype=np.int64)
    pool = instance.pool
    new_pool = Pool(
        ids=tuple(pool.ids[i] for i in positions),
        categories=pool.categories[positions],
        households=pool.households[positions],
        columns=pool.columns,
        rows=tuple(pool.rows[i] for i in positions) if pool.rows else (),
    )
    rank = np.empty(len(positions), dtype=np.int64)
    rank[positions] = np.arange(len(positions))
    renumbered = np.sort(rank[np.asarray(tickets, dtype=np.int64)], axis=1)
    return (Instance(new_pool, instance.quotas, instance.panel_size, instance.one_per_household),
            renumbered)


def commit(instance: Instance, tickets: Ints, algorithm: str, *,
           suppress_below: int = DEFAULT_SUPPRESS_BELOW,
           rng: random.Random | None = None) -> Commitment:
    """Number the people at random, salt and hash their profiles and the tickets, and hash
    the public files with the settings.

    `rng` is for tests only: by default the numbering and the salts come from the operating
    system's cryptographic generator (`random.SystemRandom`).
    """
    if suppress_below < 1:
        raise ValueError("suppress_below must be a positive whole number")
    source = rng if rng is not None else random.SystemRandom()
    order = list(range(len(instance.pool)))
    source.shuffle(order)
    ordered, renumbered = in_order(instance, tickets, order)
    profiles = profile_rows(ordered, [_salt(source) for _ in order])
    ticket_rows = [[str(t), _salt(source), " ".join(str(int(i) + 1) for i in panel)]
                   for t, panel in enumerate(renumbered, start=1)]
    audit = {
        "profiles.csv": csvsafe.encode([profile_header(ordered), *profiles]),
        "tickets.csv": csvsafe.encode([TICKETS_HEADER, *ticket_rows]),
    }
    files = {
        "pool.csv": csvsafe.encode([POOL_HEADER, *([row[0], line_hash(row)] for row in profiles)]),
        "quotas.csv": quotas_csv(instance.quotas),
        "lottery.csv": csvsafe.encode(
            [LOTTERY_HEADER, *([row[0], line_hash(row)] for row in ticket_rows)]),
        "pool-summary.csv": summary_csv(instance, suppress_below),
    }
    parameters = Parameters(
        algorithm=algorithm,
        engine=f"sortition {sortition.__version__}",
        panel_size=instance.panel_size,
        one_per_household=instance.one_per_household,
        lottery_size=len(tickets),
        suppress_below=suppress_below,
    )
    return Commitment(files=files, audit=audit, parameters=parameters,
                      digest=digest(parameters, files), order=tuple(order))


def _salt(source: random.Random) -> str:
    return f"{source.getrandbits(SALT_BITS):064x}"


# -- Writing the files -------------------------------------------------------------------------

POOL_HEADER = ["person", "profile_sha256"]
LOTTERY_HEADER = ["ticket", "members_sha256"]
TICKETS_HEADER = ["ticket", "salt", "members"]
SUMMARY_HEADER = ["feature", "value", "respondents"]


def profile_header(instance: Instance) -> list[str]:
    header = ["person", "salt", *instance.quotas.features]
    if instance.one_per_household:
        header.append("household")
    return header


def profile_rows(instance: Instance, salts: Sequence[str]) -> list[list[str]]:
    """Person p's row of profiles.csv (people in the instance's order, numbered from 1)."""
    quotas = instance.quotas
    households = _household_numbers(instance.pool.households)
    rows = []
    for i in range(len(instance.pool)):
        line = [str(i + 1), salts[i]]
        line += [quotas.categories[c].value for c in instance.pool.categories[i]]
        if instance.one_per_household:
            line.append(str(households[i]) if households[i] else "")
        rows.append(line)
    return rows


def _household_numbers(labels: Ints) -> list[int]:
    """Households renumbered 1, 2, ... by first appearance (0 = address unknown)."""
    numbers: dict[int, int] = {}
    out = []
    for label in labels.tolist():
        if label < 0:
            out.append(0)
        else:
            out.append(numbers.setdefault(label, len(numbers) + 1))
    return out


def quotas_csv(quotas: Quotas) -> bytes:
    rows = [["feature", "value", "min", "max"]]
    rows += [[c.feature, c.value, str(c.min), str(c.max)] for c in quotas.categories]
    return csvsafe.encode(rows)


def suppressed(counts: Sequence[int], threshold: int) -> set[int]:
    """Which of one feature's category counts to leave empty so no count below `threshold`
    is published or can be worked out from the others and the total.

    Every count below the threshold is hidden; then the smallest remaining counts join them
    until the hidden cells together hold at least `threshold` people and there are two or more
    of them (or every cell of the feature is hidden).
    """
    hidden = {i for i, count in enumerate(counts) if count < threshold}
    if not hidden:
        return hidden
    rest = sorted((i for i in range(len(counts)) if i not in hidden), key=lambda i: (counts[i], i))
    while rest and (sum(counts[i] for i in hidden) < threshold or len(hidden) < 2):
        hidden.add(rest.pop(0))
    return hidden


def summary_rows(instance: Instance, threshold: int) -> list[list[str]]:
    """pool-summary.csv's rows (without the header)."""
    quotas = instance.quotas
    counts = instance.membership.sum(axis=1).tolist()
    rows = []
    for feature in quotas.features:
        positions = [i for i, c in enumerate(quotas.categories) if c.feature == feature]
        hidden = suppressed([counts[i] for i in positions], threshold)
        for j, i in enumerate(positions):
            rows.append([feature, quotas.categories[i].value,
                         "" if j in hidden else str(counts[i])])
    return rows


def summary_csv(instance: Instance, threshold: int) -> bytes:
    return csvsafe.encode([SUMMARY_HEADER, *summary_rows(instance, threshold)])


# -- Reading them back (for the draw and for verification) -------------------------------------


class PublishedFileError(ValueError):
    """A file is not in the canonical layout; the message says where."""


def _records(data: bytes, name: str) -> list[list[str]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise PublishedFileError(f"{name} is not UTF-8 text") from None
    return csvsafe.read_rows(text)


def _whole(text: str, name: str, row: int, column: str) -> int:
    if not text.isdigit():
        raise PublishedFileError(f"{name}, row {row}, column '{column}': '{text}' is not a "
                                 "whole number")
    return int(text)


def _header(records: list[list[str]], name: str, header: list[str]) -> None:
    if not records or records[0] != header:
        raise PublishedFileError(f"{name} must start with the header {','.join(header)}")


def read_quotas(data: bytes) -> Quotas:
    records = _records(data, "quotas.csv")
    _header(records, "quotas.csv", ["feature", "value", "min", "max"])
    categories = []
    for row, record in enumerate(records[1:], start=2):
        if len(record) != 4:
            raise PublishedFileError(f"quotas.csv, row {row}: expected 4 fields")
        feature, value, low, high = record
        categories.append(Category(feature, value, _whole(low, "quotas.csv", row, "min"),
                                   _whole(high, "quotas.csv", row, "max")))
    return Quotas(tuple(categories))


def _hashes(data: bytes, name: str, header: list[str]) -> list[str]:
    """The second column of pool.csv or lottery.csv, checking numbering and hash format."""
    records = _records(data, name)
    _header(records, name, header)
    hashes = []
    for row, record in enumerate(records[1:], start=2):
        if len(record) != 2 or record[0] != str(row - 1):
            raise PublishedFileError(f"{name}, row {row}: expected {header[0]} {row - 1} "
                                     f"followed by its {header[1]}")
        if not _HEX.match(record[1]):
            raise PublishedFileError(f"{name}, row {row}: '{record[1]}' is not a SHA-256 hash "
                                     "(64 lower-case hexadecimal digits)")
        hashes.append(record[1])
    if not hashes:
        raise PublishedFileError(f"{name} has no rows")
    return hashes


def read_pool(data: bytes) -> list[str]:
    """The profile hashes, person p's at position p - 1."""
    return _hashes(data, "pool.csv", POOL_HEADER)


def read_lottery(data: bytes) -> list[str]:
    """The ticket hashes, ticket t's at position t - 1."""
    return _hashes(data, "lottery.csv", LOTTERY_HEADER)


def read_summary(data: bytes) -> list[list[str]]:
    records = _records(data, "pool-summary.csv")
    _header(records, "pool-summary.csv", SUMMARY_HEADER)
    return records[1:]


@dataclass(frozen=True)
class Opened:
    """The auditor's view: the problem by person number, the tickets, and each line's hash."""

    instance: Instance
    tickets: Ints
    profile_hashes: list[str]
    ticket_hashes: list[str]
    ticket_salts: list[str]
    # People (0-based) whose answers were blanked at their request: every cell after the salt
    # empty. Their hashes no longer open and the tickets they are on cannot be checked.
    erased: frozenset[int] = frozenset()


def read_audit(profiles: bytes, tickets: bytes, quotas: Quotas,
               parameters: Parameters) -> Opened:
    """Read the auditor's files; people are known by person number ("1", "2", ...)."""
    records = _records(profiles, "profiles.csv")
    header = ["person", "salt", *quotas.features]
    if parameters.one_per_household:
        header.append("household")
    if not records or [normalise(h) for h in records[0]] != [normalise(h) for h in header]:
        raise PublishedFileError("profiles.csv must start with the header " + ",".join(header))
    n = len(records) - 1
    categories = np.zeros((n, len(quotas.features)), dtype=np.int64)
    households = np.full(n, -1, dtype=np.int64)
    profile_hashes = []
    erased = set()
    for position, record in enumerate(records[1:]):
        row = position + 2
        if len(record) != len(header) or record[0] != str(position + 1):
            raise PublishedFileError(f"profiles.csv, row {row}: expected person {position + 1} "
                                     f"and {len(header) - 1} more fields")
        profile_hashes.append(line_hash(record))
        if not any(record[2:]):
            erased.add(position)
            continue
        for f, feature in enumerate(quotas.features):
            try:
                categories[position, f] = quotas.index(feature, record[f + 2])
            except KeyError:
                raise PublishedFileError(
                    f"profiles.csv, row {row}, column '{feature}': '{record[f + 2]}' is not a "
                    "value in quotas.csv") from None
        if parameters.one_per_household and record[-1]:
            households[position] = _whole(record[-1], "profiles.csv", row, "household")
    records = _records(tickets, "tickets.csv")
    _header(records, "tickets.csv", TICKETS_HEADER)
    panels, ticket_hashes, salts = [], [], []
    for row, record in enumerate(records[1:], start=2):
        if len(record) != 3 or record[0] != str(row - 1):
            raise PublishedFileError(f"tickets.csv, row {row}: expected ticket {row - 1}, its "
                                     "salt and its members")
        members = [_whole(m, "tickets.csv", row, "members") for m in record[2].split(" ")]
        if any(not 1 <= m <= n for m in members):
            raise PublishedFileError(f"tickets.csv, row {row}: a member is not a person of "
                                     "profiles.csv")
        panels.append([m - 1 for m in members])
        ticket_hashes.append(line_hash(record))
        salts.append(record[1])
    if not panels or len({len(p) for p in panels}) != 1:
        raise PublishedFileError("tickets.csv must list tickets whose panels are all one size")
    ids = tuple(str(i + 1) for i in range(n))
    instance = Instance(Pool(ids=ids, categories=categories, households=households), quotas,
                        parameters.panel_size, parameters.one_per_household)
    return Opened(instance, np.array(panels, dtype=np.int64), profile_hashes, ticket_hashes,
                  salts, frozenset(erased))


def opening_hash(ticket: int, salt: str, members: Sequence[int]) -> str:
    """The hash a ticket's opening (its salt and its members' person numbers) must match."""
    return line_hash([str(ticket), salt, " ".join(str(m) for m in sorted(members))])
