"""A discuss round in a real browser on a phone (390 px), with and without JavaScript: a member
signs in with a code from the assembly team, writes a statement, votes through a dozen
statements one at a time (the count left goes down and the next statement appears; with
JavaScript without a page load, and the status region says what was saved), then goes back and
changes an earlier vote; an officer accepts the statement. No sideways scrolling, no serious
axe-core violations. Screenshots go to $MINIPUBLIC_TEST_SCREENSHOTS when set (to look at them).
"""

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
from assembly.discussion import statements
from assembly.recruitment.models import Respondent
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

SEEDS = (
    "The council should tell me when a computer helped decide about me.",
    "A person should check every decision an algorithm suggests.",
    "Data about me should never be sold.",
    "The council should publish a list of every algorithm it uses.",
    "Using AI to answer phone calls would save money for other services.",
    "Predicting which families need help is worth trying if a social worker decides.",
    "Residents should be asked before the council buys an AI system.",
    "Health and council data should not be joined up without consent.",
    "Facial recognition cameras should not be used in our town centre.",
    "AI could make forms easier for people who struggle with English.",
    "The council should delete data it no longer needs, on a schedule.",
    "An independent panel should review the council's algorithms every year.",
    "Chatbots should always offer a way to reach a person.",
    "The council should share anonymised data with local researchers.",
)
VOTES = 12
CHOICES = ("Agree", "Disagree", "Pass / unsure")


@pytest.fixture(scope="module")
def discussion(server: Server) -> Iterator[dict[str, tuple[int, int, int]]]:
    """For each run ("js", "nojs"), its own assembly with a joined member and an open discuss
    round holding 14 seed statements: (assembly id, round id, member id)."""
    now = utcnow()
    made = {}
    with server_engine(server) as engine:
        for run in ("js", "nojs"):
            with db.session(engine, write=True) as session:
                assembly = Assembly(title=f"Assembly on Data and AI (discussion, {run})",
                                    question="How should our council use data and AI?")
                session.add(assembly)
                session.flush()
                respondent = Respondent(assembly_id=assembly.id, external_id=f"D-{run}")
                session.add(respondent)
                session.flush()
                member = Member(assembly_id=assembly.id or 0, respondent_id=respondent.id or 0,
                                status=MemberStatus.joined.value, joined_at=now)
                session.add(member)
                item = rounds.create(session, assembly, rounds.Details(
                    RoundKind.discuss, "Sharing our views on data and AI",
                    "To find where the panel agrees and where it splits.",
                    "Write a statement or two, and say whether you agree with others'.",
                    now - timedelta(days=1), now + timedelta(days=10)), actor="test")
                statements.configure(session, item, "How should the council use data and AI "
                                     "in the services you use?", "strict", now, actor="test")
                for text in SEEDS:
                    statements.seed(session, item, text, now, actor="test")
                session.flush()
                made[run] = (assembly.id or 0, item.id or 0, member.id or 0)
    yield made


