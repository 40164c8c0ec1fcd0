"""`minipublic select`, `draw` and `verify`: a selection by lot from the command line.

`select` finds the fair distribution, rounds it into a lottery of numbered tickets and writes
the commitment; with `--seed` it also draws at once, otherwise the draw happens later in public
with `minipublic draw DIR --seed TEXT`. `replace DIR --leaving ID` swaps in a drop-out's first
reserve. `verify DIR` replays everything from the files.
Exit status: 0 done (or verified), 1 verification found a difference, 2 bad input.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import SupportsInt, TextIO, cast

import numpy as np

import sortition
from sortition import csvsafe
from sortition.arrays import Ints
from sortition.commitment import (
    DEFAULT_SUPPRESS_BELOW,
    FILES,
    Opened,
    PublishedFileError,
    commit,
    opening_hash,
    read_audit,
    read_lottery,
    read_pool,
    read_quotas,
    read_summary,
    sha256,
    summary_rows,
)
from sortition.draw import Draw, draw, normalise_seed, pick_ticket
from sortition.files import (
    OutputError,
    Saved,
    check_new_directory,
    draw_files,
    id_column,
    load,
    people_csv,
    read_people_rows,
    reserves_csv,
    selection_files,
    write_files,
)
from sortition.lottery import KEEP_LOWEST, MAX_LOTTERY_SIZE, Lottery, choose_lottery
from sortition.model import (
    ALGORITHMS,
    Distribution,
    InputError,
    Instance,
    Progress,
    SelectionError,
    SelectionOptions,
    terminal_safe,
)
from sortition.reserves import NoReplacement, find_reserves, replace_member

BAD_INPUT = 2
DIFFERS = 1


class TerminalProgress:
    """A plain-text progress bar on a terminal; one line per phase when output is a file."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self.phase = ""
        self.drawn = False
        self.seen: set[str] = set()

    def __call__(self, progress: Progress) -> None:
        if not self.live:
            if progress.phase not in self.seen:
                self.seen.add(progress.phase)
                self.stream.write(f"{progress.phase}...\n")
                self.stream.flush()
            return
        if progress.phase != self.phase and self.drawn:
            self.stream.write("\n")
        self.phase = progress.phase
        width = shutil.get_terminal_size((80, 24)).columns
        if progress.fraction is None:
            bar = "[" + " " * 20 + "]    "
        else:
            done = max(0.0, min(1.0, progress.fraction))
            filled = int(round(20 * done))
            bar = f"[{'#' * filled}{'-' * (20 - filled)}] {done:4.0%}"
        line = f"{progress.phase:<20.20} {bar} {progress.message}"
        self.stream.write("\r" + line[: width - 1].ljust(width - 1))
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.live and self.drawn:
            self.stream.write("\n")
            self.stream.flush()
        self.drawn = False


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    select = subparsers.add_parser(
        "select", help="select a panel by lot from a pool of respondents",
        description="Find the fairest chances for everyone in the pool, turn them into a "
        "lottery of numbered tickets and publish a commitment to it; with --seed, draw too.")
    select.add_argument("--features", required=True, metavar="F.csv",
                        help="quotas file: feature,value,min,max[,min_flex,max_flex]")
    select.add_argument("--people", required=True, metavar="P.csv",
                        help="respondents: an id column and one column per feature")
    select.add_argument("--panel-size", required=True, type=int, metavar="K",
                        help="how many members the panel has")
    select.add_argument("--algorithm", choices=ALGORITHMS, default="leximin",
                        help="leximin (default: the fairest), maximin, nash, or legacy (the "
                        "greedy method, only to compare)")
    select.add_argument("--address-columns", default="", metavar="COL,COL",
                        help="the columns that tell households apart; with them, at most one "
                        "person per household is selected (unless --several-per-household)")
    select.add_argument("--several-per-household", action="store_true",
                        help="allow several people from one household even with "
                        "--address-columns")
    select.add_argument("--id-column", default=None, metavar="COL",
                        help="the column holding respondents' ids (default: 'id' or the first)")
    select.add_argument("--lottery-size", type=int, default=None, metavar="M",
                        help="number of tickets (default: the fewest, from 1,000 up to "
                        f"{MAX_LOTTERY_SIZE:,}, that keep the lowest chance within "
                        f"{KEEP_LOWEST:.0%} of its exact value)")
    select.add_argument("--seed", default=None, metavar="TEXT",
                        help="the public random seed; without it the draw waits for "
                        "'minipublic draw'")
    select.add_argument("--time-budget", type=float, default=None, metavar="SECONDS",
                        help="return the best distribution found within this time")
    select.add_argument("--suppress-below", type=int, default=DEFAULT_SUPPRESS_BELOW,
                        metavar="K", help="leave empty any count of fewer than K respondents in "
                        f"the published pool-summary.csv (default {DEFAULT_SUPPRESS_BELOW})")
    select.add_argument("--out", required=True, metavar="DIR", help="folder for the results")
    select.set_defaults(run=run_select)

    draw_parser = subparsers.add_parser(
        "draw", help="draw the panel from a published lottery with a public seed",
        description="Pick the ticket named by a seed made in public, and write the panel, "
        "the rest of the pool and the reserves.")
    draw_parser.add_argument("directory", metavar="DIR")
    draw_parser.add_argument("--seed", required=True, metavar="TEXT")
    draw_parser.set_defaults(run=run_draw)

    replace = subparsers.add_parser(
        "replace", help="replace a panel member who drops out by their first reserve",
        description="Replace a member who cannot serve by the first person on their reserve "
        "list who keeps every quota (and the household rule), given the panel as it is now. "
        "Writes panel.csv (the panel now), reserves.csv for it, and logs the change in "
        "replacements.csv so that verify can replay it.")
    replace.add_argument("directory", metavar="DIR")
    replace.add_argument("--leaving", required=True, metavar="ID",
                         help="the id of the member who drops out")
    replace.add_argument("--declined", default="", metavar="ID,ID",
                         help="reserves already asked who could not serve")
    replace.set_defaults(run=run_replace)

    verify = subparsers.add_parser(
        "verify", help="replay a selection's draw from its published files",
        description="Recompute the commitment from the published files, re-run the draw with "
        "the recorded seed and check the drawn ticket's opening. With the auditor's files "
        "(profiles.csv, tickets.csv) in the folder, also open every hash and check every ticket "
        "against the quotas; in the officer's folder, check the panel's files too. Exit 0 if "
        "everything matches, 1 if not.")
    verify.add_argument("directory", metavar="DIR")
    verify.add_argument("--commitment", default=None, metavar="HASH",
                        help="the commitment announced before the draw, to compare with")
    verify.set_defaults(run=run_verify)


