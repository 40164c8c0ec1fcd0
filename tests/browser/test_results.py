"""A discuss round's results in a real browser: a member on a phone (390 px) sees the released
results, with and without JavaScript; an officer sees them live on a laptop. No sideways
scrolling, no serious axe-core violations, wide tables in labelled scroll regions.
Screenshots go to $MINIPUBLIC_TEST_SCREENSHOTS when set (to look at them)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, expect

from assembly import db
from assembly.assemblies.models import Assembly
from assembly.deliberation import rounds
from assembly.deliberation.models import Round, RoundKind
from assembly.discussion import samples
from assembly.recruitment.models import Profile, Quota, Respondent
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
ATTITUDES = ("Optimistic", "Worried", "Neutral", "Worried", "Optimistic", "Don't know")
AREAS = ("Wirral", "Liverpool", "Sefton")


@pytest.fixture(scope="module")
def conversation(server: Server) -> Iterator[tuple[int, int, str, int]]:
    """An assembly of 30 joined members (with profiles) whose discuss round holds the demo's
    conversation, and one more open round of the same conversation whose results are released:
    (assembly id, open round id, released round's public id, a member's id)."""
    now = utcnow()
    with server_engine(server) as engine, db.session(engine, write=True) as session:
        assembly = Assembly(title="Assembly on Data and AI (results)",
                            question="How should our council use data and AI?")
        session.add(assembly)
        session.flush()
        for position, (feature, values) in enumerate(
                (("Attitude to AI", ("Optimistic", "Neutral", "Worried", "Don't know")),
                 ("Area", AREAS))):
            for value in values:
                session.add(Quota(assembly_id=assembly.id, position=position,
                                  feature=feature, value=value, min_count=0, max_count=30))
        members = []
        for n in range(30):
            respondent = Respondent(assembly_id=assembly.id, external_id=f"D{n}")
            session.add(respondent)
            session.flush()
            session.add(Profile(respondent_id=respondent.id, values={
                "Attitude to AI": ATTITUDES[n % len(ATTITUDES)], "Area": AREAS[n % 3]}))
            member = Member(assembly_id=assembly.id or 0, respondent_id=respondent.id or 0,
                            status=MemberStatus.joined.value, joined_at=now)
            session.add(member)
            members.append(member)
        session.flush()
        made: list[Round] = []
        for title, opens in (("What matters to us (done)", now - timedelta(days=20)),
                             ("What matters to us", now - timedelta(days=3))):
            item = rounds.create(session, assembly, rounds.Details(
                RoundKind.discuss, title, "To find out where members agree.",
                "Vote on each statement.", opens, opens + timedelta(days=10)), actor="test")
            assert samples.add(session, item, min(now, item.closes_at - timedelta(hours=1)),
                               actor="test")
            made.append(item)
        done = made[0]
        rounds.release_results(session, done, now, actor="test")
        ids = (assembly.id or 0, made[1].id or 0, done.public_id, members[1].id or 0)
    yield ids


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_a_member_reads_the_released_results_on_a_phone(
        chromium: Browser, server: Server, axe: Accessibility,
        conversation: tuple[int, int, str, int], javascript: bool) -> None:
    _, _, released, member_id = conversation
    suffix = "js" if javascript else "nojs"
    context = new_context(chromium, server, javascript=javascript, viewport="phone")
    try:
        page = context.new_page()
        sign_in_member(page, server, member_id)
        page.goto(f"/home/rounds/{released}")
        page.get_by_role("link", name="See the results").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Results: What matters to us (done)")
        expect(page.get_by_role("img", name=re.compile("Opinion map"))).to_be_visible()
        expect(page.get_by_role("heading", name="What every group agrees with")).to_be_visible()
        expect(page.get_by_role("region", name="Agreement by Attitude to AI")).to_be_visible()
        expect(page.get_by_text("not shown").first).to_be_visible()
        expect(page.get_by_text("Councillor Smith")).to_have_count(0)   # rejected
        axe.check(page, javascript=javascript)
        fits(page, f"member-results-{suffix}", 390)
    finally:
        context.close()


def test_an_officer_sees_live_results_on_a_laptop(
        chromium: Browser, server: Server, axe: Accessibility,
        conversation: tuple[int, int, str, int]) -> None:
    assembly_id, round_id, _, _ = conversation
    context = new_context(chromium, server, javascript=True)   # a laptop screen
    try:
        page = context.new_page()
        sign_in_officer(page)
        page.goto(f"/assemblies/{assembly_id}/rounds/{round_id}")
        page.get_by_role("link", name="Live results").click()
        expect(page.get_by_text("these results change as members vote")).to_be_visible()
        expect(page.get_by_role("link", name=re.compile("Pol.is"))).to_be_visible()
        expect(page.get_by_role("heading", name="Rejected statements")).to_be_visible()
        axe.check(page)
        fits(page, "officer-results", 1280)
        fits(page, "officer-results", 390)
    finally:
        context.close()
