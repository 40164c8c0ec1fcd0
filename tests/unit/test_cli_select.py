"""`minipublic select`, `draw` and `verify` end to end, through the real command and files."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assembly.cli import main
from sortition.cli import TerminalProgress
from sortition.commitment import quotas_csv
from sortition.draw import normalise_seed, pick_ticket
from sortition.model import Category, Progress, Quotas
from tests.unit._lottery_instances import make_instance

K = 4


def _write_inputs(directory: Path) -> tuple[Path, Path]:
    instance = make_instance(5, n=14, k=K, households=True)
    directory.mkdir(parents=True, exist_ok=True)
    features = directory / "features.csv"
    people = directory / "people.csv"
    features.write_bytes(quotas_csv(instance.quotas))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([instance.pool.columns, *instance.pool.rows])
    people.write_text(buffer.getvalue(), encoding="utf-8")
    return features, people


def _select(features: Path, people: Path, out: Path, *extra: str) -> int:
    return main(["select", "--features", str(features), "--people", str(people),
                 "--panel-size", str(K), "--address-columns", "address", "--lottery-size", "200",
                 "--out", str(out), *extra])


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.fixture(scope="module")
def committed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A selection published but not yet drawn."""
    base = tmp_path_factory.mktemp("selection")
    features, people = _write_inputs(base / "in")
    assert _select(features, people, base / "out") == 0
    return base


@pytest.fixture
def selection(committed: Path, tmp_path: Path) -> Path:
    """A private copy of the undrawn selection that a test may change."""
    shutil.copytree(committed / "out", tmp_path / "out")
    return tmp_path / "out"


@pytest.fixture
def drawn(selection: Path) -> Path:
    assert main(["draw", str(selection), "--seed", "17 42 8 33 5"]) == 0
    return selection


