"""The member's home: what is open now and what it asks, the deadline in words, what comes next,
what is done, the meetings with their access notes and calendar files; `/welcome` now leads
here. And the officers' meeting forms that feed it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.testclient import TestClient

from assembly import db
from assembly.assemblies.models import Assembly
from assembly.deliberation import meetings, progress, rounds
from assembly.deliberation.models import (
    Meeting,
    MeetingRound,
    Round,
    RoundKind,
    StepFree,
)
from assembly.selection.models import Member
from tests.app.clocks import T0, Clock
from tests.app.flows import post_form


@pytest.fixture
def programme(clock: Clock, engine: Engine, member: Member) -> dict[str, int]:
    """A closed learn round, an open one, and discuss and vote rounds after; two meetings for
    the open round and one in the past."""
    made: dict[str, int] = {}
    with db.session(engine, write=True) as session:
        assembly = session.get(Assembly, member.assembly_id)
        assert assembly is not None
        for key, kind, title, opens, days in (
                ("done", RoundKind.learn, "How the council uses data", T0 - timedelta(days=9), 7),
                ("open", RoundKind.learn, "Data in social care", T0 - timedelta(days=1), 5),
                ("next", RoundKind.discuss, "What we think", T0 + timedelta(days=6, hours=9), 7),
                ("vote", RoundKind.vote, "Our principles", T0 + timedelta(days=20), 7)):
            made[key] = rounds.create(session, assembly, rounds.Details(
                kind, title, f"Purpose of {title}.", f"Instructions for {title}.",
                opens, opens + timedelta(days=days, hours=9)), actor="test").id or 0
        made["meeting"] = meetings.create(session, assembly, meetings.Details(
            "Second weekend", T0 + timedelta(days=5, hours=1), T0 + timedelta(days=5, hours=7),
            "Central Library, Picton Room", "William Brown Street\nLiverpool L3 8EW",
            StepFree.yes, "Hearing loop. Lift to every floor.", "", (made["open"],)),
            actor="test").id or 0
        made["online"] = meetings.create(session, assembly, meetings.Details(
            "Online evening", T0 + timedelta(days=8, hours=9),
            T0 + timedelta(days=8, hours=10, minutes=30), "", "", StepFree.unknown, "",
            "https://meet.example.org/assembly", (made["open"],)), actor="test").id or 0
        made["past"] = meetings.create(session, assembly, meetings.Details(
            "First weekend", T0 - timedelta(days=9), T0 - timedelta(days=9, hours=-6),
            "Town hall", "Dale Street", StepFree.no, "", "", ()), actor="test").id or 0
    return made


def test_home_shows_what_is_open_next_and_done(programme: dict[str, int],
                                               member_client: TestClient) -> None:
    page = member_client.get("/home")
    assert page.status_code == 200
    text = page.text
    open_now = text[text.index("Open now"):text.index('id="meetings"')]
    assert "Data in social care" in open_now
    assert "Closes Friday 12 March at 6pm" in open_now        # 7 March 9am + 5 days 9 hours
    assert "Instructions for Data in social care." in open_now
    assert "How the council uses data" not in open_now
    assert "Meetings: Second weekend; Online evening." in open_now
    timeline = text[text.index('id="programme"'):]
    assert "Done. Closed Saturday 6 March at 6pm." in timeline
    assert "Opens Sunday 14 March at 6pm." in timeline
    assert "Opens Sunday 28 March at 10am." in timeline        # 9am UTC, in summer time
    # The progress hooks measure nothing yet: nothing is shown, not a placeholder.
    assert " of " not in open_now.replace("Purpose of", "")
    assert "briefings" not in text


def test_home_lists_the_coming_meetings_with_access_and_calendar(
        programme: dict[str, int], member_client: TestClient, engine: Engine) -> None:
    text = member_client.get("/home").text
    meetings_part = text[text.index('id="meetings"'):text.index('id="programme"')]
    assert "Second weekend" in meetings_part and "Saturday 13 March, 10am to 4pm" in meetings_part
    assert "Central Library, Picton Room" in meetings_part
    assert "Step-free access." in meetings_part and "Hearing loop. Lift to every floor." in \
        meetings_part
    assert "Online evening" in meetings_part and "Tuesday 16 March, 6pm to 7:30pm" in \
        meetings_part
    assert 'href="https://meet.example.org/assembly"' in meetings_part
    assert "First weekend" not in meetings_part                 # it is over
    with db.session(engine) as session:
        public_ids = {m.title: m.public_id for m in session.exec(select(Meeting)).all()}
    assert f'href="/home/meetings/{public_ids["Second weekend"]}.ics"' in meetings_part
    assert 'href="/home/programme.ics"' in text


def test_the_home_at_other_moments(programme: dict[str, int], clock: Clock,
                                   member_client: TestClient) -> None:
    clock.now = datetime(2027, 3, 13, 18, tzinfo=UTC)   # the learn round has just closed
    text = member_client.get("/home").text
    assert "Nothing is open right now. The next part opens Sunday 14 March at 6pm." in text
    clock.now = datetime(2027, 3, 14, 18, tzinfo=UTC)
    text = member_client.get("/home").text
    open_now = text[text.index("Open now"):text.index('id="programme"')]
    assert "What we think" in open_now and "Closes Monday 22 March at 3am" in open_now


def test_a_progress_hook_shows_when_it_measures_something(
        programme: dict[str, int], member_client: TestClient,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(progress.HOOKS, RoundKind.learn,
                        lambda session, item, member: progress.Progress(3, 5, "briefings", "read"))
    text = member_client.get("/home").text
    assert "3 of 5 briefings read" in text


def test_an_empty_programme_says_it_is_coming(clock: Clock, member_client: TestClient) -> None:
    text = member_client.get("/home").text
    assert "The assembly team is getting the programme ready." in text
    assert "How should we test?" in text


def test_a_members_round_page(programme: dict[str, int], member_client: TestClient,
                              engine: Engine) -> None:
    with db.session(engine) as session:
        item = session.get(Round, programme["open"])
        assert item is not None
    page = member_client.get(f"/home/rounds/{item.public_id}")
    assert page.status_code == 200
    assert "Open now. Closes Friday 12 March at 6pm." in page.text
    assert "Purpose of Data in social care." in page.text and "Second weekend" in page.text
    assert member_client.get("/home/rounds/no-such-round").status_code == 404


def test_welcome_moved_for_good(client: TestClient, member_client: TestClient) -> None:
    response = member_client.get("/welcome", follow_redirects=False)
    assert response.status_code == 301 and response.headers["location"] == "/home"
    assert client.get("/home", follow_redirects=False).status_code in (401, 303)


def test_the_home_is_light(programme: dict[str, int], member_client: TestClient) -> None:
    """A phone on a slow connection: the page itself, before compression, stays small."""
    page = member_client.get("/home")
    assert len(page.content) < 30_000
    assert "<script>" not in page.text


# --- the officers' meeting forms ---------------------------------------------------------------


def test_an_officer_adds_a_meeting(programme: dict[str, int], officer_client: TestClient,
                                   engine: Engine, member: Member) -> None:
    base = f"/assemblies/{member.assembly_id}"
    form_page = officer_client.get(f"{base}/meetings/new").text
    assert "Rounds this meeting serves" in form_page and "Data in social care" in form_page
    response = post_form(officer_client, f"{base}/meetings", {
        "title": "Third weekend", "starts_at": "2027-03-27T10:00", "ends_at": "2027-03-27T16:00",
        "place": "Toxteth Library", "address": "Windsor Street", "step_free": "no",
        "access_notes": "Two steps at the entrance; a ramp is available.",
        "rounds": [str(programme["next"]), str(programme["vote"])]}, follow_redirects=False)
    assert response.status_code == 303, response.text
    with db.session(engine) as session:
        meeting = session.exec(select(Meeting).where(Meeting.title == "Third weekend")).one()
        linked = set(session.exec(select(MeetingRound.round_id).where(
            MeetingRound.meeting_id == meeting.id)).all())
    assert linked == {programme["next"], programme["vote"]}
    page = officer_client.get(f"{base}/programme").text
    assert "Third weekend" in page and "Not step-free" in page


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"place": "", "address": "", "online_url": ""}, "place", "or a link to join it online"),
    ({"address": ""}, "address", "Enter both the name of the place and its address"),
    ({"online_url": "javascript:alert(1)"}, "online_url", "starting with https://"),
    ({"ends_at": "2027-03-27T09:00"}, "ends_at", "The end must be after the start."),
    ({"step_free": "maybe"}, "step_free", "Choose yes, no or not known."),
    ({"rounds": "999999"}, "rounds", "Choose rounds from this assembly"),
    ({"rounds": "²"}, "rounds", "Choose rounds from this assembly"),
])
def test_bad_meetings_are_refused(programme: dict[str, int], officer_client: TestClient,
                                  engine: Engine, member: Member, values: dict[str, str],
                                  field: str, message: str) -> None:
    with db.session(engine) as session:
        before = len(session.exec(select(Meeting)).all())
    data = {"title": "Bad", "starts_at": "2027-03-27T10:00", "ends_at": "2027-03-27T16:00",
            "place": "Somewhere", "address": "Some street", "step_free": "yes", **values}
    response = post_form(officer_client, f"/assemblies/{member.assembly_id}/meetings", data)
    assert response.status_code == 422
    assert message in response.text and f'href="#field-{field}"' in response.text
    with db.session(engine) as session:
        assert len(session.exec(select(Meeting)).all()) == before


def test_another_assemblys_round_cannot_be_linked(programme: dict[str, int], engine: Engine,
                                                  officer_client: TestClient) -> None:
    with db.session(engine, write=True) as session:
        other = Assembly(title="Another", question="Another?")
        session.add(other)
        session.flush()
        other_id = other.id or 0
    response = post_form(officer_client, f"/assemblies/{other_id}/meetings", {
        "title": "Sneaky", "starts_at": "2027-03-27T10:00", "ends_at": "2027-03-27T16:00",
        "online_url": "https://meet.example.org/x", "rounds": str(programme["open"])})
    assert response.status_code == 422
    assert "Choose rounds from this assembly" in response.text


def test_removing_a_meeting(programme: dict[str, int], officer_client: TestClient,
                            engine: Engine, member: Member) -> None:
    url = f"/assemblies/{member.assembly_id}/meetings/{programme['online']}/delete"
    assert post_form(officer_client, url, follow_redirects=False).status_code == 303
    with db.session(engine) as session:
        assert session.get(Meeting, programme["online"]) is None


def test_a_meeting_that_does_not_exist_is_not_found(programme: dict[str, int],
                                                    officer_client: TestClient, engine: Engine,
                                                    member: Member) -> None:
    base = f"/assemblies/{member.assembly_id}/meetings"
    with db.session(engine) as session:
        before = len(session.exec(select(Meeting)).all())
    for meeting_id in (0, 999_999):
        assert officer_client.get(f"{base}/{meeting_id}/edit").status_code == 404
        response = post_form(officer_client, f"{base}/{meeting_id}/edit", {
            "title": "Ghost", "starts_at": "2027-03-27T10:00", "ends_at": "2027-03-27T16:00",
            "online_url": "https://meet.example.org/x"})
        assert response.status_code == 404
    with db.session(engine) as session:
        assert len(session.exec(select(Meeting)).all()) == before
