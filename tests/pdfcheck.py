"""Structural checks of an accessible PDF (PDF/UA-1 as WeasyPrint writes it), for any test.

veraPDF cannot be installed here (DESIGN.md), so the parts of PDF/UA a reader depends on are
checked one by one, with pikepdf and the real poppler and qpdf tools:

- tagged: `/MarkInfo /Marked true` and a `/StructTreeRoot`;
- the document language `/Lang` (en-GB);
- a title in the info dictionary and in XMP (`dc:title`), shown instead of the file name
  (`/ViewerPreferences /DisplayDocTitle true`), and PDF/UA identification (`pdfuaid:part` 1);
- every `/Figure` structure element has alt text;
- bookmarks (outlines), one per heading element, with the headings' words;
- every font embedded (pdffonts' `emb` column);
- A4 pages (pdfinfo, every page) and the page count;
- `qpdf --check` finds nothing wrong.

`check_pdf` asserts all of these and returns what it read, for the test's own assertions on the
text, the alt texts or the pages.
"""

from __future__ import annotations

import html.parser
import io
import re
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pikepdf

A4 = (595.276, 841.89)   # points, as pdfinfo prints them
HEADINGS = {f"/H{level}" for level in range(1, 7)} | {"/H"}
XMP_DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
XMP_PDFUA_PART = "{http://www.aiim.org/pdfua/ns/id/}part"
# pdftotext's word box of DejaVu Sans (the print stylesheets' only font) is its ascent plus
# descent: 1.164 em. A box's height divided by this is the size the text was set in, in points.
DEJAVU_BOX = 1.164