def _fail(message: str) -> int:
    sys.stderr.write(message.rstrip() + "\n")
    return BAD_INPUT


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise OutputError(f"Cannot read the {what} file {path}: {error.strerror}.") from None


def _options(args: argparse.Namespace) -> list[str]:
    """Problems with the numeric options that argparse cannot see."""
    problems = []
    if args.lottery_size is not None and not 1 <= args.lottery_size <= MAX_LOTTERY_SIZE:
        problems.append(f"--lottery-size must be between 1 and {MAX_LOTTERY_SIZE:,}, not "
                        f"{args.lottery_size} (1,000 tickets is usual).")
    if args.time_budget is not None and not args.time_budget > 0:
        problems.append(f"--time-budget must be a positive number of seconds, not "
                        f"{args.time_budget}.")
    if not 1 <= args.suppress_below <= 1000:
        problems.append(f"--suppress-below must be between 1 and 1,000, not "
                        f"{args.suppress_below} (5 is usual).")
    if args.seed is not None and not " ".join(args.seed.split()):
        problems.append("--seed is empty: give the numbers or words drawn in public.")
    return problems


def run_select(args: argparse.Namespace) -> int:
    started = time.monotonic()
    problems = _options(args)
    out = Path(args.out)
    try:
        check_new_directory(out)
    except OutputError as error:
        problems.append(str(error))
    files: dict[str, bytes] = {}
    for name, path in (("quotas", args.features), ("people", args.people)):
        try:
            files[name] = _read(path, name)
        except OutputError as error:
            problems.append(str(error))
    if problems:
        return _fail("\n".join(problems))
    from sortition.io import load_instance

    address_columns = [c.strip() for c in args.address_columns.split(",") if c.strip()]
    try:
        instance = load_instance(
            files["quotas"], files["people"], args.panel_size,
            address_columns=address_columns,
            one_per_household=bool(address_columns) and not args.several_per_household,
            id_column=args.id_column, quotas_name=Path(args.features).name,
            people_name=Path(args.people).name)
    except InputError as error:
        count = len(error.problems)
        return _fail(f"The input has {count:,} problem{'s' if count != 1 else ''}; nothing was "
                     f"selected.\n{error}")
    except SelectionError as error:
        return _fail(f"The input has problems; nothing was selected.\n{error}")
    if instance.pool.ids_from_rows:
        print(f"The people file has no id column, so each respondent's id is their row number "
              f"in the file (the '{instance.pool.columns[0]}' column of selected.csv and "
              "remaining.csv). Contact details are never used as ids.")
    if instance.one_per_household:
        labels = instance.pool.households
        homes = len(np.unique(labels[labels >= 0])) + int(np.sum(labels < 0))
        print(f"At most one person per household: the {len(address_columns)} address "
              f"column(s) ({', '.join(address_columns)}) tell {homes:,} households apart. "
              "Add --several-per-household to allow more than one.")
    progress = TerminalProgress(sys.stderr)
    options = SelectionOptions(
        algorithm=args.algorithm,
        time_budget=args.time_budget if args.time_budget is not None else float("inf"))
    from sortition.select import find_distribution

    try:
        distribution = find_distribution(instance, options, progress)
    except SelectionError as error:
        progress.close()
        return _fail(str(error))
    lottery = choose_lottery(instance, distribution, args.lottery_size, progress=progress)
    commitment = commit(instance, lottery.panels, distribution.algorithm,
                        suppress_below=args.suppress_below)
    # From here on people are in person-number order, as the auditor's files have them.
    ordered, tickets = commitment.pseudonymous(instance, lottery.panels)
    opened = read_audit(commitment.audit["profiles.csv"], commitment.audit["tickets.csv"],
                        instance.quotas, commitment.parameters)
    report = _report(instance, distribution, lottery, commitment.digest)
    report["id_column"] = id_column(instance.pool)
    output: dict[str, bytes] = {}
    drawn = None
    if args.seed is not None:
        drawn, output = _draw(ordered, tickets, opened.ticket_salts, commitment.digest,
                              args.seed, report)
    report["total_seconds"] = round(time.monotonic() - started, 3)
    output.update(selection_files(instance, ordered, distribution, lottery, commitment, report))
    progress.close()
    write_files(out, output)
    print(_summary(instance, distribution, lottery, commitment.digest, out,
                   chosen=args.lottery_size is None))
    if drawn is not None:
        print(_drawn_summary(drawn, tickets[drawn.ticket - 1], report, out))
        print("Note: the seed was given before the commitment was published. For a draw "
              "nobody can question, publish the commitment first, then run 'minipublic draw'.")
    else:
        print(f"Publish commitment.json, {', '.join(FILES)} now (give profiles.csv and "
              f"tickets.csv only to the appointed auditor). After the public draw, run:  "
              f"minipublic draw {out} --seed \"...\"")
    return 0


