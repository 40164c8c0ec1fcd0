"""HTML to an accessible PDF (PDF/UA-1) with WeasyPrint, fetching nothing (issue 12, item 3).

The published charter and its easy-read summary are tagged PDF/UA-1: document language, title
and metadata from the HTML head, alt text from `<img alt>` and SVG `<title>`, bookmarks from the
headings, fonts embedded as subsets. The page size, margins and page numbers are the document's
own CSS (`@page { size: A4 }`). The same HTML gives the same bytes every time (WeasyPrint 70
writes no creation date or random identifier unless asked).

A published document must carry everything it shows: styles inline, charts as inline SVG, any
picture as a `data:` URI. So the URL fetcher refuses every other URL (WeasyPrint logs the refusal
and leaves the resource out): a document can never fetch anything, from the network or from the
server's disk, whatever an officer typed into it.

Pure: WeasyPrint is imported inside `render`, never at module level, since it loads Pango on
import and the rest of `charter` runs without it.
"""

from __future__ import annotations

from typing import Any

PDF_VARIANT = "pdf/ua-1"
PANGO_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"


class RenderError(RuntimeError):
    """A document that cannot be turned into a PDF; the message says what to do about it."""


class FetchRefused(ValueError):
    """A URL a published document may not fetch (everything but a `data:` URI)."""


def _fetcher() -> Any:
    """WeasyPrint's own fetcher (so `data:` URIs are decoded as usual), refusing every other URL
    before anything is opened. WeasyPrint catches the error, logs it and skips the resource."""
    from weasyprint.urls import URLFetcher

    class DataOnly(URLFetcher):  # type: ignore[misc]  # WeasyPrint has no type hints
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith("data:"):
                raise FetchRefused(f"{url[:200]} not fetched: a published document must carry "
                                   "its own images and styles (as data: URIs or inline)")
            return super().fetch(url, headers)

    return DataOnly(allowed_protocols={"data"}, allow_redirects=False)


def render(html: str, *, base_url: str | None = None) -> bytes:
    """The PDF/UA-1 of `html`. `base_url` only resolves relative links written into the PDF
    (such as `open-data.zip`); nothing is fetched from it."""
    try:
        from weasyprint import HTML
    except OSError as error:
        raise RenderError(
            "PDFs cannot be made on this server: it lacks the Pango text library WeasyPrint "
            "needs. Ask your administrator to install it (on Debian or Ubuntu: apt-get install "
            f"{PANGO_PACKAGES}), then publish again.") from error
    try:
        pdf = HTML(string=html, base_url=base_url, url_fetcher=_fetcher()) \
            .write_pdf(pdf_variant=PDF_VARIANT)
    except Exception as error:  # WeasyPrint raises many kinds; all mean the same to the caller
        raise RenderError(f"The document could not be laid out as a PDF "
                          f"({type(error).__name__}: {error}).") from error
    if not pdf:
        raise RenderError("WeasyPrint wrote an empty PDF: the document has nothing to print.")
    return bytes(pdf)
