"""The published charter's page in a real browser, as a reader opens it from a folder the
command line wrote (no server: the page is self-contained): axe-core finds nothing at any
level, the page never scrolls sideways from 320 px up (charts and wide tables scroll in their
own boxes), it asks for nothing from the network, and the skip link is the first thing focused."""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Browser

from assembly.publishing.documents import SiteLinks, charter_html, style_source
from tests.browser.harness import page_width
from tests.unit._charter_snapshot import snapshot

pytestmark = pytest.mark.browser

LINKS = SiteLinks(versions="https://charters.example.org/charters/1/",
                  index="https://charters.example.org/charters/",
                  accessibility="https://charters.example.org/accessibility",
                  privacy="https://charters.example.org/privacy/1")
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@pytest.fixture(scope="module")
def charter_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("charter") / "charter.html"
    path.write_text(charter_html(snapshot(), links=LINKS), encoding="utf-8")
    return path


@pytest.mark.parametrize("width", [320, 390, 1280])
def test_no_accessibility_violations_and_no_sideways_scrolling(
        chromium: Browser, charter_file: Path, width: int) -> None:
    context = chromium.new_context(viewport={"width": width, "height": 844}, locale="en-GB")
    try:
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(charter_file.as_uri())
        assert requested == [charter_file.as_uri()], "the page asked for something else"
        width_laid_out, screen = page_width(page)
        assert width_laid_out <= screen, f"{width_laid_out} px wide on a {screen} px screen"
        violations = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG}}
                               ).response["violations"]
        assert not violations, [(v["id"], [n["target"] for n in v["nodes"][:3]])
                                for v in violations]
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    finally:
        context.close()


def test_styled_under_a_policy_that_allows_only_its_own_style(chromium: Browser) -> None:
    """Served with `style-src` limited to the hash of its one <style> (no 'unsafe-inline'),
    the page keeps its styles and the browser reports no violation."""
    page_html = charter_html(snapshot(), links=LINKS)
    policy = f"default-src 'none'; style-src {style_source(page_html)}; base-uri 'none'"
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        messages: list[str] = []
        page.on("console", lambda message: messages.append(message.text))
        url = "https://charters.example.org/charters/1/v1/"
        page.route(url, lambda route: route.fulfill(
            status=200, body=page_html, content_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": policy}))
        page.goto(url)
        assert page.evaluate("getComputedStyle(document.body).fontSize") == "18px"
        assert page.evaluate("getComputedStyle(document.querySelector('.skip')).position") \
            == "absolute"
        assert not [m for m in messages if "Content Security Policy" in m], messages
    finally:
        context.close()