def _report(instance: Instance, distribution: Distribution, lottery: Lottery,
            commitment: str) -> dict[str, object]:
    k, n = instance.panel_size, len(instance.pool)
    marginals = distribution.marginals
    return {
        "algorithm": distribution.algorithm,
        "engine": f"sortition {sortition.__version__}",
        "pool_size": n,
        "panel_size": k,
        "one_per_household": instance.one_per_household,
        "minimum_probability": float(marginals.min()),
        "maximum_probability": float(marginals.max()),
        "gini": distribution.gini,
        "below_half_of_k_over_n": int((marginals < 0.5 * k / n).sum()),
        "panels": int(len(distribution.panels)),
        "seconds": round(distribution.seconds, 3),
        "gap": distribution.gap,
        "estimated": distribution.estimated,
        "samples": distribution.samples,
        "notes": list(distribution.notes),
        "lottery_size": lottery.size,
        "lottery_panels": int(len(np.unique(lottery.panels, axis=0))),
        "lottery_minimum_probability": lottery.lowest,
        "lottery_lowest_loss_share": lottery.lowest_loss_share,
        "lottery_largest_loss_share": lottery.largest_loss_share,
        "lottery_most_tickets_lost": lottery.most_tickets_lost,
        "lottery_max_change": lottery.max_change,
        "lottery_change_bound": lottery.bound,
        "commitment": commitment,
        "seed": None,
        "ticket": None,
    }


def _reserve_seed(commitment: str, seed: str) -> int:
    """Reserves' tie-breaking order follows from the draw, so anyone can reproduce it."""
    text = f"minipublic reserves 1\n{commitment}\n{seed}".encode("utf-8")
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "big")


