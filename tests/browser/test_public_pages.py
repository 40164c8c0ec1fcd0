"""What a public body must publish, in a real browser on a phone (390 px): the accessibility
statement, the list of privacy notices and one assembly's notice have no axe-core violation of any
impact, fit the screen, set no cookie, and are reached from the footer of the home page.
Screenshots go to $MINIPUBLIC_TEST_SCREENSHOTS when set (to look at them)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, expect

from assembly import db
from assembly.assemblies.models import Assembly
from assembly.recruitment.models import Quota
from assembly.settings import from_env
from tests.browser.harness import Server, assert_fits, new_context

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def assembly_id(server: Server) -> Iterator[int]:
    """An assembly with everything its notice can show: contact details, a legal basis that
    names public task and special-category conditions, and the survey's questions."""
    settings = from_env(server.env, check=False)
    engine = db.make_engine(settings.database_url)
    try:
        with db.session(engine, write=True) as session:
            assembly = Assembly(
                title="Assembly on Data and AI (privacy)",
                question="How should our council use data and AI?",
                commissioning_body="Liverpool City Region Combined Authority",
                contact_phone="0151 496 0123", contact_email="assembly@example.org",
                contact_address="Citizens' Assembly Team\n1 Mann Island\nLiverpool\nL3 1BP",
                legal_basis="Public task, UK GDPR Article 6(1)(e); special category data under "
                            "Article 9(2)(g) and the Data Protection Act 2018, Schedule 1, "
                            "paragraph 8 (equality of opportunity).",
                consent_version="privacy-notice-v1")
            session.add(assembly)
            session.flush()
            for feature in ("Age", "Ethnicity", "Disability"):
                session.add(Quota(assembly_id=assembly.id or 0, feature=feature, value="Any",
                                  min_count=0, max_count=30))
            made = assembly.id or 0
    finally:
        engine.dispose()
    yield made


def test_the_statement_and_notices_are_clean_on_a_phone_and_set_no_cookie(
        chromium: Browser, server: Server, assembly_id: int) -> None:
    context = new_context(chromium, server, javascript=True, viewport="phone")
    axe = Axe()
    try:
        page = context.new_page()
        page.goto("/")
        page.get_by_role("link", name="Accessibility statement").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Accessibility statement")
        page.goto("/")
        page.get_by_role("link", name="Privacy notices").click()
        page.get_by_role("link", name="Assembly on Data and AI (privacy)").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Privacy notice")
        expect(page.get_by_text("Public task (UK GDPR Article 6(1)(e))")).to_be_visible()
        assert page.url.endswith(f"/privacy/{assembly_id}")
        for address in ("/", "/accessibility", "/privacy", f"/privacy/{assembly_id}"):
            page.goto(address)
            assert_fits(page)
            if shots := os.environ.get("MINIPUBLIC_TEST_SCREENSHOTS"):
                name = address.strip("/").replace("/", "-") or "home"
                page.screenshot(path=str(Path(shots) / f"public-{name}.png"), full_page=True)
            violations = axe.run(page).response["violations"]
            assert violations == [], f"{address}: " + "; ".join(
                f"{v['impact']} {v['id']} at {[n['target'] for n in v['nodes'][:3]]}"
                for v in violations)
        assert context.cookies() == [], "the public pages set no cookie"
    finally:
        context.close()
