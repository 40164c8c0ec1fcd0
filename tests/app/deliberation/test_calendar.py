"""Calendar files (.ics) for meetings and the whole programme, read back by a strict reader of
RFC 5545: CRLF line ends, no physical line over 75 octets, folding that never splits a UTF-8
character, escaped text, UTC times with Z, and the properties every event must have."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from assembly import db
from assembly.assemblies.models import Assembly
from assembly.deliberation import ics, meetings, rounds
from assembly.deliberation.models import Meeting, RoundKind, StepFree
from assembly.selection.models import Member
from tests.app.clocks import T0, Clock

NAME = re.compile(r"[A-Za-z0-9-]+")
UTC_TIME = re.compile(r"\d{8}T\d{6}Z")
TEXT_PROPERTIES = {"SUMMARY", "DESCRIPTION", "LOCATION", "X-WR-CALNAME"}
ADDRESS = "Salle des fêtes, 12 rue de l'Église\nÉtage 1; entrée côté parc, près du café ☕"
NOTES = "Hearing loop; quiet room\\rest area, accessible toilet.\nBus 14, 27 and 82 stop outside."


def unescape(value: str) -> str:
    """A TEXT value back to what was written; fails on anything RFC 5545 does not allow."""
    out, index = [], 0
    while index < len(value):
        char = value[index]
        if char == "\\":
            following = value[index + 1]
            assert following in "\\;,nN", f"bad escape \\{following} in {value!r}"
            out.append("\n" if following in "nN" else following)
            index += 2
            continue
        assert char not in ";,", f"unescaped {char!r} in {value!r}"
        assert ord(char) >= 0x20 and ord(char) != 0x7F, f"control character in {value!r}"
        out.append(char)
        index += 1
    return "".join(out)


def strict_read(data: bytes) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The calendar's own properties and its events, read strictly."""
    text = data.decode("utf-8")                     # strict: a split character fails here
    assert text.endswith("\r\n")
    physical = text[:-2].split("\r\n")
    for line in physical:
        assert "\r" not in line and "\n" not in line, "a line break that is not CRLF"
        assert len(line.encode("utf-8")) <= 75, f"line of {len(line.encode())} octets"
        assert line, "an empty line"
    logical: list[str] = []
    for line in physical:
        if line[0] in " \t":
            logical[-1] += line[1:]
        else:
            logical.append(line)
    stack: list[str] = []
    calendar: dict[str, str] = {}
    events: list[dict[str, str]] = []
    for line in logical:
        name_part, _, value = line.partition(":")
        name = name_part.split(";")[0]
        assert NAME.fullmatch(name), f"bad property name in {line!r}"
        if name == "BEGIN":
            stack.append(value)
            if value == "VEVENT":
                events.append({})
            continue
        if name == "END":
            assert stack and stack.pop() == value, f"END:{value} without its BEGIN"
            continue
        target = events[-1] if stack and stack[-1] == "VEVENT" else calendar
        assert name not in target, f"{name} twice"
        target[name] = unescape(value) if name in TEXT_PROPERTIES else value
    assert stack == [], "components left open"
    assert logical[0] == "BEGIN:VCALENDAR" and logical[-1] == "END:VCALENDAR"
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    for event in events:
        for required in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "SEQUENCE"):
            assert required in event, f"event without {required}"
        for moment in ("DTSTAMP", "DTSTART", "DTEND"):
            assert UTC_TIME.fullmatch(event[moment]), event[moment]
        assert event["DTEND"] > event["DTSTART"]
    return calendar, events


def test_folding_never_splits_a_character_and_lines_stay_within_75_octets() -> None:
    for text in ("a" * 300, "é" * 200, "☕" * 120, "x" + "😀" * 80, "ab" * 37 + "é"):
        folded = ics.fold(f"DESCRIPTION:{text}")
        lines = folded.split("\r\n")
        assert all(len(line.encode()) <= 75 for line in lines)
        assert all(line.startswith(" ") for line in lines[1:])
        assert "".join([lines[0], *(line[1:] for line in lines[1:])]) == f"DESCRIPTION:{text}"
    assert ics.fold("SUMMARY:short") == "SUMMARY:short"


def test_escaping_round_trips() -> None:
    text = "a,b;c\\d\ne\r\nf"
    assert ics.escape(text) == "a\\,b\\;c\\\\d\\ne\\nf"
    assert unescape(ics.escape(text)) == "a,b;c\\d\ne\nf"


