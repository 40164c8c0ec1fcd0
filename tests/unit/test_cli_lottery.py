"""`minipublic select` chooses the number of tickets unless told, says which lowest chance is
exact and which is after the lottery (as the run page does), and turns the household rule on
with address columns, saying so (issue 8, items 9 and 13)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from assembly.cli import main
from sortition.commitment import quotas_csv
from tests.unit._lottery_instances import make_instance


def _inputs(directory: Path) -> tuple[str, str]:
    instance = make_instance(5, n=14, k=4, households=True)
    (directory / "quotas.csv").write_bytes(quotas_csv(instance.quotas))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([instance.pool.columns,
                                                       *instance.pool.rows])
    (directory / "people.csv").write_text(buffer.getvalue(), encoding="utf-8")
    return str(directory / "quotas.csv"), str(directory / "people.csv")


def _select(tmp_path: Path, *extra: str) -> tuple[int, Path]:
    quotas, people = _inputs(tmp_path)
    out = tmp_path / "out"
    code = main(["select", "--features", quotas, "--people", people, "--panel-size", "4",
                 "--out", str(out), *extra])
    return code, out


def test_the_number_of_tickets_is_chosen_and_both_lowest_chances_are_named(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _select(tmp_path, "--address-columns", "address")
    assert code == 0
    printed = capsys.readouterr().out
    report = json.loads((out / "report.json").read_text())
    size = report["lottery_size"]
    assert size >= 1000
    assert (f"Lowest chance: {report['minimum_probability']:.2%} exact (the leximin "
            f"distribution), {report['lottery_minimum_probability']:.2%} in the lottery of "
            f"{size:,} tickets.") in printed
    assert (f"took {report['lottery_lowest_loss_share']:.1%} of the lowest chance, and at most "
            f"{report['lottery_largest_loss_share']:.1%} of anyone's own chance") in printed
    assert f"{size:,} tickets is the fewest that keeps the lowest chance within 5%" in printed
    assert report["lottery_minimum_probability"] >= 0.95 * report["minimum_probability"] - 1e-12
    assert "At most one person per household: the 1 address column(s) (address)" in printed
    assert report["one_per_household"] is True


def test_the_officer_can_choose_the_tickets_and_allow_several_per_household(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _select(tmp_path, "--lottery-size", "7", "--address-columns", "address",
                        "--several-per-household")
    assert code == 0
    printed = capsys.readouterr().out
    report = json.loads((out / "report.json").read_text())
    assert report["lottery_size"] == 7 and report["one_per_household"] is False
    assert "in the lottery of 7 tickets" in printed
    assert "is the fewest that keeps" not in printed and "At most one person" not in printed
