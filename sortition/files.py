"""The selection's output directory: what is written, what may be published, how it is read back.

Public (publish these, they reveal nobody's answers):
    pool.csv, quotas.csv, lottery.csv,  the files the commitment hashes: salted hashes of each
    pool-summary.csv                    profile and ticket, the quotas, suppressed pool counts
    commitment.json                     parameters, file hashes and the commitment
    draw.json                           the public seed, the ticket it picked and that ticket's
                                        opening (salt and person numbers), after the draw
    report.json                         the figures of the selection (no personal data)
For the appointed auditor only (they open every hash; no names, but everyone's answers):
    profiles.csv, tickets.csv
Private (personal data; keep them safe):
    respondents.csv                     the people file's columns, row p = person number p
    probabilities.csv                   id,probability under the chosen algorithm
    lottery-probabilities.csv           id, probability, lottery probability and the change
    selected.csv, remaining.csv         the panel and everyone else (after the draw)
    reserves.csv                        replacements for each member (after the draw)
    panel.csv, replacements.csv         the panel now and the log of drop-outs replaced

Every write goes to temporary files first and then replaces the real ones, the commitment and
the draw record last, so an interrupted run never leaves a selection that looks finished.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sortition import csvsafe
from sortition.arrays import Floats, Ints
from sortition.commitment import (
    AUDIT_FILES,
    FILES,
    Commitment,
    Opened,
    Parameters,
    digest,
    read_audit,
    read_quotas,
)
from sortition.draw import Draw
from sortition.lottery import Lottery
from sortition.model import Distribution, Instance, Pool
from sortition.reserves import Reserves

PUBLIC = (*FILES, "commitment.json", "draw.json", "report.json")
RESERVES_LISTED = 10

README = """\
This folder holds one selection by lot, made with Minipublic.

PUBLIC - publish these before the draw; they reveal nobody's answers:
  commitment.json   the commitment (a SHA-256 hash) and how it was made
  pool.csv          a salted hash of every respondent's answers, by random person number
  quotas.csv        the quotas
  lottery.csv       a salted hash of each numbered ticket's panel
  pool-summary.csv  respondents per category, counts under the threshold left empty
After the draw also publish draw.json (the public seed, the ticket it picked and its members
as person numbers).

