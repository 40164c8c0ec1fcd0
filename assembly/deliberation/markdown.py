"""Briefings are written in Markdown and shown to members as HTML, made safe twice.

markdown-it-py renders CommonMark with raw HTML off (a `<script>` typed into a briefing is shown
as text) and its own check on link addresses (no `javascript:`, `vbscript:`, `file:` or
`data:` except images). nh3 (the Rust `ammonia` sanitiser) then keeps only an allow-list of tags,
attributes and URL schemes, so even a bug in the renderer cannot let script, event handlers,
`style`, SVG or forms through. Links open in the same tab and carry `rel="noopener noreferrer
nofollow"`; images are not allowed in the text (attach them, with alt text, instead).
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

TAGS = frozenset({"p", "br", "hr", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "code",
                  "pre", "blockquote", "a", "table", "thead", "tbody", "tr", "th", "td"})
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
SCHEMES = frozenset({"https", "http", "mailto", "tel"})

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}) \
    .enable("table").disable("image")


def clean(html: str) -> str:
    """Only the allow-listed tags, attributes and schemes; everything else goes (script and
    style with their content)."""
    return nh3.clean(html, tags=set(TAGS), attributes={k: set(v) for k, v in ATTRIBUTES.items()},
                     url_schemes=set(SCHEMES), link_rel="noopener noreferrer nofollow",
                     strip_comments=True)


def _demote(html: str) -> str:
    """A briefing sits under the page's own h1: its headings start at h2."""
    for level in (5, 4, 3, 2, 1):
        html = html.replace(f"<h{level}>", f"<h{min(level + 1, 4)}>") \
                   .replace(f"</h{level}>", f"</h{min(level + 1, 4)}>")
    return html


def render(text: str) -> Markup:
    """The briefing's Markdown as safe HTML, ready for a template."""
    if not text.strip():
        return Markup("")
    return Markup(clean(_demote(_renderer.render(text))))