def _draw(instance: Instance, tickets: Ints, salts: list[str], commitment: str, seed: str,
          report: dict[str, object]) -> tuple[Draw, dict[str, bytes]]:
    drawn = draw(commitment, seed, len(tickets))
    panel = tickets[drawn.ticket - 1]
    reserves = find_reserves(instance, panel, seed=_reserve_seed(commitment, drawn.seed))
    report["seed"], report["ticket"] = drawn.seed, drawn.ticket
    report["members_without_reserves"] = sum(1 for r in reserves if not r.replacements)
    return drawn, draw_files(instance, panel, drawn, salts[drawn.ticket - 1], reserves, report)


def lottery_lines(lottery: Lottery, *, chosen: bool, algorithm: str) -> list[str]:
    """What rounding into tickets did to people's chances, in the words the run page uses."""
    lines = [
        (f"Lowest chance: {lottery.lowest_exact:.2%} exact (the {algorithm} distribution), "
         f"{lottery.lowest:.2%} in the lottery of {lottery.size:,} tickets."),
        (f"Rounding into tickets took {lottery.lowest_loss_share:.1%} of the lowest chance, "
         f"and at most {lottery.largest_loss_share:.1%} of anyone's own chance "
         f"({lottery.most_tickets_lost:.2f} tickets of {lottery.size:,})."),
    ]
    if chosen and lottery.keeps_lowest():
        lines.append(f"{lottery.size:,} tickets is the fewest that keeps the lowest chance "
                     f"within {KEEP_LOWEST:.0%} of its exact value (--lottery-size sets "
                     "another number).")
    elif chosen:
        lines.append(f"Even {lottery.size:,} tickets, the most allowed, leave the lowest chance "
                     f"more than {KEEP_LOWEST:.0%} below its exact value.")
    elif not lottery.keeps_lowest():
        lines.append(f"Warning: with {lottery.size:,} tickets the lowest chance is more than "
                     f"{KEEP_LOWEST:.0%} below its exact value; leave out --lottery-size to "
                     "have enough tickets chosen.")
    return lines


def _summary(instance: Instance, distribution: Distribution, lottery: Lottery,
             commitment: str, out: Path, *, chosen: bool = False) -> str:
    k, n = instance.panel_size, len(instance.pool)
    lines = [
        f"Selection of {k} from {n:,} respondents ({distribution.algorithm}, "
        f"{distribution.seconds:.1f} s).",
        f"Chances (exact): lowest {distribution.minimum:.2%}, highest "
        f"{distribution.maximum:.2%}, Gini {distribution.gini:.3f}; an equal share would be "
        f"{k / n:.2%}.",
        *lottery_lines(lottery, chosen=chosen, algorithm=distribution.algorithm),
        f"Lottery: {lottery.size:,} tickets holding {len(np.unique(lottery.panels, axis=0)):,} "
        f"of the distribution's {len(distribution.panels):,} panels; nobody's chance moved by "
        f"more than {lottery.max_change:.2%} (guaranteed below {lottery.bound:.2%}).",
        f"Commitment: {commitment}",
        f"Files written to {out}",
    ]
    lines += [f"Note: {note}" for note in distribution.notes]
    if distribution.gap > 0:
        lines.append(f"The time budget ran out: the lowest chance may be up to "
                     f"{distribution.gap:.2%} below the best possible.")
    return "\n".join(lines)


def _drawn_summary(drawn: Draw, panel: Ints, report: dict[str, object],
                   out: Path) -> str:
    if (out / "respondents.csv").exists():
        where = (f"{len(panel)} members in {out / 'selected.csv'}, reserves in "
                 f"{out / 'reserves.csv'}")
    else:
        where = f"its {len(panel)} person numbers are in {out / 'draw.json'}"
    text = f"Seed '{drawn.seed}' drew ticket {drawn.ticket} of {drawn.lottery_size:,}: {where}."
    short = report.get("members_without_reserves")
    if short:
        text += (f"\n{short} member(s) have nobody who could replace them and keep every "
                 "quota; reserves.csv says what a replacement would need.")
    return text


