"""charter.pdf: real WeasyPrint, checked with pikepdf, poppler and qpdf (tests/pdfcheck.py)."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from charter.pdf import RenderError, render
from tests.pdfcheck import check_pdf, headings_of

DOCUMENT = """<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8"><title>A small charter</title>
<meta name="author" content="Example City Council">
<meta name="description" content="Two principles, for testing">
<style>
@page { size: A4; margin: 20mm; @bottom-center { content: "Page " counter(page); } }
html { font-family: "DejaVu Sans", sans-serif; font-size: 12pt; }
.next { break-before: page; }
</style></head>
<body>
<h1>A small charter</h1>
<p>What the members decided.</p>
<h2>1. Tell people</h2>
<p><svg xmlns="http://www.w3.org/2000/svg" role="img" width="40" height="40" viewBox="0 0 40 40">
<title>Tick: adopted</title><path d="M5 20 L15 30 L35 8" stroke="#000" stroke-width="5"
fill="none"/></svg> Adopted: 84.7 % agree.</p>
<h2 class="next">2. Keep data here</h2>
<p>{image}</p>
</body></html>"""


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "#1d4f91").save(buffer, "PNG")
    return buffer.getvalue()


def images_in(pdf: bytes) -> int:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return sum(1 for o in document.objects
                   if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Image")


def test_a_document_becomes_an_accessible_a4_pdf_with_its_picture_described() -> None:
    data = "data:image/png;base64," + base64.b64encode(png()).decode()
    html = DOCUMENT.replace("{image}", f'<img src="{data}" alt="A blue square" width="40">')
    report = check_pdf(render(html), title="A small charter", headings=headings_of(html),
                       pages=2)
    assert report.outline == ((1, "A small charter"), (2, "1. Tell people"),
                              (2, "2. Keep data here"))
    assert report.figures == ("Tick: adopted", "A blue square")
    assert "Adopted: 84.7 % agree." in report.flat_text
    assert images_in(render(html)) == 1   # a data: URI is the one kind of picture taken in


def test_the_same_html_gives_the_same_bytes() -> None:
    html = DOCUMENT.replace("{image}", "")
    assert render(html) == render(html)


def test_nothing_outside_the_document_is_fetched_not_even_a_file_on_disk(tmp_path: Path
                                                                           ) -> None:
    picture = tmp_path / "logo.png"
    picture.write_bytes(png())
    style = tmp_path / "style.css"
    style.write_text("html { font-size: 40pt; }")
    html = DOCUMENT.replace("{image}", f'<img src="{picture.as_uri()}" alt="Logo">').replace(
        "</head>", f'<link rel="stylesheet" href="{style.as_uri()}"></head>')
    pdf = render(html, base_url=str(tmp_path))
    assert images_in(pdf) == 0
    relative = render(DOCUMENT.replace("{image}", '<img src="logo.png" alt="Logo">'),
                      base_url=str(tmp_path))
    assert images_in(relative) == 0
    report = check_pdf(pdf, title="A small charter")
    assert max(w.size for w in report.words) < 40   # the stylesheet was not read either


def test_a_document_that_cannot_be_laid_out_says_so() -> None:
    with pytest.raises(RenderError, match="could not be laid out as a PDF.*UnicodeEncodeError"):
        render("<p>A broken character: \ud800</p>")
