"""A vote in a real browser on a phone (390 px), with and without JavaScript: a member signs in
with a code, votes on every principle and is given a receipt code; an officer keys in a paper
ballot with the keyboard only, closes the vote (which seals it) and releases the results; the
member checks their receipt and reads the results. axe-core finds nothing serious on any page.
Screenshots go to $MINIPUBLIC_TEST_SCREENSHOTS when set (to look at them)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from assembly.tables import utcnow
from tests.app.builders import PRINCIPLES, VoteWorld, vote_world
from tests.browser.harness import (
    Accessibility,
    Server,
    new_context,
    server_engine,
    sign_in_member,
    sign_in_officer,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def scheduled(server: Server) -> Iterator[VoteWorld]:
    """A vote that opens tomorrow, so its ballot settings can still change."""
    with server_engine(server) as engine:
        now = utcnow()
        yield vote_world(engine, opens_at=now + timedelta(days=1),
                         closes_at=now + timedelta(days=3))


@pytest.fixture
def world(server: Server) -> Iterator[VoteWorld]:
    """A vote that opened an hour ago, closing in two days, with six joined members."""
    with server_engine(server) as engine:
        now = utcnow()
        yield vote_world(engine, opens_at=now - timedelta(hours=1),
                         closes_at=now + timedelta(days=2))


def look(page: Page, name: str) -> None:
    folder = os.environ.get("MINIPUBLIC_TEST_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"ballots-{name}.png"), full_page=True)
        page.screenshot(path=str(Path(folder) / f"ballots-{name}-top.png"))


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_vote_key_in_seal_and_check_a_receipt_on_a_phone(
        chromium: Browser, server: Server, axe: Accessibility, world: VoteWorld,
        scheduled: VoteWorld, javascript: bool) -> None:
    suffix = "js" if javascript else "nojs"

    def context_page() -> Page:
        context = new_context(chromium, server, javascript=javascript, viewport="phone")
        return context.new_page()

    # The member signs in and votes on every principle.
    member = context_page()
    try:
        sign_in_member(member, server, world.member_ids[0])
        member.goto(f"/home/rounds/{world.vote_public_id}")
        member.get_by_role("link", name="Go to your ballot").click()
        expect(member.get_by_role("heading", level=1)).to_have_text("Your ballot")
        axe.check(member, javascript=javascript)
        look(member, f"member-ballot-{suffix}")
        for (title, _), answer in zip(PRINCIPLES, ("Strongly agree", "Unsure", "Disagree"),
                                      strict=True):
            member.get_by_role("group", name=f"What do you think of “{title}”?") \
                .get_by_label(answer, exact=True).check()
        member.get_by_role("button", name="Save my ballot").click()
        status = member.get_by_role("status")
        expect(status).to_contain_text("Your ballot is saved (3 principles)")
        code = re.search(r"receipt code is ([0-9A-Z-]{19})", status.inner_text())
        assert code, status.inner_text()
        expect(member.get_by_role("group", name="What do you think of “Ask before sharing”?")
               .get_by_label("Disagree", exact=True)).to_be_checked()
        axe.check(member, javascript=javascript)
        member.goto("/home")
        expect(member.get_by_text("3 of 3 principles voted on")).to_be_visible()
        cookies = member.context.cookies()
    finally:
        member.context.close()

    # The officer keys in a paper ballot with the keyboard only, then closes and releases.
    officer = context_page()
    try:
        sign_in_officer(officer)
        # Settings of a vote still to open: a shorter ballot on the three-option scale.
        officer.goto(f"/assemblies/{scheduled.assembly_id}/rounds/{scheduled.vote_round_id}"
                     "/ballot")
        axe.check(officer, javascript=javascript)
        look(officer, f"officer-settings-{suffix}")
        officer.get_by_label("People check the machines").uncheck()
        officer.get_by_label("Three options: agree, unsure, disagree").check()
        officer.get_by_label("Required when a member disagrees or blocks").check()
        officer.get_by_label("Two-thirds (at least 66.7 % agree)").check()
        officer.get_by_role("button", name="Save the ballot settings").click()
        expect(officer.get_by_role("status")).to_contain_text("Ballot settings saved")
        expect(officer.get_by_label("People check the machines")).not_to_be_checked()
        expect(officer.get_by_label("Three options: agree, unsure, disagree")).to_be_checked()
        base = f"/assemblies/{world.assembly_id}/rounds/{world.vote_round_id}"
        officer.goto(base)
        officer.get_by_role("link", name="The ballot").click()
        expect(officer.get_by_text(re.compile(r"1\s+of 6 members voted"))).to_be_visible()
        axe.check(officer, javascript=javascript)
        look(officer, f"officer-ballot-{suffix}")
        officer.get_by_role("link", name="Key in paper and phone ballots").click()
        # The click returns before the next page is parsed: scanning then found no document.
        expect(officer.get_by_role("heading", level=1,
                                   name="Key in paper and phone ballots")).to_be_visible()
        axe.check(officer, javascript=javascript)
        reference = world.panel.members[1].external_id
        expect(officer.locator("#field-reference")).to_be_focused()
        officer.keyboard.type(reference.lower())
        officer.keyboard.press("Tab")          # the channel: "On paper" is chosen already
        officer.keyboard.press("Tab")          # the first principle's box number
        for number in ("2", "4", "1"):
            officer.keyboard.type(number)
            officer.keyboard.press("Tab")      # its reason (none written)
            officer.keyboard.press("Tab")      # the next principle
        look(officer, f"officer-entry-{suffix}")
        officer.keyboard.press("Enter")
        expect(officer.get_by_role("status")).to_contain_text(
            f"Saved the ballot of {reference}: 3 principles, from paper")
        expect(officer.get_by_role("status")).to_contain_text("receipt code is")
        expect(officer.locator("#field-reference")).to_be_focused()    # ready for the next
        expect(officer.locator("#field-reference")).to_have_value("")
        axe.check(officer, javascript=javascript)
        officer.goto(base)
        officer.get_by_role("button", name="Close now").click()
        expect(officer.get_by_role("status")).to_contain_text("closed")
        officer.get_by_role("button", name="Release the results").click()
        expect(officer.get_by_role("status")).to_contain_text("released")
        officer.goto(base + "/ballot")
        expect(officer.get_by_role("heading", name="Sealed")).to_be_visible()
        axe.check(officer, javascript=javascript)
    finally:
        officer.context.close()

    # The member checks their receipt (no sign-in needed) and reads the results.
    member = context_page()
    try:
        member.goto("/receipts")
        member.get_by_label("Receipt code").fill(code.group(1).lower())
        member.get_by_role("button", name="Check").click()
        expect(member.get_by_text("Counted.", exact=True)).to_be_visible()
        expect(member.get_by_text("Voting on the charter")).to_be_visible()
        axe.check(member, javascript=javascript)
        look(member, f"receipt-{suffix}")
        member.context.add_cookies(cookies)
        member.goto(f"/home/rounds/{world.vote_public_id}/ballot/results")
        expect(member.get_by_role("heading", name="All principles, by agreement")).to_be_visible()
        expect(member.get_by_text("6 members could vote", exact=False)).to_be_visible()
        axe.check(member, javascript=javascript)
        look(member, f"results-{suffix}")
    finally:
        member.context.close()
