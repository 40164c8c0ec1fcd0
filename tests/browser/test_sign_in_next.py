"""An open redirect after signing in, tried in a real browser: `next=/%09/evil.example` used to
become `//evil.example` once Chromium parsed the HX-Redirect (it drops tabs), and sent the officer
away. Any request to evil.example is answered by the test itself, so a failure is visible."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.harness import OFFICER_EMAIL, OFFICER_PASSWORD, Server, new_context

pytestmark = pytest.mark.browser

HOSTILE = ["/\t/evil.example", "/\n/evil.example", "/\\evil.example", " //evil.example"]


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
@pytest.mark.parametrize("target", HOSTILE, ids=["tab", "newline", "backslash", "space"])
def test_signing_in_with_a_hostile_next_ends_on_this_site(
    chromium: Browser, server: Server, javascript: bool, target: str
) -> None:
    context = new_context(chromium, server, javascript=javascript)
    visited: list[str] = []

    def evil(route):  # type: ignore[no-untyped-def]
        visited.append(route.request.url)
        route.fulfill(status=200, body="<h1>evil</h1>", content_type="text/html")

    context.route(re.compile(r"^https?://evil\.example.*"), evil)
    page = context.new_page()
    try:
        page.goto("/login?next=" + quote(target, safe="/"))
        page.get_by_label("E-mail address").fill(OFFICER_EMAIL)
        page.get_by_label("Password").fill(OFFICER_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/assemblies$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text("Assemblies")
        assert page.url.startswith(server.url + "/")
        assert visited == []
    finally:
        context.close()
