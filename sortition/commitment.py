"""The commitment published before the draw, so nobody can change the lottery afterwards.

Three canonical files describe the lottery completely without naming anyone:

- ``pool.csv``: ``row,<feature>,...[,household]``. One line per respondent, numbered 1..n in
  the order of the people file (only the officer can map a row back to a person). Each value is
  spelled exactly as in the quotas; ``household`` (only when at most one person per household
  is allowed) numbers households 1, 2, ... by first appearance, empty when the address is
  unknown. No names, contact details or addresses.
- ``quotas.csv``: ``feature,value,min,max``, in the quotas file's order.
- ``lottery.csv``: ``ticket,members``: tickets 1..m, each with its panel's row numbers in
  increasing order, separated by single spaces.

All three are UTF-8 without a byte-order mark, lines end with ``\\n``, and fields are quoted
only when they contain a comma, a quote or a line break (RFC 4180, minimal quoting).

The commitment is the SHA-256 of this statement (UTF-8, each line ending with ``\\n``)::

    minipublic lottery commitment 1
    algorithm: <algorithm>
    engine: sortition <version>
    panel size: <k>
    one per household: <yes|no>
    lottery size: <m>
    pool.csv: sha256 <hex digest of the file>
    quotas.csv: sha256 <hex digest of the file>
    lottery.csv: sha256 <hex digest of the file>

so anyone can recompute it with ``sha256sum`` and a text editor.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

import sortition
from sortition.arrays import Ints
from sortition.model import Category, Instance, Pool, Quotas, normalise

SCHEME = "minipublic lottery commitment 1"
FILES = ("pool.csv", "quotas.csv", "lottery.csv")


@dataclass(frozen=True)
class Parameters:
    """Everything besides the three files that the commitment fixes."""

    algorithm: str
    engine: str
    panel_size: int
    one_per_household: bool
    lottery_size: int

    def as_dict(self) -> dict[str, object]:
        return {
            "algorithm": self.algorithm,
            "engine": self.engine,
            "panel_size": self.panel_size,
            "one_per_household": self.one_per_household,
            "lottery_size": self.lottery_size,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Parameters:
        """Read back what `as_dict` wrote; ValueError naming the field that is wrong."""
        try:
            algorithm, engine = data["algorithm"], data["engine"]
            panel_size, household = data["panel_size"], data["one_per_household"]
            size = data["lottery_size"]
        except KeyError as missing:
            raise ValueError(f"the commitment's parameters lack {missing}") from None
        if not isinstance(algorithm, str) or not isinstance(engine, str):
            raise ValueError("the commitment's algorithm and engine must be text")
        if not isinstance(household, bool):
            raise ValueError("the commitment's one_per_household must be true or false")
        whole: list[int] = []
        for name, value in (("panel_size", panel_size), ("lottery_size", size)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"the commitment's {name} must be a positive whole number")
            whole.append(value)
        return cls(algorithm, engine, whole[0], household, whole[1])


@dataclass(frozen=True)
class Commitment:
    """The canonical files, the parameters, and the hash that binds them."""

    files: dict[str, bytes]
    parameters: Parameters
    digest: str

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


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def statement(parameters: Parameters, files: Mapping[str, bytes]) -> str:
    """The text whose SHA-256 is the commitment (layout in the module docstring)."""
    lines = [
        SCHEME,
        f"algorithm: {parameters.algorithm}",
        f"engine: {parameters.engine}",
        f"panel size: {parameters.panel_size}",
        f"one per household: {'yes' if parameters.one_per_household else 'no'}",
        f"lottery size: {parameters.lottery_size}",
    ]
    lines += [f"{name}: sha256 {sha256(files[name])}" for name in FILES]
    return "".join(line + "\n" for line in lines)


def digest(parameters: Parameters, files: Mapping[str, bytes]) -> str:
    return sha256(statement(parameters, files).encode("utf-8"))


def commit(instance: Instance, tickets: Ints, algorithm: str) -> Commitment:
    """Serialise the de-identified pool, quotas and tickets, and hash them with the settings."""
    files = {
        "pool.csv": pool_csv(instance),
        "quotas.csv": quotas_csv(instance.quotas),
        "lottery.csv": lottery_csv(tickets),
    }
    parameters = Parameters(
        algorithm=algorithm,
        engine=f"sortition {sortition.__version__}",
        panel_size=instance.panel_size,
        one_per_household=instance.one_per_household,
        lottery_size=len(tickets),
    )
    return Commitment(files=files, parameters=parameters, digest=digest(parameters, files))


# -- Writing the canonical files ---------------------------------------------------------------


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def pool_csv(instance: Instance) -> bytes:
    quotas = instance.quotas
    header = ["row", *quotas.features]
    households = _household_numbers(instance.pool.households)
    if instance.one_per_household:
        header.append("household")
    rows = [header]
    for i in range(len(instance.pool)):
        line = [str(i + 1)]
        line += [quotas.categories[c].value for c in instance.pool.categories[i]]
        if instance.one_per_household:
            line.append(str(households[i]) if households[i] else "")
        rows.append(line)
    return _csv(rows)


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
    return _csv(rows)


def lottery_csv(tickets: Ints) -> bytes:
    rows = [["ticket", "members"]]
    for number, panel in enumerate(np.asarray(tickets), start=1):
        rows.append([str(number), " ".join(str(int(i) + 1) for i in np.sort(panel))])
    return _csv(rows)


# -- Reading them back (for the draw and for verification) -------------------------------------


class PublishedFileError(ValueError):
    """A published file is not in the canonical layout; the message says where."""


def _records(data: bytes, name: str) -> list[list[str]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise PublishedFileError(f"{name} is not UTF-8 text") from None
    return list(csv.reader(io.StringIO(text, newline="")))


def _whole(text: str, name: str, row: int, column: str) -> int:
    if not text.isdigit():
        raise PublishedFileError(f"{name}, row {row}, column '{column}': '{text}' is not a "
                                 "whole number")
    return int(text)


def read_quotas(data: bytes) -> Quotas:
    records = _records(data, "quotas.csv")
    if not records or records[0] != ["feature", "value", "min", "max"]:
        raise PublishedFileError("quotas.csv must start with the header feature,value,min,max")
    categories = []
    for row, record in enumerate(records[1:], start=2):
        if len(record) != 4:
            raise PublishedFileError(f"quotas.csv, row {row}: expected 4 fields")
        feature, value, low, high = record
        categories.append(Category(feature, value, _whole(low, "quotas.csv", row, "min"),
                                   _whole(high, "quotas.csv", row, "max")))
    return Quotas(tuple(categories))


def read_instance(pool_data: bytes, quotas_data: bytes, parameters: Parameters) -> Instance:
    """The selection problem as the public files describe it, people known by row number."""
    quotas = read_quotas(quotas_data)
    records = _records(pool_data, "pool.csv")
    header = ["row", *quotas.features]
    if parameters.one_per_household:
        header.append("household")
    if not records or [normalise(h) for h in records[0]] != [normalise(h) for h in header]:
        raise PublishedFileError("pool.csv must start with the header " + ",".join(header))
    features = quotas.features
    categories = np.zeros((len(records) - 1, len(features)), dtype=np.int64)
    households = np.full(len(records) - 1, -1, dtype=np.int64)
    for position, record in enumerate(records[1:]):
        row = position + 2
        if len(record) != len(header):
            raise PublishedFileError(f"pool.csv, row {row}: expected {len(header)} fields")
        if record[0] != str(position + 1):
            raise PublishedFileError(f"pool.csv, row {row}: rows must be numbered 1, 2, 3, ...")
        for f, feature in enumerate(features):
            try:
                categories[position, f] = quotas.index(feature, record[f + 1])
            except KeyError:
                raise PublishedFileError(
                    f"pool.csv, row {row}, column '{feature}': '{record[f + 1]}' is not a "
                    "value in quotas.csv") from None
        if parameters.one_per_household and record[-1]:
            households[position] = _whole(record[-1], "pool.csv", row, "household")
    ids = tuple(str(i + 1) for i in range(len(categories)))
    pool = Pool(ids=ids, categories=categories, households=households)
    return Instance(pool=pool, quotas=quotas, panel_size=parameters.panel_size,
                    one_per_household=parameters.one_per_household)


def read_lottery(data: bytes, population: int) -> Ints:
    """The tickets as person indices (0-based), ticket t in row t - 1."""
    records = _records(data, "lottery.csv")
    if not records or records[0] != ["ticket", "members"]:
        raise PublishedFileError("lottery.csv must start with the header ticket,members")
    panels = []
    for row, record in enumerate(records[1:], start=2):
        if len(record) != 2 or record[0] != str(row - 1):
            raise PublishedFileError(f"lottery.csv, row {row}: expected ticket {row - 1} "
                                     "followed by its members")
        members = [_whole(m, "lottery.csv", row, "members") for m in record[1].split(" ")]
        if any(not 1 <= m <= population for m in members):
            raise PublishedFileError(f"lottery.csv, row {row}: a member is not a row of pool.csv")
        panels.append([m - 1 for m in members])
    if not panels or len({len(p) for p in panels}) != 1:
        raise PublishedFileError("lottery.csv must list tickets whose panels are all one size")
    return np.array(panels, dtype=np.int64)
