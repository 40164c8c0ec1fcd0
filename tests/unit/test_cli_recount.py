"""`minipublic recount DIR` (issue 12, item 4): a fresh publication recounts to every published
figure; a tampered file makes it say which file and which principle no longer match and exit 1;
a file it cannot read exits 2 naming the file, row and column."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from assembly.cli import main
from charter.publication import open_data, zip_of
from charter.recount import Difference, recount
from sortition import csvsafe
from tests.unit._charter_snapshot import snapshot, write

FILES = open_data(snapshot())


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write(FILES, tmp_path / "charter")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _rehash(folder: Path, name: str) -> None:
    """As a careful forger would: the datapackage's hash updated to the changed file."""
    package = json.loads((folder / "datapackage.json").read_text())
    for resource in package["resources"]:
        if resource["path"] == name:
            data = (folder / name).read_bytes()
            resource["hash"] = "sha256:" + hashlib.sha256(data).hexdigest()
            resource["bytes"] = len(data)
    (folder / "datapackage.json").write_text(json.dumps(package))


def _where(differences: tuple[Difference, ...]) -> set[tuple[str, int | None]]:
    return {(d.file, d.principle) for d in differences}


def test_a_fresh_publication_recounts_to_every_published_figure(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = recount(folder)
    assert report.matches and report.differences == ()
    assert [c.principle for c in report.principles] == [1, 2, 3, 4]
    assert report.files_checked == len(FILES) - 1
    # Withheld cells are said, not hidden: the p-values that pool them are not recounted.
    assert any("area" in note for note in report.principles[0].not_recounted)
    assert report.principles[3].not_recounted == ()
    assert main(["recount", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "principle 1 “Principle 1, amended”: matches (84.7 % agree, adopted)" in out
    assert "principle 2 “Principle 2, amended”: matches (40.7 % agree, not adopted)" in out
    assert f"All {len(FILES) - 1} files have the sha256 published" in out
    assert "Everything matches: 4 principles recounted." in out


def test_a_changed_count_in_votes_csv_names_the_file_and_the_principle(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Principle 2: 3 + 6 + 4 = 13 "agree"; make it 23.
    _edit(folder / "votes.csv", "2,Final vote,five,agree,Agree,13,72",
          "2,Final vote,five,agree,Agree,23,72")
    report = recount(folder)
    assert not report.matches
    assert _where(report.differences) == {("votes.csv", None), ("votes.csv", 2)}
    assert main(["recount", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "principle 2 “Principle 2, amended”: DIFFERS" in out
    assert "votes.csv: principle 2: 'agree' has 23 ballots, but 13 in tallies.json's inputs" in out
    assert "votes.csv: its sha256 is" in out
    assert "principle 1 “Principle 1, amended”: matches" in out
    # A forger who also updates the datapackage's hash is still caught by the counts.
    _rehash(folder, "votes.csv")
    report = recount(folder)
    assert _where(report.differences) == {("votes.csv", 2)}
    assert any("recounted from votes.csv, share_agree was published as" in d.message
               for d in report.differences)


def test_changed_figures_or_inputs_in_tallies_json_name_the_principle(folder: Path) -> None:
    path = folder / "tallies.json"
    data = json.loads(path.read_text())
    data["principles"][2]["figures"]["decision"] = "Adopted: 99 % agree"
    data["principles"][0]["figures"]["interval"][0] += 0.01
    path.write_text(json.dumps(data))
    _rehash(folder, "tallies.json")
    report = recount(folder)
    assert _where(report.differences) == {("tallies.json", 1), ("tallies.json", 3),
                                          ("votes.csv", 1), ("votes.csv", 3)}
    assert any(d.message.startswith("decision was published as \"Adopted: 99 % agree\" but "
                                    "recounts to \"Adopted: 77.2 % agree")
               for d in report.differences)
    # Inputs changed to fit a figure: their digest no longer matches.
    data = json.loads(FILES["tallies.json"])
    data["principles"][3]["inputs"]["counts"]["block"] = 1
    path.write_text(json.dumps(data))
    _rehash(folder, "tallies.json")
    report = recount(folder)
    messages = [str(d) for d in report.differences if d.principle == 4]
    assert any("its digest" in m and "does not match its inputs" in m for m in messages)
    assert any("tallies.json: principle 4: adopted was published as True but recounts to "
               "False" == m for m in messages)
    assert any(m.startswith("votes.csv: principle 4: 'block' has 0 ballots, but 1") for m in
               messages)


def test_a_changed_or_revealed_cell_in_strata_csv_names_the_principle(folder: Path) -> None:
    _edit(folder / "strata.csv", "3,Final vote,age,60+,agree,3,false",
          "3,Final vote,age,60+,agree,4,false")
    _rehash(folder, "strata.csv")
    report = recount(folder)
    assert [str(d) for d in report.differences] == [
        "strata.csv: principle 3: age 60+ 'agree' has 4 ballots, but 3 in tallies.json's inputs"]
    # A withheld cell filled in: it was published as withheld, so it differs.
    _edit(folder / "strata.csv", "1,Final vote,area,Rural,agree,,true",
          "1,Final vote,area,Rural,agree,1,false")
    report = recount(folder)
    assert ("strata.csv", 1) in _where(report.differences)
    assert any("area Rural is shown, but it is not among tallies.json's inputs" in str(d)
               for d in report.differences)


def test_a_changed_decision_in_principles_csv_names_the_principle(folder: Path) -> None:
    path = folder / "principles.csv"
    rows = csvsafe.read_rows(path.read_text())
    rows[2][7:9] = ["true", "Adopted: 40.7 % agree, above the two-thirds needed"]
    path.write_bytes(csvsafe.encode(rows))
    _rehash(folder, "principles.csv")
    assert [str(d) for d in recount(folder).differences] == [
        ("principles.csv: principle 2: says adopted=true, \"Adopted: 40.7 % agree, above the "
         "two-thirds needed\", but the recount says adopted=false, \"Not adopted: 40.7 % agree, "
         "below the two-thirds needed\"")]


def test_a_changed_file_hash_names_the_file(folder: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    package = json.loads((folder / "datapackage.json").read_text())
    package["resources"][-1]["hash"] = "sha256:" + "0" * 64
    (folder / "datapackage.json").write_text(json.dumps(package))
    (folder / "selection" / "pool.csv").unlink()
    report = recount(folder)
    assert all(check.matches for check in report.principles)
    assert [str(d).split(":")[0] for d in report.file_differences] == sorted(
        ["selection/pool.csv", package["resources"][-1]["path"]],
        key=[r["path"] for r in package["resources"]].index)
    assert main(["recount", str(folder)]) == 1
    assert "selection/pool.csv: is listed in datapackage.json but missing" in \
        capsys.readouterr().out


@pytest.mark.parametrize(("name", "old", "new", "said"), [
    ("votes.csv", "1,Final vote,five,agree,Agree,22,72", "1,Final vote,five,agree,Agree,x,72",
     "votes.csv, row 3, column ballots: 'x' is not a whole number"),
    ("strata.csv", "1,Final vote,area,Rural,agree,,true", "1,Final vote,area,Rural,agree,2,true",
     "strata.csv, row 18, column ballots: a suppressed cell must be blank"),
    ("strata.csv", "principle,round,feature", "number,round,feature",
     "strata.csv, row 1, column principle: the header has no 'principle' column"),
    ("tallies.json", '"principles": [', '"principles": [,',
     "tallies.json: is not valid JSON at line 4, column 18: Expecting value"),
])
def test_a_file_that_cannot_be_read_exits_2_naming_file_row_and_column(
        folder: Path, capsys: pytest.CaptureFixture[str], name: str, old: str, new: str,
        said: str) -> None:
    _edit(folder / name, old, new)
    assert main(["recount", str(folder)]) == 2
    error = capsys.readouterr().err
    assert said in error, error
    assert "Traceback" not in error


def test_the_published_zip_recounts_as_its_folder(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    packed = tmp_path / "charter.zip"
    packed.write_bytes(zip_of(FILES))
    report = recount(packed)
    assert report.matches and len(report.principles) == 4
    files = dict(FILES)
    files["votes.csv"] = files["votes.csv"].replace(b"4,Consent round,consent,agree,Agree,50,",
                                                    b"4,Consent round,consent,agree,Agree,51,")
    packed.write_bytes(zip_of(files))
    assert _where(recount(packed).differences) == {("votes.csv", None), ("votes.csv", 4)}
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("../datapackage.json", b"{}")
    assert main(["recount", str(packed)]) == 2
    assert "charter.zip: holds '../datapackage.json', a name outside its folder" in \
        capsys.readouterr().err


def test_a_folder_without_open_data_exits_2(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recount", str(tmp_path)]) == 2
    assert "datapackage.json: there is no datapackage.json in" in capsys.readouterr().err


def test_the_installed_command(folder: Path) -> None:
    command = Path(sys.executable).parent / "minipublic"
    done = subprocess.run([str(command), "recount", str(folder)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "Everything matches: 4 principles recounted." in done.stdout
    _edit(folder / "votes.csv", "4,Consent round,consent,block,Block,0,70",
          "4,Consent round,consent,block,Block,1,70")
    done = subprocess.run([str(command), "recount", str(folder)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 1
    assert "principle 4 “Principle 4, amended”: DIFFERS" in done.stdout
    assert "votes.csv: principle 4: 'block' has 1 ballots, but 0 in tallies.json's inputs" in \
        done.stdout