def test_select_publishes_the_commitment_and_waits_for_the_draw(
        committed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = committed / "out"
    for name in ("pool.csv", "quotas.csv", "lottery.csv", "pool-summary.csv", "commitment.json",
                 "report.json", "profiles.csv", "tickets.csv", "probabilities.csv",
                 "lottery-probabilities.csv", "respondents.csv", "README.txt"):
        assert (out / name).is_file(), name
    assert not (out / "selected.csv").exists() and not (out / "draw.json").exists()
    probabilities = _rows(out / "probabilities.csv")
    assert probabilities[0] == ["id", "probability"]
    people = _rows(committed / "in" / "people.csv")
    assert [row[0] for row in probabilities[1:]] == [row[0] for row in people[1:]]
    assert sum(float(p) for _, p in probabilities[1:]) == pytest.approx(K)
    report = json.loads((out / "report.json").read_text())
    commitment = json.loads((out / "commitment.json").read_text())
    assert report["commitment"] == commitment["commitment"]
    assert report["algorithm"] == "leximin" and report["lottery_size"] == 200
    assert report["minimum_probability"] <= report["maximum_probability"]
    assert 0 <= report["gini"] < 1 and report["panels"] >= 1 and report["seconds"] >= 0
    assert report["lottery_max_change"] < K / 200
    assert report["seed"] is None and report["ticket"] is None
    assert len(_rows(out / "lottery.csv")) == 201
    public = "".join((out / name).read_text() for name in ("pool.csv", "lottery.csv"))
    assert "Name" not in public and "High Street" not in public and "P00" not in public
    values = {row[1] for row in _rows(out / "quotas.csv")[1:]}
    assert not any(value in public for value in values)  # no profile value, only hashes


def test_draw_writes_panel_reserves_and_verify_passes(
        drawn: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    selected, remaining = _rows(drawn / "selected.csv"), _rows(drawn / "remaining.csv")
    respondents = _rows(drawn / "respondents.csv")
    assert selected[0] == remaining[0] == ["id", "name", "gender", "age", "address"]
    assert len(selected) - 1 == K and len(remaining) - 1 == 14 - K
    assert sorted(selected[1:] + remaining[1:]) == sorted(respondents[1:])
    record = json.loads((drawn / "draw.json").read_text())
    commitment = json.loads((drawn / "commitment.json").read_text())["commitment"]
    assert record["ticket"] == pick_ticket(commitment, normalise_seed("17 42 8 33 5"), 200)
    reserves = _rows(drawn / "reserves.csv")
    assert reserves[0] == ["member_id", "rank", "reserve_id", "features_different", "note"]
    assert {row[0] for row in reserves[1:]} == {row[0] for row in selected[1:]}
    report = json.loads((drawn / "report.json").read_text())
    assert report["ticket"] == record["ticket"] and report["seed"] == "17 42 8 33 5"
    unreplaceable = [row for row in reserves[1:] if row[4]]
    assert report["members_without_reserves"] == len(unreplaceable)
    assert all("No one left in the pool can replace" in row[4] for row in unreplaceable)
    assert main(["verify", str(drawn)]) == 0
    out = capsys.readouterr().out
    assert "Verification passed" in out and f"ticket {record['ticket']}" in out


def test_the_same_seed_replays_the_same_panel(committed: Path, tmp_path: Path) -> None:
    panels = []
    for copy, seed in (("a", "17 42 8 33 5"), ("b", "  17 42  8 33 5 ")):
        shutil.copytree(committed / "out", tmp_path / copy)
        assert main(["draw", str(tmp_path / copy), "--seed", seed]) == 0
        panels.append((tmp_path / copy / "selected.csv").read_bytes())
    assert panels[0] == panels[1]


def test_select_with_a_seed_draws_at_once(committed: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    features, people = committed / "in" / "features.csv", committed / "in" / "people.csv"
    assert _select(features, people, tmp_path / "now", "--seed", "3 1 4 1 5",
                   "--algorithm", "maximin") == 0
    out = capsys.readouterr().out
    assert "drew ticket" in out and "publish the commitment first" in out
    report = json.loads((tmp_path / "now" / "report.json").read_text())
    assert report["seed"] == "3 1 4 1 5" and report["algorithm"] == "maximin"
    assert report["ticket"] == pick_ticket(report["commitment"], "3 1 4 1 5", 200)
    assert main(["verify", str(tmp_path / "now")]) == 0


@pytest.mark.parametrize("name", ["pool.csv", "quotas.csv", "lottery.csv", "pool-summary.csv"])
def test_a_changed_published_file_fails_verification(
        drawn: Path, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = drawn / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    capsys.readouterr()
    assert main(["verify", str(drawn)]) == 1
    out = capsys.readouterr().out
    assert f"DIFFERS: {name} has changed" in out and "Verification FAILED" in out


def test_a_swapped_panel_member_fails_verification(
        drawn: Path, capsys: pytest.CaptureFixture[str]) -> None:
    selected, remaining = _rows(drawn / "selected.csv"), _rows(drawn / "remaining.csv")
    selected[1], remaining[1] = remaining[1], selected[1]
    for name, rows in (("selected.csv", selected), ("remaining.csv", remaining)):
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        (drawn / name).write_text(buffer.getvalue(), encoding="utf-8")
    capsys.readouterr()
    assert main(["verify", str(drawn)]) == 1
    out = capsys.readouterr().out
    assert "selected.csv does not match" in out and remaining[1][0] in out


def test_a_changed_ticket_or_announced_commitment_fails_verification(
        drawn: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(drawn), "--commitment", "0" * 64]) == 1
    assert "announced commitment" in capsys.readouterr().out
    record = json.loads((drawn / "draw.json").read_text())
    record["ticket"] = record["ticket"] % 200 + 1
    (drawn / "draw.json").write_text(json.dumps(record))
    assert main(["verify", str(drawn)]) == 1
    assert "but draw.json records" in capsys.readouterr().out


def test_verify_before_the_draw_checks_the_commitment(
        selection: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(selection)]) == 0
    out = capsys.readouterr().out
    assert "No draw has been made yet" in out and "tickets hold panels" in out
    assert "no draw and no panel were checked" in out


def test_a_draw_is_never_repeated(drawn: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (drawn / "selected.csv").read_bytes()
    assert main(["draw", str(drawn), "--seed", "another"]) == 2
    assert "never repeated" in capsys.readouterr().err
    assert (drawn / "selected.csv").read_bytes() == before


def test_draw_refuses_files_that_no_longer_match_the_commitment(
        selection: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (selection / "lottery.csv").write_bytes((selection / "lottery.csv").read_bytes() + b"\n")
    assert main(["draw", str(selection), "--seed", "1"]) == 2
    assert "no longer match" in capsys.readouterr().err
    assert not (selection / "draw.json").exists()


def test_bad_input_reports_every_problem_with_rows_and_writes_nothing(
        committed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = _rows(committed / "in" / "people.csv")
    rows[2][2] = "Martian"
    rows[5][3] = "ancient"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    people = tmp_path / "people.csv"
    people.write_text(buffer.getvalue())
    assert _select(committed / "in" / "features.csv", people, tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert "Martian" in err and "row 3" in err
    assert "ancient" in err and "row 6" in err
    assert not (tmp_path / "out").exists()


def test_missing_files_and_bad_options_exit_2(
        committed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    features = committed / "in" / "features.csv"
    assert _select(features, tmp_path / "nobody.csv", tmp_path / "o1") == 2
    assert "nobody.csv" in capsys.readouterr().err
    assert main(["select", "--features", str(features), "--people",
                 str(committed / "in" / "people.csv"), "--panel-size", "4",
                 "--lottery-size", "0", "--time-budget", "-1", "--out",
                 str(tmp_path / "o2")]) == 2
    err = capsys.readouterr().err
    assert "--lottery-size must be between 1 and 100,000" in err and "--time-budget" in err
    assert _select(features, committed / "in" / "people.csv", committed / "out") == 2
    assert "already holds a selection" in capsys.readouterr().err
    assert main(["verify", str(tmp_path)]) == 2
    assert "does not hold a published selection" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["select", "--features", str(features), "--out", str(tmp_path / "o3")])
    assert exit_info.value.code == 2


def test_quotas_the_pool_cannot_meet_exit_2_naming_the_category(
        committed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = _rows(committed / "in" / "features.csv")
    # Demand more than the pool can give in one category while keeping the totals possible.
    quotas = Quotas(tuple(Category(r[0], r[1], int(r[2]), int(r[3])) for r in rows[1:]))
    people = _rows(committed / "in" / "people.csv")
    ages = [row[3] for row in people[1:]]
    rare = min(set(ages), key=ages.count)
    changed = tuple(
        Category(c.feature, c.value, ages.count(rare) + 1 if c.value == rare else 0, K)
        if c.feature == "age" else Category(c.feature, c.value, 0, K)
        for c in quotas.categories)
    features = tmp_path / "features.csv"
    features.write_bytes(quotas_csv(Quotas(changed)))
    status = _select(features, committed / "in" / "people.csv", tmp_path / "out")
    assert status == 2
    err = capsys.readouterr().err
    assert rare in err
    assert not (tmp_path / "out").exists()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_and_plain_lines_otherwise() -> None:
    terminal = _Terminal()
    bar = TerminalProgress(terminal)
    bar(Progress("leximin", 0.25, "smallest chance 5%"))
    bar(Progress("leximin", 0.5))
    bar(Progress("lottery", None, "Rounding"))
    bar.close()
    text = terminal.getvalue()
    assert "\r" in text and "[#####---------------]  25%" in text and "50%" in text
    assert text.endswith("\n") and "smallest chance 5%" in text
    plain = io.StringIO()
    lines = TerminalProgress(plain)
    for phase in ("leximin", "leximin", "lottery", "leximin"):
        lines(Progress(phase, 0.5))
    lines.close()
    assert plain.getvalue() == "leximin...\nlottery...\n"


@pytest.mark.slow
def test_the_installed_command_selects_draws_and_verifies(committed: Path,
                                                          tmp_path: Path) -> None:
    command = [sys.executable, "-m", "assembly.cli"]
    features, people = committed / "in" / "features.csv", committed / "in" / "people.csv"
    out = tmp_path / "out"
    done = subprocess.run(
        [*command, "select", "--features", str(features), "--people", str(people),
         "--panel-size", str(K), "--address-columns", "address", "--out", str(out)],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Commitment:" in done.stdout and "\r" not in done.stderr
    # The solver's licence banner stays out of the command's output.
    assert "HiGHS" not in done.stdout and "HiGHS" not in done.stderr, done.stdout[:300]
    done = subprocess.run([*command, "draw", str(out), "--seed", "9 9 9"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([*command, "verify", str(out)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0 and "Verification passed" in done.stdout
    tickets = np.array(_rows(out / "lottery.csv")[1:])
    assert len(tickets) == 1000


PUBLIC = ("pool.csv", "quotas.csv", "lottery.csv", "pool-summary.csv", "commitment.json")
AUDITOR = ("profiles.csv", "tickets.csv")


def _copy(source: Path, target: Path, names: tuple[str, ...]) -> Path:
    target.mkdir()
    for name in names:
        shutil.copy(source / name, target / name)
    return target


def test_anyone_with_only_the_public_files_can_verify(
        drawn: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    public = _copy(drawn, tmp_path / "public", (*PUBLIC, "draw.json"))
    capsys.readouterr()
    assert main(["verify", str(public)]) == 0
    out = capsys.readouterr().out
    assert "the auditor's files are not here" in out and "Verification passed" in out
    assert "draw.json opens ticket" in out and "no count of fewer than 5" in out
    record = json.loads((public / "draw.json").read_text())
    record["seed"] = next(
        seed for seed in (f"17 42 {i}" for i in range(100))
        if pick_ticket(record["commitment"], seed, 200) != record["ticket"])
    (public / "draw.json").write_text(json.dumps(record))
    assert main(["verify", str(public)]) == 1
    assert f"The seed '{record['seed']}' picks ticket" in capsys.readouterr().out


@pytest.mark.parametrize("change", ["member", "salt"])
def test_a_draw_record_that_does_not_open_the_drawn_ticket_fails(
        drawn: Path, tmp_path: Path, change: str, capsys: pytest.CaptureFixture[str]) -> None:
    public = _copy(drawn, tmp_path / "public", (*PUBLIC, "draw.json"))
    record = json.loads((public / "draw.json").read_text())
    if change == "member":
        outside = next(p for p in range(1, 15) if p not in record["panel"])
        record["panel"] = sorted(record["panel"][1:] + [outside])
    else:
        record["salt"] = "0" * 64
    (public / "draw.json").write_text(json.dumps(record))
    capsys.readouterr()
    assert main(["verify", str(public)]) == 1
    assert "do not open ticket" in capsys.readouterr().out


def test_the_public_can_work_out_the_ticket_but_not_open_it(
        committed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    public = _copy(committed / "out", tmp_path / "public", PUBLIC)
    capsys.readouterr()
    assert main(["draw", str(public), "--seed", "17 42 8 33 5"]) == 0
    out = capsys.readouterr().out
    commitment = json.loads((public / "commitment.json").read_text())["commitment"]
    assert f"picks ticket {pick_ticket(commitment, '17 42 8 33 5', 200)} of 200" in out
    assert "nothing was written" in out and not (public / "draw.json").exists()


def test_the_auditor_opens_every_hash_and_checks_every_ticket(
        drawn: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    auditor = _copy(drawn, tmp_path / "auditor", (*PUBLIC, "draw.json", *AUDITOR))
    capsys.readouterr()
    assert main(["verify", str(auditor)]) == 0
    out = capsys.readouterr().out
    assert "all 14 profiles and 200 tickets open to their committed hashes" in out
    assert "all 200 tickets hold panels that meet every quota" in out
    assert "pool-summary.csv gives the counts of profiles.csv" in out
    # The auditor can draw from the public files and the salts too: draw.json comes out equal.
    undrawn = _copy(drawn, tmp_path / "undrawn", (*PUBLIC, *AUDITOR))
    assert main(["draw", str(undrawn), "--seed", "17 42 8 33 5"]) == 0
    assert (json.loads((undrawn / "draw.json").read_text())
            == json.loads((drawn / "draw.json").read_text()))
    assert not (undrawn / "selected.csv").exists()


@pytest.mark.parametrize("name", AUDITOR)
def test_a_changed_auditor_file_fails_verification(
        drawn: Path, tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    auditor = _copy(drawn, tmp_path / "auditor", (*PUBLIC, "draw.json", *AUDITOR))
    rows = _rows(auditor / name)
    rows[3][1] = "f" * 64  # another salt: the line no longer hashes to the commitment
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    (auditor / name).write_text(buffer.getvalue())
    capsys.readouterr()
    assert main(["verify", str(auditor)]) == 1
    out = capsys.readouterr().out
    what = "person 3" if name == "profiles.csv" else "ticket 3"
    assert "do not match their hash" in out and what in out


def test_outputs_appear_all_at_once_or_not_at_all(tmp_path: Path) -> None:
    from sortition.files import write_files

    write_files(tmp_path / "new" / "run", {"a.csv": b"1\n", "commitment.json": b"{}\n"})
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == ["run"]
    assert (tmp_path / "new" / "run" / "commitment.json").read_bytes() == b"{}\n"
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "selected.csv").mkdir()  # cannot be replaced by a file
    with pytest.raises(OSError):
        write_files(existing, {"draw.json": b"{}", "report.json": b"{}", "selected.csv": b"x"})
    assert not (existing / "draw.json").exists()
    assert sorted(p.name for p in existing.iterdir()) in (
        ["report.json", "selected.csv"], ["selected.csv"])


def test_a_drop_out_is_replaced_by_the_rule_and_verify_replays_it(
        drawn: Path, capsys: pytest.CaptureFixture[str]) -> None:
    selected = _rows(drawn / "selected.csv")
    reserves = _rows(drawn / "reserves.csv")
    leaving = next(row[0] for row in reserves[1:] if row[1] == "1")
    first_reserve = next(row[2] for row in reserves[1:] if row[0] == leaving and row[1] == "1")
    assert main(["replace", str(drawn), "--leaving", leaving]) == 0
    assert f"{leaving} leaves and {first_reserve} joins" in capsys.readouterr().out
    panel = _rows(drawn / "panel.csv")
    ids = [row[0] for row in panel[1:]]
    assert len(ids) == K and leaving not in ids and first_reserve in ids
    assert set(ids) - {first_reserve} == {row[0] for row in selected[1:]} - {leaving}
    assert _rows(drawn / "replacements.csv") == [
        ["leaving", "joining", "declined"], [leaving, first_reserve, ""]]
    assert _rows(drawn / "selected.csv") == selected  # the drawn panel stays on record
    assert main(["verify", str(drawn)]) == 0
    assert "1 replacement(s) each picked the first reserve" in capsys.readouterr().out

    assert main(["replace", str(drawn), "--leaving", leaving]) == 2
    assert "not on the panel now" in capsys.readouterr().err
    assert main(["replace", str(drawn), "--leaving", "NOBODY"]) == 2
    assert "Not in the pool: NOBODY" in capsys.readouterr().err

    others = [row[0] for row in _rows(drawn / "remaining.csv")[1:] if row[0] != first_reserve]
    (drawn / "replacements.csv").write_text(
        f"leaving,joining,declined\n{leaving},{others[0]},\n")
    assert main(["verify", str(drawn)]) == 1
    out = capsys.readouterr().out
    assert f"{others[0]} joined, but the rule picks {first_reserve}" in out


def test_replacing_needs_a_drawn_panel(selection: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replace", str(selection), "--leaving", "P001"]) == 2
    assert "no drawn panel" in capsys.readouterr().err


def test_a_people_file_without_an_id_column_is_numbered_by_row(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No id column but an e-mail column: the ids are row numbers, and the command says so."""
    features, people = _write_inputs(tmp_path / "in")
    rows = _rows(people)
    assert rows[0][0] == "id"
    with_email = [["email", *rows[0][1:]]] + [
        [f"person{i}@example.org", *row[1:]] for i, row in enumerate(rows[1:])]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(with_email)
    people.write_text(buffer.getvalue(), encoding="utf-8")

    assert _select(features, people, tmp_path / "out", "--seed", "3 1 4 1 5") == 0
    out = capsys.readouterr().out
    assert "The people file has no id column, so each respondent's id is their row number" in out
    directory = tmp_path / "out"
    probabilities = _rows(directory / "probabilities.csv")
    assert [row[0] for row in probabilities[1:]] == [str(n) for n in range(2, 2 + 14)]
    selected = _rows(directory / "selected.csv")
    assert selected[0] == ["row", "email", "name", "gender", "age", "address"]
    reserves = _rows(directory / "reserves.csv")
    assert {row[0] for row in reserves[1:]} == {row[0] for row in selected[1:]}
    for name in ("probabilities.csv", "reserves.csv", "report.json", "lottery.csv",
                 "commitment.json", "draw.json"):
        assert "@example.org" not in (directory / name).read_text(), name
    assert json.loads((directory / "report.json").read_text())["id_column"] == "row"
    assert main(["verify", str(directory)]) == 0
    assert "Verification passed" in capsys.readouterr().out

    # Asking for the e-mail column as the id is refused, with the reason.
    assert _select(features, people, tmp_path / "again", "--id-column", "email") != 0
    assert "holds contact details, so it cannot be the id" in capsys.readouterr().err
