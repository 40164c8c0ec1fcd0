"""The rounds of a programme: their state by the clock, creating, editing and ordering them,
the officers' overrides, and `require_open`, which every member action in a round calls.

State: scheduled until `opens_at`, open until `closes_at`, then closed; released once an officer
releases the results of a kind that has them (`models.WITH_RESULTS`). Both times are inclusive
at the start: at 18:00:00 a round that opens at 18:00 is open, and one that closes then is
closed. Overrides change the times (open now sets the opening to now, close early the closing),
so the one rule above stays the whole truth; each override writes its transition itself, with
the officer as its actor, so the schedule never records it a second time.

Times in the past: a new or edited round may not open in the past (press "Open now" instead),
because the log would then say it opened at a moment when nobody could see it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from assembly import audit, forms
from assembly.assemblies.models import Assembly
from assembly.deliberation import schedule, times
from assembly.deliberation.models import (
    EXCLUSIVE,
    WITH_RESULTS,
    Round,
    RoundKind,
    RoundState,
    Transition,
)
from assembly.errors import ActionableError, Conflict
from assembly.tables import row_id

KIND_LABELS = {RoundKind.learn: "Learn", RoundKind.discuss: "Discuss",
               RoundKind.draft: "Draft", RoundKind.vote: "Vote"}
STATE_LABELS = {RoundState.scheduled: "Scheduled", RoundState.open: "Open",
                RoundState.closed: "Closed", RoundState.results_released: "Results released"}
LIMITS = {"title": 200, "purpose": 2000, "instructions": 5000}
LABELS = {"title": "The title", "purpose": "The purpose", "instructions": "The instructions"}
REASON_LIMIT = 1000


# Why a closed round may not reopen, from rooms later in the journey (a sealed vote): each
# returns a message, or None. Rooms add theirs with `refuse_reopening` when their routes load.
ReopenCheck = Callable[[Session, Round], "str | None"]
REOPEN_CHECKS: list[ReopenCheck] = []


def refuse_reopening(check_round: ReopenCheck) -> None:
    if check_round not in REOPEN_CHECKS:
        REOPEN_CHECKS.append(check_round)


class RoundError(ActionableError):
    """A round cannot be saved or changed as asked; `field` names the field at fault."""


class RoundNotOpen(Conflict):
    """A member tried to act in a round that is not open; the message says when it opens or
    when it closed."""


def state_of(item: Round, now: datetime) -> RoundState:
    if item.results_released_at is not None:
        return RoundState.results_released
    if now < item.opens_at:
        return RoundState.scheduled
    if now < item.closes_at:
        return RoundState.open
    return RoundState.closed


def has_results(item: Round) -> bool:
    return RoundKind(item.kind) in WITH_RESULTS


def programme(session: Session, assembly_id: int) -> list[Round]:
    """The assembly's rounds in the officers' order."""
    return list(session.exec(select(Round).where(Round.assembly_id == assembly_id)
                             .order_by(col(Round.position), col(Round.id))).all())


def require_open(session: Session, item: Round, now: datetime) -> None:
    """Refuse (409, `RoundNotOpen`) unless `item` is open at `now`, saying why and when.

    Every member action that needs an open round calls this on the server, in the same unit of
    work as the change, so a page left open past the deadline cannot slip a change in."""
    state = state_of(item, now)
    if state is RoundState.open:
        return
    assembly = session.get(Assembly, item.assembly_id)
    zone = assembly.time_zone if assembly is not None else times.DEFAULT_ZONE
    if state is RoundState.scheduled:
        raise RoundNotOpen(f"“{item.title}” has not started yet. It opens "
                           f"{times.in_words(item.opens_at, zone, now)}. You can do this then.")
    raise RoundNotOpen(f"“{item.title}” closed {times.in_words(item.closes_at, zone, now)}, so "
                       "nothing more can be added or changed in it.")


# --- what officers type --------------------------------------------------------------------------


@dataclass(frozen=True)
class Details:
    """A round's fields as checked; times are None when the form does not change them."""

    kind: RoundKind
    title: str
    purpose: str
    instructions: str
    opens_at: datetime | None
    closes_at: datetime | None


