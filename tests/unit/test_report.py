"""The charter's report (charter/report.py): every figure is `charter.tallies`' on the published
inputs, withheld strata cells never reach it, and principles, rounds and versions come in the
charter's order."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from charter import charts, tallies
from charter.publication import (
    EarlierVersion,
    PublicationInfo,
    ResponseStatus,
    Snapshot,
)
from charter.report import Report, pct, rule_words
from charter.tallies import Rule, RuleKind, Scale
from tests.unit._charter_snapshot import snapshot


@pytest.fixture(scope="module")
def sample() -> Snapshot:
    return snapshot()


@pytest.fixture(scope="module")
def report(sample: Snapshot) -> Report:
    return Report.of(sample)


def _expected(sample: Snapshot, number: int) -> tuple[tallies.Tally, tuple[
        tallies.FeatureAgreement, ...]]:
    """What an auditor gets from the stored inputs with small cells withheld."""
    vote = next(v for v in sample.votes if v.principle == number)
    return tallies.recompute({**vote.inputs, "suppress": True})


def test_adopted_and_not_adopted_in_the_charters_order(report: Report) -> None:
    assert [p.number for p in report.adopted] == [1, 3, 4]
    assert [p.number for p in report.not_adopted] == [2]
    assert [p.number for p in report.principles] == [1, 2, 3, 4]
    assert all(p.adopted for p in report.adopted)
    assert not any(p.adopted for p in report.not_adopted)


def test_each_principle_shows_its_current_wording(report: Report, sample: Snapshot) -> None:
    for principle, shown in zip(sample.principles, report.principles, strict=True):
        assert (shown.title, shown.text, shown.rationale) == (
            principle.current.title, principle.current.text, principle.current.rationale)
        assert shown.version == 2 and shown.versions == 2


def test_figures_are_the_tallies_of_the_published_inputs(report: Report,
                                                         sample: Snapshot) -> None:
    for shown in report.principles:
        expected, features = _expected(sample, shown.number)
        assert shown.tally == expected
        assert shown.strata == features
        assert shown.verdict == tallies.verdict(expected, features)
        assert shown.table == charts.ballot_table(
            expected, caption=f"How members voted on “{shown.title}”")
        assert shown.chart.startswith("<svg") and "<title" in shown.chart
        assert f"ballot-{shown.number}-title" in shown.chart


def test_the_figures_in_words(report: Report) -> None:
    first = report.adopted[0]
    assert first.tally is not None
    assert first.tally.agree == 50 and first.tally.valid == 59
    assert pct(first.tally.share_agree) == "84.7 %"
    assert first.tally.decision.reason == ("Adopted: 84.7 % agree, above the two-thirds "
                                           "needed")
    assert first.rule == ("at least two-thirds (66.7 %) must agree; no decision with turnout "
                          "below 50 %")
    assert [n.text for n in first.dissent] == ["We think the timescale is too short."]
    consent = report.adopted[-1]
    assert consent.rule == "nobody may block, and at least 75 % must agree"


def test_rules_in_words() -> None:
    assert rule_words(Rule()) == "more than half must agree"
    assert rule_words(Rule(RuleKind.three_quarters, on_lower_bound=True)) == (
        "at least three-quarters (75 %) must agree, judged on the lower end of the 95 % "
        "interval")


def test_withheld_cells_never_reach_the_report(report: Report, sample: Snapshot) -> None:
    """Rural (3 voters) is withheld, and Town with it so Rural cannot be worked out from the
    totals; neither row carries a number."""
    for shown in report.principles:
        for table in shown.strata_tables:
            for row in table.rows:
                if not row.shown:
                    assert (row.voted, row.agree) == ("", "")
    area = next(t for t in report.adopted[0].strata_tables if t.feature == "area")
    assert [(r.value, r.shown) for r in area.rows] == [("Rural", False), ("Town", False),
                                                       ("Urban", True)]
    _, features = _expected(sample, 1)
    urban = next(v for f in features if f.feature == "area" for v in f.values
                 if v.value == "Urban")
    assert area.rows[2].voted == str(urban.n)
    assert area.rows[2].agree == f"{urban.agree} of {urban.n} ({pct(urban.share_agree)})"


def test_contested_features_are_said_so(report: Report, sample: Snapshot) -> None:
    _, features = _expected(sample, 2)
    shown = report.not_adopted[0]
    for feature, table in zip(features, shown.strata_tables, strict=True):
        assert table.contested == feature.contested
        assert table.note.startswith("Contested") == feature.contested
        if feature.contested:
            assert f"p = {feature.p_adjusted:.3f}" in table.note


def test_one_overview_per_vote_round_by_agreement(report: Report, sample: Snapshot) -> None:
    assert [(r.title, r.principles) for r in report.rounds] == [
        ("Final vote", (1, 2, 3)), ("Consent round", (4,))]
    final = report.rounds[0]
    labelled = [(p.label, _expected(sample, p.number)[0]) for p in report.principles
                if p.number in final.principles]
    assert final.table.rows == charts.overview_table(labelled).rows
    assert [row[0] for row in final.table.rows] == [label for label, _ in
                                                    charts.in_order_of_agreement(labelled)]
    assert final.adopted == 2
    vote = sample.votes[0]
    assert final.method_note == tallies.method_note(vote.scale, _expected(sample, 1)[0].rule,
                                                    k=vote.k)
    assert report.vote_round(4) is report.rounds[1]
    assert report.vote_round(2) is report.rounds[0]
    ids = [r.chart.split('id="', 1)[1].split('"', 1)[0] for r in report.rounds]
    assert len(set(ids)) == len(ids)


def test_council_responses(report: Report) -> None:
    assert (report.responses.accepted, report.responses.in_part,
            report.responses.not_accepted, report.responses.awaiting) == (1, 1, 0, 1)
    assert [p.number for p in report.responded] == [1, 3]
    assert report.adopted[1].response is not None
    assert report.adopted[1].response.status is ResponseStatus.accepted_in_part


def test_programme_and_turnout(report: Report) -> None:
    assert [(r.round, r.took_part, r.turnout) for r in report.programme] == [
        ("Opening", "68 of 72", pct(68 / 72)), ("Final vote", "70 of 72", pct(70 / 72)),
        ("Empty", "–", "–")]


def test_discussion_and_evidence(report: Report, sample: Snapshot) -> None:
    [discussion] = report.discussions
    assert discussion.consensus == sample.discuss[0].consensus
    assert [(g.letter, g.size) for g in discussion.groups] == [
        ("A", "40 participants"), ("B", "24 participants"), ("C", "too few to show")]
    assert discussion.groups[1].representative == (
        ("Share data between services to save time.", "disagreed"),)
    assert discussion.folder == "open-data/statements/round-1/"
    assert [e.round for e in report.evidence] == ["Learning about data"]
    assert [i.speaker for i in report.evidence[0].items] == ["Dr Ada Example", "Sam Vendor"]


def test_selection(report: Report, sample: Snapshot) -> None:
    selection = report.selection
    assert selection is not None and sample.selection is not None
    assert (selection.pool_size, selection.panel_size) == (2000, 72)
    assert (selection.lowest, selection.highest, selection.equal) == ("2.1 %", "6.4 %", "3.6 %")
    assert [(q.value, q.panel, q.quota, q.pool, q.target) for q in selection.quotas] == [
        ("16-29", "12 (16.7 %)", "10 to 14", "400 (20 %)", "20 %"),
        ("30-59", "35 (48.6 %)", "30 to 40", "900 (45 %)", "50 %"),
        ("60+", "25 (34.7 %)", "15 to 25", "700 (35 %)", "–")]
    assert selection.outside == 0
    assert 'role="img"' in selection.chart
    assert "open-data/selection/commitment.json" in selection.files
    assert all(f.startswith("open-data/selection/") for f in selection.files)


def test_a_pool_count_withheld_under_k_is_said_so(sample: Snapshot) -> None:
    """Pool counts under k reach the snapshot as None (the panel is public, who answered the
    letter is not): the table says so, and the chart still draws."""
    first, *rest = sample.panel
    selection = Report.of(replace(sample, panel=(replace(first, pool=None), *rest))).selection
    assert selection is not None and selection.quotas[0].pool == "Fewer than 5: not shown"
    assert [q.pool for q in selection.quotas[1:]] == ["900 (45 %)", "700 (35 %)"]
    assert 'role="img"' in selection.chart


def test_downloads_are_relative(report: Report) -> None:
    hrefs = [d.href for d in report.downloads]
    assert hrefs[:4] == ["charter.pdf", "easy-read.pdf", "open-data.zip",
                         "open-data/README.md"]
    assert "open-data/principles.csv" in hrefs
    assert "open-data/selection/commitment.json" in hrefs
    assert not any(h.startswith(("/", "http")) for h in hrefs)


def test_versions_newest_first(sample: Snapshot) -> None:
    later = replace(sample, publication=PublicationInfo(
        3, datetime(2026, 8, 1, tzinfo=UTC), "Example", "https://example.org/charters/1/v3",
        "The council's response.",
        (EarlierVersion(1, datetime(2026, 6, 1, tzinfo=UTC), "", "/charters/1/v1/"),
         EarlierVersion(2, datetime(2026, 6, 9, tzinfo=UTC), "A typo.", "/charters/1/v2/"))))
    versions = Report.of(later).versions
    assert [(v.number, v.current, v.published) for v in versions] == [
        (3, True, "1 August 2026"), (2, False, "9 June 2026"), (1, False, "1 June 2026")]
    assert versions[1].changes == "A typo." and versions[1].address == "/charters/1/v2/"


def test_a_principle_not_voted_on(sample: Snapshot) -> None:
    without = replace(sample, votes=tuple(v for v in sample.votes if v.principle != 3),
                      responses=())
    report = Report.of(without)
    shown = next(p for p in report.principles if p.number == 3)
    assert shown.tally is None and shown in report.not_adopted
    assert shown.verdict == "Not put to a vote."
    assert report.rounds[0].principles == (1, 2)


def test_rounds_sharing_a_title_stay_apart(sample: Snapshot) -> None:
    """Two rounds both called "Final vote" on different scales: two overviews, not one chart
    mixing scales."""
    votes = tuple(replace(v, round="Final vote") for v in sample.votes)
    report = Report.of(replace(sample, votes=votes))
    assert [(r.title, r.scale, r.principles) for r in report.rounds] == [
        ("Final vote", Scale.five, (1, 2, 3)), ("Final vote", Scale.consent, (4,))]
