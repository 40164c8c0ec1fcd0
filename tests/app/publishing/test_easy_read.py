"""The easy-read summary: each result in words from the published tally, large type, and a PDF
that passes the same structural checks as the charter."""

from __future__ import annotations

import dataclasses
import functools

import pytest

from assembly.publishing.easy_read import (
    easy_read,
    easy_read_html,
    needed,
    out_of,
    share_in_words,
    vote_lines,
)
from charter.pdf import render
from charter.publication import Snapshot
from charter.tallies import Rule, RuleKind, Scale, tally
from tests.pdfcheck import PdfReport, check_pdf, headings_of
from tests.unit._charter_snapshot import snapshot

TITLE = "Example Assembly on Data and AI: what the members decided (easy read)"


@pytest.mark.parametrize(("part", "whole", "words"), [
    (45, 60, "That is 3 out of 4."),
    (30, 60, "That is half."),
    (40, 60, "That is 2 out of 3."),
    (48, 60, "That is 4 out of 5."),
    (24, 59, "That is about 2 out of 5."),      # 40.7 %
    (50, 59, "That is about 8 out of 10."),     # 84.7 %: no simple fraction within 2 points
    (29, 59, "That is about half."),            # 49.2 %
    (59, 60, "That is almost everyone."),       # not "about 10 out of 10"
    (1, 60, "That is fewer than 1 out of 10."),
    (60, 60, "That is everyone."),
    (0, 60, "That is nobody."),
])
def test_a_share_in_words(part: int, whole: int, words: str) -> None:
    assert share_in_words(part, whole) == words


def test_what_a_rule_needs_in_words() -> None:
    assert needed(Rule(RuleKind.majority)) == [
        "It needed more than half of the members who voted to agree."]
    assert needed(Rule(RuleKind.four_fifths, on_lower_bound=True)) == [
        "It needed at least 4 out of 5 of the members who voted to agree.",
        "The rule also asked for a safety margin, to be sure of the result."]
    assert needed(Rule(RuleKind.consent, consent_threshold=0.66))[1] == \
        "And it needed at least 66 out of 100 of the members who voted to agree."


def test_a_blocked_principle_and_a_vote_short_of_its_quorum_say_so() -> None:
    blocked = tally(Scale.consent, {"agree": 40, "concerns": 5, "block": 2}, 50,
                    Rule(RuleKind.consent, consent_threshold=0.75))
    head, lines = vote_lines(blocked)
    assert head == "2 members blocked this, so it is not in the charter."
    assert lines[:3] == ["40 out of 47 members who voted agreed.", "That is about 9 out of 10.",
                         "5 members said yes, but with worries."]
    short = tally(Scale.three, {"agree": 10, "unsure": 0, "disagree": 1}, 40,
                  Rule(RuleKind.majority, quorum=0.5))
    head, lines = vote_lines(short)
    assert head == "Not enough members voted on this, so there was no decision."
    assert lines == ["It is not in the charter.", "11 out of 40 members voted.",
                     "At least half of the members needed to vote."]
    assert out_of(Rule(RuleKind.two_thirds).threshold) == "2 out of 3"


@functools.cache
def sample_pdf() -> tuple[str, PdfReport]:
    html = easy_read_html(snapshot())
    return html, check_pdf(render(html), title=TITLE, headings=headings_of(html))


def sections(report: PdfReport, sample: Snapshot) -> dict[int, str]:
    """The text under each principle's heading, up to the next principle or section."""
    text = report.flat_text
    starts = sorted((text.index(f"Principle {p.number}: {p.current.title}"), p.number)
                    for p in sample.principles)
    ends = [start for start, _ in starts[1:]] + [text.index("Where to find more")]
    return {number: text[start:end] for (start, number), end in zip(starts, ends, strict=True)}