def check(values: Mapping[str, str], zone: str, now: datetime, *, times_too: bool = True
          ) -> tuple[dict[str, str], Details | None]:
    """Every problem with a round's fields as typed (keyed by field), or the checked details.

    `times_too` is False when editing a round that has opened: its times then change only
    through the overrides."""
    errors: dict[str, str] = {}
    try:
        kind = RoundKind(values.get("kind", ""))
    except ValueError:
        errors["kind"] = "Choose what members do in this round: learn, discuss, draft or vote."
        kind = RoundKind.learn
    if not values.get("title"):
        errors["title"] = "Enter a title, for example “Learning about data in social care”."
    if not values.get("purpose"):
        errors["purpose"] = "Say in a sentence or two what this round is for."
    if not values.get("instructions"):
        errors["instructions"] = "Tell members what to do in this round, in plain words."
    for name, limit in LIMITS.items():
        problem = forms.too_long(values.get(name, ""), limit, LABELS[name])
        if problem and name not in errors:
            errors[name] = problem
    opens = closes = None
    if times_too:
        opens = _moment(values, "opens_at", zone, errors, "opening")
        closes = _moment(values, "closes_at", zone, errors, "closing")
        if opens is not None and opens < now:
            errors["opens_at"] = ("The opening time is in the past. Choose a later time, or "
                                  "save the round and press “Open now” on its page.")
        if opens is not None and closes is not None and closes <= opens:
            errors["closes_at"] = "The closing time must be after the opening time."
    if errors:
        return errors, None
    return {}, Details(kind, values["title"], values["purpose"], values["instructions"],
                       opens, closes)


def _moment(values: Mapping[str, str], name: str, zone: str, errors: dict[str, str],
            label: str) -> datetime | None:
    text = values.get(name, "")
    if not text:
        errors[name] = f"Enter the {label} date and time, for example 2027-03-14 18:00."
        return None
    try:
        return times.parse_local(text, zone)
    except ValueError as error:
        errors[name] = str(error)
        return None


def overlapping(session: Session, assembly_id: int, kind: RoundKind, opens: datetime,
                closes: datetime, *, besides: int | None = None) -> Round | None:
    """Another round of an exclusive kind whose time overlaps [opens, closes), if any."""
    if kind not in EXCLUSIVE:
        return None
    query = select(Round).where(Round.assembly_id == assembly_id, Round.kind == kind.value,
                                col(Round.opens_at) < closes, col(Round.closes_at) > opens)
    if besides is not None:
        query = query.where(col(Round.id) != besides)
    return session.exec(query.order_by(col(Round.opens_at))).first()


def _refuse_overlap(session: Session, assembly: Assembly, kind: RoundKind, opens: datetime,
                    closes: datetime, *, besides: int | None = None,
                    field: str = "opens_at") -> None:
    other = overlapping(session, row_id(assembly.id), kind, opens, closes, besides=besides)
    if other is not None:
        zone = assembly.time_zone
        raise RoundError(
            f"Only one {kind.value} round can be open at a time, and “{other.title}” is open "
            f"from {times.in_words(other.opens_at, zone)} to "
            f"{times.in_words(other.closes_at, zone)}. Choose times that do not overlap it.",
            field=field)


def _details(item: Round) -> dict[str, object]:
    return {"round": item.public_id, "title": item.title, "kind": item.kind}


# --- creating, editing, ordering -----------------------------------------------------------------


def create(session: Session, assembly: Assembly, details: Details, *, actor: str) -> Round:
    assert details.opens_at is not None and details.closes_at is not None
    _refuse_overlap(session, assembly, details.kind, details.opens_at, details.closes_at)
    last = session.exec(select(Round.position).where(Round.assembly_id == assembly.id)
                        .order_by(col(Round.position).desc()).limit(1)).first()
    item = Round(assembly_id=row_id(assembly.id), position=(last + 1) if last is not None else 0,
                 kind=details.kind.value, title=details.title, purpose=details.purpose,
                 instructions=details.instructions, opens_at=details.opens_at,
                 closes_at=details.closes_at)
    session.add(item)
    session.flush()
    audit.record(session, row_id(assembly.id), actor, "round.created", {
        **_details(item), "opens_at": audit.timestamp(item.opens_at),
        "closes_at": audit.timestamp(item.closes_at)})
    return item


