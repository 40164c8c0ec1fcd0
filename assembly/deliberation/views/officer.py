"""The officers' programme: the timeline, rounds and their overrides, meetings, calendars.

Every change is a plain form (303 + flash without JavaScript, the same with htmx, which follows
the redirect). Each page first records any change of state the clock has made since the last
visit (`schedule.record_due`), so the audit log is complete before an officer acts on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from anyio import to_thread
from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from assembly import clock, db, forms, mail, outbox
from assembly.assemblies.access import assembly_or_404
from assembly.assemblies.models import Assembly
from assembly.authz import require
from assembly.deliberation import (
    meetings,
    programme,
    reminders,
    rounds,
    schedule,
    timeline,
    times,
)
from assembly.deliberation import reminder_letters as reminder_letters_module
from assembly.deliberation.access import meeting_or_404, round_or_404
from assembly.deliberation.models import Meeting, Round, RoundKind, RoundState, StepFree
from assembly.deliberation.views import common, officer_evidence
from assembly.errors import ActionableError
from assembly.invitations import letters
from assembly.tables import row_id
from assembly.templating import navigate, render, see_other, url

ROUND_FIELDS = ("kind", "title", "purpose", "instructions", "opens_at", "closes_at")
ROUND_MULTILINE = frozenset({"purpose", "instructions"})
MEETING_FIELDS = ("title", "starts_at", "ends_at", "place", "address", "step_free",
                  "access_notes", "online_url")
KIND_HINTS = {
    RoundKind.learn: "Members read briefings from speakers and ask them questions.",
    RoundKind.discuss: "Members share views and respond to one another's statements.",
    RoundKind.draft: "Members write and amend the assembly's principles.",
    RoundKind.vote: "Members vote on the principles.",
}


# --- the programme page ----------------------------------------------------------------------------


async def page(request: Request) -> Response:
    require(request, "programme.view")
    assembly_id = request.path_params["assembly_id"]
    now = clock.now(request)
    await common.caught_up(request, assembly_id, now)

    def load(session: Session) -> tuple[timeline.Timeline, reminders.MailPanel]:
        return (timeline.load(session, assembly_or_404(session, assembly_id), now),
                reminders.mail_panel(session, request.app.state.settings, assembly_id))

    view, mail_panel = await db.run(request, load)
    return render(request, "deliberation/programme.html",
                  {"assembly": view.assembly, "t": view, "errors": {},
                   "zone_value": view.assembly.time_zone, "mail": mail_panel},
                  block="content")


async def set_time_zone(request: Request) -> Response:
    actor = require(request, "programme.manage")
    assembly_id = request.path_params["assembly_id"]
    name = forms.text(await forms.read(request), "time_zone")
    now = clock.now(request)

    def work(session: Session) -> bool:
        return programme.set_time_zone(session, assembly_or_404(session, assembly_id), name,
                                       actor=actor.label)

    try:
        changed = await db.run(request, work, write=True)
    except ActionableError as error:
        def load(session: Session) -> timeline.Timeline:
            return timeline.load(session, assembly_or_404(session, assembly_id), now)

        view = await db.run(request, load)
        return render(request, "deliberation/programme.html",
                      {"assembly": view.assembly, "t": view, "errors": {error.field: str(error)},
                       "zone_value": name}, block="content", status_code=error.status_code)
    return see_other(request, url(request, "programme", assembly_id=assembly_id),
                     f"Times are now shown in {name}." if changed else "Nothing changed.")


# --- rounds ------------------------------------------------------------------------------------------


def _round_values(form: FormData | None, item: Round | None, zone: str) -> dict[str, str]:
    if form is not None:
        return {name: forms.text(form, name, multiline=name in ROUND_MULTILINE)
                for name in ROUND_FIELDS}
    if item is None:
        return {**dict.fromkeys(ROUND_FIELDS, ""), "kind": RoundKind.learn.value}
    return {"kind": item.kind, "title": item.title, "purpose": item.purpose,
            "instructions": item.instructions,
            "opens_at": times.local_input(item.opens_at, zone),
            "closes_at": times.local_input(item.closes_at, zone)}


def _round_form(request: Request, assembly: Assembly, item: Round | None,
                values: dict[str, str], errors: dict[str, str], now: datetime, *,
                status_code: int = 200) -> Response:
    state = rounds.state_of(item, now) if item is not None else RoundState.scheduled
    return render(request, "deliberation/round_form.html", {
        "assembly": assembly, "round": item, "values": values, "errors": errors,
        "times_editable": state is RoundState.scheduled, "state": state,
        "kinds": [(kind.value, rounds.KIND_LABELS[kind], KIND_HINTS[kind]) for kind in RoundKind],
    }, block="form", status_code=status_code)


async def round_new(request: Request) -> Response:
    require(request, "programme.manage")
    assembly = await db.run(request, assembly_or_404, request.path_params["assembly_id"])
    return _round_form(request, assembly, None, _round_values(None, None, assembly.time_zone),
                       {}, clock.now(request))


async def round_create(request: Request) -> Response:
    actor = require(request, "programme.manage")
    assembly_id = request.path_params["assembly_id"]
    form = await forms.read(request)
    now = clock.now(request)
    assembly = await db.run(request, assembly_or_404, assembly_id)
    values = _round_values(form, None, assembly.time_zone)
    errors, details = rounds.check(values, assembly.time_zone, now)
    if details is not None:
        def work(session: Session) -> Round:
            return rounds.create(session, assembly_or_404(session, assembly_id), details,
                                 actor=actor.label)

        try:
            item = await db.run(request, work, write=True)
        except ActionableError as error:
            errors = {error.field: str(error)}
        else:
            return navigate(request, url(request, "programme", assembly_id=assembly_id),
                            f"Round “{item.title}” added to the programme.")
    return _round_form(request, assembly, None, values, errors, now, status_code=422)


def _load_round(session: Session, assembly_id: int, round_id: int) -> tuple[Assembly, Round]:
    return assembly_or_404(session, assembly_id), round_or_404(session, assembly_id, round_id)


async def round_edit(request: Request) -> Response:
    require(request, "programme.manage")
    assembly, item = await db.run(request, _load_round, request.path_params["assembly_id"],
                                  request.path_params["round_id"])
    return _round_form(request, assembly, item, _round_values(None, item, assembly.time_zone),
                       {}, clock.now(request))


async def round_update(request: Request) -> Response:
    actor = require(request, "programme.manage")
    assembly_id, round_id = request.path_params["assembly_id"], request.path_params["round_id"]
    form = await forms.read(request)
    now = clock.now(request)
    assembly, item = await db.run(request, _load_round, assembly_id, round_id)
    scheduled = rounds.state_of(item, now) is RoundState.scheduled
    values = _round_values(form, None, assembly.time_zone)
    if not scheduled:  # the form has no time fields then; what is shown is what is stored
        values["kind"] = item.kind
        values["opens_at"] = times.local_input(item.opens_at, assembly.time_zone)
        values["closes_at"] = times.local_input(item.closes_at, assembly.time_zone)
    errors, details = rounds.check(values, assembly.time_zone, now, times_too=scheduled)
    if details is not None:
        def work(session: Session) -> list[str]:
            fresh_assembly, fresh = _load_round(session, assembly_id, round_id)
            return rounds.update(session, fresh_assembly, fresh, details, now, actor=actor.label)

        try:
            changed = await db.run(request, work, write=True)
        except ActionableError as error:
            errors = {error.field: str(error)}
        else:
            return navigate(request, url(request, "round", assembly_id=assembly_id,
                                         round_id=round_id),
                            "Round saved." if changed else "Nothing changed.")
    return _round_form(request, assembly, item, values, errors, now, status_code=422)


@dataclass(frozen=True)
class RoundPage:
    assembly: Assembly
    view: timeline.RoundView
    transitions: list[Any]
    evidence: officer_evidence.RoundEvidence | None


async def round_page(request: Request) -> Response:
    """One round: its details, what the clock has done, and the overrides."""
    require(request, "programme.view")
    assembly_id, round_id = request.path_params["assembly_id"], request.path_params["round_id"]
    now = clock.now(request)
    await common.caught_up(request, assembly_id, now)
    return await _round_page(request, assembly_id, round_id, now, {}, {})


async def _round_page(request: Request, assembly_id: int, round_id: int, now: datetime,
                      errors: dict[str, str], values: dict[str, str], *,
                      status_code: int = 200) -> Response:
    def load(session: Session) -> RoundPage:
        assembly, item = _load_round(session, assembly_id, round_id)
        view = next(v for v in timeline.load(session, assembly, now).rounds if v.round.id == item.id)
        return RoundPage(assembly, view, schedule.history(session, row_id(item.id)),
                         officer_evidence.round_evidence(session, item, now))

    loaded = await db.run(request, load)
    zone = loaded.assembly.time_zone
    return render(request, "deliberation/round.html", {
        "assembly": loaded.assembly, "v": loaded.view, "transitions": loaded.transitions,
        "evidence": loaded.evidence,
        "errors": errors, "zone": zone, "now": now,
        "values": {"closes_at": "", "reason": "", **values},
        "in_words": lambda moment: times.in_words(moment, zone, now),
    }, block="content", status_code=status_code)


async def round_move(request: Request) -> Response:
    actor = require(request, "programme.manage")
    assembly_id, round_id = request.path_params["assembly_id"], request.path_params["round_id"]
    direction = forms.text(await forms.read(request), "direction")

    def work(session: Session) -> bool:
        return rounds.move(session, round_or_404(session, assembly_id, round_id), direction,
                           actor=actor.label)

    try:
        moved = await db.run(request, work, write=True)
    except ActionableError as error:
        return see_other(request, url(request, "programme", assembly_id=assembly_id),
                         str(error), "error")
    message = f"Moved {direction}." if moved else f"That round is already at the " \
        f"{'top' if direction == 'up' else 'bottom'}."
    return see_other(request, url(request, "programme", assembly_id=assembly_id,
                                  ) + f"#round-{round_id}", message)


async def round_delete(request: Request) -> Response:
    actor = require(request, "programme.manage")
    assembly_id, round_id = request.path_params["assembly_id"], request.path_params["round_id"]
    await forms.read(request)
    now = clock.now(request)

    def work(session: Session) -> str:
        item = round_or_404(session, assembly_id, round_id)
        rounds.delete(session, item, now, actor=actor.label)
        return item.title

    try:
        title = await db.run(request, work, write=True)
    except ActionableError as error:
        return see_other(request, url(request, "round", assembly_id=assembly_id,
                                      round_id=round_id), str(error), "error")
    return see_other(request, url(request, "programme", assembly_id=assembly_id),
                     f"Round “{title}” removed from the programme.")


async def _override(request: Request, change: Callable[..., None], success: str, *,
                    needs_time: bool = False, needs_reason: bool = False) -> Response:
    actor = require(request, "programme.manage")
    assembly_id, round_id = request.path_params["assembly_id"], request.path_params["round_id"]
    form = await forms.read(request)
    now = clock.now(request)
    values = {"closes_at": forms.text(form, "closes_at"),
              "reason": forms.text(form, "reason", multiline=True)}
    assembly = await db.run(request, assembly_or_404, assembly_id)
    errors: dict[str, str] = {}
    extra: list[Any] = []
    if needs_time:
        try:
            extra.append(times.parse_local(values["closes_at"], assembly.time_zone)
                         if values["closes_at"] else None)
        except ValueError as problem:
            errors["closes_at"] = str(problem)
        if extra == [None]:
            errors["closes_at"] = "Enter the new closing date and time, for example " \
                                  "2027-03-14 18:00."
    if needs_reason:
        extra.append(values["reason"])
        problem_text = rounds.check_reason(values["reason"])
        if problem_text:
            errors["reason"] = problem_text
    if not errors:
        def work(session: Session) -> None:
            change(session, round_or_404(session, assembly_id, round_id), *extra, now,
                   actor=actor.label)

        try:
            await db.run(request, work, write=True)
        except ActionableError as error:
            errors = {error.field: str(error)}
        else:
            return see_other(request, url(request, "round", assembly_id=assembly_id,
                                          round_id=round_id), success)
    status = 409 if "form" in errors else 422
    return await _round_page(request, assembly_id, round_id, now, errors, values,
                             status_code=status)


async def round_open_now(request: Request) -> Response:
    return await _override(request, rounds.open_now, "The round is open now.")


async def round_extend(request: Request) -> Response:
    return await _override(request, rounds.extend, "The round now closes later.", needs_time=True)


async def round_close_now(request: Request) -> Response:
    return await _override(request, rounds.close_early, "The round is closed.")


async def round_reopen(request: Request) -> Response:
    return await _override(request, rounds.reopen, "The round is open again.", needs_time=True,
                           needs_reason=True)


async def round_release(request: Request) -> Response:
    return await _override(request, rounds.release_results, "The results are released.")


# --- meetings ----------------------------------------------------------------------------------------


def _meeting_values(form: FormData | None, meeting: Meeting | None, zone: str,
                    round_ids: list[int]) -> tuple[dict[str, str], list[str]]:
    if form is not None:
        return ({name: forms.text(form, name, multiline=name in meetings.MULTILINE)
                 for name in MEETING_FIELDS},
                [v.strip() for v in form.getlist("rounds") if isinstance(v, str)])
    if meeting is None:
        return {**dict.fromkeys(MEETING_FIELDS, ""), "step_free": StepFree.unknown.value}, []
    return ({"title": meeting.title, "starts_at": times.local_input(meeting.starts_at, zone),
             "ends_at": times.local_input(meeting.ends_at, zone), "place": meeting.place,
             "address": meeting.address, "step_free": meeting.step_free,
             "access_notes": meeting.access_notes, "online_url": meeting.online_url},
            [str(r) for r in round_ids])


@dataclass(frozen=True)
class MeetingForm:
    assembly: Assembly
    rounds: list[Round]
    meeting: Meeting | None
    round_ids: list[int]


def _load_meeting_form(session: Session, assembly_id: int, meeting_id: int | None
                       ) -> MeetingForm:
    assembly = assembly_or_404(session, assembly_id)
    if meeting_id is None:
        return MeetingForm(assembly, rounds.programme(session, assembly_id), None, [])
    meeting = meeting_or_404(session, assembly_id, meeting_id)
    linked = meetings.rounds_of(session, [meeting_id]).get(meeting_id, [])
    return MeetingForm(assembly, rounds.programme(session, assembly_id), meeting, linked)


def _meeting_form(request: Request, loaded: MeetingForm, values: dict[str, str],
                  chosen: list[str], errors: dict[str, str], *, status_code: int = 200
                  ) -> Response:
    return render(request, "deliberation/meeting_form.html", {
        "assembly": loaded.assembly, "meeting": loaded.meeting, "rounds": loaded.rounds,
        "values": values, "chosen": chosen, "errors": errors,
        "step_free": [(s.value, meetings.STEP_FREE_TEXT[s]) for s in StepFree],
    }, block="form", status_code=status_code)


async def meeting_new(request: Request) -> Response:
    require(request, "programme.manage")
    loaded = await db.run(request, _load_meeting_form, request.path_params["assembly_id"], None)
    values, chosen = _meeting_values(None, None, loaded.assembly.time_zone, [])
    return _meeting_form(request, loaded, values, chosen, {})


async def meeting_edit(request: Request) -> Response:
    require(request, "programme.manage")
    loaded = await db.run(request, _load_meeting_form, request.path_params["assembly_id"],
                          request.path_params["meeting_id"])
    values, chosen = _meeting_values(None, loaded.meeting, loaded.assembly.time_zone,
                                     loaded.round_ids)
    return _meeting_form(request, loaded, values, chosen, {})


async def meeting_create(request: Request) -> Response:
    return await _save_meeting(request, None)


async def meeting_update(request: Request) -> Response:
    return await _save_meeting(request, request.path_params["meeting_id"])


async def _save_meeting(request: Request, meeting_id: int | None) -> Response:
    actor = require(request, "programme.manage")
    assembly_id = request.path_params["assembly_id"]
    form = await forms.read(request, max_fields=200)
    loaded = await db.run(request, _load_meeting_form, assembly_id, meeting_id)
    values, chosen = _meeting_values(form, None, loaded.assembly.time_zone, [])
    errors, details = meetings.check(values, chosen, loaded.assembly.time_zone, loaded.rounds)
    if details is not None:
        def work(session: Session) -> None:
            if meeting_id is None:
                meetings.create(session, assembly_or_404(session, assembly_id), details,
                                actor=actor.label)
            else:
                meetings.update(session, meeting_or_404(session, assembly_id, meeting_id),
                                details, actor=actor.label)

        await db.run(request, work, write=True)
        return navigate(request, url(request, "programme", assembly_id=assembly_id) + "#meetings",
                        "Meeting saved." if meeting_id is not None else
                        f"Meeting “{details.title}” added to the programme.")
    return _meeting_form(request, loaded, values, chosen, errors, status_code=422)


async def meeting_delete(request: Request) -> Response:
    actor = require(request, "programme.manage")
    assembly_id, meeting_id = request.path_params["assembly_id"], request.path_params["meeting_id"]
    await forms.read(request)

    def work(session: Session) -> str:
        meeting = meeting_or_404(session, assembly_id, meeting_id)
        meetings.delete(session, meeting, actor=actor.label)
        return meeting.title

    title = await db.run(request, work, write=True)
    return see_other(request, url(request, "programme", assembly_id=assembly_id) + "#meetings",
                     f"Meeting “{title}” removed from the programme.")


# --- calendars ---------------------------------------------------------------------------------------


async def programme_calendar(request: Request) -> Response:
    require(request, "programme.view")
    assembly_id = request.path_params["assembly_id"]
    now = clock.now(request)

    def load(session: Session) -> timeline.Timeline:
        return timeline.load(session, assembly_or_404(session, assembly_id), now)

    view = await db.run(request, load)
    return common.calendar_response(common.programme_ics(request, view, officer=True),
                             f"programme-{view.assembly.public_id}.ics")


async def meeting_calendar(request: Request) -> Response:
    require(request, "programme.view")
    assembly_id, meeting_id = request.path_params["assembly_id"], request.path_params["meeting_id"]
    now = clock.now(request)

    def load(session: Session) -> tuple[timeline.Timeline, Meeting]:
        meeting = meeting_or_404(session, assembly_id, meeting_id)
        return timeline.load(session, assembly_or_404(session, assembly_id), now), meeting

    view, meeting = await db.run(request, load)
    return common.calendar_response(common.meeting_ics(request, view, meeting),
                             f"meeting-{meeting.public_id}.ics")




# --- reminders: undelivered e-mail and letters for members without e-mail -------------------------


async def mail_retry(request: Request) -> Response:
    """Put an undelivered e-mail back in the queue (the outbox tries it again at once)."""
    actor = require(request, "programme.manage")
    assembly_id, message_id = request.path_params["assembly_id"], request.path_params["message_id"]
    now = clock.now(request)

    def work(session: Session) -> None:
        assembly_or_404(session, assembly_id)
        outbox.retry(session, assembly_id, message_id, actor.label, now=now)

    target = url(request, "programme", assembly_id=assembly_id) + "#e-mail"
    try:
        await db.run(request, work, write=True)
    except ActionableError as error:
        return see_other(request, target, str(error), "error")
    return see_other(request, target, "The e-mail is queued again and will be sent shortly.")


async def reminder_letters(request: Request) -> Response:
    """One PDF of reminder letters for one round, for members who get no e-mail reminders."""
    require(request, "programme.manage")
    assembly_id, round_id = request.path_params["assembly_id"], request.path_params["round_id"]
    now = clock.now(request)
    settings = request.app.state.settings
    home = settings.public_address.split("://", 1)[-1] + url(request, "member_home")

    def load(session: Session) -> tuple[Round, Any, reminder_letters_module.Page, list[Any]]:
        assembly, item = _load_round(session, assembly_id, round_id)
        privacy = letters.printed_address(
            settings.public_address, url(request, "privacy_notice", assembly_id=assembly_id))
        return (item, letters.LetterHead.of(assembly, settings.site_name, privacy),
                reminder_letters_module.page_of(assembly, item, now, home),
                reminder_letters_module.recipients(
                    session, assembly_id, email_works=mail.configured(settings)))

    item, head, letter_page, people = await db.run(request, load)
    if rounds.state_of(item, now) not in (RoundState.scheduled, RoundState.open):
        return see_other(request, url(request, "programme", assembly_id=assembly_id),
                         f"“{item.title}” has closed, so there is nothing to remind members "
                         "of. Letters can be printed for rounds that are open or still to come.",
                         "error")
    try:
        pdf = await to_thread.run_sync(
            lambda: reminder_letters_module.letters_pdf(head, letter_page, people,
                                                        today=now.date()))
    except ActionableError as error:
        return see_other(request, url(request, "programme", assembly_id=assembly_id) + "#e-mail",
                         str(error), "error")
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition":
            f'attachment; filename="{reminder_letters_module.filename(item)}"',
        "Cache-Control": "no-store",
    })
