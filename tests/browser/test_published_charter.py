"""A published charter as the public reach it on the real server: from the home page to the
index of charters, to the charter's page (the stored file, served with a policy that allows its
own style and nothing else) on a phone, with no axe-core violation, no cookie set and no
request but the page itself; its PDF and open data one click away."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Browser, expect

from assembly.publishing import publish
from assembly.routes import path_for
from tests.app.builders import hold_vote, vote_world
from tests.app.clocks import T0, Clock
from tests.browser.harness import Server, assert_fits, new_context, server_engine

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def assembly_id(server: Server) -> Iterator[int]:
    """A vote held and released, and version 1 of its charter published, in the server's
    own database through the real service."""
    with server_engine(server) as engine:
        world = vote_world(engine, opens_at=T0 + timedelta(hours=1),
                           closes_at=T0 + timedelta(days=2), tag="charter")
        clock = Clock(T0)
        hold_vote(engine, clock, world)
        publish.publish(engine, world.assembly_id, actor="officer:1", changes="",
                        now=clock.now, site=publish.Site(server.url, path_for), k=5)
    yield world.assembly_id


def test_the_public_reach_the_charter_and_it_is_clean_on_a_phone(
        chromium: Browser, server: Server, assembly_id: int) -> None:
    context = new_context(chromium, server, javascript=True, viewport="phone")
    try:
        page = context.new_page()
        page.goto("/")
        page.get_by_role("link", name="Published charters").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Published charters")
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.locator(f'a[href="/charters/{assembly_id}/"]').click()
        assert page.url.endswith(f"/charters/{assembly_id}/v1/")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(page.get_by_text("Open by default").first).to_be_visible()
        assert requested == [f"{server.url}/charters/{assembly_id}/",
                             f"{server.url}/charters/{assembly_id}/v1/"], requested
        assert_fits(page)
        if shots := os.environ.get("MINIPUBLIC_TEST_SCREENSHOTS"):
            page.screenshot(path=str(Path(shots) / "charter-phone.png"), full_page=True)
        violations = Axe().run(page).response["violations"]
        assert violations == [], "; ".join(
            f"{v['impact']} {v['id']} at {[n['target'] for n in v['nodes'][:3]]}"
            for v in violations)
        with page.expect_download() as download:
            page.get_by_role("link", name="All the open data (ZIP)").first.click()
        assert download.value.suggested_filename.endswith(".zip")
        pdf = context.request.get(f"/charters/{assembly_id}/v1/charter.pdf")
        assert pdf.ok and pdf.body().startswith(b"%PDF-")
        assert context.cookies() == [], "the public pages set no cookie"
    finally:
        context.close()
