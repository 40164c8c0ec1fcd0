"""The charter's open data (issue 12, item 4): the files hold exactly the tallies' numbers, small
cells are blank and marked, statements come in Pol.is's layout, the datapackage validates with
Frictionless, and the ZIP is the same bytes every time."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import zipfile
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from charter import publication, tallies
from charter.polis import PolisConversation, Statement, Vote, read_polis
from charter.publication import (
    DiscussRound,
    DissentNote,
    Principle,
    PrincipleVersion,
    PrincipleVote,
    PublicationError,
    Snapshot,
    open_data,
    zip_of,
)
from charter.recount import recount
from charter.tallies import OPTIONS, Rule, RuleKind, Scale
from sortition import csvsafe
from tests.unit._charter_snapshot import POLIS, selection_files, snapshot, write


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return open_data(snapshot())


def _rows(data: bytes) -> list[dict[str, str]]:
    return [dict(row) for row in csv.DictReader(io.StringIO(data.decode(), newline=""))]


def test_votes_and_tallies_hold_the_tallies_numbers(files: dict[str, bytes]) -> None:
    published = {e["principle"]: e for e in json.loads(files["tallies.json"])["principles"]}
    votes = _rows(files["votes.csv"])
    for vote in snapshot().votes:
        scale = vote.scale
        counts = vote.inputs["counts"]
        rule = Rule(**{**vote.inputs["rule"], "kind": RuleKind(vote.inputs["rule"]["kind"])})
        expected = tallies.tally(scale, counts, vote.inputs["eligible"], rule)
        rows = [r for r in votes if r["principle"] == str(vote.principle)]
        assert [r["option"] for r in rows] == list(OPTIONS[scale])
        assert {r["option"]: int(r["ballots"]) for r in rows} == counts
        assert {r["eligible"] for r in rows} == {str(vote.inputs["eligible"])}
        figures = published[vote.principle]["figures"]
        assert figures["valid"] == expected.valid and figures["agree"] == expected.agree
        assert figures["share_agree"] == expected.share_agree
        assert figures["percent_agree"] == tallies.percent(expected.share_agree)
        assert figures["interval"] == list(expected.interval)
        assert figures["adopted"] is expected.decision.adopted
        assert figures["decision"] == expected.decision.reason
        entry = published[vote.principle]
        assert entry["method_version"] == tallies.METHOD_VERSION
        assert entry["digest"] == tallies.digest(entry["inputs"])
        assert entry["parameters"] == dict(vote.parameters)
    # The numbers a reader sees first, worked by hand: 50 of 59 agree on principle 1,
    # 22 of 54 on principle 2 (two-thirds needed).
    assert published[1]["figures"]["percent_agree"] == "84.7 %"
    assert published[1]["figures"]["adopted"] is True
    assert published[2]["figures"]["percent_agree"] == "40.7 %"
    assert published[2]["figures"]["adopted"] is False
    principles = {r["principle"]: r for r in _rows(files["principles.csv"])}
    assert principles["2"]["adopted"] == "false"
    assert principles["2"]["decision"] == published[2]["figures"]["decision"]


def test_small_cells_are_blank_marked_and_left_out_of_every_input(
        files: dict[str, bytes]) -> None:
    strata = _rows(files["strata.csv"])
    rural = [r for r in strata if r["value"] == "Rural"]
    # Rural has 3 voters (under k = 5); Town is withheld too, or the totals would give Rural away.
    town = [r for r in strata if r["value"] == "Town"]
    assert rural and town
    assert all(r["ballots"] == "" and r["suppressed"] == "true" for r in rural + town)
    shown = [r for r in strata if r["suppressed"] == "false"]
    vote = snapshot().votes[0]
    for row in shown:
        if row["principle"] == "1":
            assert int(row["ballots"]) == vote.inputs["strata"][row["feature"]][row["value"]][
                row["option"]]
    published = json.loads(files["tallies.json"])["principles"]
    for entry in published[:3]:
        assert set(entry["inputs"]["strata"]["area"]) == {"Urban"}
        assert entry["sealed_digest"] is None   # its digest would give the small cells away
        area = next(f for f in entry["figures"]["strata"] if f["feature"] == "area")
        assert area["withheld"] == ["Rural", "Town"]
    # Nothing withheld: the sealed digest is published and is the digest of these inputs.
    assert published[3]["sealed_digest"] == published[3]["digest"] == snapshot().votes[3].digest
    # The published strata figures are those the public results page shows.
    _, features = vote.public()
    assert published[0]["figures"]["strata"] == publication.strata_figures(features)


def test_principles_versions_dissent_turnout_and_panel(files: dict[str, bytes]) -> None:
    versions = _rows(files["principle_versions.csv"])
    assert [(r["principle"], r["version"], r["made_by"]) for r in versions[:2]] == [
        ("1", "1", "first draft"), ("1", "2", "amendment by table 3")]
    current = _rows(files["principles.csv"])
    assert [r["title"] for r in current] == [f"Principle {n}, amended" for n in (1, 2, 3, 4)]
    assert _rows(files["dissent.csv"]) == [{"principle": "1", "note": "1", "text":
                                            "We think the timescale is too short.",
                                            "signatures": "6"}]
    turnout = _rows(files["turnout.csv"])
    assert turnout[1] == {"round": "Final vote", "kind": "vote", "opened": "2026-05-01T09:00:00Z",
                          "closed": "2026-05-08T17:00:00Z", "eligible": "72", "took_part": "70",
                          "turnout": repr(70 / 72)}
    assert turnout[2]["turnout"] == "" and turnout[2]["opened"] == ""
    panel = _rows(files["panel.csv"])
    assert panel[0] == {"feature": "age", "value": "16-29", "min": "10", "max": "14",
                        "panel": "12", "pool": "400", "target_share": "0.2"}
    assert panel[2]["target_share"] == ""
    for name, data in selection_files().items():
        assert files[f"selection/{name}"] == data


def test_evidence_and_council_responses_are_written_in_the_charters_order(
        files: dict[str, bytes]) -> None:
    evidence = _rows(files["evidence.csv"])
    assert [r["speaker"] for r in evidence] == ["Dr Ada Example", "Sam Vendor"]
    assert evidence[1] == {"round": "Learning about data", "title": "AI in social care",
                           "speaker": "Sam Vendor", "organisation": "CareTech Ltd",
                           "role": "Product lead", "interests": "Employed by a company that "
                           "sells software to councils.",
                           "summary": "How an AI tool schedules home-care visits."}
    base = snapshot()
    # Given in any order, written by principle.
    made = open_data(replace(base, responses=tuple(reversed(base.responses))))
    responses = _rows(made["responses.csv"])
    assert responses == [
        {"principle": "1", "status": "accepted", "status_words": "Accepted",
         "reasons": "We will publish a register of the algorithms we use by March.",
         "responded_on": "2026-07-01"},
        {"principle": "3", "status": "accepted_in_part", "status_words": "Accepted in part",
         "reasons": "We agree, but cannot end existing contracts early.",
         "responded_on": "2026-07-01"}]
    assert made["responses.csv"] == files["responses.csv"]
    package = {r["path"]: r for r in json.loads(files["datapackage.json"])["resources"]}
    kinds = {f["name"]: f["type"] for f in package["responses.csv"]["schema"]["fields"]}
    assert kinds["responded_on"] == "date" and kinds["principle"] == "integer"


def test_before_the_council_responds_the_files_are_there_with_their_header_only() -> None:
    made = open_data(replace(snapshot(), responses=(), evidence=()))
    assert made["responses.csv"].decode().splitlines() == [
        "principle,status,status_words,reasons,responded_on"]
    assert made["evidence.csv"].decode().splitlines() == [
        "round,title,speaker,organisation,role,interests,summary"]


def test_a_formula_in_a_title_is_written_as_text() -> None:
    base = snapshot()
    evil = "=HYPERLINK(\"http://evil\",\"x\")"
    first = replace(base.principles[0], versions=(PrincipleVersion(1, evil, "t"),))
    made = open_data(replace(base, principles=(first, *base.principles[1:])))
    assert csvsafe.is_safe(_rows(made["principles.csv"])[0]["title"])
    assert csvsafe.read_rows(made["principles.csv"].decode())[1][2] == evil


def test_statements_are_in_polis_layout_with_their_groups(
        tmp_path: Path, files: dict[str, bytes]) -> None:
    write(files, tmp_path)
    original = read_polis(POLIS)
    back = read_polis(tmp_path / "statements" / "round-1")
    assert [s.body for s in back.statements] == [s.body for s in original.statements]
    assert Counter(v.value for v in back.votes) == Counter(v.value for v in original.votes)
    assert len(back.participants) == len(original.participants)
    assert Counter(back.groups.values()) == Counter(original.groups.values())
    assert back.topic == original.topic


def test_the_apps_own_ids_never_reach_the_statements(tmp_path: Path) -> None:
    """Whole-number ids too (database ids of members and statements) are renumbered."""
    when = datetime(2026, 4, 1, 10, tzinfo=UTC)
    conversation = PolisConversation(
        statements=(Statement("501", "9002", "Keep it local.", 1, when),
                    Statement("507", "9001", "Publish the code.", 1, when)),
        votes=(Vote(when, "9001", "507", 1), Vote(when, "9002", "501", -1),
               Vote(when, "9001", "501", 1)),
        groups={"9001": 0, "9002": 1})
    made = open_data(replace(snapshot(), discuss=(DiscussRound("Ids", conversation),)))
    back = read_polis(write(made, tmp_path) / "statements" / "round-1")
    assert [s.id for s in back.statements] == ["0", "1"]
    assert [s.author for s in back.statements] == ["1", "0"]
    assert back.participants == ("0", "1") and back.groups == {"0": 0, "1": 1}
    assert not any(b"9001" in data or b"507," in data for name, data in made.items()
                   if name.startswith("statements/"))


def test_every_file_is_described_with_its_sha256_and_the_package_validates(
        tmp_path: Path, files: dict[str, bytes]) -> None:
    import frictionless  # a test dependency (pyproject.toml): never skipped, fails if missing

    package = json.loads(files["datapackage.json"])
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    listed = {r["path"]: r for r in package["resources"]}
    assert set(listed) == set(files) - {"datapackage.json"}
    for path, resource in listed.items():
        assert resource["hash"] == "sha256:" + hashlib.sha256(files[path]).hexdigest()
        assert resource["bytes"] == len(files[path])
    strata_fields = {f["name"]: f["type"] for f in listed["strata.csv"]["schema"]["fields"]}
    assert strata_fields["ballots"] == "integer" and strata_fields["suppressed"] == "boolean"
    folder = write(files, tmp_path / "open-data")
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])
    assert len(report.tasks) == len(listed)
    # A changed file no longer validates: Frictionless checks the hashes too.
    votes = folder / "votes.csv"
    votes.write_bytes(votes.read_bytes().replace(b",Final vote,five,agree,Agree,",
                                                 b",Final vote,five,agree,Agree,1", 1))
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert not report.valid
    assert "hash-count" in {error[0] for error in report.flatten(["type"])}


def test_the_data_dictionary_names_every_column_and_the_licence_credits(
        files: dict[str, bytes]) -> None:
    readme = files["README.md"].decode()
    for name, data in files.items():
        if name.endswith(".csv") and not name.endswith("summary.csv"):
            header = csvsafe.read_rows(data.decode().splitlines()[0] + "\n")[0]
            assert f"| {name} |" in readme or name.startswith(("statements/", "selection/"))
            if not name.startswith(("selection/", "statements/round-1/participants")):
                for column in header:
                    assert f"| {column} |" in readme, (name, column)
    licence = files["LICENSE.txt"].decode()
    assert "Creative Commons Attribution 4.0 International" in licence
    assert "Attribution: Example City Council and the members of the Example Assembly" in licence
    assert "minipublic recount" in readme


def test_the_zip_is_the_same_bytes_every_time(files: dict[str, bytes]) -> None:
    first = zip_of(files)
    again = zip_of(open_data(snapshot()))
    assert first == again
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(zip_of(dict(
        reversed(list(files.items()))))).hexdigest()
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert archive.namelist() == sorted(files)
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert all(archive.read(name) == data for name, data in files.items())


def test_a_snapshot_that_cannot_be_published_says_why() -> None:
    base = snapshot()
    vote = base.votes[0]
    changed = {**vote.inputs, "counts": {**vote.inputs["counts"], "agree": 0}}
    with pytest.raises(PublicationError, match="digest does not match its stored inputs"):
        PrincipleVote(1, "Final vote", changed, vote.digest)
    with pytest.raises(PublicationError, match=r"Votes on principles \[9\]"):
        replace(base, votes=(*base.votes, replace(base.votes[3], principle=9)))
    with pytest.raises(PublicationError, match="plain file name"):
        replace(base, selection_files={"../pool.csv": b""})
    with pytest.raises(PublicationError, match="has no version"):
        Principle(5, ())
    with pytest.raises(PublicationError, match="tallied with method version 0"):
        PrincipleVote(1, "Final vote", vote.inputs, vote.digest, method_version="0")
    with pytest.raises(PublicationError, match="inputs cannot be tallied"):
        bad = {**vote.inputs, "eligible": 3}
        PrincipleVote(1, "Final vote", bad, tallies.digest(bad))


def test_a_charter_without_discuss_rounds_or_selection_still_validates(tmp_path: Path) -> None:
    import frictionless

    base = snapshot()
    small = Snapshot(base.assembly, base.publication, base.principles[3:],
                     (PrincipleVote.of(4, "Consent round", Scale.consent,
                                       {"agree": 5, "concerns": 1}, 8,
                                       Rule(RuleKind.consent),
                                       dissent=(DissentNote("Not yet.", 2),)),))
    made = open_data(small)
    assert not any(name.startswith(("statements/", "selection/")) for name in made)
    report = frictionless.validate(str(write(made, tmp_path) / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])


def _random_vote(rng: random.Random, number: int) -> PrincipleVote:
    """A principle with random counts on a random scale and rule, and strata with every kind of
    cell: values under k, a value nobody voted in, voters with no value, a feature all small."""
    scale = rng.choice(list(Scale))
    kind = RuleKind.consent if scale is Scale.consent else rng.choice(
        [k for k in RuleKind if k is not RuleKind.consent])
    rule = Rule(kind, on_lower_bound=rng.random() < 0.3, quorum=rng.choice([0.0, 0.5, 0.9]),
                consent_threshold=rng.choice([0.5, 0.75]))
    ballots = [rng.choice(OPTIONS[scale]) for _ in range(rng.randint(0, 60))]
    counts = dict(Counter(ballots))
    strata: dict[str, dict[str, dict[str, int]]] = {}
    for feature in range(rng.randint(0, 3)):
        values = [f"v{i}" for i in range(rng.randint(1, 5))]
        weights = [rng.choice([0.0, 0.05, 0.3, 1.0]) for _ in values]
        if not any(weights):
            weights[0] = 1.0
        cells: dict[str, Counter[str]] = {value: Counter() for value in values}
        for choice in ballots:
            if rng.random() < 0.9:    # some voters have no value for the feature
                cells[rng.choices(values, weights)[0]][choice] += 1
        strata[f"feature {feature}"] = {v: dict(c) for v, c in cells.items()}
    eligible = len(ballots) + rng.randint(0, 20)
    return PrincipleVote.of(number, "Round", scale, counts, eligible, rule, strata)


def test_random_charters_recount_clean_and_never_show_a_small_cell(tmp_path: Path) -> None:
    rng = random.Random(20261204)
    base = snapshot()
    votes = tuple(_random_vote(rng, number) for number in range(1, 41))
    principles = tuple(Principle(n, (PrincipleVersion(1, f"P{n}", "t"),)) for n in range(1, 43))
    made = open_data(replace(base, principles=principles, votes=votes, discuss=(),
                             selection_files={}))
    report = recount(write(made, tmp_path))
    assert report.matches, [str(d) for d in report.differences]
    assert len(report.principles) == 40
    withheld = 0
    strata_rows = _rows(made["strata.csv"])
    for vote, entry in zip(votes, json.loads(made["tallies.json"])["principles"], strict=True):
        for feature, by_value in vote.inputs["strata"].items():
            for value, cells in by_value.items():
                small = sum(cells.values()) < vote.k
                shown = value in entry["inputs"]["strata"][feature]
                rows = [r for r in strata_rows if r["principle"] == str(vote.principle)
                        and r["feature"] == feature and r["value"] == value]
                assert {r["suppressed"] for r in rows} == {"false" if shown else "true"}
                if small:
                    assert not shown and {r["ballots"] for r in rows} == {""}
                withheld += not shown
    assert withheld > 20   # the seed exercises withholding, second cells included
    # Principles never voted on are listed without a decision.
    last = _rows(made["principles.csv"])[-1]
    assert (last["principle"], last["round"], last["adopted"]) == ("42", "", "")