def run_draw(args: argparse.Namespace) -> int:
    directory = Path(args.directory)
    try:
        seed = normalise_seed(args.seed)
        saved = load(directory)
    except (OutputError, ValueError) as error:
        return _fail(str(error))
    if saved.draw is not None:
        return _fail(f"{directory} has already been drawn (draw.json, ticket "
                     f"{saved.draw.get('ticket')}). A draw is never repeated.")
    if saved.recomputed_commitment() != saved.commitment:
        return _fail("The published files no longer match the commitment; run 'minipublic "
                     f"verify {directory}' to see which, and do not draw from them.")
    if saved.audit is None:
        # Anyone can work out the ticket; only the holder of tickets.csv can say who is on it.
        picked = draw(saved.commitment, seed, saved.parameters.lottery_size)
        print(f"Seed '{picked.seed}' picks ticket {picked.ticket} of "
              f"{picked.lottery_size:,}. This folder has only the public files, so nothing was "
              "written: the officer draws in the folder that holds tickets.csv, and draw.json "
              "then opens that ticket.")
        return 0
    try:
        opened = _opened_matching(saved)
        instance = saved.instance(opened)
    except (OutputError, PublishedFileError) as error:
        return _fail(str(error))
    report = dict(saved.report)
    drawn, output = _draw(instance, opened.tickets, opened.ticket_salts, saved.commitment, seed,
                          report)
    write_files(directory, output)
    print(_drawn_summary(drawn, opened.tickets[drawn.ticket - 1], report, directory))
    return 0


def _opened_matching(saved: Saved) -> Opened:
    """The auditor's files, refused unless they open exactly the committed hashes."""
    opened = saved.opened()
    if (opened.profile_hashes != read_pool(saved.files["pool.csv"])
            or opened.ticket_hashes != read_lottery(saved.files["lottery.csv"])):
        raise OutputError("profiles.csv or tickets.csv does not open the committed hashes; run "
                          "'minipublic verify' to see which.")
    return opened


REPLACEMENTS_HEADER = ["leaving", "joining", "declined"]


def _replay(instance: Instance, panel: Ints, records: list[list[str]],
            seed: int) -> tuple[Ints, list[str]]:
    """Apply logged replacements in order; the panel after them and any that do not follow."""
    position = {identifier: i for i, identifier in enumerate(instance.pool.ids)}
    problems = []
    for row, record in enumerate(records, start=2):
        if len(record) != 3 or any(not i or i not in position for i in record[:2]):
            problems.append(f"replacements.csv, row {row}: expected a leaving and a joining id "
                            "from the pool")
            continue
        leaving, joining, declined = record
        try:
            panel, chosen = replace_member(
                instance, panel, position[leaving], seed=seed,
                declined=[position[i] for i in declined.split() if i in position])
        except (NoReplacement, ValueError) as error:
            problems.append(f"replacements.csv, row {row}: {error}")
            continue
        if instance.pool.ids[chosen] != joining:
            problems.append(f"replacements.csv, row {row}: {joining} joined, but the rule "
                            f"picks {instance.pool.ids[chosen]}")
            panel = np.sort(np.where(panel == chosen, position[joining], panel))
    return panel, problems


def run_replace(args: argparse.Namespace) -> int:
    directory = Path(args.directory)
    try:
        saved = load(directory)
    except OutputError as error:
        return _fail(str(error))
    if saved.draw is None or not (directory / "respondents.csv").exists():
        return _fail(f"{directory} has no drawn panel to change: run 'minipublic draw' first, "
                     "in the officer's own folder (it needs respondents.csv).")
    try:
        opened = _opened_matching(saved)
        instance = saved.instance(opened)
        tickets = opened.tickets
    except (OutputError, PublishedFileError) as error:
        return _fail(str(error))
    ids = instance.pool.ids
    declined = [i.strip() for i in args.declined.split(",") if i.strip()]
    unknown = [i for i in [args.leaving, *declined] if i not in ids]
    if unknown:
        return _fail("Not in the pool: " + ", ".join(unknown) + ". Use ids as in the people "
                     "file.")
    seed = _reserve_seed(saved.commitment, str(saved.draw.get("seed", "")))
    log_path = directory / "replacements.csv"
    log = read_people_rows(log_path.read_bytes())[1] if log_path.exists() else []
    ticket = int(cast("SupportsInt | str", saved.draw["ticket"]))  # as draw.json recorded it
    panel, problems = _replay(instance, tickets[ticket - 1], log, seed)
    if problems:
        return _fail("replacements.csv no longer follows the rule; run 'minipublic verify'.\n"
                     + "\n".join(problems))
    leaving = ids.index(args.leaving)
    if leaving not in panel:
        return _fail(f"{args.leaving} is not on the panel now.")
    try:
        panel, joining = replace_member(instance, panel, leaving, seed=seed,
                                        declined=[ids.index(i) for i in declined])
    except NoReplacement as error:
        return _fail(str(error))
    log.append([args.leaving, ids[joining], " ".join(declined)])
    reserves = find_reserves(instance, panel, seed=seed)
    write_files(directory, {
        "replacements.csv": _csv_rows([REPLACEMENTS_HEADER, *log]),
        "panel.csv": people_csv(instance.pool, panel),
        "reserves.csv": reserves_csv(instance.pool, reserves),
    })
    print(f"{args.leaving} leaves and {ids[joining]} joins, keeping every quota. The panel as "
          f"it is now is in {directory / 'panel.csv'}; reserves.csv is updated for it.")
    return 0


