"""`minipublic opinions`: opinion groups and consensus of a Pol.is export, from the command line;
and `minipublic recount`: a published charter's tallies recounted from its open data
(`charter.recount`; exit status 0 all match, 1 something differs, 2 bad input).

Reads a Pol.is open-data export (see `charter.polis`), runs the same analysis as the app's
rounds (`charter.opinions.analyse`) and writes two CSV files a spreadsheet opens safely, then
says in a few lines what it found. When the export carries Pol.is's own groups, it also says how
far ours agree with them (adjusted Rand index), so the analysis can be checked against Pol.is.
Exit status: 0 done, 2 bad input (the message names the file, row and column).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sortition import csvsafe

if TYPE_CHECKING:
    from charter.opinions import Analysis
    from charter.polis import PolisConversation
    from charter.recount import RecountReport

BAD_INPUT = 2
TOP = 5          # statements listed in each part of the summary
FIRST_WORDS = 8

FILES_HELP = """\
files read from DIR (Pol.is's open-data layout):
  comments.csv            one row per statement: comment-id, author-id, moderated (-1 moderated
                          out, 0 not yet, 1 accepted), comment-body
  votes.csv               every vote: timestamp, comment-id, voter-id, vote (1 agree, -1
                          disagree, 0 pass); older exports lack it, and then the latest votes
                          are taken from participants-votes.csv
  participants-votes.csv  one row per participant: Pol.is's group-id (blank if not grouped),
                          then their latest vote on each statement; its group-id is compared
                          with ours
  summary.csv             the topic and counts (optional)

files written to OUT:
  groups.csv              participant,group: the opinion group (0, 1, ...) of each participant
                          who was grouped (those with at least 7 votes, or a vote on every
                          statement when there are fewer)
  statements.csv          one row per statement: agrees, disagrees and passes over everyone,
                          consensus (group-informed consensus: the product over groups of
                          (agrees + 1) / (votes + 2)), majority (agree or disagree when most
                          people share it), representative_of (the group the statement
                          best represents, if any)
"""


RECOUNT_HELP = """\
exit status: 0 every figure and file matches what was published; 1 something differs (each
difference names the file and the principle); 2 a file cannot be read (the message names the
file, row and column).
"""
DIFFERS = 1


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    opinions = commands.add_parser(
        "opinions", help="opinion groups and consensus statements of a Pol.is export",
        description="Read a Pol.is export, find its opinion groups and its consensus and "
        "majority statements as Pol.is does, write them as CSV and print a summary.",
        epilog=FILES_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    opinions.add_argument("--polis", required=True, metavar="DIR",
                          help="folder of a Pol.is export (comments.csv, votes.csv, ...)")
    opinions.add_argument("--out", required=True, metavar="OUT",
                          help="folder for groups.csv and statements.csv (made if missing)")
    opinions.add_argument("--seed", type=int, default=0, metavar="N",
                          help="seed of the clustering, a whole number (default 0); the same "
                          "seed gives the same groups")
    opinions.set_defaults(run=run_opinions)

    recount = commands.add_parser(
        "recount", help="recount a published charter's tallies from its open data",
        description="Recompute every principle's tally from a charter's open data with "
        "Minipublic's own maths, check the counts in votes.csv and strata.csv against it and "
        "every file's sha256 against datapackage.json, and say per principle whether it "
        "matches what was published.",
        epilog=RECOUNT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    recount.add_argument("directory", metavar="DIR",
                         help="folder of the charter's open data, with datapackage.json, "
                         "tallies.json, votes.csv and strata.csv; or the ZIP of them as "
                         "published")
    recount.set_defaults(run=run_recount)


def _fail(message: str) -> int:
    sys.stderr.write(message.rstrip() + "\n")
    return BAD_INPUT


def run_opinions(args: argparse.Namespace) -> int:
    from charter.polis import PolisFileError, read_polis

    if args.seed < 0:
        return _fail(f"--seed must be a whole number from 0, not {args.seed}.")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        return _fail(f"--out {out} is a file; give a folder for groups.csv and statements.csv.")
    try:
        conversation = read_polis(args.polis)
    except PolisFileError as error:
        return _fail(f"Cannot read the Pol.is export in {args.polis}: {error}\n"
                     "Nothing was written.")
    if not conversation.votes:
        return _fail(f"The Pol.is export in {args.polis} has no votes, so there are no "
                     "opinions to analyse. Nothing was written.")
    from charter.opinions import analyse

    analysis = analyse(conversation.matrix(), seed=args.seed)
    files = {"groups.csv": groups_csv(analysis), "statements.csv": statements_csv(analysis)}
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            partial = out / f".{name}.partial"
            partial.write_bytes(data)
            partial.replace(out / name)
    except OSError as error:
        return _fail(f"Cannot write to {out}: {error.strerror}.")
    print(summary(conversation, analysis, args.polis, out))
    return 0


def run_recount(args: argparse.Namespace) -> int:
    from charter.recount import RecountFileError, recount

    try:
        report = recount(args.directory)
    except RecountFileError as error:
        return _fail(f"Cannot recount the open data in {args.directory}: {error}")
    print(recount_summary(report, args.directory))
    return 0 if report.matches else DIFFERS


def recount_summary(report: RecountReport, source: str | Path) -> str:
    """One line per principle, then the files; what differs spelled out."""
    from charter.tallies import percent

    lines = [f"Recounting the charter's open data in {source}:"]
    for check in report.principles:
        figures = check.figures
        share = figures.get("share_agree")
        said = (f"{percent(share)} agree, "
                f"{'adopted' if figures.get('adopted') else 'not adopted'}"
                if isinstance(share, (int, float)) else "")
        head = f"  principle {check.principle}" + (f" “{check.title}”" if check.title else "")
        if check.matches:
            lines.append(f"{head}: matches ({said})" if said else f"{head}: matches")
        else:
            lines.append(f"{head}: DIFFERS")
            lines += [f"    {difference}" for difference in check.differences]
        lines += [f"    not recounted: {note}" for note in check.not_recounted]
    for difference in (*report.file_differences, *report.other_differences):
        lines.append(f"  DIFFERS {difference}")
    if not report.file_differences:
        lines.append(f"  All {_plural(report.files_checked, 'file')} have the sha256 published "
                     "in datapackage.json.")
    matched = sum(check.matches for check in report.principles)
    if report.matches:
        lines.append(f"Everything matches: {_plural(matched, 'principle')} recounted.")
    else:
        lines.append(f"Something differs: {matched} of {_plural(len(report.principles), 'principle')} "
                     f"match; {_plural(len(report.differences), 'difference')} listed above.")
    return "\n".join(lines)


def groups_csv(analysis: Analysis) -> bytes:
    """participant,group for everyone who was grouped, in the analysis's order."""
    return csvsafe.encode([("participant", "group"),
                           *zip(analysis.participants, analysis.groups, strict=True)])


def statements_csv(analysis: Analysis) -> bytes:
    """One row per statement, in the matrix's column order."""
    return csvsafe.encode([
        ("statement", "agrees", "disagrees", "passes", "consensus", "majority",
         "representative_of"),
        *((s.statement, s.agrees, s.disagrees, s.passes, f"{s.consensus:.6f}",
           s.majority or "", "" if s.representative_of is None else s.representative_of)
          for s in analysis.statements)])


def first_words(text: str, count: int = FIRST_WORDS) -> str:
    words = text.split()
    return " ".join(words[:count]) + (" ..." if len(words) > count else "")


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def summary(conversation: PolisConversation, analysis: Analysis, source: str | Path,
            out: Path) -> str:
    """What a person wants to know first, in plain lines."""
    from charter.opinions import adjusted_rand_index

    bodies = {s.id: s.body for s in conversation.statements}
    moderated = sum(s.moderated == -1 for s in conversation.statements)
    voters = len(conversation.participants)
    topic = f" \"{conversation.topic}\"" if conversation.topic else ""
    lines = [
        (f"Pol.is export{topic} in {source}: "
         f"{_plural(len(conversation.statements), 'statement')} ({moderated:,} moderated out), "
         f"{_plural(len(conversation.votes), 'vote')} by {_plural(voters, 'participant')}."),
        (f"Counted {len(analysis.participants):,} of {voters:,} participants (those with at "
         f"least {min(7, len(conversation.statements))} votes)."),
    ]
    sizes = analysis.group_sizes
    if analysis.participants:
        lines.append(f"{_plural(len(sizes), 'opinion group')}: " + ", ".join(
            f"group {group} with {size:,}" for group, size in enumerate(sizes)) + ".")
    else:
        lines.append("No opinion groups: nobody has voted enough to be grouped yet.")
    for group, representative in enumerate(analysis.representative):
        if representative and analysis.participants:
            lines.append(f"  group {group}'s representative statements: "
                         + ", ".join(representative[:TOP]))
    # Pol.is's report never shows moderated-out statements; statements.csv still has them.
    shown = [s for s in analysis.statements if s.statement not in conversation.moderated_out]
    ranked = sorted(shown, key=lambda s: -s.consensus)  # ties stay in column order
    lines.append("Most group-informed consensus" + (" (moderated-out statements left out)"
                                                    if moderated else "") + ":")
    lines += [f"  {s.statement:>5}  {s.consensus:.3f}  {first_words(bodies[s.statement])}"
              for s in ranked[:TOP]]
    for side in ("agree", "disagree"):
        chosen = [s.statement for s in shown if s.majority == side]
        if chosen:
            more = f" and {len(chosen) - TOP} more" if len(chosen) > TOP else ""
            lines.append(f"Majority {side}s ({len(chosen)}): " + ", ".join(chosen[:TOP]) + more)
        else:
            lines.append(f"Majority {side}s: none.")
    if conversation.groups:
        both = [(group, conversation.groups[p])
                for p, group in zip(analysis.participants, analysis.groups, strict=True)
                if p in conversation.groups]
        if both:
            ours, theirs = zip(*both, strict=True)
            lines.append(f"Agreement with Pol.is's own groups: adjusted Rand index "
                         f"{adjusted_rand_index(ours, theirs):.3f} over {len(both):,} "
                         "participants grouped by both (1 is the same grouping; Pol.is groups "
                         "incrementally, so a fresh analysis can differ).")
    lines.append(f"Wrote {out / 'groups.csv'} ({_plural(len(analysis.participants), 'row')}) "
                 f"and {out / 'statements.csv'} ({_plural(len(analysis.statements), 'row')}).")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run this command without the rest of the app (used by `python -m charter.cli`)."""
    from sortition.cli import safe_output

    parser = argparse.ArgumentParser(prog="minipublic")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    with safe_output():
        return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
