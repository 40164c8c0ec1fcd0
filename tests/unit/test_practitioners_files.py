"""Files as practitioners publish them, and reports that stay short however many rows are
wrong (issue 8, items 11 and 12)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assembly.cli import main
from sortition.io import load_instance, read_people, read_quotas
from sortition.model import InputError, Problem, summarise

# The layout of the replication code of Flanigan et al. (Nature 2021): `feature` is the value.
OLD_LAYOUT = ("category,feature,min,max\n"
              "Gender,Woman,1,3\nGender,Man,1,3\n"
              "Age,Young,1,3\nAge,Old,1,3\n")


def _people(count: int, *, gender: str = "", ids: bool = False) -> bytes:
    """A people file whose first column is a selection feature; `gender` overrides its values."""
    header = ("id," if ids else "") + "gender,age,name\n"
    rows = "".join(
        ("same," if ids else "")
        + f"{gender or ('Woman' if i % 2 else 'Man')},{'Young' if i % 3 else 'Old'},N{i}\n"
        for i in range(count))
    return (header + rows).encode()


def test_the_older_category_feature_layout_is_read_with_feature_as_the_value() -> None:
    quotas = read_quotas(OLD_LAYOUT.encode())
    assert quotas.features == ("Gender", "Age")
    assert quotas.values("Gender") == ("Woman", "Man")
    assert [(c.min, c.max) for c in quotas.categories] == [(1, 3)] * 4


def test_category_and_feature_with_a_value_column_still_clash() -> None:
    with pytest.raises(InputError) as caught:
        read_quotas(b"category,feature,value,min,max\nGender,Gender,Woman,1,2\n")
    assert "both give the feature" in str(caught.value)


def test_no_id_column_and_a_feature_first_numbers_respondents_by_row() -> None:
    pool = read_people(_people(2000), read_quotas(OLD_LAYOUT.encode()))
    assert pool.ids_from_rows
    assert pool.ids[:3] == ("2", "3", "4") and len(set(pool.ids)) == 2000
    assert pool.columns[:2] == ("row", "gender")


def test_two_thousand_bad_rows_give_at_most_twenty_lines() -> None:
    quotas = read_quotas(OLD_LAYOUT.encode())
    with pytest.raises(InputError) as caught:
        read_people(_people(2000, gender="Wman", ids=True), quotas)
    error = caught.value
    assert len(error.problems) == 1999 + 2000
    lines = str(error).splitlines()
    assert len(lines) <= 20
    assert lines == [
        ("people.csv, column 'gender': 2,000 rows have this problem: rows 2, 3, 4, 5, 6 and "
         "1,995 more. On row 2: 'Wman' is not one of the values for Gender in the quotas "
         "(Woman, Man). Correct it here, or add a row for it to the quotas file."),
        ("people.csv, column 'id': 1,999 rows have this problem: rows 3, 4, 5, 6, 7 and 1,994 "
         "more. On row 3: The id 'same' is also used on row 2. Every respondent needs their "
         "own id; if this is the same person twice, delete one of the rows."),
    ]


def test_a_few_rows_are_listed_one_by_one_and_many_kinds_are_capped() -> None:
    single = [Problem("The id is empty.", file="p.csv", row=4, column="id")]
    assert summarise(single) == single
    kinds = [Problem(f"Problem number {i} of its own kind{'!' * i}", file="p.csv", row=i,
                     column=f"c{i}") for i in range(50)]
    report = summarise(kinds)
    assert len(report) == 20
    assert report[:19] == kinds[:19]
    assert "31 more kinds of problem" in report[-1].message


def test_the_command_line_reports_many_bad_rows_in_a_few_lines(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "quotas.csv").write_text(OLD_LAYOUT)
    (tmp_path / "people.csv").write_bytes(_people(2000, gender="Wman", ids=True))
    code = main(["select", "--features", str(tmp_path / "quotas.csv"), "--people",
                 str(tmp_path / "people.csv"), "--panel-size", "4", "--out",
                 str(tmp_path / "out")])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("The input has 3,999 problems; nothing was selected.")
    assert len(err.splitlines()) <= 20
    assert not (tmp_path / "out").exists()


def test_the_command_line_says_once_that_ids_are_row_numbers(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "quotas.csv").write_text(OLD_LAYOUT)
    (tmp_path / "people.csv").write_bytes(_people(60))
    code = main(["select", "--features", str(tmp_path / "quotas.csv"), "--people",
                 str(tmp_path / "people.csv"), "--panel-size", "4", "--out",
                 str(tmp_path / "out")])
    assert code == 0
    out = capsys.readouterr().out
    assert out.count("no id column, so each respondent's id is their row number") == 1
    instance = load_instance(OLD_LAYOUT.encode(), _people(60), 4)
    assert instance.pool.ids_from_rows