def update(session: Session, assembly: Assembly, item: Round, details: Details, now: datetime,
           *, actor: str) -> list[str]:
    """Change the round's fields; its kind and times only while it is scheduled. Returns the
    names of the fields that changed."""
    state = state_of(item, now)
    if details.opens_at is not None and state is not RoundState.scheduled:
        raise RoundError("This round has opened, so its times change only with the buttons on "
                         "its page (extend, close now, reopen).", field="opens_at")
    if RoundKind(item.kind) is not details.kind and state is not RoundState.scheduled:
        raise RoundError("This round has opened, so what members do in it cannot change.",
                         field="kind")
    new: dict[str, object] = {"kind": details.kind.value, "title": details.title,
                              "purpose": details.purpose, "instructions": details.instructions}
    if details.opens_at is not None and details.closes_at is not None:
        _refuse_overlap(session, assembly, details.kind, details.opens_at, details.closes_at,
                        besides=item.id)
        new["opens_at"], new["closes_at"] = details.opens_at, details.closes_at
    changed = sorted(k for k, v in new.items() if getattr(item, k) != v)
    if {"opens_at", "closes_at", "title"} & set(changed):
        item.sequence += 1
    for key, value in new.items():
        setattr(item, key, value)
    session.add(item)
    if changed:
        audit.record(session, row_id(assembly.id), actor, "round.edited",
                     {**_details(item), "fields": changed})
    return changed


def move(session: Session, item: Round, direction: str, *, actor: str) -> bool:
    """Swap the round with its neighbour above ("up") or below ("down"); False at either end."""
    if direction not in ("up", "down"):
        raise RoundError("Choose to move the round up or down.")
    rounds = programme(session, item.assembly_id)
    for number, each in enumerate(rounds):  # close any gaps, so a swap always moves it
        each.position = number
    index = next(i for i, each in enumerate(rounds) if each.id == item.id)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(rounds):
        return False
    rounds[index].position, rounds[other].position = other, index
    session.add_all(rounds)
    audit.record(session, item.assembly_id, actor, "round.moved",
                 {**_details(item), "position": other + 1})
    return True


def delete(session: Session, item: Round, now: datetime, *, actor: str) -> None:
    """Remove a round that has not opened (once open, members may have done things in it)."""
    if state_of(item, now) is not RoundState.scheduled:
        raise Conflict("This round has opened, so it cannot be removed. Close it instead; it "
                       "stays in the programme's history.")
    audit.record(session, item.assembly_id, actor, "round.deleted", _details(item))
    session.delete(item)


# --- officers' overrides ---------------------------------------------------------------------------


def _catch_up(session: Session, item: Round, now: datetime) -> None:
    """Record what the clock did before the officer's change, so the log reads in order."""
    schedule.record_due(session, item.assembly_id, now)


def open_now(session: Session, item: Round, now: datetime, *, actor: str) -> None:
    _catch_up(session, item, now)
    if state_of(item, now) is not RoundState.scheduled:
        raise Conflict("This round is already open or has closed.")
    assembly = session.get(Assembly, item.assembly_id)
    assert assembly is not None
    _refuse_overlap(session, assembly, RoundKind(item.kind), now, item.closes_at,
                    besides=item.id, field="form")
    scheduled_for = item.opens_at
    item.opens_at = now
    item.sequence += 1
    session.add(item)
    schedule.insert(session, item, Transition.opened, now, actor)
    audit.record(session, item.assembly_id, actor, "round.opened_early", {
        **_details(item), "at": audit.timestamp(now),
        "was_to_open": audit.timestamp(scheduled_for)})


