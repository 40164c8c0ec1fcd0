"""`minipublic opinions --polis DIR --out OUT` end to end (issue 10, item 5): the files it writes
are the analysis of the export, the summary says what a person needs, older exports without
votes.csv work, and bad files exit with status 2 naming the file, row and column."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assembly.cli import main
from charter.opinions import adjusted_rand_index, analyse
from charter.polis import (
    COMMENTS,
    PARTICIPANTS_VOTES,
    SUMMARY,
    VOTES,
    PolisConversation,
    Statement,
    Vote,
    read_polis,
    write_polis,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "polis"
BREXIT = DATA / "brexit-consensus"
SEATTLE = DATA / "15-per-hour-seattle"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def test_the_files_are_the_analysis_and_the_summary_says_what_it_found(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["opinions", "--polis", str(BREXIT), "--out", str(out), "--seed", "4"]) == 0
    printed = capsys.readouterr().out
    conversation = read_polis(BREXIT)
    analysis = analyse(conversation.matrix(), seed=4)
    groups = _rows(out / "groups.csv")
    assert [(r["participant"], int(r["group"])) for r in groups] == list(
        zip(analysis.participants, analysis.groups, strict=True))
    statements = _rows(out / "statements.csv")
    assert [r["statement"] for r in statements] == [str(n) for n in range(50)]
    latest = conversation.latest()
    for row in statements:
        values = [v for (_, s), v in latest.items() if s == row["statement"]]
        assert (int(row["agrees"]), int(row["disagrees"]), int(row["passes"])) == (
            values.count(1), values.count(-1), values.count(0))
    for row, result in zip(statements, analysis.statements, strict=True):
        assert float(row["consensus"]) == pytest.approx(result.consensus, abs=5e-7)
        assert row["majority"] == (result.majority or "")
        assert row["representative_of"] == ("" if result.representative_of is None
                                            else str(result.representative_of))
    assert ('Pol.is export "Can there be consensus on Brexit?" in '
            f"{BREXIT}: 50 statements (0 moderated out), 5,312 votes by 204 participants."
            ) in printed
    assert f"Counted {len(analysis.participants):,} of 204 participants" in printed
    assert ", ".join(f"group {g} with {size:,}" for g, size in enumerate(analysis.group_sizes)
                     ) in printed
    best = max(analysis.statements, key=lambda s: (s.consensus, -int(s.statement)))
    assert f"  {best.statement:>5}  {best.consensus:.3f}  " in printed
    theirs = {r["participant"]: r["group-id"] for r in _rows(BREXIT / PARTICIPANTS_VOTES)}
    both = [(int(r["group"]), int(theirs[r["participant"]])) for r in groups
            if theirs[r["participant"]]]
    index = adjusted_rand_index(*zip(*both, strict=True))
    assert (f"adjusted Rand index {index:.3f} over {len(both):,} participants grouped by both"
            ) in printed
    assert f"Wrote {out / 'groups.csv'} ({len(groups):,} rows)" in printed


def test_the_same_seed_gives_the_same_files(tmp_path: Path) -> None:
    for name in ("one", "two"):
        assert main(["opinions", "--polis", str(SEATTLE), "--out", str(tmp_path / name),
                     "--seed", "7"]) == 0
    for name in ("groups.csv", "statements.csv"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_an_older_export_without_votes_csv_gives_the_same_counts(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    older = tmp_path / "older"
    older.mkdir()
    for name in (COMMENTS, PARTICIPANTS_VOTES, SUMMARY):
        shutil.copy(SEATTLE / name, older / name)
    assert main(["opinions", "--polis", str(older), "--out", str(tmp_path / "a")]) == 0
    assert "2,872 votes by 339 participants" in capsys.readouterr().out  # the latest only
    assert main(["opinions", "--polis", str(SEATTLE), "--out", str(tmp_path / "b")]) == 0
    counts = [[(r["statement"], r["agrees"], r["disagrees"], r["passes"])
               for r in _rows(tmp_path / name / "statements.csv")] for name in ("a", "b")]
    assert counts[0] == counts[1] and len(counts[0]) == 54


def test_bad_input_exits_2_naming_file_row_and_column_and_writes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = tmp_path / "export"
    shutil.copytree(BREXIT, export)
    text = (export / VOTES).read_text(encoding="utf-8").splitlines(keepends=True)
    text[17] = text[17].rsplit(",", 1)[0] + ",yes\n"
    (export / VOTES).write_text("".join(text), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["opinions", "--polis", str(export), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert (f"Cannot read the Pol.is export in {export}: votes.csv, row 18, column vote: 'yes' "
            "is not -1, 0 or 1") in error
    assert "Nothing was written." in error and "Traceback" not in error
    assert not out.exists()
    assert main(["opinions", "--polis", str(tmp_path / "nowhere"), "--out", str(out)]) == 2
    assert "nowhere: is not a folder" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    assert main(["opinions", "--polis", str(BREXIT), "--out", str(tmp_path / "file")]) == 2
    assert "is a file; give a folder" in capsys.readouterr().err
    assert main(["opinions", "--polis", str(BREXIT), "--out", str(out), "--seed", "-1"]) == 2
    assert "--seed must be a whole number from 0, not -1." in capsys.readouterr().err
    (export / VOTES).write_text("timestamp,datetime,comment-id,voter-id,vote\n")
    (export / PARTICIPANTS_VOTES).unlink()
    assert main(["opinions", "--polis", str(export), "--out", str(out)]) == 2
    assert "has no votes, so there are no opinions to analyse" in capsys.readouterr().err
    assert not out.exists()


def test_a_conversation_where_nobody_voted_enough_says_so(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    moment = datetime(2026, 3, 2, 18, 30, tzinfo=UTC)
    conversation = PolisConversation(
        statements=tuple(Statement(str(n), "0", f"Statement {n}", 1, moment) for n in range(10)),
        votes=(Vote(moment, "0", "1", 1), Vote(moment, "1", "2", -1)))
    write_polis(tmp_path / "export", conversation)
    assert main(["opinions", "--polis", str(tmp_path / "export"), "--out",
                 str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "Counted 0 of 2 participants (those with at least 7 votes)." in printed
    assert "No opinion groups: nobody has voted enough to be grouped yet." in printed
    assert "representative" not in printed
    assert (tmp_path / "out" / "groups.csv").read_text() == "participant,group\n"
    assert len(_rows(tmp_path / "out" / "statements.csv")) == 10


def test_help_says_what_each_file_is(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["opinions", "--help"])
    assert done.value.code == 0
    shown = capsys.readouterr().out
    for name in ("comments.csv", "votes.csv", "participants-votes.csv", "summary.csv",
                 "groups.csv", "statements.csv"):
        assert f"\n  {name} " in shown, name
    assert "group-informed consensus" in shown and "--seed N" in shown


@pytest.mark.slow
def test_the_installed_command(tmp_path: Path) -> None:
    command = Path(sys.executable).parent / "minipublic"
    out = tmp_path / "out"
    done = subprocess.run([str(command), "opinions", "--polis", str(SEATTLE), "--out", str(out)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert '"$15/hour"' in done.stdout and "54 statements (23 moderated out)" in done.stdout
    assert (out / "groups.csv").read_text().startswith("participant,group\n")
    # Moderated-out statements (spam among them) stay in statements.csv but out of the summary.
    assert len(_rows(out / "statements.csv")) == 54
    assert "(moderated-out statements left out)" in done.stdout
    assert "First piece of spam" not in done.stdout
    done = subprocess.run([str(command), "opinions", "--polis", str(tmp_path), "--out",
                           str(tmp_path / "x")], capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "comments.csv: there is no comments.csv in" in done.stderr
