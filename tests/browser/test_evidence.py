"""The evidence library in a real browser on a phone (390 px), with and without JavaScript: a
member signs in with a code from the assembly team, reads a briefing, marks it read and asks a question; an officer answers it from the
round view; the member sees the answer. No sideways scrolling, no serious axe-core violations.
Screenshots go to $MINIPUBLIC_TEST_SCREENSHOTS when set (to look at them)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from assembly import db
from assembly.assemblies.models import Assembly
from assembly.deliberation import briefings, rounds, samples
from assembly.deliberation.models import RoundKind
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


@pytest.fixture(scope="module")
def library(server: Server) -> Iterator[tuple[int, int, str, int]]:
    """An assembly with a joined member and an open learn round holding three briefings:
    (assembly id, round id, round public id, the member's id)."""
    now = utcnow()
    with server_engine(server) as engine, db.session(engine, write=True) as session:
        assembly = Assembly(title="Assembly on Data and AI (evidence)",
                            question="How should our council use data and AI?")
        session.add(assembly)
        session.flush()
        respondent = Respondent(assembly_id=assembly.id, external_id="E1")
        session.add(respondent)
        session.flush()
        session.add(Contact(respondent_id=respondent.id, name="Pat Jones",
                            phone="0151 496 0000"))
        member = Member(assembly_id=assembly.id or 0, respondent_id=respondent.id or 0,
                        status=MemberStatus.joined.value, joined_at=now)
        session.add(member)
        item = rounds.create(session, assembly, rounds.Details(
            RoundKind.learn, "Data and AI in care, policing and the NHS",
            "To hear the arguments for and against.", "Read the briefings. Ask the "
            "speakers anything you want to know.", now - timedelta(days=1),
            now + timedelta(days=10)), actor="test")
        for sample in samples.SECOND_ROUND[:3]:
            name, role, organisation = sample.speaker
            briefings.create(session, item, briefings.Details(
                sample.title, sample.summary, sample.body, sample.easy_read, name,
                organisation, role, sample.interests, *sample.video), actor="test")
        session.flush()
        ids = (assembly.id or 0, item.id or 0, item.public_id, member.id or 0)
    yield ids


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_read_ask_answer_on_a_phone(chromium: Browser, server: Server, axe: Accessibility,
                                    library: tuple[int, int, str, int],
                                    javascript: bool) -> None:
    assembly_id, round_id, round_public_id, member_id = library
    suffix = "js" if javascript else "nojs"
    question = f"Would parents be told if a computer flagged them? ({suffix})"
    answer = f"Yes: the council would write to every family flagged ({suffix})."

    cookies: list = []

    def member_context() -> Page:
        context = new_context(chromium, server, javascript=javascript, viewport="phone")
        context.add_cookies(cookies)
        return context.new_page()

    # The member signs in on their phone with the code the team read out, typed in small
    # letters, then reads a briefing and asks a question.
    page = member_context()
    try:
        page.goto("/invite")
        axe.check(page, javascript=javascript)
        sign_in_member(page, server, member_id, small_letters=True)
        axe.check(page, javascript=javascript)
        fits(page, f"member-home-{suffix}")
        cookies.extend(page.context.cookies())
        page.goto(f"/home/rounds/{round_public_id}")
        expect(page.get_by_role("heading", name="Briefings")).to_be_visible()
        axe.check(page, javascript=javascript)
        fits(page, f"member-library-{suffix}")
        page.get_by_role("link", name="Predictive analytics in children's services").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Predictive analytics in children's services")
        expect(page.get_by_role("heading", name="Easy read")).to_be_visible()
        expect(page.get_by_role("heading", name="Their declared interests")).to_be_visible()
        axe.check(page, javascript=javascript)
        fits(page, f"member-briefing-{suffix}")
        if page.get_by_role("button", name="I have read this briefing").count():
            page.get_by_role("button", name="I have read this briefing").click()
            expect(page.get_by_role("status")).to_contain_text("marked as read")
        else:  # read in the run with JavaScript: the page says so, and links to the questions
            expect(page.get_by_text("You have marked this briefing as read")).to_be_visible()
            page.get_by_role("link", name="Ask the speakers a question").click()
        expect(page.get_by_text(re.compile(r"1 of 3 briefings read"))).to_be_visible()
        page.get_by_label("Ask the speakers a question").fill(question)
        page.get_by_role("button", name="Send my question").click()
        expect(page.get_by_role("status")).to_contain_text("Your question has been sent")
        expect(page.get_by_text(question)).to_have_count(0)   # not published yet
    finally:
        page.context.close()

    # The officer answers it from the round view.
    context = new_context(chromium, server, javascript=javascript, viewport="phone")
    try:
        officer = context.new_page()
        sign_in_officer(officer)
        officer.goto(f"/assemblies/{assembly_id}/rounds/{round_id}")
        expect(officer.get_by_role("heading", name="Who has taken part")).to_be_visible()
        card = officer.locator(".moderation").filter(
            has=officer.locator(".qa-question", has_text=question))
        expect(card).to_contain_text("Asked by Pat Jones")
        axe.check(officer, javascript=javascript)
        fits(officer, f"round-view-{suffix}")
        card.get_by_text("Publish the speaker's answer").click()
        card.get_by_label("The answer").fill(answer)
        card.get_by_label("Who answered").fill("Dr Helen Marsh")
        card.get_by_role("button", name="Publish the answer").click()
        expect(officer.get_by_role("status")).to_contain_text("Answer published")
        # The briefing's own page (read count, files, versions) and its form.
        officer.get_by_role("link", name="Predictive analytics in children's services").click()
        expect(officer.get_by_text(re.compile(r"Read by 1 member\."))).to_be_visible()
        axe.check(officer, javascript=javascript)
        fits(officer, f"officer-briefing-{suffix}")
        officer.get_by_role("link", name="Edit the briefing").click()
        expect(officer.get_by_label("Declared interests")).to_be_visible()
        axe.check(officer, javascript=javascript)
        fits(officer, f"briefing-form-{suffix}")
    finally:
        context.close()

    # The member sees the answer, without the asker's name.
    page = member_context()
    try:
        page.goto(f"/home/rounds/{round_public_id}")
        entry = page.locator(".qa", has_text=question)
        expect(entry).to_contain_text("Dr Helen Marsh answered:")
        expect(entry).to_contain_text(answer)
        expect(page.get_by_text("Pat Jones")).to_have_count(0)
        axe.check(page, javascript=javascript)
        fits(page, f"member-answer-{suffix}")
    finally:
        page.context.close()
