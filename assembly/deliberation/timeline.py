"""The programme as people read it: rounds with their state at `now` and their times in words,
meetings with the rounds they serve, and the same as calendar events.

Officers' programme page, the member's home and the `.ics` files all read through `load`, so
no two of them can disagree about what is open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from sqlmodel import Session

from assembly.assemblies.models import Assembly
from assembly.deliberation import ics, meetings, progress, rounds, times
from assembly.deliberation.models import Meeting, Round, RoundKind, RoundState, StepFree
from assembly.selection.models import Member
from assembly.tables import row_id


@dataclass
class RoundView:
    round: Round
    state: RoundState
    opens: str                  # "Friday 14 March at 6pm"
    closes: str
    meetings: list[Meeting] = field(default_factory=list)
    progress: progress.Progress | None = None

    @property
    def kind(self) -> RoundKind:
        return RoundKind(self.round.kind)

    @property
    def kind_label(self) -> str:
        return rounds.KIND_LABELS[self.kind]

    @property
    def state_label(self) -> str:
        return rounds.STATE_LABELS[self.state]

    @property
    def has_results(self) -> bool:
        return rounds.has_results(self.round)


@dataclass
class MeetingView:
    meeting: Meeting
    when: str                   # "Saturday 6 March, 10am to 4pm"
    day: str                    # "Saturday 6 March"
    past: bool
    rounds: list[Round] = field(default_factory=list)

    @property
    def step_free_text(self) -> str:
        return meetings.STEP_FREE_TEXT[StepFree(self.meeting.step_free)]


@dataclass
class Timeline:
    assembly: Assembly
    now: datetime
    rounds: list[RoundView]
    meetings: list[MeetingView]

    @property
    def zone(self) -> str:
        return self.assembly.time_zone

    def in_state(self, *states: RoundState) -> list[RoundView]:
        return [view for view in self.rounds if view.state in states]

    @property
    def open(self) -> list[RoundView]:
        return self.in_state(RoundState.open)

    @property
    def upcoming(self) -> list[RoundView]:
        return sorted(self.in_state(RoundState.scheduled), key=lambda v: v.round.opens_at)

    @property
    def done(self) -> list[RoundView]:
        return self.in_state(RoundState.closed, RoundState.results_released)

    @property
    def coming_meetings(self) -> list[MeetingView]:
        return [view for view in self.meetings if not view.past]


def load(session: Session, assembly: Assembly, now: datetime, *,
         member: Member | None = None) -> Timeline:
    """The assembly's programme at `now`; with `member`, each round's progress for them."""
    zone = assembly.time_zone
    items = rounds.programme(session, row_id(assembly.id))
    by_id = {row_id(item.id): item for item in items}
    found = meetings.of_assembly(session, row_id(assembly.id))
    links = meetings.rounds_of(session, [row_id(m.id) for m in found])
    meeting_views = [MeetingView(m, times.span_in_words(m.starts_at, m.ends_at, zone, now),
                                 times.date_in_words(m.starts_at, zone, now), m.ends_at <= now,
                                 [by_id[r] for r in sorted(links.get(row_id(m.id), []),
                                                           key=lambda r: by_id[r].position)])
                     for m in found]
    round_views = []
    for item in items:
        view = RoundView(item, rounds.state_of(item, now),
                         times.in_words(item.opens_at, zone, now),
                         times.in_words(item.closes_at, zone, now),
                         [mv.meeting for mv in meeting_views
                          if any(r.id == item.id for r in mv.rounds)])
        if member is not None and view.state is not RoundState.scheduled:
            view.progress = progress.of(session, item, member)
        round_views.append(view)
    return Timeline(assembly, now, round_views, meeting_views)


# --- calendars -------------------------------------------------------------------------------------


def host(public_url: str) -> str:
    """The domain part of every UID: the site's own name, so UIDs are unique worldwide."""
    return urlsplit(public_url).hostname or "minipublic.invalid"


def meeting_event(view: MeetingView, domain: str, *, link: str = "") -> ics.Event:
    m = view.meeting
    where = ", ".join(part for part in (m.place, m.address.replace("\n", ", ")) if part)
    lines = []
    if view.rounds:
        lines.append("For: " + "; ".join(r.title for r in view.rounds) + ".")
    if m.place or m.address:
        lines.append(view.step_free_text + ".")
    if m.access_notes:
        lines.append(m.access_notes)
    if m.online_url:
        lines.append(f"Join online: {m.online_url}")
    if link:
        lines.append(f"Details: {link}")
    return ics.Event(uid=f"meeting-{m.public_id}@{domain}", start=m.starts_at, end=m.ends_at,
                     summary=m.title, description="\n".join(lines),
                     location=where or m.online_url, url=m.online_url, sequence=m.sequence)


def round_event(view: RoundView, domain: str, *, link: str = "") -> ics.Event:
    item = view.round
    description = "\n".join(part for part in (item.purpose, item.instructions,
                                              f"Details: {link}" if link else "") if part)
    return ics.Event(uid=f"round-{item.public_id}@{domain}", start=item.opens_at,
                     end=item.closes_at, summary=f"{view.kind_label}: {item.title}",
                     description=description, sequence=item.sequence, transparent=True)
