"""sortition.csvsafe: cells a spreadsheet would run as formulas are written as text."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assembly.cli import main
from sortition import csvsafe
from tests.unit._examples import examples
from tests.unit._lottery_instances import make_instance

STARTS = "=+-@\t\r\n\uff1d\uff0b\uff0d\uff20"
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def unsafe(text: str) -> list[str]:
    """Cells of CSV text that a spreadsheet would take for a formula (checked independently)."""
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row
            if cell[:1] and cell[0] in STARTS and not NUMBER.fullmatch(cell)]


@pytest.mark.parametrize("start", list(STARTS))
def test_every_formula_start_is_written_as_text(start: str) -> None:
    value = start + 'HYPERLINK("http://evil.example","x")'
    assert csvsafe.escape(value) == "'" + value
    text = csvsafe.text([["id", value]])
    assert not unsafe(text)
    assert csvsafe.read_rows(text) == [["id", value]]


@pytest.mark.parametrize("number", ["-3", "-0.0125", "+4", "1e-05", "-1.5E+3", ".5", "-7."])
def test_numbers_stay_numbers(number: str) -> None:
    assert csvsafe.escape(number) == number


@pytest.mark.parametrize("value", ["-1+2", "-", "--1", "+44 151 000", "-0x10", "1-2", "@", "=1"])
def test_what_only_looks_like_a_number_is_text(value: str) -> None:
    expected = value if value[0] not in STARTS else "'" + value
    assert csvsafe.escape(value) == expected


def test_a_leading_apostrophe_is_doubled_so_the_escape_can_be_undone() -> None:
    assert csvsafe.escape("'til") == "''til"
    assert csvsafe.escape("'=1") == "''=1"
    assert csvsafe.read_rows(csvsafe.text([["'til", "'=1", "=1"]])) == [["'til", "'=1", "=1"]]


@settings(max_examples=examples(200), deadline=None)
@given(rows=st.lists(st.lists(st.text(), min_size=1, max_size=5), min_size=1, max_size=5))
def test_anything_written_reads_back_unchanged_and_runs_nothing(rows: list[list[str]]) -> None:
    text = csvsafe.text(rows)
    assert not unsafe(text)
    assert csvsafe.read_rows(text) == rows


def test_every_file_of_the_command_line_is_safe_and_still_verifies(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """select (with a seed), replace and verify with ids, names and addresses that are
    formulas: no CSV in the folder starts a cell with one, and reading them back still works."""
    instance = make_instance(5, n=14, k=4, households=True)
    hostile = [list(instance.pool.columns)] + [
        [f'=HYPERLINK("http://evil.example","{row[0]}")', "@" + row[1], row[2], row[3],
         "-" + row[4]] for row in instance.pool.rows]
    people, features = tmp_path / "people.csv", tmp_path / "features.csv"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(hostile)
    people.write_text(buffer.getvalue())
    from sortition.commitment import quotas_csv

    features.write_bytes(quotas_csv(instance.quotas))
    out = tmp_path / "out"
    assert main(["select", "--features", str(features), "--people", str(people),
                 "--panel-size", "4", "--address-columns", "address", "--lottery-size", "50",
                 "--seed", "1 2 3", "--out", str(out)]) == 0
    reserves = csvsafe.read_rows((out / "reserves.csv").read_text())
    leaving = next(row[0] for row in reserves[1:] if row[1] == "1")
    assert leaving.startswith("=HYPERLINK(")
    assert main(["replace", str(out), "--leaving", leaving]) == 0
    written = sorted(p.name for p in out.glob("*.csv"))
    assert {"selected.csv", "remaining.csv", "reserves.csv", "respondents.csv", "panel.csv",
            "replacements.csv", "probabilities.csv", "profiles.csv"} <= set(written)
    for name in written:
        assert not unsafe((out / name).read_text()), name
    assert "'=HYPERLINK(" in (out / "selected.csv").read_text()
    capsys.readouterr()
    assert main(["verify", str(out)]) == 0, capsys.readouterr().out