def extend(session: Session, item: Round, closes_at: datetime, now: datetime, *, actor: str
           ) -> None:
    """Give an open round a later closing time."""
    _catch_up(session, item, now)
    if state_of(item, now) is not RoundState.open:
        raise Conflict("Only an open round can be extended. To open a closed round again, use "
                       "“Reopen”.")
    if closes_at <= item.closes_at:
        raise RoundError("Choose a closing time later than the current one.", field="closes_at")
    assembly = session.get(Assembly, item.assembly_id)
    assert assembly is not None
    _refuse_overlap(session, assembly, RoundKind(item.kind), item.opens_at, closes_at,
                    besides=item.id, field="closes_at")
    was = item.closes_at
    item.closes_at = closes_at
    item.sequence += 1
    session.add(item)
    audit.record(session, item.assembly_id, actor, "round.extended", {
        **_details(item), "was_to_close": audit.timestamp(was),
        "closes_at": audit.timestamp(closes_at)})


def close_early(session: Session, item: Round, now: datetime, *, actor: str) -> None:
    _catch_up(session, item, now)
    if state_of(item, now) is not RoundState.open:
        raise Conflict("This round is not open, so it cannot be closed.")
    was = item.closes_at
    item.closes_at = now
    item.sequence += 1
    session.add(item)
    schedule.insert(session, item, Transition.closed, now, actor)
    audit.record(session, item.assembly_id, actor, "round.closed_early", {
        **_details(item), "at": audit.timestamp(now), "was_to_close": audit.timestamp(was)})
    schedule.closed(session, item, now)


def check_reason(reason: str) -> str | None:
    """Why a reopening reason cannot be kept, or None."""
    if not reason:
        return "Say why the round is reopening; members and auditors will read it."
    problem = forms.too_long(reason, REASON_LIMIT, "The reason")
    if problem:
        return problem
    try:
        audit.check_details({"reason": reason})
    except audit.PersonalDataInAudit:
        return ("Leave out e-mail addresses: the reason goes into the audit log, which is kept "
                "longer than personal data.")
    return None


def reopen(session: Session, item: Round, closes_at: datetime, reason: str, now: datetime, *,
           actor: str) -> None:
    """Open a closed round again until `closes_at`, for a reason everyone can read. Its results,
    once released, are final, so a round with released results cannot reopen."""
    _catch_up(session, item, now)
    state = state_of(item, now)
    if state is RoundState.results_released:
        raise Conflict("The results of this round have been released, so it cannot reopen. "
                       "Add a new round instead.")
    if state is not RoundState.closed:
        raise Conflict("Only a closed round can reopen.")
    for check_round in REOPEN_CHECKS:
        if refusal := check_round(session, item):
            raise Conflict(refusal)
    problem = check_reason(reason)
    if problem:
        raise RoundError(problem, field="reason")
    if closes_at <= now:
        raise RoundError("Choose a closing time in the future.", field="closes_at")
    assembly = session.get(Assembly, item.assembly_id)
    assert assembly is not None
    _refuse_overlap(session, assembly, RoundKind(item.kind), now, closes_at, besides=item.id,
                    field="closes_at")
    item.cycle += 1
    item.sequence += 1
    item.closes_at = closes_at
    item.reopen_reason = reason
    session.add(item)
    session.flush()
    schedule.insert(session, item, Transition.opened, now, actor)
    audit.record(session, item.assembly_id, actor, "round.reopened", {
        **_details(item), "at": audit.timestamp(now), "cycle": item.cycle,
        "closes_at": audit.timestamp(closes_at), "reason": reason})


def release_results(session: Session, item: Round, now: datetime, *, actor: str) -> None:
    _catch_up(session, item, now)
    if not has_results(item):
        raise Conflict(f"A {item.kind} round has no results to release.")
    state = state_of(item, now)
    if state is RoundState.results_released:
        raise Conflict("The results of this round have already been released.")
    if state is not RoundState.closed:
        raise Conflict("Results can be released once the round has closed.")
    item.results_released_at = now
    session.add(item)
    schedule.insert(session, item, Transition.results_released, now, actor)
    audit.record(session, item.assembly_id, actor, "round.results_released", {
        **_details(item), "at": audit.timestamp(now)})
