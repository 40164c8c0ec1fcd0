"""A button stays readable while its form is being sent. htmx marks the form `htmx-request` until
the answer comes; the button used to fade to 60 % opacity then, white on pale green, which fails
WCAG AA contrast (4.5:1) just when a slow connection makes people look at it."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Route, expect

from tests.browser.harness import OFFICER_EMAIL, OFFICER_PASSWORD, Server, new_context

pytestmark = pytest.mark.browser


def test_sign_in_button_keeps_its_contrast_while_sending(chromium: Browser,
                                                         server: Server) -> None:
    context = new_context(chromium, server, javascript=True, viewport="phone")
    held: list[Route] = []

    def hold_sign_in(route: Route) -> None:
        if route.request.method == "POST":
            held.append(route)  # answered below, once the sending state has been checked
        else:
            route.continue_()

    context.route(re.compile(r".*/login$"), hold_sign_in)
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("E-mail address").fill(OFFICER_EMAIL)
        page.get_by_label("Password").fill(OFFICER_PASSWORD)
        button = page.get_by_role("button", name="Sign in")
        button.click()
        # The request is on its way and held: htmx shows the form as sending.
        expect(page.locator("form.htmx-request")).to_have_count(1)
        assert held, "the sign-in request did not leave the browser"
        assert float(button.evaluate("b => getComputedStyle(b).opacity")) == 1
        result = Axe().run(page, context={"include": [["form"]]},
                           options={"runOnly": ["color-contrast"]}).response
        failing = [node["target"] for v in result["violations"] for node in v["nodes"]]
        assert result["passes"] and not failing, f"contrast fails while sending: {failing}"

        held[0].continue_()
        page.wait_for_url(re.compile(r"/assemblies$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text("Assemblies")
    finally:
        for route in held[1:]:
            route.abort()
        context.close()