def _squash(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class Word:
    page: int       # from 1
    text: str
    size: float     # the font size in points (see DEJAVU_BOX)
    top: float      # points from the top of the page


@dataclass(frozen=True)
class PdfReport:
    pages: int
    title: str
    outline: tuple[tuple[int, str], ...]   # (depth from 1, title) of every bookmark, in order
    targets: tuple[int, ...]               # the page (from 1) each bookmark opens, in order
    links: tuple[str, ...]                 # the URI of every link, in page order
    figures: tuple[str, ...]               # the alt text of every /Figure, in order
    fonts: tuple[str, ...]
    text: str                              # pdftotext's text in reading order, pages by \f
    words: tuple[Word, ...]

    def page_text(self, page: int) -> str:
        """One page's text (from 1), white space squashed as in `flat_text`."""
        return _squash(self.text.split("\f")[page - 1])

    @property
    def flat_text(self) -> str:
        """The text with every run of white space (line breaks included) as one space, so a
        sentence wrapped over two lines is found whole."""
        return _squash(self.text)


def _run(*command: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{command[0]} failed: {done.stderr or done.stdout}"
    return done.stdout


def _structure(element: object) -> Iterator[pikepdf.Dictionary]:
    """Every structure element under `element`, depth first, in document order."""
    if isinstance(element, pikepdf.Array):
        for child in element:
            yield from _structure(child)
    elif isinstance(element, pikepdf.Dictionary) and "/S" in element:
        yield element
        if "/K" in element:
            yield from _structure(element.K)


def _outline(items: Sequence[pikepdf.OutlineItem], depth: int = 1
             ) -> Iterator[tuple[int, str, tuple[int, int]]]:
    """(depth, title, the object number of the page it opens) of every bookmark, depth first
    (WeasyPrint writes explicit destinations: [page /XYZ left top zoom])."""
    for item in items:
        destination = item.destination
        assert isinstance(destination, pikepdf.Array), f"{item.title!r} opens no page"
        yield depth, _squash(item.title), destination[0].objgen
        yield from _outline(item.children, depth + 1)


def _fonts(pdffonts: str) -> list[tuple[str, bool]]:
    """(name, embedded) per line of pdffonts' table (the columns after the name are
    fixed-width, and names have no spaces in a WeasyPrint PDF)."""
    lines = pdffonts.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("---"))
    header = lines[rule - 1]
    emb = header.index("emb")
    return [(line.split()[0], line[emb:emb + 3] == "yes") for line in lines[rule + 1:] if line]


def _page_sizes(pdfinfo: str) -> list[tuple[float, float]]:
    return [(float(w), float(h)) for w, h in
            re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", pdfinfo, re.MULTILINE)]


def _words(bbox: str) -> list[Word]:
    words = []
    for page, block in enumerate(re.findall(r"<page [^>]*>(.*?)</page>", bbox, re.DOTALL), 1):
        for y_min, y_max, text in re.findall(
                r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(.*?)</word>',
                block):
            size = (float(y_max) - float(y_min)) / DEJAVU_BOX
            words.append(Word(page, html.unescape(text), round(size, 1), float(y_min)))
    return words


def check_pdf(pdf: bytes, *, title: str, headings: Sequence[str] | None = None,
              pages: int | None = None, lang: str = "en-GB", deepest: int = 6) -> PdfReport:
    """Assert that `pdf` is a tagged, titled, bookmarked PDF/UA-1 document on A4 with every font
    embedded and every figure described; `headings` (see `headings_of`) are the bookmarks
    expected, in order; `pages` the page count expected; headings deeper than `deepest` are
    not bookmarked (a document's print CSS may leave them out)."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        root = document.Root
        assert "/MarkInfo" in root and bool(root.MarkInfo.get("/Marked")), "not tagged"
        assert "/StructTreeRoot" in root, "no structure tree"
        assert str(root.get("/Lang", "")) == lang, f"/Lang is {root.get('/Lang')!r}"
        assert str(document.docinfo.get("/Title", "")) == title, \
            f"/Title is {document.docinfo.get('/Title')!r}"
        preferences = root.get("/ViewerPreferences", pikepdf.Dictionary())
        assert bool(preferences.get("/DisplayDocTitle")), \
            "/DisplayDocTitle is not true: viewers would show the file name"
        with document.open_metadata() as xmp:
            assert xmp.get(XMP_DC_TITLE) == title, f"XMP dc:title is {xmp.get(XMP_DC_TITLE)!r}"
            assert xmp.get(XMP_PDFUA_PART) == "1", "no PDF/UA identification in XMP"
        elements = list(_structure(root.StructTreeRoot.get("/K")))
        figures = [e for e in elements if e.S == "/Figure"]
        alts = tuple(str(f.get("/Alt", "")) for f in figures)
        assert all(alt.strip() for alt in alts), f"a figure has no alt text: {alts}"
        heading_elements = sum(1 for e in elements if str(e.S) in HEADINGS
                               and int(str(e.S)[2:] or 1) <= deepest)
        with document.open_outline() as outlines:
            bookmarks = list(_outline(outlines.root))
        numbers = {page.obj.objgen: i for i, page in enumerate(document.pages, 1)}
        outline = tuple((depth, text) for depth, text, _ in bookmarks)
        targets = tuple(numbers[page] for _, _, page in bookmarks)
        links = tuple(str(annotation.A.URI) for page in document.pages
                      for annotation in page.get("/Annots", [])
                      if "/A" in annotation and "/URI" in annotation.A)
        count = len(document.pages)
    assert outline, "no bookmarks"
    assert len(outline) == heading_elements, \
        f"{len(outline)} bookmarks for {heading_elements} headings"
    if headings is not None:
        assert [text for _, text in outline] == [_squash(h) for h in headings]

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "document.pdf"
        path.write_bytes(pdf)
        qpdf = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True,
                              check=False)
        assert qpdf.returncode == 0 and "No syntax or stream encoding errors" in qpdf.stdout \
            and "WARNING" not in qpdf.stdout + qpdf.stderr, qpdf.stdout + qpdf.stderr
        fonts = _fonts(_run("pdffonts", str(path)))
        info = _run("pdfinfo", "-f", "1", "-l", str(count), str(path))
        text = _run("pdftotext", "-enc", "UTF-8", str(path), "-")
        words = _words(_run("pdftotext", "-bbox", "-enc", "UTF-8", str(path), "-"))
    assert fonts, "no fonts"
    assert all(embedded for _, embedded in fonts), f"fonts not embedded: {fonts}"
    assert re.search(rf"^Pages:\s+{count}$", info, re.MULTILINE), info
    sizes = _page_sizes(info)
    assert len(sizes) == count and all(
        abs(w - A4[0]) < 0.5 and abs(h - A4[1]) < 0.5 for w, h in sizes), sizes
    if pages is not None:
        assert count == pages, f"{count} pages, not {pages}"
    return PdfReport(count, title, outline, targets, links, alts, tuple(name for name, _ in fonts), text,
                     tuple(words))


class _Headings(html.parser.HTMLParser):
    def __init__(self, deepest: int) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._depth = 0
        self._levels = f"h[1-{deepest}]"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if re.fullmatch(self._levels, tag):
            self._depth += 1
            if self._depth == 1:
                self.found.append("")

    def handle_endtag(self, tag: str) -> None:
        if re.fullmatch(self._levels, tag) and self._depth:
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.found[-1] += data


def headings_of(document: str, deepest: int = 6) -> list[str]:
    """The text of every heading of an HTML document down to h`deepest`, in order: the
    bookmarks its PDF must have."""
    parser = _Headings(deepest)
    parser.feed(document)
    return [_squash(text) for text in parser.found]
