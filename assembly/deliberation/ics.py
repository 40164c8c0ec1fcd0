"""iCalendar files (RFC 5545) for the programme's meetings and rounds, written by hand.

What phones' calendars insist on, and what this does: lines end in CRLF; text values escape
backslash, semicolon, comma and line breaks; content lines longer than 75 octets are folded
(CRLF and one space), never inside a UTF-8 character; every event has a UID that stays the same
when the meeting is edited, a SEQUENCE that rises with each edit, a DTSTAMP, and start and end
times in UTC (the trailing Z), so no VTIMEZONE block is needed and every calendar shows the
meeting at the right moment in its own zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

PRODID = "-//Minipublic//Citizens' assembly programme//EN"
LINE_OCTETS = 75


@dataclass(frozen=True)
class Event:
    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str = ""
    location: str = ""
    url: str = ""
    sequence: int = 0
    transparent: bool = False  # a round spans days: show it without marking the time busy


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def escape(text: str) -> str:
    """A TEXT value (RFC 5545 3.3.11)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))


def fold(line: str) -> str:
    """One content line, folded so no physical line exceeds 75 octets (RFC 5545 3.1)."""
    out: list[str] = []
    current: list[str] = []
    size, limit = 0, LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append("".join(current))
            current, size, limit = [], 0, LINE_OCTETS - 1  # the leading space takes one
        current.append(char)
        size += width
    out.append("".join(current))
    return "\r\n ".join(out)


def _control_free(text: str) -> str:
    """TEXT may not hold control characters other than the line breaks we escape."""
    return "".join(c for c in text if c in "\n\r" or (ord(c) >= 0x20 and ord(c) != 0x7F))


def calendar(events: Sequence[Event], *, name: str, stamp: datetime) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{escape(_control_free(name))}"]
    for event in events:
        lines += list(_event(event, stamp))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def _event(event: Event, stamp: datetime) -> Iterable[str]:
    yield "BEGIN:VEVENT"
    yield f"UID:{event.uid}"
    yield f"SEQUENCE:{event.sequence}"
    yield f"DTSTAMP:{utc(stamp)}"
    yield f"DTSTART:{utc(event.start)}"
    yield f"DTEND:{utc(event.end)}"
    yield f"SUMMARY:{escape(_control_free(event.summary))}"
    if event.description:
        yield f"DESCRIPTION:{escape(_control_free(event.description))}"
    if event.location:
        yield f"LOCATION:{escape(_control_free(event.location))}"
    if event.url:
        yield f"URL:{event.url}"
    if event.transparent:
        yield "TRANSP:TRANSPARENT"
    yield "END:VEVENT"
