"""Recount a published charter from its open data, a folder or its ZIP as published
(`minipublic recount DIR`, issue 12, item 4).

What it checks, with the project's own maths (`charter.tallies`):

- every file listed in `datapackage.json` is there and has the sha256 published for it;
- per principle in `tallies.json`: its digest is `tallies.digest` of its inputs, its method is
  the one this Minipublic counts with, and `tallies.recompute(inputs)` gives every published
  figure (ballots, turnout, % agree, interval, net agreement, decision; across strata the lowest
  value, the geometric mean and, where nothing was withheld, the exact test's p-values);
- the counts in `votes.csv` and `strata.csv` are those inputs, and the tally of `votes.csv`'s
  own counts gives the published figures too; `principles.csv` states the recounted decisions.

Per-stratum p-values of a feature with withheld cells pool counts nobody outside the app can
see; they are listed as not recounted rather than guessed (see `charter.publication`).

A figure is compared exactly when it is a whole number, text or yes/no, and to 1e-9 when it is a
fraction (the same sums in another order can differ in the last binary digit). The files'
problems (a cell that is not a number, a missing column) raise `RecountFileError`, naming the
file, row and column, as `charter.polis` does.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from charter import publication, tallies
from charter.tallies import OPTIONS, Rule, RuleKind, Scale
from sortition import csvsafe

TOLERANCE = 1e-9


class RecountFileError(ValueError):
    """An open-data file that cannot be read; rows are counted as a spreadsheet shows them."""

    def __init__(self, file: str, row: int | None, column: str | None, message: str) -> None:
        self.file, self.row, self.column, self.message = file, row, column, message
        where = ", ".join([file, *([f"row {row}"] if row is not None else []),
                           *([f"column {column}"] if column is not None else [])])
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Difference:
    """Something that no longer matches what was published."""

    file: str
    principle: int | None
    message: str

    def __str__(self) -> str:
        about = f"principle {self.principle}: " if self.principle is not None else ""
        return f"{self.file}: {about}{self.message}"


@dataclass(frozen=True)
class PrincipleCheck:
    principle: int
    title: str
    figures: Mapping[str, Any]          # as published in tallies.json
    differences: tuple[Difference, ...]
    not_recounted: tuple[str, ...] = ()  # figures the public files cannot recount, and why

    @property
    def matches(self) -> bool:
        return not self.differences


@dataclass(frozen=True)
class RecountReport:
    principles: tuple[PrincipleCheck, ...]
    files_checked: int
    file_differences: tuple[Difference, ...] = ()
    other_differences: tuple[Difference, ...] = field(default=())

    @property
    def matches(self) -> bool:
        return not self.differences

    @property
    def differences(self) -> tuple[Difference, ...]:
        return (*self.file_differences, *self.other_differences,
                *(d for p in self.principles for d in p.differences))


# --- reading -----------------------------------------------------------------------------------


def _read(directory: Path, name: str) -> bytes:
    try:
        return (directory / name).read_bytes()
    except FileNotFoundError:
        raise RecountFileError(name, None, None, f"there is no {name} in {directory}; give the "
                               "folder of a charter's open data (with datapackage.json)") from None
    except OSError as error:
        raise RecountFileError(name, None, None, f"cannot be read: {error.strerror}") from None


def _text(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row = data[: error.start].count(b"\n") + 1
        raise RecountFileError(name, row, None, "is not UTF-8 text; it should be the file as "
                               "published") from None


def _json(directory: Path, name: str) -> Any:
    text = _text(name, _read(directory, name))
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise RecountFileError(name, None, None, f"is not valid JSON at line {error.lineno}, "
                               f"column {error.colno}: {error.msg}") from None


@dataclass
class _Table:
    name: str
    rows: list[tuple[int, dict[str, str]]]


def _table(directory: Path, name: str) -> _Table:
    text = _text(name, _read(directory, name))
    wanted = [column for column, _, _ in publication.COLUMNS[name]]
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as error:
        raise RecountFileError(name, None, None, f"is not valid CSV: {error}") from None
    if not records:
        raise RecountFileError(name, None, None, "is empty; it should start with the header "
                               + ",".join(wanted))
    header = [csvsafe.unescape(cell).strip() for cell in records[0]]
    missing = [column for column in wanted if column not in header]
    if missing:
        raise RecountFileError(name, 1, missing[0], f"the header has no '{missing[0]}' column; "
                               f"it should be {','.join(wanted)}")
    rows = []
    for number, cells in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            raise RecountFileError(name, number, None, f"has {len(cells)} cells but the header "
                                   f"has {len(header)} columns")
        rows.append((number, {h: csvsafe.unescape(c) for h, c in zip(header, cells,
                                                                       strict=True)}))
    return _Table(name, rows)


def _whole(table: _Table, row: int, column: str, text: str, *, blank: bool = False) -> int | None:
    value = text.strip()
    if blank and value == "":
        return None
    if not (value.isascii() and value.isdigit()):
        raise RecountFileError(table.name, row, column, f"'{text}' is not a whole number "
                               "(0 or more)" + (" or blank" if blank else ""))
    return int(value)


def _flag(table: _Table, row: int, column: str, text: str) -> bool:
    value = text.strip().lower()
    if value not in ("true", "false"):
        raise RecountFileError(table.name, row, column, f"'{text}' is not true or false")
    return value == "true"


# --- comparing ---------------------------------------------------------------------------------


def _same(published: Any, recounted: Any) -> bool:
    if isinstance(published, bool) or isinstance(recounted, bool):
        return published is recounted
    if isinstance(published, (int, float)) and isinstance(recounted, (int, float)):
        if isinstance(published, float) or isinstance(recounted, float):
            if math.isnan(recounted) and published is None:
                return True
            return math.isclose(published, recounted, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
        return published == recounted
    if isinstance(published, list) and isinstance(recounted, (list, tuple)):
        return len(published) == len(recounted) and all(
            _same(a, b) for a, b in zip(published, recounted, strict=True))
    return bool(published == recounted)


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)


def _compare(file: str, principle: int, what: str, published: Mapping[str, Any],
             recounted: Mapping[str, Any], keys: Any) -> list[Difference]:
    found = []
    for key in keys:
        if key not in published:
            found.append(Difference(file, principle, f"{what}{key} is missing from the "
                                    "published figures"))
        elif not _same(published[key], recounted[key]):
            found.append(Difference(file, principle, f"{what}{key} was published as "
                                    f"{_shown(published[key])} but recounts to "
                                    f"{_shown(recounted[key])}"))
    return found


# --- the checks --------------------------------------------------------------------------------


def _safe_path(path: object) -> str | None:
    if not isinstance(path, str) or not path:
        return None
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or "\\" in path:
        return None
    return path


def _unzip(archive: Path, folder: Path) -> None:
    """Every file of the ZIP into `folder`; a name that would land outside it is refused."""
    try:
        with zipfile.ZipFile(archive) as packed:
            for entry in packed.infolist():
                if entry.is_dir():
                    continue
                if _safe_path(entry.filename) is None:
                    raise RecountFileError(archive.name, None, None, f"holds '{entry.filename}', "
                                           "a name outside its folder; this is not a charter's "
                                           "open data as published")
                target = folder / entry.filename
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(packed.read(entry))
    except (zipfile.BadZipFile, OSError) as error:
        raise RecountFileError(archive.name, None, None, f"cannot be unpacked: {error}") from None


def check_files(directory: Path) -> tuple[int, list[Difference]]:
    """Every file datapackage.json lists is there with its published sha256."""
    package = _json(directory, publication.DATAPACKAGE)
    resources = package.get("resources") if isinstance(package, dict) else None
    if not isinstance(resources, list):
        raise RecountFileError(publication.DATAPACKAGE, None, "resources", "there is no list "
                               "of resources; is this a charter's datapackage.json?")
    found = []
    for number, resource in enumerate(resources, start=1):
        path = _safe_path(resource.get("path") if isinstance(resource, dict) else None)
        published = resource.get("hash") if isinstance(resource, dict) else None
        if path is None or not isinstance(published, str) or not published.startswith("sha256:"):
            raise RecountFileError(publication.DATAPACKAGE, None, f"resources[{number}]",
                                   "each resource needs a relative path and a "
                                   "hash 'sha256:...'")
        try:
            data = (directory / path).read_bytes()
        except OSError:
            found.append(Difference(path, None, "is listed in datapackage.json but missing"))
            continue
        actual = hashlib.sha256(data).hexdigest()
        if actual != published.removeprefix("sha256:"):
            found.append(Difference(path, None, f"its sha256 is {actual}, not the "
                                    f"{published.removeprefix('sha256:')} published in "
                                    "datapackage.json: the file was changed after publishing"))
    return len(resources), found


def _rule(inputs: Mapping[str, Any]) -> Rule:
    raw = dict(inputs["rule"])
    return Rule(kind=RuleKind(raw.pop("kind")), **raw)


def _votes(table: _Table) -> dict[int, dict[str, Any]]:
    """principle -> {"scale", "eligible", "counts", "rows"} from votes.csv."""
    found: dict[int, dict[str, Any]] = {}
    for row, cells in table.rows:
        principle = _whole(table, row, "principle", cells["principle"])
        assert principle is not None
        ballots = _whole(table, row, "ballots", cells["ballots"])
        eligible = _whole(table, row, "eligible", cells["eligible"])
        entry = found.setdefault(principle, {"scale": cells["scale"], "eligible": eligible,
                                             "counts": {}, "row": row})
        if cells["scale"] != entry["scale"] or eligible != entry["eligible"]:
            column = "scale" if cells["scale"] != entry["scale"] else "eligible"
            what = "scale" if column == "scale" else "count of eligible members"
            raise RecountFileError(table.name, row, column, f"principle {principle} has another "
                                   f"{what} on row {entry['row']}")
        option = cells["option"]
        if option in entry["counts"]:
            raise RecountFileError(table.name, row, "option", f"principle {principle} has "
                                   f"option '{option}' twice")
        entry["counts"][option] = ballots
    return found


def _strata(table: _Table) -> dict[int, dict[str, dict[str, dict[str, int | None]]]]:
    """principle -> feature -> value -> option -> ballots (None: suppressed)."""
    found: dict[int, dict[str, dict[str, dict[str, int | None]]]] = {}
    for row, cells in table.rows:
        principle = _whole(table, row, "principle", cells["principle"])
        assert principle is not None
        suppressed = _flag(table, row, "suppressed", cells["suppressed"])
        ballots = _whole(table, row, "ballots", cells["ballots"], blank=suppressed)
        if suppressed and ballots is not None:
            raise RecountFileError(table.name, row, "ballots", "a suppressed cell must be blank")
        (found.setdefault(principle, {}).setdefault(cells["feature"], {})
         .setdefault(cells["value"], {}))[cells["option"]] = ballots
    return found


def _principles(table: _Table) -> dict[int, dict[str, str]]:
    """principle -> its row in principles.csv."""
    found: dict[int, dict[str, str]] = {}
    for row, cells in table.rows:
        principle = _whole(table, row, "principle", cells["principle"])
        assert principle is not None
        if principle in found:
            raise RecountFileError(table.name, row, "principle", f"principle {principle} has "
                                   "two rows")
        found[principle] = cells
    return found


def _entries(data: Any) -> list[dict[str, Any]]:
    entries = data.get("principles") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise RecountFileError(publication.TALLIES, None, "principles", "there is no list of "
                               "principles; is this a charter's tallies.json?")
    for number, entry in enumerate(entries, start=1):
        for key, kind in (("principle", int), ("inputs", dict), ("digest", str),
                          ("method_version", str), ("figures", dict)):
            if not isinstance(entry, dict) or not isinstance(entry.get(key), kind):
                raise RecountFileError(publication.TALLIES, None, f"principles[{number}].{key}",
                                       f"missing or not {kind.__name__}")
    return entries


def _check_principle(entry: Mapping[str, Any], votes: Mapping[str, Any] | None,
                     strata: Mapping[str, Mapping[str, Mapping[str, int | None]]] | None,
                     listed: Mapping[str, str] | None) -> PrincipleCheck:
    number = int(entry["principle"])
    inputs, figures = entry["inputs"], entry["figures"]
    found: list[Difference] = []
    notes: list[str] = []
    tallies_json = publication.TALLIES

    def differ(file: str, message: str) -> None:
        found.append(Difference(file, number, message))

    if entry["method_version"] != tallies.METHOD_VERSION:
        differ(tallies_json, f"it was counted with method version {entry['method_version']}, "
               f"and this Minipublic counts with version {tallies.METHOD_VERSION}: recount with "
               "the Minipublic release that published it")
    try:
        actual = tallies.digest(inputs)
    except tallies.TallyError as error:
        actual = f"(none: {error})"
    if actual != entry["digest"]:
        differ(tallies_json, f"its digest {entry['digest']} does not match its inputs, whose "
               f"digest is {actual}: the inputs were changed after publishing")
    try:
        result, features = tallies.recompute(inputs)
        scale, rule = Scale(inputs["scale"]), _rule(inputs)
    except (tallies.TallyError, ValueError, TypeError, KeyError) as error:
        differ(tallies_json, f"its inputs cannot be tallied: {error}")
        return PrincipleCheck(number, str(entry.get("title", "")), figures, tuple(found))

    recounted = publication.tally_figures(result)
    found += _compare(tallies_json, number, "", figures, recounted, publication.TALLY_FIGURES)
    if listed is None:
        differ("principles.csv", "has no row for this principle")
    elif (listed["adopted"], listed["decision"]) != (
            "true" if result.decision.adopted else "false", result.decision.reason):
        differ("principles.csv", f"says adopted={listed['adopted']}, \"{listed['decision']}\", "
               f"but the recount says adopted={str(result.decision.adopted).lower()}, "
               f"\"{result.decision.reason}\"")

    published_strata = {f.get("feature"): f for f in figures.get("strata", [])
                        if isinstance(f, dict)}
    withheld_any = any(f.get("withheld") for f in published_strata.values())
    for extra in sorted(set(published_strata) - {f.feature for f in features}, key=str):
        differ(tallies_json, f"figures are published for the feature {extra}, which is not "
               "among its inputs")
    for agreement in features:
        shown = published_strata.get(agreement.feature)
        if shown is None:
            differ(tallies_json, f"no published figures for the feature {agreement.feature}")
            continue
        mine = publication.strata_figures([agreement])[0]
        keys: list[str] = ["lowest", "lowest_share", "geometric_mean"]
        if shown.get("withheld"):
            notes.append(f"{agreement.feature}: the p-value pools withheld cells, so it cannot "
                         "be recounted from the public files")
        else:
            keys += ["p_value", "test"]
        if not withheld_any:
            keys += ["p_adjusted", "contested"]
        found += _compare(tallies_json, number, f"{agreement.feature}: ", shown, mine, keys)
    if withheld_any and features:
        notes.append("the Holm-adjusted p-values depend on the withheld cells")
    elif "verdict" in figures and figures["verdict"] != tallies.verdict(result, features):
        differ(tallies_json, f"the verdict was published as {figures['verdict']!r} but "
               f"recounts to {tallies.verdict(result, features)!r}")

    # votes.csv: the same counts, and the same figures from them
    if votes is None:
        differ("votes.csv", "has no rows for this principle")
    else:
        if votes["scale"] != scale.value:
            differ("votes.csv", f"its scale is {votes['scale']}, not {scale.value} as in "
                   "tallies.json")
        if votes["eligible"] != inputs["eligible"]:
            differ("votes.csv", f"{votes['eligible']} eligible members, but "
                   f"{inputs['eligible']} in tallies.json's inputs")
        for option in sorted(set(votes["counts"]) | set(OPTIONS[scale])):
            here, there = votes["counts"].get(option), inputs["counts"].get(option)
            if here != there:
                differ("votes.csv", f"'{option}' has {here if here is not None else 'no'} "
                       f"ballots, but {there if there is not None else 'none'} in "
                       "tallies.json's inputs")
        try:
            own = tallies.tally(scale, votes["counts"], votes["eligible"], rule)
        except tallies.TallyError as error:
            differ("votes.csv", f"its counts cannot be tallied: {error}")
        else:
            found += _compare("votes.csv", number, "recounted from votes.csv, ", figures,
                              publication.tally_figures(own), publication.TALLY_FIGURES)

    # strata.csv: the cells shown are the inputs' cells, the withheld ones blank
    given: Mapping[str, Mapping[str, Mapping[str, int]]] = inputs.get("strata", {})
    mine_strata = strata or {}
    for feature in sorted(set(given) | set(mine_strata)):
        withheld = set(published_strata.get(feature, {}).get("withheld", []))
        for value in sorted(set(given.get(feature, {})) | set(mine_strata.get(feature, {}))):
            cells = mine_strata.get(feature, {}).get(value)
            counts = given.get(feature, {}).get(value)
            if cells is None:
                differ("strata.csv", f"{feature} {value} is missing")
                continue
            if all(c is None for c in cells.values()):
                if counts is not None or value not in withheld:
                    differ("strata.csv", f"{feature} {value} is marked suppressed, but it was "
                           "published as shown")
                continue
            if counts is None:
                differ("strata.csv", f"{feature} {value} is shown, but it is not among "
                       "tallies.json's inputs")
                continue
            for option in OPTIONS[scale]:
                if cells.get(option) != counts.get(option, 0):
                    differ("strata.csv", f"{feature} {value} '{option}' has "
                           f"{cells.get(option)} ballots, but {counts.get(option, 0)} in "
                           "tallies.json's inputs")
        for value in sorted(withheld - set(mine_strata.get(feature, {}))):
            differ("strata.csv", f"{feature} {value} is withheld in tallies.json but has no "
                   "row")
    return PrincipleCheck(number, str(entry.get("title", "")), figures, tuple(found),
                          tuple(notes))


def recount(directory: str | Path) -> RecountReport:
    """Recount every tally in a charter's open-data folder, or its ZIP as published, and check
    every file's hash."""
    folder = Path(directory)
    if folder.is_file() and zipfile.is_zipfile(folder):
        with tempfile.TemporaryDirectory(prefix="recount-") as unzipped:
            _unzip(folder, Path(unzipped))
            return recount(unzipped)
    if not folder.is_dir():
        raise RecountFileError(str(folder), None, None, "is not a folder or a ZIP; give the "
                               "folder of a charter's open data (with datapackage.json) or its "
                               "ZIP")
    files_checked, file_differences = check_files(folder)
    entries = _entries(_json(folder, publication.TALLIES))
    votes = _votes(_table(folder, "votes.csv"))
    strata = _strata(_table(folder, "strata.csv"))
    listed = _principles(_table(folder, "principles.csv"))
    checks = []
    seen: set[int] = set()
    for entry in entries:
        number = int(entry["principle"])
        if number in seen:
            raise RecountFileError(publication.TALLIES, None, "principles", f"principle "
                                   f"{number} appears twice")
        seen.add(number)
        checks.append(_check_principle(entry, votes.get(number), strata.get(number),
                                       listed.get(number)))
    others = [Difference(name, number, "has rows for a principle that tallies.json does not "
                         "have") for name, found in (("votes.csv", votes), ("strata.csv", strata))
              for number in sorted(set(found) - seen)]
    return RecountReport(tuple(checks), files_checked, tuple(file_differences), tuple(others))