def test_the_sample_easy_read_pdf_is_accessible_and_in_large_type() -> None:
    html, report = sample_pdf()
    assert report.outline[0] == (1, "Example Assembly on Data and AI: what the members decided")
    assert (2, "The principles in the charter") in report.outline
    assert (2, "Principles that are not in the charter") in report.outline
    assert report.figures.count("Tick: the members agreed") == 3
    assert report.figures.count("Cross: not enough members agreed") == 1
    body = [w for w in report.words if not w.top > 780]   # below 780 pt: the page number
    assert min(w.size for w in body) >= 16
    assert min(w.size for w in report.words) >= 14
    assert '<html lang="en-GB">' in html
    assert "%" not in report.text   # never a percentage: counts and fractions in words
    assert not [f for f in report.fonts if "Oblique" in f or "Italic" in f]   # no italics


def test_each_principle_s_result_is_in_words_with_the_tally_s_counts() -> None:
    _, report = sample_pdf()
    sample = snapshot()
    text = sections(report, sample)
    expected = {1: (True, 50, 59, "about 8 out of 10"), 2: (False, 24, 59, "about 2 out of 5"),
                3: (True, 44, 57, "about 8 out of 10"), 4: (True, 50, 59, "about 8 out of 10")}
    for vote in sample.votes:
        result, _ = vote.public()
        adopted, agree, valid, share = expected[vote.principle]
        assert (result.decision.adopted, result.agree, result.valid) == (adopted, agree, valid)
        section = text[vote.principle]
        if adopted:
            assert "The members agreed with this. It is in the charter." in section
        else:
            assert "Not enough members agreed with this, so it is not in the charter." in section
        assert f"{agree} out of {valid} members who voted agreed. That is {share}." in section
    assert "It needed at least 2 out of 3 of the members who voted to agree." in text[1]
    assert "9 members said yes, but with worries. Nobody blocked it. It needed nobody to " \
        "block it. And it needed at least 3 out of 4" in text[4]
    assert "6 members wrote this note: We think the timescale is too short." in text[1]


def test_the_council_s_answers_and_how_the_members_were_chosen() -> None:
    _, report = sample_pdf()
    text = sections(report, snapshot())
    assert "The council said yes to this. They said: We will publish a register of the " \
        "algorithms we use by March. The council answered on 1 July 2026." in text[1]
    assert "The council said yes to part of this." in text[3]
    assert "The council has not answered this yet." in text[4]
    assert "council" not in text[2].lower()
    flat = report.flat_text
    assert "The council has answered 2 of the 3 principles in the charter." in flat
    assert "The members were chosen by lottery. First, 2000 people said they would like to " \
        "take part. Then a lottery chose 72 of them." in flat
    assert "The lottery looked at age." in flat
    assert "You can read the full charter on the internet at example.org/charters/1/v1." in flat
    assert "called charter.pdf" in flat and "called open-data.zip" in flat
    # The PDF travels alone, so its links go to the files at the charter's address.
    assert report.links == ("https://example.org/charters/1/v1",
                            "https://example.org/charters/1/v1/charter.pdf",
                            "https://example.org/charters/1/v1/open-data.zip")


def test_a_principle_not_voted_on_and_no_answers_yet() -> None:
    sample = snapshot()
    fewer = dataclasses.replace(sample, votes=sample.votes[1:], responses=(), selection=None,
                                panel=())
    read = easy_read(fewer)
    first = next(p for p in read.principles if p.number == 1)
    assert (first.head, first.lines, first.council) == (
        "The members did not vote on this.", ("It is not in the charter.",), ())
    assert [p.number for p in read.in_charter] == [3, 4]
    html = easy_read_html(fewer)
    assert "How the members were chosen" not in html
    assert "This picture means there was no decision:" in html
    assert "no decision" not in easy_read_html(sample)   # nothing undecided: no question mark
    assert "The council will read the charter and answer each principle." in html
    assert html.count("The council has not answered this yet.") == 2
    nowhere = dataclasses.replace(fewer, publication=dataclasses.replace(
        sample.publication, address=""))
    html = easy_read_html(nowhere)
    assert 'href="charter.pdf"' in html and 'href="open-data.zip"' in html   # side by side
    assert "on the internet" not in html