def _csv_rows(rows: list[list[str]]) -> bytes:
    return csvsafe.encode(rows)


def run_verify(args: argparse.Namespace) -> int:
    directory = Path(args.directory)
    try:
        saved = load(directory)
    except OutputError as error:
        return _fail(str(error))
    problems, checked = verify(saved, announced=args.commitment)
    for line in checked:
        print(f"ok: {line}")
    for line in problems:
        print(f"DIFFERS: {line}")
    if problems:
        print(f"Verification FAILED: {len(problems)} difference(s).")
        return DIFFERS
    if saved.draw is None:
        print("Verification passed for what these files hold: the checks above match. No draw "
              "has been made yet (there is no draw.json), so no draw and no panel were checked. "
              "After the public draw, add draw.json to this folder and verify again.")
    else:
        print("Verification passed: everything these files let anyone check matches (see "
              "above for what was checked).")
    return 0


def verify(saved: Saved, announced: str | None = None) -> tuple[list[str], list[str]]:
    """Replay a selection from its files: (differences, checks that passed).

    Public checks need only the public files; with the auditor's files every hash is opened and
    every ticket checked against the quotas; with respondents.csv (the officer's folder) the
    panel's files are compared too.
    """
    problems: list[str] = []
    checked: list[str] = []
    recorded_files = saved.record.get("files")
    recorded_files = recorded_files if isinstance(recorded_files, dict) else {}
    for name in FILES:
        if recorded_files.get(name) != sha256(saved.files[name]):
            problems.append(f"{name} has changed since the commitment was made (its SHA-256 "
                            "differs from the one in commitment.json).")
    recomputed = saved.recomputed_commitment()
    if recomputed != saved.commitment:
        problems.append(f"The commitment recomputed from the files is {recomputed}, not the "
                        f"recorded {saved.commitment}.")
    else:
        checked.append(f"commitment {recomputed} recomputed from the published files")
    if announced is not None and announced.strip().lower() != saved.commitment:
        problems.append(f"The announced commitment {announced.strip()} is not the recorded "
                        f"{saved.commitment}.")
    try:
        quotas = read_quotas(saved.files["quotas.csv"])
        profiles = read_pool(saved.files["pool.csv"])
        tickets = read_lottery(saved.files["lottery.csv"])
        summary = read_summary(saved.files["pool-summary.csv"])
    except (PublishedFileError, UnicodeDecodeError) as error:
        problems.append(str(error))
        return problems, checked
    size, threshold = saved.parameters.lottery_size, saved.parameters.suppress_below
    if len(tickets) != size:
        problems.append(f"lottery.csv has {len(tickets)} tickets, the commitment says {size}.")
    problems += _check_summary(summary, [(c.feature, c.value) for c in quotas.categories],
                               threshold, checked)
    opened: Opened | None = None
    if saved.audit is not None:
        try:
            opened = saved.opened()
        except (OutputError, PublishedFileError, UnicodeDecodeError) as error:
            problems.append(str(error))
            return problems, checked
        problems += _check_opened(opened, profiles, tickets, summary, threshold, checked)
    else:
        checked.append("the auditor's files are not here, so profiles and tickets were not "
                       "opened (the auditor checks every ticket against the quotas)")
    if saved.draw is None:
        return problems, checked
    problems += _check_draw(saved, len(profiles), tickets, opened, checked)
    return problems, checked


def _check_summary(summary: list[list[str]], categories: list[tuple[str, str]], threshold: int,
                   checked: list[str]) -> list[str]:
    """Public: pool-summary.csv lists the quotas' categories and no count below the threshold."""
    if [(row[0], row[1]) for row in summary if len(row) == 3] != categories or any(
            len(row) != 3 for row in summary):
        return ["pool-summary.csv does not list the categories of quotas.csv, in order."]
    small = [f"{row[0]}: {row[1]}" for row in summary
             if row[2] and (not row[2].isdigit() or int(row[2]) < threshold)]
    if small:
        return [f"pool-summary.csv publishes a count below {threshold} (or not a count): "
                + ", ".join(small[:10]) + "."]
    checked.append(f"pool-summary.csv publishes no count of fewer than {threshold} respondents")
    return []


