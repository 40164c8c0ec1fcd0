"""The charter's PDF, as publishing makes it (the print version of the page, rendered by the
child with the network blocked), passes the structural checks and says what the tallies say."""

from __future__ import annotations

import base64
import functools
import re

import lxml.html

from assembly.publishing.documents import charter_html, svg_image
from assembly.publishing.rendering import render_pdfs
from charter.tallies import percent
from tests.pdfcheck import PdfReport, check_pdf, headings_of
from tests.unit._charter_snapshot import snapshot

TITLE = "Example Assembly on Data and AI: the charter, version 1"
ENTRY = re.compile(r"^(?:(\d+)\. )?(.+?)[ .]*?(?: \.)+ *(\d+)$")


@functools.cache
def charter() -> tuple[str, PdfReport]:
    html = charter_html(snapshot(), medium="print")
    pdf = render_pdfs({"charter.pdf": html})["charter.pdf"]
    # The print CSS bookmarks h1-h3 (a principle's h4 sub-headings would only crowd them).
    return html, check_pdf(pdf, title=TITLE, headings=headings_of(html, deepest=3), deepest=3)


def contents(report: PdfReport) -> list[tuple[str, int]]:
    """(title, page) of each line of the contents page, as printed."""
    page = report.outline[report.outline.index((2, "Contents"))]
    number = report.targets[report.outline.index(page)]
    lines = report.text.split("\f")[number - 1].splitlines()
    found = []
    for line in lines:
        match = ENTRY.match(line.strip())
        if match:
            found.append((match[2].strip(" ."), int(match[3])))
    return found


def test_the_charter_pdf_is_accessible() -> None:
    _, report = charter()
    assert report.outline[0] == (1, "Example Assembly on Data and AI: the charter")
    ballots = [alt for alt in report.figures if alt.startswith("How members voted on")]
    assert len(ballots) == 4
    # Each chart's alt text is its title and its description, which holds the figures.
    for vote in snapshot().votes:
        result, _ = vote.public()
        words = f"{result.valid} ballots of {result.eligible} eligible members: " \
                f"{percent(result.share_agree)} agree"
        assert sum(1 for alt in ballots if words in alt) >= 1, words
    assert "https://example.org/charters/1/v1/open-data.zip" in report.links


def test_the_contents_page_lists_the_sections_on_the_pages_they_are_on() -> None:
    _, report = charter()
    entries = contents(report)
    assert [title for title, _ in entries][:4] == [
        "The question and the remit", "The adopted principles", "Principle 1, amended",
        "Principle 3, amended"]
    sections = [title for depth, title in report.outline if depth == 2 and title != "Contents"]
    principles = [p.current.title for p in snapshot().principles]
    assert {title for title, _ in entries} == {*sections, *principles}
    opens: dict[str, int] = {}
    for (_, title), page in zip(report.outline, report.targets, strict=True):
        opens.setdefault(re.sub(r"^\d+\. ", "", title), page)
    for title, page in entries:
        assert opens[title] == page, f"contents says {title!r} is on page {page}"
        assert title in report.page_text(page)


def test_each_principle_shows_its_agreement_as_the_tally_gives_it() -> None:
    _, report = charter()
    sample = snapshot()
    after_contents = report.targets[report.outline.index((2, "Contents"))] + 1
    text = " ".join(report.page_text(p) for p in range(after_contents, report.pages + 1))
    titles = {p.number: f"{p.number}. {p.current.title}" for p in sample.principles}
    starts = sorted((text.index(title), number) for number, title in titles.items())
    ends = [start for start, _ in starts[1:]] + [text.index("Every principle by agreement")]
    sections = {number: text[start:end]
                for (start, number), end in zip(starts, ends, strict=True)}
    for vote in sample.votes:
        result, _ = vote.public()
        low, high = result.interval
        section = sections[vote.principle]
        # The figures sit side by side, so the text reads the numbers first, then their labels.
        assert f"The vote {result.decision.reason.split(':')[0]}" in section
        assert f" {percent(result.share_agree)} " in section
        assert f"agree (95 % interval {percent(low)} to {percent(high)})" in section
        assert result.decision.reason in section
    assert "84.7 %" in sections[1] and "40.7 %" in sections[2]


def test_in_print_a_chart_is_an_image_of_its_svg_with_its_title_and_description_as_alt() -> None:
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="640" height="140">'
           '<title>How members voted on “Don&#39;t sell &amp; share”</title>'
           '<desc>3 ballots of 4 eligible members: 66.7 % agree</desc></svg>')
    image = lxml.html.fromstring(str(svg_image(svg)))
    assert image.tag == "img"
    assert image.get("alt") == ("How members voted on “Don't sell & share”. "
                                "3 ballots of 4 eligible members: 66.7 % agree")
    assert (image.get("width"), image.get("height")) == ("640", "140")
    prefix, data = image.get("src").split(",", 1)
    assert prefix == "data:image/svg+xml;base64"
    assert base64.b64decode(data).decode("utf-8") == svg
    assert svg_image("") == ""
    # A control character typed into a file (a quota's value, say) cannot break the image.
    pasted = lxml.html.fromstring(str(svg_image(svg.replace("share", "sh\x0bare"))))
    assert pasted.get("alt") == image.get("alt")