def card_state(page: Page) -> tuple[int, int]:
    """(statements left, the number of the statement on the card)."""
    card = page.locator("#vote-card")
    left = int(card.locator(".left strong").inner_text())
    number = int(re.sub(r"\D", "", card.locator("legend .statement-number").inner_text()))
    return left, number


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_write_vote_and_change_a_vote_on_a_phone(
        chromium: Browser, server: Server, axe: Accessibility,
        discussion: dict[str, tuple[int, int, int]], javascript: bool) -> None:
    suffix = "js" if javascript else "nojs"
    assembly_id, round_id, member_id = discussion[suffix]
    mine = f"Every letter from the council should say if AI was used ({suffix})."
    context = new_context(chromium, server, javascript=javascript, viewport="phone")
    page = context.new_page()
    try:
        sign_in_member(page, server, member_id)
        expect(page.get_by_text("0 of 14 statements voted on")).to_be_visible()
        page.get_by_role("link", name=re.compile("Vote on the statements")).click()
        page.wait_for_url(re.compile(r"/discuss$"))
        expect(page.get_by_text("How should the council use data and AI")).to_be_visible()
        axe.check(page, javascript=javascript)
        fits(page, f"discuss-{suffix}", laptop_too=True)

        # A statement of their own: saved, waiting to be checked, shown in their list.
        page.get_by_label("Your statement").fill(mine)
        page.get_by_role("button", name="Add my statement").click()
        expect(page.get_by_role("status")).to_contain_text("Your statement is saved")
        expect(page.locator("#write .statement-item", has_text=mine)).to_contain_text(
            "Waiting to be checked")
        expect(page.get_by_label("Your statement")).to_have_value("")

        # A dozen votes, one statement at a time.
        if javascript:
            page.evaluate("window.stillTheSamePage = true")
        seen: list[int] = []
        left, number = card_state(page)
        assert left == 14
        for turn in range(VOTES):
            choice = CHOICES[turn % 3]
            page.locator("#vote-card").get_by_role("button", name=choice, exact=True).click()
            expect(page.get_by_role("status")).to_contain_text(f"statement {number}.")
            seen.append(number)
            expect(page.locator("#vote-card .left strong")).to_have_text(str(left - 1))
            left, number = card_state(page)
            assert number not in seen
            if turn == 5:
                axe.check(page, javascript=javascript)
                fits(page, f"voting-{suffix}", laptop_too=True)
        assert left == 14 - VOTES
        if javascript:   # the card was swapped in place: no page load in between
            assert page.evaluate("window.stillTheSamePage") is True
            expect(page.get_by_role("status")).to_contain_text(f"Next, statement {number}")

        # Back to the first vote, to change it from agree to disagree.
        first = seen[0]
        voted = page.locator("#voted .statement-item", has_text=re.compile(rf"Statement {first}\b"))
        expect(voted).to_contain_text("Your vote: Agree")
        voted.get_by_role("link", name=f"Change your vote on statement {first}", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Statement {first}")
        expect(page.get_by_role("button", name="Agree (your vote)")).to_be_visible()
        axe.check(page, javascript=javascript)
        fits(page, f"statement-{suffix}", laptop_too=True)
        page.get_by_role("button", name="Disagree", exact=True).click()
        page.wait_for_url(re.compile(r"/discuss(#voted)?$"))
        expect(page.get_by_role("status")).to_contain_text(
            f"Saved: you disagree with statement {first}.")
        expect(voted).to_contain_text("Your vote: Disagree")
        expect(page.locator("#vote-card .left strong")).to_have_text(str(14 - VOTES))
        axe.check(page, javascript=javascript)
        page.goto("/home")
        expect(page.get_by_text(f"{VOTES} of 14 statements voted on")).to_be_visible()
    finally:
        context.close()

    # An officer accepts the statement from the round's statements page.
    context = new_context(chromium, server, javascript=javascript, viewport="phone")
    try:
        officer = context.new_page()
        sign_in_officer(officer)
        officer.goto(f"/assemblies/{assembly_id}/rounds/{round_id}")
        officer.get_by_role("link", name="Statements and moderation").click()
        officer.get_by_role("link", name=re.compile(r"Waiting to be checked")).click()
        box = officer.locator(".statement-box", has_text=mine)
        expect(box).to_contain_text("From a member.")
        axe.check(officer, javascript=javascript)
        fits(officer, f"officer-discuss-{suffix}", laptop_too=True)
        box.get_by_role("button", name=re.compile("Accept")).click()
        expect(officer.get_by_role("status")).to_contain_text("accepted")
        expect(officer.locator(".statement-box", has_text=mine)).to_contain_text("Accepted.")
        # The page for keying in what a member gave on paper or by phone.
        officer.get_by_role("link", name=re.compile("Key in a statement or votes")).click()
        officer.get_by_role("button", name="Choose").click()
        expect(officer.get_by_role("group", name=re.compile(f"Statement {len(SEEDS) + 1}"))
               ).to_contain_text("Agree")
        axe.check(officer, javascript=javascript)
        fits(officer, f"officer-paper-{suffix}", laptop_too=True)
    finally:
        context.close()