def _check_opened(opened: Opened, profiles: list[str], tickets: list[str],
                  summary: list[list[str]], threshold: int, checked: list[str]) -> list[str]:
    """Auditor: every hash opens, every ticket meets the quotas, the summary is right."""
    problems = []
    erased = opened.erased
    if len(opened.profile_hashes) != len(profiles):
        problems.append(f"profiles.csv has {len(opened.profile_hashes)} people, pool.csv "
                        f"{len(profiles)}.")
    wrong = [str(p) for p, (a, b) in enumerate(zip(opened.profile_hashes, profiles), start=1)
             if a != b and p - 1 not in erased]
    if wrong:
        problems.append(f"{len(wrong)} profile(s) of profiles.csv do not match their hash in "
                        f"pool.csv: person {', '.join(wrong[:10])}.")
    if len(opened.ticket_hashes) != len(tickets):
        problems.append(f"tickets.csv has {len(opened.ticket_hashes)} tickets, lottery.csv "
                        f"{len(tickets)}.")
    wrong = [str(t) for t, (a, b) in enumerate(zip(opened.ticket_hashes, tickets), start=1)
             if a != b]
    if wrong:
        problems.append(f"{len(wrong)} ticket(s) of tickets.csv do not match their hash in "
                        f"lottery.csv: ticket {', '.join(wrong[:10])}.")
    if not problems:
        opens = len(profiles) - len(erased)
        checked.append(f"all {opens:,} profiles and {len(tickets):,} tickets open to their "
                       "committed hashes")
    unknown = {t for t, panel in enumerate(opened.tickets) if erased & set(panel.tolist())}
    if erased:
        checked.append(f"{len(erased)} person(s) had their answers erased at their request "
                       f"(person {', '.join(str(p + 1) for p in sorted(erased)[:10])}): their "
                       f"hashes and the {len(unknown):,} ticket(s) they are on were not checked, "
                       "nor pool-summary.csv")
    bad = [t + 1 for t, panel in enumerate(opened.tickets)
           if t not in unknown and not opened.instance.is_feasible_panel(panel)]
    if bad:
        shown = ", ".join(str(t) for t in bad[:10]) + (" ..." if len(bad) > 10 else "")
        problems.append(f"{len(bad)} ticket(s) hold a panel that breaks the quotas: {shown}.")
    else:
        checked.append(f"all {len(opened.tickets) - len(unknown):,} tickets hold panels that "
                       "meet every quota")
    if not erased and summary_rows(opened.instance, threshold) != summary:
        problems.append("pool-summary.csv does not give the counts of profiles.csv (with counts "
                        f"below {threshold} left empty).")
    elif not erased:
        checked.append("pool-summary.csv gives the counts of profiles.csv")
    return problems


def _check_draw(saved: Saved, population: int, tickets: list[str], opened: Opened | None,
                checked: list[str]) -> list[str]:
    record = saved.draw or {}
    problems = []
    seed, ticket = record.get("seed"), record.get("ticket")
    if record.get("commitment") != saved.commitment:
        problems.append("draw.json was made for a different commitment.")
    if not isinstance(seed, str) or not isinstance(ticket, int) or isinstance(ticket, bool):
        return problems + ["draw.json lacks the seed or the ticket."]
    replayed = pick_ticket(saved.commitment, normalise_seed(seed), len(tickets))
    if replayed != ticket:
        problems.append(f"The seed '{seed}' picks ticket {replayed}, but draw.json records "
                        f"ticket {ticket}.")
        return problems
    checked.append(f"the seed '{seed}' picks ticket {ticket} of {len(tickets):,}")
    members, salt = record.get("panel"), record.get("salt")
    if (not isinstance(members, list) or not isinstance(salt, str)
            or not all(isinstance(m, int) and not isinstance(m, bool) for m in members)):
        return problems + ["draw.json lacks the drawn ticket's members or salt."]
    if (len(set(members)) != saved.parameters.panel_size
            or len(members) != saved.parameters.panel_size
            or not all(1 <= m <= population for m in members)):
        problems.append(f"draw.json lists {len(members)} members, not "
                        f"{saved.parameters.panel_size} different people of pool.csv.")
    elif opening_hash(ticket, salt, members) != tickets[ticket - 1]:
        problems.append(f"draw.json's members and salt do not open ticket {ticket}'s hash in "
                        "lottery.csv: the panel is not the ticket that was committed to.")
    else:
        checked.append(f"draw.json opens ticket {ticket}: its {len(members)} members (by person "
                       "number) are the panel committed to before the draw")
    if saved.report.get("commitment", saved.commitment) != saved.commitment:
        problems.append("report.json records a different commitment.")
    report_ticket = saved.report.get("ticket")
    if report_ticket is not None and report_ticket != ticket:
        problems.append(f"report.json records ticket {report_ticket}, not {ticket}.")
    if opened is None or problems:
        return problems
    try:
        instance = saved.instance(opened)
    except OutputError as error:
        return problems + [str(error)]
    panel = sorted(int(i) for i in opened.tickets[ticket - 1])
    problems += _check_people(saved, instance, panel, checked)
    problems += _check_replacements(saved, instance, np.array(panel), checked)
    return problems


