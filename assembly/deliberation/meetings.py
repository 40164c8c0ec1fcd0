"""Meetings of the programme: in person (a place, its address and how to get in) or online (a
link), or both, each serving one or more rounds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from assembly import audit, forms
from assembly.assemblies.models import Assembly
from assembly.deliberation import times
from assembly.deliberation.models import Meeting, MeetingRound, Round, StepFree
from assembly.errors import ActionableError
from assembly.tables import row_id, utcnow

LIMITS = {"title": 200, "place": 200, "address": 1000, "access_notes": 2000, "online_url": 1000}
LABELS = {"title": "The title", "place": "The place", "address": "The address",
          "access_notes": "The access notes", "online_url": "The link"}
MULTILINE = frozenset({"address", "access_notes"})
STEP_FREE_TEXT = {StepFree.yes: "Step-free access", StepFree.no: "Not step-free",
                  StepFree.unknown: "Step-free access not known yet"}


class MeetingError(ActionableError):
    """A meeting cannot be saved as typed."""


@dataclass(frozen=True)
class Details:
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str
    address: str
    step_free: StepFree
    access_notes: str
    online_url: str
    round_ids: tuple[int, ...]


def url_problem(link: str) -> str | None:
    """Why `link` is not a web address members can safely open, or None."""
    parts = urlsplit(link)
    if parts.scheme not in ("https", "http") or not parts.hostname or any(
            c.isspace() for c in link):
        return ("Enter the full web address of the online meeting, starting with https://, "
                "for example https://meet.example.org/assembly.")
    return None


def check(values: Mapping[str, str], round_ids: Sequence[str], zone: str,
          rounds: Sequence[Round]) -> tuple[dict[str, str], Details | None]:
    """Every problem with a meeting as typed, keyed by field, or the checked details.
    `rounds` are the assembly's rounds: the only ones a meeting can serve."""
    errors: dict[str, str] = {}
    if not values.get("title"):
        errors["title"] = "Enter a title, for example “First weekend: learning together”."
    for name, limit in LIMITS.items():
        problem = forms.too_long(values.get(name, ""), limit, LABELS[name])
        if problem:
            errors.setdefault(name, problem)
    starts = ends = None
    for name, label in (("starts_at", "start"), ("ends_at", "end")):
        text = values.get(name, "")
        if not text:
            errors[name] = f"Enter the {label} date and time, for example 2027-03-14 10:00."
            continue
        try:
            moment = times.parse_local(text, zone)
        except ValueError as error:
            errors[name] = str(error)
            continue
        if name == "starts_at":
            starts = moment
        else:
            ends = moment
    if starts and ends and ends <= starts:
        errors["ends_at"] = "The end must be after the start."
    place, address, link = values.get("place", ""), values.get("address", ""), \
        values.get("online_url", "")
    if not (place or address or link):
        errors["place"] = ("Enter where the meeting is (a place and its address), or a link to "
                           "join it online, or both.")
    elif (place or address) and not (place and address):
        errors["address" if place else "place"] = (
            "Enter both the name of the place and its address, so members can find it.")
    if link and "online_url" not in errors:
        problem = url_problem(link)
        if problem:
            errors["online_url"] = problem
    try:
        step_free = StepFree(values.get("step_free") or StepFree.unknown.value)
    except ValueError:
        errors["step_free"] = "Choose yes, no or not known."
        step_free = StepFree.unknown
    known = {row_id(r.id): r for r in rounds}
    chosen: list[int] = []
    for raw in round_ids:
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 9) or int(raw) not in known:
            errors["rounds"] = "Choose rounds from this assembly's programme."
            break
        if int(raw) not in chosen:
            chosen.append(int(raw))
    if errors or starts is None or ends is None:
        return errors, None
    return {}, Details(values["title"], starts, ends, place, address, step_free,
                       values.get("access_notes", ""), link, tuple(chosen))


def _audit_details(meeting: Meeting) -> dict[str, object]:
    return {"meeting": meeting.public_id, "title": meeting.title,
            "starts_at": audit.timestamp(meeting.starts_at)}


def _set_rounds(session: Session, meeting: Meeting, round_ids: Sequence[int]) -> None:
    # Only rounds of the meeting's assembly that still exist (one may have been removed since
    # the form was checked).
    if round_ids:
        round_ids = [row_id(r) for r in session.exec(select(Round.id).where(
            Round.assembly_id == meeting.assembly_id, col(Round.id).in_(round_ids))).all()]
    for link in session.exec(select(MeetingRound)
                             .where(MeetingRound.meeting_id == meeting.id)).all():
        if link.round_id not in round_ids:
            session.delete(link)
    present = set(session.exec(select(MeetingRound.round_id)
                               .where(MeetingRound.meeting_id == meeting.id)).all())
    for round_id in round_ids:
        if round_id not in present:
            session.add(MeetingRound(meeting_id=row_id(meeting.id), round_id=round_id))


def _fields(details: Details) -> dict[str, Any]:
    return {"title": details.title, "starts_at": details.starts_at, "ends_at": details.ends_at,
            "place": details.place, "address": details.address,
            "step_free": details.step_free.value, "access_notes": details.access_notes,
            "online_url": details.online_url}


def create(session: Session, assembly: Assembly, details: Details, *, actor: str) -> Meeting:
    meeting = Meeting(assembly_id=row_id(assembly.id), **_fields(details))
    session.add(meeting)
    session.flush()
    _set_rounds(session, meeting, details.round_ids)
    audit.record(session, row_id(assembly.id), actor, "meeting.created",
                 {**_audit_details(meeting), "rounds": len(details.round_ids)})
    return meeting


def update(session: Session, meeting: Meeting, details: Details, *, actor: str) -> list[str]:
    new = _fields(details)
    changed = sorted(k for k, v in new.items() if getattr(meeting, k) != v)
    if set(rounds_of(session, [row_id(meeting.id)]).get(row_id(meeting.id), [])) != \
            set(details.round_ids):
        changed.append("rounds")
    if not changed:
        return []
    for key, value in new.items():
        setattr(meeting, key, value)
    meeting.sequence += 1
    meeting.updated_at = utcnow()
    session.add(meeting)
    _set_rounds(session, meeting, details.round_ids)
    audit.record(session, meeting.assembly_id, actor, "meeting.edited",
                 {**_audit_details(meeting), "fields": changed})
    return changed


def delete(session: Session, meeting: Meeting, *, actor: str) -> None:
    audit.record(session, meeting.assembly_id, actor, "meeting.deleted", _audit_details(meeting))
    session.delete(meeting)


def of_assembly(session: Session, assembly_id: int) -> list[Meeting]:
    return list(session.exec(select(Meeting).where(Meeting.assembly_id == assembly_id)
                             .order_by(col(Meeting.starts_at), col(Meeting.id))).all())


def rounds_of(session: Session, meeting_ids: Sequence[int]) -> dict[int, list[int]]:
    """meeting id -> the ids of the rounds it serves."""
    found: dict[int, list[int]] = {}
    if not meeting_ids:
        return found
    for meeting_id, round_id in session.exec(
            select(MeetingRound.meeting_id, MeetingRound.round_id)
            .where(col(MeetingRound.meeting_id).in_(meeting_ids))).all():
        found.setdefault(meeting_id, []).append(round_id)
    return found
