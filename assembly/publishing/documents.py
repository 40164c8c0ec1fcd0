"""The published charter's web page and its print version, rendered from a snapshot.

`charter_html` renders `templates/publishing/charter.html` with a standalone Jinja2 environment
(no request, no app), so the publishing service, the PDF worker and `minipublic publish --out`
all get the same page. The web page links to its sibling files relatively (`charter.pdf`,
`open-data.zip`, `open-data/README.md`...), which works both at `/charters/<id>/v<n>/` on the
site and in the folder the command line writes; the print version, whose PDF travels alone,
links to them at the charter's address when it is known.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from xml.etree import ElementTree

import jinja2
from markupsafe import Markup

from assembly.templating import TEMPLATES
from charter import report
from charter.publication import Snapshot

NOTICE_MARKER = "<!-- minipublic:notice -->"
_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)
TEMPLATE = "publishing/charter.html"
Medium = Literal["web", "print"]


@dataclass(frozen=True)
class SiteLinks:
    """Absolute URLs on the site, "" when unknown (the command line's folder)."""

    versions: str = ""       # the page listing every version of this charter
    index: str = ""          # the public index of published charters
    accessibility: str = ""
    privacy: str = ""


@functools.cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                                     undefined=jinja2.StrictUndefined, trim_blocks=True,
                                     lstrip_blocks=True)
    environment.filters["pct"] = report.pct
    environment.filters["day"] = report.day
    environment.filters["image"] = svg_image
    environment.finalize = _keep_percent_together
    return environment


def _keep_percent_together(value: object) -> object:
    """"84.7 %" never breaks between the number and its sign at the end of a line: every
    figure and sentence the template prints gets a no-break space there (charts, already
    markup, are left alone)."""
    return value.replace(" %", "\u00a0%") if type(value) is str else value


_SVG = "{http://www.w3.org/2000/svg}"
# Characters XML 1.0 forbids: an HTML page shows a chart with one (pasted into a quota file,
# say), but an SVG image would not parse.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def svg_image(svg: str) -> Markup:
    """A chart as an `<img>` of its own SVG, for print. WeasyPrint then reads the chart as an
    image rather than as part of the page, so its hundred-odd elements skip the page's style
    cascade, and the PDF's /Figure takes as alt text the chart's title and its description
    (which holds the figures) rather than the title alone."""
    if not svg:
        return Markup("")
    svg = _NOT_XML.sub("", svg)
    root = ElementTree.fromstring(svg)
    alt = ". ".join(text.strip() for text in (root.findtext(f"{_SVG}title"),
                                             root.findtext(f"{_SVG}desc")) if text)
    source = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return Markup('<img src="{}" alt="{}" width="{}" height="{}">').format(
        source, alt, root.get("width"), root.get("height"))


def _linker(medium: Medium, address: str) -> Callable[[str], str]:
    """How the page links to a file of its own version: relatively on the web; in print, at
    the charter's address (a PDF has no folder around it), or relatively when none is known."""
    if medium == "print" and address:
        base = address.rstrip("/") + "/"
        return lambda name: base + name
    return lambda name: name


def render(made: report.Report, *, medium: Medium = "web",
           links: SiteLinks = SiteLinks()) -> str:
    """The page of an already computed report (publishing renders the web and print versions
    from one report)."""
    if medium not in ("web", "print"):
        raise ValueError(f"The medium is 'web' or 'print', not {medium!r}.")
    info = made.publication
    return _environment().get_template(TEMPLATE).render(
        r=made, medium=medium, links=links, notice=Markup(NOTICE_MARKER),
        href=_linker(medium, info.address), withheld=report.WITHHELD,
        verify=report.VERIFY, recount=report.RECOUNT,
        created=info.published_at.isoformat(timespec="seconds"))


def charter_html(snapshot: Snapshot, *, medium: Medium = "web",
                 links: SiteLinks = SiteLinks()) -> str:
    """The charter's page: self-contained HTML (one <style>, no script, inline SVG charts)."""
    return render(report.Report.of(snapshot), medium=medium, links=links)


def style_source(page: str) -> str:
    """The Content-Security-Policy source that allows exactly this page's one <style>
    (`'sha256-...'`), so the site can serve the page with `style-src` limited to it rather than
    `'unsafe-inline'`. Inserting the notice at NOTICE_MARKER leaves it unchanged."""
    found = _STYLE.findall(page)
    if len(found) != 1:
        raise ValueError(f"A charter page has one <style> element, not {len(found)}.")
    digest = hashlib.sha256(found[0].encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"