def _check_replacements(saved: Saved, instance: Instance, panel: Ints,
                        checked: list[str]) -> list[str]:
    """Each logged replacement must be the one the published rule picks, in order."""
    directory = saved.directory
    log_path = directory / "replacements.csv"
    if not log_path.exists() or not (directory / "respondents.csv").exists():
        return []
    header, log = read_people_rows(log_path.read_bytes())
    if header != REPLACEMENTS_HEADER:
        return ["replacements.csv must start with the header leaving,joining,declined."]
    seed = _reserve_seed(saved.commitment, str((saved.draw or {}).get("seed", "")))
    final, problems = _replay(instance, panel, log, seed)
    current = directory / "panel.csv"
    if not current.exists() or current.read_bytes() != people_csv(instance.pool, final):
        problems.append("panel.csv is not the drawn panel after the logged replacements.")
    if not problems:
        checked.append(f"{len(log)} replacement(s) each picked the first reserve who keeps "
                       "every quota")
    return problems


def _check_people(saved: Saved, instance: Instance, panel: list[int],
                  checked: list[str]) -> list[str]:
    """selected.csv and remaining.csv against the panel (only where the private files exist)."""
    directory = saved.directory
    if not (directory / "respondents.csv").exists():
        checked.append("respondents.csv is not here, so selected.csv was not compared")
        return []
    problems = []
    pool = instance.pool
    chosen = set(panel)
    expected = {
        "selected.csv": [list(pool.rows[i]) for i in panel],
        "remaining.csv": [list(pool.rows[i]) for i in range(len(pool)) if i not in chosen],
    }
    for name, rows in expected.items():
        path = directory / name
        if not path.exists():
            problems.append(f"{name} is missing.")
            continue
        try:
            columns, found = read_people_rows(path.read_bytes())
        except UnicodeDecodeError:
            problems.append(f"{name} is not UTF-8 text.")
            continue
        if columns != list(pool.columns) or found != rows:
            extra = _difference(pool.columns.index(str(saved.report["id_column"])), found, rows)
            problems.append(f"{name} does not match the panel on the drawn ticket{extra}.")
        else:
            checked.append(f"{name} matches the drawn panel ({len(rows)} people)")
    return problems


def _difference(position: int, found: list[list[str]], expected: list[list[str]]) -> str:
    """Which ids are missing or extra, to say more than 'differs'."""
    have = {row[position] for row in found if len(row) > position}
    want = {row[position] for row in expected}
    parts = []
    if want - have:
        parts.append("missing " + ", ".join(sorted(want - have)[:10]))
    if have - want:
        parts.append("not drawn " + ", ".join(sorted(have - want)[:10]))
    return f" ({'; '.join(parts)})" if parts else " (a row's contents differ)"


class TerminalSafe(io.TextIOBase):
    """A text stream that writes through to `stream` with control characters made visible (see
    `terminal_safe`): what a command prints can come from a file or a form, and an escape
    sequence in a title must not rewrite the officer's terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(terminal_safe(text))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]  # TextIOBase's is a read-only attribute
        return getattr(self.stream, "encoding", "utf-8")


@contextlib.contextmanager
def safe_output() -> Iterator[None]:
    """Make everything printed to standard output and error terminal-safe while inside."""
    with contextlib.redirect_stdout(TerminalSafe(sys.stdout)), \
            contextlib.redirect_stderr(TerminalSafe(sys.stderr)):
        yield


def main(argv: Sequence[str] | None = None) -> int:
    """Run these commands without the rest of the app (used by tests and `python -m`)."""
    parser = argparse.ArgumentParser(prog="minipublic")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    with safe_output():
        return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