@pytest.fixture
def programme(app: Starlette, engine: Engine, member: Member) -> tuple[Meeting, Meeting]:
    app.state.clock = Clock(T0)
    with db.session(engine, write=True) as session:
        assembly = session.get(Assembly, member.assembly_id)
        assert assembly is not None
        opens = T0 + timedelta(days=4)
        item = rounds.create(session, assembly, rounds.Details(
            RoundKind.learn, "Learning, together; with experts", "Purpose.", "Read, then ask.",
            opens, opens + timedelta(days=7)), actor="test")
        in_person = meetings.create(session, assembly, meetings.Details(
            "First weekend: hearing from the speakers, together", T0 + timedelta(days=5, hours=1),
            T0 + timedelta(days=5, hours=7), "Salle des fêtes", ADDRESS, StepFree.yes, NOTES,
            "", (item.id or 0,)), actor="test")
        online = meetings.create(session, assembly, meetings.Details(
            "Online catch-up", T0 + timedelta(days=9, hours=9), T0 + timedelta(days=9, hours=10),
            "", "", StepFree.unknown, "", "https://meet.example.org/assembly?room=1,2",
            ()), actor="test")
    return in_person, online


def test_a_meetings_calendar_file_reads_back_exactly(
        programme: tuple[Meeting, Meeting], member_client: TestClient) -> None:
    in_person, _ = programme
    response = member_client.get(f"/home/meetings/{in_person.public_id}.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["content-disposition"] == \
        f'attachment; filename="meeting-{in_person.public_id}.ics"'
    calendar, events = strict_read(response.content)
    assert calendar["METHOD"] == "PUBLISH" and calendar["X-WR-CALNAME"] == "Test assembly"
    [event] = events
    assert event["UID"] == f"meeting-{in_person.public_id}@testserver"
    assert event["SUMMARY"] == "First weekend: hearing from the speakers, together"
    assert (event["DTSTART"], event["DTEND"]) == ("20270313T100000Z", "20270313T160000Z")
    assert event["DTSTAMP"] == "20270308T090000Z"
    assert event["LOCATION"] == "Salle des fêtes, " + ADDRESS.replace("\n", ", ")
    assert event["DESCRIPTION"] == ("For: Learning, together; with experts.\n"
                                    f"Step-free access.\n{NOTES}")
    assert event["SEQUENCE"] == "0"


def test_the_whole_programme_for_members_and_officers(
        programme: tuple[Meeting, Meeting], member_client: TestClient,
        officer_client: TestClient, member: Member) -> None:
    in_person, online = programme
    _, events = strict_read(member_client.get("/home/programme.ics").content)
    by_uid = {e["UID"]: e for e in events}
    assert set(by_uid) >= {f"meeting-{in_person.public_id}@testserver",
                           f"meeting-{online.public_id}@testserver"}
    online_event = by_uid[f"meeting-{online.public_id}@testserver"]
    assert online_event["URL"] == "https://meet.example.org/assembly?room=1,2"
    assert online_event["LOCATION"] == "https://meet.example.org/assembly?room=1,2"
    [round_event] = [e for e in events if e["UID"].startswith("round-")]
    assert round_event["SUMMARY"] == "Learn: Learning, together; with experts"
    assert round_event["TRANSP"] == "TRANSPARENT"
    assert "/home/rounds/" in round_event["DESCRIPTION"]
    base = f"/assemblies/{member.assembly_id}"
    _, officer_events = strict_read(officer_client.get(f"{base}/programme.ics").content)
    assert {e["UID"] for e in officer_events} == set(by_uid)
    _, [one] = strict_read(officer_client.get(f"{base}/meetings/{online.id}.ics").content)
    assert one["UID"] == f"meeting-{online.public_id}@testserver"


def test_an_edited_meeting_keeps_its_uid_and_raises_its_sequence(
        programme: tuple[Meeting, Meeting], officer_client: TestClient, member: Member) -> None:
    _, online = programme
    url = f"/assemblies/{member.assembly_id}/meetings/{online.id}/edit"
    response = officer_client.post(url, data={
        "title": "Online catch-up (moved)", "starts_at": "2027-03-17T19:00",
        "ends_at": "2027-03-17T20:00", "step_free": "unknown",
        "online_url": "https://meet.example.org/assembly"},
        headers={"Sec-Fetch-Site": "same-origin"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    _, [event] = strict_read(officer_client.get(
        f"/assemblies/{member.assembly_id}/meetings/{online.id}.ics").content)
    assert event["UID"] == f"meeting-{online.public_id}@testserver"
    assert event["SEQUENCE"] == "1" and event["DTSTART"] == "20270317T190000Z"


def test_another_assemblys_meeting_is_not_found(
        programme: tuple[Meeting, Meeting], engine: Engine, member_client: TestClient,
        officer_client: TestClient, member: Member) -> None:
    with db.session(engine, write=True) as session:
        other = Assembly(title="Another", question="Another?")
        session.add(other)
        session.flush()
        meeting = Meeting(assembly_id=other.id or 0, title="Theirs", starts_at=T0,
                          ends_at=T0 + timedelta(hours=1), place="Elsewhere", address="Far")
        session.add(meeting)
        session.flush()
    assert member_client.get(f"/home/meetings/{meeting.public_id}.ics").status_code == 404
    assert officer_client.get(
        f"/assemblies/{member.assembly_id}/meetings/{meeting.id}.ics").status_code == 404
