"""Briefings' Markdown renders inert whatever is typed into it, and attachments are what their
bytes say they are: known XSS payloads, smuggled HTML and SVG, lying file names."""

from __future__ import annotations

import io
import re
import zipfile
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from assembly.deliberation import files, markdown

# Payloads from the OWASP XSS filter evasion cheat sheet and PortSwigger's XSS cheat sheet, as
# an officer might paste them into a briefing (by mistake, or from a poisoned source).
PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/xss.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<body onload=alert(1)>",
    "<a href=\"javascript:alert(1)\">click</a>",
    "<details open ontoggle=alert(1)>",
    "<form action=javascript:alert(1)><button>go</button></form>",
    "<object data=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\"></object>",
    "<embed src=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+\">",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<div style=\"background-image:url(javascript:alert(1))\">x</div>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<base href=\"javascript:alert(1)//\">",
    "<!--<img src=\"--><img src=x onerror=alert(1)//\">",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    "![x](https://evil.example/track.png \"onerror=alert(1)\")",
    "[a](https://example.org \"\\\" onmouseover=\\\"alert(1)\")",
    "<https://example.org/\" onmouseover=\"alert(1)>",
    "``<script>`` and `</code><script>alert(1)</script>`",
    "<a href=\"https://example.org\" onclick=\"alert(1)\">x</a>",
    "<p onmouseover=alert(1)>hover</p>",
    "<input autofocus onfocus=alert(1)>",
    "<video><source onerror=\"alert(1)\"></video>",
    "<xss id=x tabindex=1 onactivate=alert(1)></xss>",
    "<marquee onstart=alert(1)>",
    "<template><img src=x onerror=alert(1)></template>",
    "javascript:alert(1)",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
]

class Elements(HTMLParser):
    """Every element and attribute the browser would build from the HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def problems(html: str) -> list[str]:
    parser = Elements()
    parser.feed(html)
    parser.close()
    wrong = []
    for tag, attrs in parser.found:
        if tag not in markdown.TAGS:
            wrong.append(f"element <{tag}>")
        for name, value in attrs:
            if name not in markdown.ATTRIBUTES.get(tag, set()) and name != "rel":
                wrong.append(f"attribute {name} on <{tag}>")
            if name == "href" and urlsplit((value or "").strip()).scheme.lower() not in \
                    markdown.SCHEMES:
                wrong.append(f"link to {value!r}")
    return wrong


@pytest.mark.parametrize("payload", PAYLOADS)
def test_known_payloads_render_inert(payload: str) -> None:
    for text in (payload, f"Some words.\n\n{payload}\n\nMore words.", f"- {payload}",
                 f"## {payload}", f"> {payload}"):
        html = str(markdown.render(text))
        assert problems(html) == [], html
        # and nothing survives that a later, laxer parser could turn into a tag
        assert "<script" not in html.lower() and "<svg" not in html.lower()


def test_the_checker_itself_sees_danger() -> None:
    assert problems('<p onclick="x">a</p><svg></svg><a href="javascript:x">b</a>') == [
        "attribute onclick on <p>", "element <svg>", "link to 'javascript:x'"]


def test_ordinary_markdown_keeps_its_shape() -> None:
    html = str(markdown.render(
        "# Big\n\n## What the council holds\n\nIt keeps **care records** and *notes*.\n\n"
        "- one\n- two\n\n1. first\n\n[The law](https://www.legislation.gov.uk/ukpga/2018/12)\n\n"
        "| Year | Cases |\n|---|---|\n| 2024 | 340 |\n"))
    assert "<h2>Big</h2>" in html and "<h3>What the council holds</h3>" in html
    assert "<strong>care records</strong>" in html and "<em>notes</em>" in html
    assert "<li>one</li>" in html and "<ol>" in html
    assert '<a href="https://www.legislation.gov.uk/ukpga/2018/12" rel="noopener noreferrer ' \
           'nofollow">The law</a>' in html
    assert "<td>340</td>" in html


def test_typed_html_shows_as_text() -> None:
    html = str(markdown.render("Use <b>bold</b> & <script>x</script>"))
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "&lt;script&gt;" in html


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_sanitiser_alone_makes_raw_payloads_inert(payload: str) -> None:
    """Behind the renderer, nh3 on its own removes every payload given as raw HTML."""
    html = markdown.clean(payload)
    assert problems(html) == [], html
    assert "<script" not in html.lower()


# --- attachments --------------------------------------------------------------------------------

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
GIF = b"GIF89a" + b"\x00" * 16
WEBP = b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 8


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


PPTX = zipped({"[Content_Types].xml": b"<Types/>", "ppt/presentation.xml": b"<p/>"})
ODP = zipped({"mimetype": b"application/vnd.oasis.opendocument.presentation",
              "content.xml": b"<x/>"})
DOCX = zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"})


@pytest.mark.parametrize(("name", "data", "kind"), [
    ("report.pdf", PDF, files.PDF), ("Chart.PNG", PNG, files.PNG), ("photo.jpeg", JPEG, files.JPEG),
    ("photo.jpg", JPEG, files.JPEG), ("a.gif", GIF, files.GIF), ("a.webp", WEBP, files.WEBP),
    ("slides.pptx", PPTX, files.PPTX), ("slides.odp", ODP, files.ODP)])
def test_accepted_kinds(name: str, data: bytes, kind: files.Kind) -> None:
    assert files.check(name, data, 1024 * 1024) is kind


@pytest.mark.parametrize(("name", "data", "says"), [
    ("report.pdf", b"<html><script>alert(1)</script></html>", "not one members can open"),
    ("chart.svg", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
     "not one members can open"),
    ("page.html", b"<!doctype html><p>hi", "not one members can open"),
    ("letter.docx", DOCX, "not one members can open"),
    ("report.pdf", PNG, "is a PNG image, but its name ends in “.pdf”"),
    ("chart.png", PDF, "is a PDF, but its name ends in “.png”"),
    ("report.pdf.exe", PDF, "ends in “.exe”"),
    ("report", PDF, "ends in “nothing”"),
    ("empty.pdf", b"", "was empty"),
])
def test_refused_files(name: str, data: bytes, says: str) -> None:
    with pytest.raises(files.FileRefused, match=re.escape(says)):
        files.check(name, data, 1024 * 1024)


def test_too_large_is_refused_with_the_limit() -> None:
    with pytest.raises(files.FileRefused, match="the largest a briefing can take is 1 MB"):
        files.check("big.pdf", PDF + b"0" * (1024 * 1024), 1024 * 1024)


def test_safe_names() -> None:
    assert files.safe_name("../../etc/passwd.pdf") == "passwd.pdf"
    assert files.safe_name("C:\\Users\\me\\Report (final).pdf") == "Report -final-.pdf"
    assert files.safe_name('a"b\r\nc.pdf') == "a-b-c.pdf"
