"""A draft round in a real browser on a phone (390 px), with and without JavaScript: a member
signs in with a code from the assembly team, opens the principles, comments (with htmx the
thread is swapped in place) and proposes new wording; an officer accepts it from the
principle's page; the member sees what changed since they last looked, word by word, and the
history. No sideways scrolling, no serious axe-core violations on any page. Screenshots (390 and
1280 px) go to $MINIPUBLIC_TEST_SCREENSHOTS when set."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from assembly import db
from assembly.assemblies.models import Assembly
from assembly.deliberation import rounds
from assembly.deliberation.models import RoundKind
from assembly.drafting import principles
from assembly.drafting.models import Theme
from assembly.recruitment.models import Contact, Respondent
from assembly.selection.models import Member, MemberStatus
from assembly.tables import utcnow
from tests.browser.harness import (
    Accessibility,
    Server,
    fits,
    new_context,
    server_engine,
    sign_in_member,
    sign_in_officer,
)

pytestmark = pytest.mark.browser

WORDING = {
    "javascript": ("Say when a computer decided",
                   "The council tells people when a computer helped decide about them."),
    "no-javascript": ("Keep data only as long as needed",
                      "The council deletes personal data when it no longer needs it."),
}


@pytest.fixture(scope="module")
def drafting(server: Server) -> Iterator[tuple[int, str, int, dict[str, tuple[int, str]]]]:
    """An assembly with a joined member and an open draft round with two principles:
    (assembly id, round public id, member id, {run: (principle id, principle public id)})."""
    now = utcnow()
    with server_engine(server) as engine, db.session(engine, write=True) as session:
        assembly = Assembly(title="Assembly on Data and AI (drafting)",
                            question="How should our council use data and AI?")
        session.add(assembly)
        session.flush()
        respondent = Respondent(assembly_id=assembly.id, external_id="D1")
        session.add(respondent)
        session.flush()
        session.add(Contact(respondent_id=respondent.id, name="Sam Okafor"))
        member = Member(assembly_id=assembly.id or 0, respondent_id=respondent.id or 0,
                        status=MemberStatus.joined.value, joined_at=now)
        session.add(member)
        item = rounds.create(session, assembly, rounds.Details(
            RoundKind.draft, "Writing the charter", "To agree the wording.",
            "Read each principle, comment, and suggest better wording.",
            now - timedelta(days=1), now + timedelta(days=10)), actor="test")
        made = {}
        for run, (title, text) in WORDING.items():
            principle = principles.create(session, item, principles.Details(
                title, text, "Members said this again and again.", Theme.transparency),
                now, actor="test")
            made[run] = (principle.id or 0, principle.public_id)
        session.flush()
        ids = (assembly.id or 0, item.public_id, member.id or 0, made)
    yield ids


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_comment_and_amend_on_a_phone(chromium: Browser, server: Server, axe: Accessibility,
                                      drafting: tuple[int, str, int, dict[str, tuple[int, str]]],
                                      javascript: bool) -> None:
    assembly_id, round_public_id, member_id, made = drafting
    run = "javascript" if javascript else "no-javascript"
    principle_id = made[run][0]
    title, text = WORDING[run]
    comment = f"Who checks that this is done? ({run})"
    proposal = text.replace("The council", "Every council service")

    cookies: list = []

    def member_context() -> Page:
        context = new_context(chromium, server, javascript=javascript, viewport="phone")
        context.add_cookies(cookies)
        return context.new_page()

    page = member_context()
    try:
        sign_in_member(page, server, member_id)
        cookies.extend(page.context.cookies())
        page.goto(f"/home/rounds/{round_public_id}")
        page.get_by_role("link", name="Read and comment on the principles").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("The draft principles")
        axe.check(page, javascript=javascript)
        fits(page, f"drafting-list-{run}", laptop_too=True)
        page.get_by_role("link", name=title).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        axe.check(page, javascript=javascript)
        fits(page, f"drafting-principle-{run}", laptop_too=True)

        # A comment with a stance; with JavaScript the thread is swapped in place.
        page.get_by_label("I have a concern").check()
        page.get_by_label("Your comment").fill(comment)
        page.get_by_role("button", name="Post my comment").click()
        expect(page.get_by_role("status")).to_contain_text("Your comment is posted")
        entry = page.locator(".comment", has_text=comment)
        expect(entry).to_contain_text("Concern")
        expect(page.get_by_text("Sam Okafor")).to_have_count(0)
        axe.check(page, javascript=javascript)

        # New wording, with a reason.
        page.get_by_label("The principle, as you would write it").fill(proposal)
        page.get_by_label("Why this change?").fill("It should cover every service.")
        page.get_by_role("button", name="Send my suggestion").click()
        expect(page.get_by_role("status")).to_contain_text("Your amendment is sent")
        expect(page.get_by_text("Waiting for the assembly team.")).to_be_visible()
        axe.check(page, javascript=javascript)
        fits(page, f"drafting-after-{run}", laptop_too=True)
    finally:
        page.context.close()

    # An officer accepts it from the principle's page.
    context = new_context(chromium, server, javascript=javascript, viewport="phone")
    try:
        officer = context.new_page()
        sign_in_officer(officer)
        officer.goto(f"/assemblies/{assembly_id}/principles/{principle_id}")
        expect(officer.locator(".moderation")).to_contain_text("It should cover every service.")
        axe.check(officer, javascript=javascript)
        fits(officer, f"drafting-officer-principle-{run}", laptop_too=True)
        officer.get_by_role("button", name="Accept as proposed").click()
        expect(officer.get_by_role("status")).to_contain_text("now version 2")
        officer.get_by_role("link", name=re.compile("Back to the principles")).click()
        expect(officer.get_by_role("heading", level=1)).to_contain_text("Principles of")
        axe.check(officer, javascript=javascript)
        fits(officer, f"drafting-officer-round-{run}", laptop_too=True)
    finally:
        context.close()

    # The member sees what changed since they last looked, word by word, and the history.
    page = member_context()
    try:
        page.goto(f"/home/rounds/{round_public_id}/principles")
        expect(page.locator(".principle-item", has_text=title)).to_contain_text(
            "Changed since you last looked.")
        page.get_by_role("link", name=title).click()
        notice = page.locator("section.notice")
        expect(notice).to_contain_text("You last read version 1")
        expect(notice.locator("ins")).to_have_text(["[inserted: Every]", "[inserted: service]"])
        expect(notice.locator("del")).to_have_text(["[deleted: The]"])
        expect(page.get_by_text("Accepted as you wrote it")).to_be_visible()
        axe.check(page, javascript=javascript)
        page.get_by_role("link", name=re.compile("See everything that changed")).click()
        expect(page.get_by_role("heading", name="From version 1 to version 2")).to_be_visible()
        axe.check(page, javascript=javascript)
        fits(page, f"drafting-history-{run}", laptop_too=True)
    finally:
        page.context.close()