AUDITOR ONLY - give these to the appointed auditor, never publish them:
  profiles.csv, tickets.csv (the salts that open every hash, with everyone's answers)

PRIVATE - personal data, never publish:
  respondents.csv, selected.csv, remaining.csv, reserves.csv, probabilities.csv,
  lottery-probabilities.csv, and after drop-outs panel.csv and replacements.csv

When a member drops out:  minipublic replace <this folder> --leaving ID

Anyone can check the draw with:  minipublic verify <folder with the public files>
The auditor checks everything with the auditor's files in that folder too.
"""


class OutputError(Exception):
    """The output directory cannot be used as asked; the message says why and what to do."""


def _csv(rows: Sequence[Sequence[str]]) -> bytes:
    return csvsafe.encode(rows)


def _json(data: object) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


# Written last: while they are missing, the selection (or the draw) has not happened, so an
# interrupted run can simply be run again.
_MARKERS = ("commitment.json", "draw.json")


def write_files(directory: Path, files: Mapping[str, bytes]) -> None:
    """Write all `files` into `directory` so that an interruption leaves no half-done result.

    A new folder is filled under a temporary name and renamed into place in one step. In an
    existing folder each file is written aside and then swapped in, commitment.json and
    draw.json last, since their presence is what says the selection or draw took place.
    """
    if not directory.exists():
        directory.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
        try:
            for name, data in files.items():
                (staging / name).write_bytes(data)
            staging.rename(directory)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return
    order = sorted(files, key=lambda name: (name in _MARKERS, name))
    partial = {name: directory / f".{name}.partial" for name in order}
    try:
        for name in order:
            partial[name].write_bytes(files[name])
        for name in order:
            os.replace(partial[name], directory / name)
    finally:
        for path in partial.values():
            path.unlink(missing_ok=True)


def check_new_directory(directory: Path) -> None:
    """Refuse to overwrite an earlier selection: its commitment may already be public."""
    if directory.exists() and not directory.is_dir():
        raise OutputError(f"{directory} is a file, not a folder. Choose a folder for --out.")
    if (directory / "commitment.json").exists():
        raise OutputError(
            f"{directory} already holds a selection (commitment.json). Its commitment may "
            "already be published, so it is never overwritten: choose a new --out folder.")


def id_column(pool: Pool) -> str:
    """The column of the people file that holds the ids (the first that matches them all)."""
    for position, name in enumerate(pool.columns):
        if all(row[position] == identifier for row, identifier in zip(pool.rows, pool.ids)):
            return name
    raise ValueError("no column of the people file holds the respondents' ids")


def people_csv(pool: Pool, people: Sequence[int] | Ints) -> bytes:
    """Some respondents with every original column, in the order given."""
    return _csv([list(pool.columns), *(list(pool.rows[i]) for i in people)])


def probabilities_csv(ids: Sequence[str], probabilities: Floats) -> bytes:
    rows = [["id", "probability"]]
    rows += [[i, repr(float(p))] for i, p in zip(ids, probabilities)]
    return _csv(rows)


def lottery_probabilities_csv(ids: Sequence[str], lottery: Lottery) -> bytes:
    rows = [["id", "probability", "lottery_probability", "change"]]
    rows += [
        [i, repr(float(p)), repr(float(q)), repr(float(q - p))]
        for i, p, q in zip(ids, lottery.original, lottery.marginals)
    ]
    return _csv(rows)


def reserves_csv(pool: Pool, reserves: Sequence[Reserves], listed: int = RESERVES_LISTED) -> bytes:
    """Per member, the first `listed` replacements in order; a note when there are none."""
    rows = [["member_id", "rank", "reserve_id", "features_different", "note"]]
    for entry in reserves:
        member = pool.ids[entry.member]
        if not entry.replacements:
            rows.append([member, "", "", "", entry.message])
        for rank, (person, differ) in enumerate(
                zip(entry.replacements[:listed], entry.differences[:listed]), start=1):
            rows.append([member, str(rank), pool.ids[person], str(differ), ""])
    return _csv(rows)


def selection_files(
    instance: Instance,
    ordered: Instance,
    distribution: Distribution,
    lottery: Lottery,
    commitment: Commitment,
    report: Mapping[str, object],
) -> dict[str, bytes]:
    """Everything written before the draw; `ordered` is `instance` by person number."""
    pool = instance.pool
    out = dict(commitment.files)
    out.update(commitment.audit)
    out["commitment.json"] = _json(commitment.record())
    out["report.json"] = _json(report)
    out["respondents.csv"] = people_csv(ordered.pool, range(len(ordered.pool)))
    out["probabilities.csv"] = probabilities_csv(pool.ids, distribution.marginals)
    out["lottery-probabilities.csv"] = lottery_probabilities_csv(pool.ids, lottery)
    out["README.txt"] = README.encode("utf-8")
    return out


def draw_record(drawn: Draw, panel: Ints, salt: str) -> dict[str, object]:
    """draw.json: the draw, and the drawn ticket's opening (salt and person numbers)."""
    return {**drawn.record(), "panel": sorted(int(i) + 1 for i in panel), "salt": salt}


def draw_files(
    instance: Instance,
    panel: Ints,
    drawn: Draw,
    salt: str,
    reserves: Sequence[Reserves],
    report: Mapping[str, object],
) -> dict[str, bytes]:
    """Everything written by the draw: the draw record and, where the people file's columns
    are known (the officer's folder), the panel, everyone else and the reserves."""
    chosen = set(int(i) for i in panel)
    out = {"draw.json": _json(draw_record(drawn, panel, salt)), "report.json": _json(report)}
    if instance.pool.columns:
        out["selected.csv"] = people_csv(instance.pool, sorted(chosen))
        out["remaining.csv"] = people_csv(
            instance.pool, [i for i in range(len(instance.pool)) if i not in chosen])
        out["reserves.csv"] = reserves_csv(instance.pool, reserves)
    return out


# -- Reading a selection back ----------------------------------------------------------------


@dataclass(frozen=True)
class Saved:
    """A selection as its directory holds it. `audit` holds the auditor's files when present."""

    directory: Path
    record: dict[str, object]
    parameters: Parameters
    files: dict[str, bytes]
    report: dict[str, object]
    draw: dict[str, object] | None
    audit: dict[str, bytes] | None = None

    @property
    def commitment(self) -> str:
        return str(self.record.get("commitment", ""))

    def opened(self) -> Opened:
        """The auditor's files read back: the problem by person number, and the tickets."""
        if self.audit is None:
            raise OutputError(f"{self.directory} lacks the auditor's files (profiles.csv and "
                              "tickets.csv), so the tickets cannot be opened.")
        return read_audit(self.audit["profiles.csv"], self.audit["tickets.csv"],
                          read_quotas(self.files["quotas.csv"]), self.parameters)

    def instance(self, opened: Opened | None = None) -> Instance:
        """The problem by person number; with respondents.csv, people keep their ids."""
        public = (opened or self.opened()).instance
        respondents = self.directory / "respondents.csv"
        if not respondents.exists():
            return public
        columns, rows = read_people_rows(respondents.read_bytes())
        name = self.report.get("id_column")
        if name not in columns or len(rows) != len(public.pool):
            raise OutputError("respondents.csv does not match profiles.csv: it should have one "
                              "row per person number, with the id column named in report.json.")
        position = columns.index(str(name))
        pool = Pool(ids=tuple(row[position] for row in rows),
                    categories=public.pool.categories, households=public.pool.households,
                    columns=tuple(columns), rows=tuple(tuple(row) for row in rows))
        return Instance(pool, public.quotas, public.panel_size, public.one_per_household)

    def recomputed_commitment(self) -> str:
        return digest(self.parameters, self.files)


def read_people_rows(data: bytes) -> tuple[list[str], list[list[str]]]:
    records = csvsafe.read_rows(data.decode("utf-8"))
    if not records:
        return [], []
    return records[0], records[1:]


def _read_json(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise OutputError(f"{path.name} cannot be read: {error}") from None
    if not isinstance(data, dict):
        raise OutputError(f"{path.name} should hold a JSON object")
    return data


def load(directory: Path) -> Saved:
    """Read a selection directory, or raise OutputError naming what is missing or unreadable."""
    if not directory.is_dir():
        raise OutputError(f"{directory} is not a folder holding a selection.")
    missing = [name for name in (*FILES, "commitment.json") if not (directory / name).exists()]
    if missing:
        raise OutputError(f"{directory} lacks {', '.join(missing)}: it does not hold a "
                          "published selection.")
    record = _read_json(directory / "commitment.json")
    parameters_data = record.get("parameters")
    if not isinstance(parameters_data, dict):
        raise OutputError("commitment.json has no parameters")
    try:
        parameters = Parameters.from_dict(parameters_data)
    except ValueError as error:
        raise OutputError(str(error)) from None
    report_path = directory / "report.json"
    report = _read_json(report_path) if report_path.exists() else {}
    draw_path = directory / "draw.json"
    drawn = _read_json(draw_path) if draw_path.exists() else None
    files = {name: (directory / name).read_bytes() for name in FILES}
    present = [name for name in AUDIT_FILES if (directory / name).exists()]
    if present and len(present) != len(AUDIT_FILES):
        raise OutputError(f"{directory} has {present[0]} but not the other auditor's file: "
                          f"keep {' and '.join(AUDIT_FILES)} together.")
    audit = {name: (directory / name).read_bytes() for name in present} or None
    return Saved(directory, record, parameters, files, report, drawn, audit)
