"""The programme in a real browser on a phone: the officer's timeline and a member's home at 390
and 360 px wide, with and without JavaScript, with no sideways scrolling and no serious axe-core
violations. Screenshots go to $MINIPUBLIC_TEST_SCREENSHOTS when set (to look at them)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, expect
from sqlmodel import select

from assembly import db, sessions
from assembly.assemblies.models import Assembly
from assembly.deliberation import meetings, rounds
from assembly.deliberation.models import RoundKind, StepFree
from assembly.recruitment.models import Respondent
from assembly.selection.models import Member, MemberStatus
from assembly.settings import from_env
from assembly.tables import utcnow
from tests.browser.harness import (
    Accessibility,
    Server,
    fits,
    new_context,
    server_engine,
    sign_in_officer,
)

pytestmark = pytest.mark.browser
TITLE = "Liverpool City Region Citizens' Assembly on Data and AI"


@pytest.fixture(scope="module")
def programme(server: Server) -> Iterator[tuple[int, str]]:
    """An assembly with a member, a programme around now and two meetings, written to the
    server's own database; the member's session cookie."""
    settings = from_env(server.env, check=False)   # the server's, to start a session it accepts
    now = utcnow()
    with server_engine(server) as engine, db.session(engine, write=True) as session:
        existing = session.exec(select(Assembly).where(Assembly.title == TITLE)).first()
        assembly = existing or Assembly(title=TITLE, question="How should our council use "
                                        "data and AI?")
        session.add(assembly)
        session.flush()
        respondent = Respondent(assembly_id=assembly.id, external_id=f"B{now:%H%M%S%f}")
        session.add(respondent)
        session.flush()
        member = Member(assembly_id=assembly.id or 0, respondent_id=respondent.id or 0,
                        status=MemberStatus.joined.value)
        session.add(member)
        session.flush()
        if existing is None:
            made = []
            for kind, title, start, days in (
                    (RoundKind.learn, "How councils use data today", -20, 14),
                    (RoundKind.learn, "Data and AI in care, policing and the NHS", -5, 14),
                    (RoundKind.discuss, "What matters to us", 9, 14),
                    (RoundKind.vote, "Voting on the principles", 30, 7)):
                opens = now + timedelta(days=start)
                made.append(rounds.create(session, assembly, rounds.Details(
                    kind, title, "To understand what the council does with data now.",
                    "Read the short briefings. Each one says who wrote it and what they "
                    "gain or lose. Ask the speakers anything you want to know.",
                    opens, opens + timedelta(days=days)), actor="test"))
            meetings.create(session, assembly, meetings.Details(
                "Weekend meeting: hearing from the speakers", now + timedelta(days=3),
                now + timedelta(days=3, hours=6), "Central Library, Picton Reading Room",
                "William Brown Street\nLiverpool\nL3 8EW", StepFree.yes,
                "Step-free entrance, lifts to every floor, a hearing loop and a quiet room.",
                "", (made[1].id or 0,)), actor="test")
            meetings.create(session, assembly, meetings.Details(
                "Online evening", now + timedelta(days=6), now + timedelta(days=6, hours=1),
                "", "", StepFree.unknown, "", "https://meet.example.org/assembly-data-ai",
                ()), actor="test")
        token = sessions.start(session, settings, member=member)
        assembly_id = assembly.id or 0
    yield assembly_id, token


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_the_programme_on_a_phone(chromium: Browser, server: Server, axe: Accessibility,
                                  programme: tuple[int, str], javascript: bool) -> None:
    assembly_id, token = programme
    suffix = "js" if javascript else "nojs"
    context = new_context(chromium, server, javascript=javascript, viewport="phone")
    try:
        # The member's home.
        context.add_cookies([{"name": "minipublic-session", "value": token,
                              "url": server.url}])
        home = context.new_page()
        home.goto("/welcome")
        home.wait_for_url(re.compile(r"/home$"))
        expect(home.get_by_role("heading", level=1)).to_contain_text(TITLE)
        expect(home.get_by_role("heading", name="Open now")).to_be_visible()
        expect(home.get_by_text(re.compile(r"^Closes \w+day \d+ \w+ at "))).to_be_visible()
        expect(home.get_by_role("heading", name="Weekend meeting: hearing from the speakers")
               ).to_be_visible()
        axe.check(home, javascript=javascript)
        for width in (390, 360):
            fits(home, f"home-{suffix}", width)
        with home.expect_download() as download:
            home.get_by_role("link", name="Add every date to your calendar").click()
        assert download.value.suggested_filename == "assembly-programme.ics"
        home.get_by_role("link", name="Data and AI in care, policing and the NHS").first.click()
        expect(home.get_by_role("heading", name="What to do")).to_be_visible()
        axe.check(home, javascript=javascript)
        fits(home, f"member-round-{suffix}", 390)
        home.close()
        context.clear_cookies()

        # The officer's programme: sign in, add a round through the form, move it up.
        page = context.new_page()
        sign_in_officer(page)
        page.goto(f"/assemblies/{assembly_id}/programme")
        expect(page.get_by_role("heading", name="Programme", level=1)).to_be_visible()
        axe.check(page, javascript=javascript)
        fits(page, f"programme-{suffix}", 390)
        page.get_by_role("link", name="Add a round").click()
        page.get_by_label("Draft").check()
        title = f"Writing our principles ({suffix})"
        page.get_by_label("Title").fill(title)
        page.get_by_label("Purpose").fill("To turn what we agree on into principles.")
        page.get_by_label("What members should do").fill("Suggest principles.")
        later = utcnow() + timedelta(days=60 + (1 if javascript else 20))
        page.get_by_label("Opens").fill(f"{later:%Y-%m-%d}T18:00")
        page.get_by_label("Closes").fill(f"{later + timedelta(days=7):%Y-%m-%d}T18:00")
        axe.check(page, javascript=javascript)
        fits(page, f"round-form-{suffix}", 390)
        page.get_by_role("button", name="Add the round").click()
        page.wait_for_url(re.compile(r"/programme$"))
        expect(page.get_by_role("status")).to_contain_text(f"Round “{title}” added")
        item = page.locator(".timeline-item", has_text=title)
        item.get_by_role("button", name=re.compile("^Move up")).click()
        expect(page.get_by_role("status")).to_contain_text("Moved up")
        titles = page.locator(".timeline-title").all_inner_texts()
        assert titles.index(title) == len(titles) - 2
        page.locator(".timeline-title a", has_text="Data and AI in care").click()
        expect(page.get_by_role("button", name="Close now")).to_be_visible()
        axe.check(page, javascript=javascript)
        fits(page, f"round-{suffix}", 390)
    finally:
        context.close()
