"""How the audit log reads: one sentence per kind of event, written from its stored details.

The log stores machine-readable details (people by public id, officers as `officer:<id>`, runs
by id and number), because it outlives the personal data and must hash the same forever. Officers
read it in words: who did it (the officer's name), what happened ("Quotas edited", "Selection run
3 failed") and the details that matter, with people named by their reference in the people file.
`SENTENCES` is the one table from event kind to words; a test fails if an event kind written
anywhere in the app has no entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from assembly import audit
from assembly.accounts.models import Officer
from assembly.audit import AuditEvent
from assembly.recruitment.models import Respondent
from assembly.selection.models import Member, SelectionRun
from sortition import csvsafe

Details = Mapping[str, Any]

# Detail keys that name people (respondents or members) by public id, alone or in a list.
PEOPLE_KEYS = ("leaving", "joining", "respondent", "member", "members", "panel", "reserves")

FIELD_WORDS = {
    "title": "title", "question": "question", "remit": "remit",
    "commissioning_body": "commissioning body", "starts_on": "start date",
    "ends_on": "end date", "retention_days": "days the pool is kept after the draw",
    "member_retention_days": "days the panel's details are kept after the assembly ends",
    "min": "minimum", "max": "maximum", "min_flex": "lowest minimum", "max_flex": "highest maximum",
}
FAILURES = {
    "infeasible quotas": "the quotas cannot all be met",
    "error": "an error in the program",
    "server stopped": "the server stopped while it was running",
    "cannot start": "the pool or the quotas do not allow it",
    "process ended": "the computation ended unexpectedly",
}


@dataclass(frozen=True)
class Names:
    """What the stored ids stand for, looked up once for a page of events."""

    officers: Mapping[int, str]
    people: Mapping[str, str]  # respondent or member public id -> reference in the people file
    runs: Mapping[int, int]    # run id -> run number

    def person(self, public_id: Any) -> str:
        if not isinstance(public_id, str):
            return "nobody"
        return self.people.get(public_id, "someone whose record has since been deleted")

    def people_list(self, ids: Any) -> str:
        names = [self.person(p) for p in ids or ()]
        return ", ".join(names) if names else "nobody"

    def officer(self, label: Any) -> str:
        if isinstance(label, str) and label.startswith("officer:"):
            number = label.removeprefix("officer:")
            if number.isdigit() and int(number) in self.officers:
                return self.officers[int(number)]
            return "an officer whose account was deleted"
        return str(label)

    def run(self, details: Details) -> str:
        number, run_id = details.get("run_number"), details.get("run")
        if not isinstance(number, int):
            number = self.runs.get(run_id) if isinstance(run_id, int) else None
        return f"Selection run {number}" if number else "A selection run since discarded"


@dataclass(frozen=True)
class Sentence:
    what: str
    details: tuple[str, ...] = ()


Writer = Callable[[Details, Names], Sentence]


def _plural(n: Any, word: str, words: str = "") -> str:
    count = n if isinstance(n, int) else 0
    return f"{count:,} {word if count == 1 else words or word + 's'}"


def _yes(value: Any) -> str:
    return "yes" if value else "no"


def _changes(changes: Any) -> tuple[str, ...]:
    lines = []
    for change in changes or ():
        parts = [f"{FIELD_WORDS.get(k, k)} {_number(change['from'].get(k))} → "
                 f"{_number(change['to'].get(k))}"
                 for k in ("min", "max", "min_flex", "max_flex")
                 if change["from"].get(k) != change["to"].get(k)]
        lines.append(f"{change['feature']} {change['value']}: {', '.join(parts)}")
    return tuple(lines)


def _number(value: Any) -> str:
    return "none" if value is None else f"{value:,}" if isinstance(value, int) else str(value)


def _quotas_edited(d: Details, n: Names) -> Sentence:
    lines = list(_changes(d.get("changes")))
    if d.get("panel_size_changed"):
        before, after = d.get("panel_size_from"), _number(d.get("panel_size"))
        lines.append(f"Panel size {_number(before)} → {after}" if isinstance(before, int)
                     else f"Panel size set to {after}")
    if not lines:
        lines.append("Saved without changes" if "changes" in d
                     else f"{_plural(d.get('categories'), 'category', 'categories')} saved")
    return Sentence("Quotas edited", tuple(lines))


def _uploaded(d: Details, n: Names) -> Sentence:
    lines = []
    if "categories" in d:
        lines.append(f"Quotas: {_plural(d.get('categories'), 'category', 'categories')} in "
                     f"{_plural(d.get('features'), 'feature')}")
    if "respondents" in d:
        homes = d.get("households")
        lines.append(f"Pool: {_plural(d.get('respondents'), 'respondent')}"
                     + (f" in {_plural(homes, 'household')}" if homes is not None else ""))
        if d.get("columns_not_kept"):
            lines.append(f"{_plural(d.get('columns_not_kept'), 'column')} of the file not kept")
    if d.get("source"):
        lines.append(f"From {d['source']}")
    return Sentence("Pool uploaded" if "respondents" in d else "Quotas uploaded", tuple(lines))


def _failed(d: Details, n: Names) -> Sentence:
    why = FAILURES.get(str(d.get("reason")), str(d.get("reason") or "not recorded"))
    lines = [f"Why: {why}"]
    if d.get("message"):
        lines.append(str(d["message"]))
    return Sentence(f"{n.run(d)} failed", tuple(lines))


def _retention(d: Details, n: Names) -> Sentence:
    return Sentence("Retention periods changed", tuple(
        f"{FIELD_WORDS.get(k, k).capitalize()}: {_number(v.get('from'))} → {_number(v.get('to'))}"
        for k, v in sorted(d.items()) if isinstance(v, Mapping)))


def _purged(d: Details, n: Names) -> Sentence:
    group = {"not_drawn": "respondents not drawn", "drawn": "panel members and reserves"}.get(
        str(d.get("group")), str(d.get("group")))
    start = {"draw": "the draw", "end": "the end of the assembly",
             "assumed end": "the assumed end of the assembly"}.get(str(d.get("counted_from")), "")
    return Sentence("Personal data deleted on schedule", (
        f"{_plural(d.get('respondents'), 'person', 'people')} ({group})",
        f"Kept {_plural(d.get('retention_days'), 'day')}" + (f" after {start}" if start else "")))


def _draw(d: Details, n: Names) -> Sentence:
    return Sentence("Panel drawn in public", (
        f"From {n.run(d).lower()}",
        f"Public seed: {d.get('seed')}",
        f"Ticket {_number(d.get('ticket'))} of {_number(d.get('lottery_size'))}",
        (f"{_plural(len(d.get('panel') or ()), 'member')} and "
         f"{_plural(len(d.get('reserves') or ()), 'reserve')}")))


def _replaced(d: Details, n: Names) -> Sentence:
    return Sentence(f"{n.person(d.get('leaving'))} {d.get('reason') or 'dropped out'}; "
                    f"replaced by {n.person(d.get('joining'))}")


def _left_empty(d: Details, n: Names) -> Sentence:
    lines = [f"Reason: {d.get('reason')}"]
    if d.get("replacement_possible") is True:
        lines.append("A reserve could have kept every quota")
    elif d.get("replacement_possible") is False:
        lines.append("Nobody left in the pool could keep every quota")
    short = d.get("shortfall") or []
    lines += [f"Short of {s['feature']} {s['value']}: {s['seats']} seated, at least {s['min']} "
              "wanted" for s in short] or ["Every quota is still met"]
    return Sentence(f"{n.person(d.get('leaving'))} dropped out; seat left empty", tuple(lines))


def _erased(d: Details, n: Names) -> Sentence:
    lines = ["Name, contact details and answers blanked"]
    if d.get("member"):
        lines.append("They were on the panel or a reserve: recorded as having left")
    return Sentence(f"Details of {n.person(d.get('respondent'))} erased on request", tuple(lines))


def _when(value: Any) -> str:
    """A stored UTC timestamp ("2026-03-14T18:00:00.000000Z") as "14 March 2026, 18:00 UTC"."""
    if not isinstance(value, str):
        return "an unrecorded time"
    try:
        at = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        return value
    return f"{at.day} {at:%B %Y, %H:%M} UTC"


def _round(d: Details) -> str:
    return f"{str(d.get('kind') or '').capitalize()} round “{d.get('title')}”".strip()


def _reminders(d: Details) -> str:
    name = _round(d)
    name = name[:1].lower() + name[1:]
    said = "is open" if d.get("event") == "opened" else "closes in a day"
    return f"Reminders that {name} {said} queued"


def _briefing(d: Details) -> str:
    return f"Briefing “{d.get('title')}”"


def _question(d: Details) -> str:
    return f"A member's question in “{d.get('round_title')}”"


def _principle(d: Details) -> str:
    return f"Principle “{d.get('title')}” in “{d.get('round_title')}”"


def _channel(d: Details) -> str:
    return "paper" if d.get("channel") == "paper" else "a phone call"


def _meeting(d: Details) -> str:
    return f"Meeting “{d.get('title')}”"


SENTENCES: dict[str, Writer] = {
    "assembly.created": lambda d, n: Sentence("Assembly created"),
    "assembly.edited": lambda d, n: Sentence("Assembly details edited", (
        "Changed: " + ", ".join(FIELD_WORDS.get(f, f) for f in d.get("fields") or ()),)),
    "quotas.edited": _quotas_edited,
    "quotas.uploaded": _uploaded,
    "pool.uploaded": _uploaded,
    "selection.started": lambda d, n: Sentence(f"{n.run(d)} started", (
        f"Panel of {_number(d.get('panel_size'))}, method: {d.get('algorithm')}",
        f"{_number(d.get('lottery_size'))} lottery tickets",
        f"One person per household: {_yes(d.get('one_per_household'))}",
        *([f"Time limit: {_plural((d.get('time_budget') or 0) // 60, 'minute')}"]
          if d.get("time_budget") else []))),
    "selection.finished": lambda d, n: Sentence(f"{n.run(d)} finished", (
        f"Lowest chance of selection: {d['minimum'] * 100:.2f} %"
        if isinstance(d.get("minimum"), int | float) else "Lowest chance not recorded",
        f"Commitment published: {d.get('commitment')}")),
    "selection.failed": _failed,
    "selection.auditor_pack_downloaded": lambda d, n: Sentence(
        f"Auditor's pack downloaded for {n.run(d).lower()}"),
    "draw.performed": _draw,
    "member.replaced": _replaced,
    "member.seat_left_empty": _left_empty,
    "invitations.issued": lambda d, n: Sentence(
        f"Invitations issued to {_plural(len(d.get('members') or ()), 'member')}",
        (n.people_list(d.get("members")),)),
    "invitation.reissued": lambda d, n: Sentence(
        f"Invitation issued again to {n.person(d.get('member'))}"),
    "invitation.redeemed": lambda d, n: Sentence(
        f"{n.person(d.get('member'))} accepted their invitation",
        ("With the link in the letter" if d.get("via") == "link"
         else "With the code in the letter" if d.get("via") == "code" else "",)),
    "respondent.erased": _erased,
    "personal_data.purged": _purged,
    "retention.changed": _retention,
    "officer.created": lambda d, n: Sentence(
        f"Officer account created for {n.officer(d.get('officer'))}",
        ("Administrator" if d.get("admin") else "Not an administrator",)),
    "officer.password_set": lambda d, n: Sentence(
        f"Password set for {n.officer(d.get('officer'))}",
        (f"{_plural(d.get('sessions_ended'), 'session')} ended",)),
    "officer.password_changed": lambda d, n: Sentence(
        "Own password changed",
        (f"{_plural(d.get('other_sessions_ended'), 'other session')} ended",)),
    "officer.sessions_revoked": lambda d, n: Sentence(
        f"{n.officer(d.get('officer'))} signed out everywhere",
        (f"{_plural(d.get('sessions'), 'session')} ended",)),
    "sessions.revoked_all": lambda d, n: Sentence(
        "Everyone signed out", (f"{_plural(d.get('sessions'), 'session')} ended",)),
    "officer.disabled": lambda d, n: Sentence(
        f"Officer account of {n.officer(d.get('officer'))} disabled",
        (f"{_plural(d.get('sessions_ended'), 'session')} ended",)),
    "officer.enabled": lambda d, n: Sentence(
        f"Officer account of {n.officer(d.get('officer'))} enabled again"),
    "member.declined": lambda d, n: Sentence(
        f"{n.person(d.get('member'))} declined their invitation",
        ("A reason was given" if d.get("reason_given") else "No reason given",
         "From the invitation page" if d.get("via") in ("link", "code") else "")),
    "member.sign_in_link_sent": lambda d, n: Sentence(
        f"Sign-in link e-mailed to {n.person(d.get('member'))}", ("At their request",)),
    "member.sign_in_code_made": lambda d, n: Sentence(
        f"Sign-in code made for {n.person(d.get('member'))}"),
    "member.signed_in": lambda d, n: Sentence(
        f"{n.person(d.get('member'))} signed in again",
        ("With a link sent by e-mail" if d.get("via") == "link"
         else "With a code from the assembly team" if d.get("via") == "code" else "",)),
    "member.signed_out_everywhere": lambda d, n: Sentence(
        f"{n.person(d.get('member'))} signed out everywhere",
        (f"{_plural(d.get('sessions'), 'session')} ended",)),
    "mail_failed": lambda d, n: Sentence(
        "An e-mail could not be delivered",
        (f"After {_plural(d.get('attempts'), 'attempt')}", str(d.get("error") or ""))),
    "mail_retried": lambda d, n: Sentence("An undelivered e-mail was queued again"),
    "assembly.time_zone_changed": lambda d, n: Sentence(
        "Time zone changed", (f"{d.get('from')} → {d.get('to')}",)),
    "round.created": lambda d, n: Sentence(f"{_round(d)} added to the programme", (
        f"Opens {_when(d.get('opens_at'))}", f"Closes {_when(d.get('closes_at'))}")),
    "round.edited": lambda d, n: Sentence(f"{_round(d)} edited", (
        "Changed: " + ", ".join(str(f).replace("_", " ") for f in d.get("fields") or ()),)),
    "round.moved": lambda d, n: Sentence(
        f"{_round(d)} moved to place {_number(d.get('position'))} in the programme"),
    "round.deleted": lambda d, n: Sentence(f"{_round(d)} removed from the programme"),
    "round.opened": lambda d, n: Sentence(f"{_round(d)} opened", (
        f"At its opening time, {_when(d.get('at'))}",)),
    "round.closed": lambda d, n: Sentence(f"{_round(d)} closed", (
        f"At its closing time, {_when(d.get('at'))}",)),
    "round.opened_early": lambda d, n: Sentence(f"{_round(d)} opened early", (
        f"Opened {_when(d.get('at'))}; it was to open {_when(d.get('was_to_open'))}",)),
    "round.extended": lambda d, n: Sentence(f"{_round(d)} extended", (
        f"Now closes {_when(d.get('closes_at'))}; it was to close "
        f"{_when(d.get('was_to_close'))}",)),
    "round.closed_early": lambda d, n: Sentence(f"{_round(d)} closed early", (
        f"Closed {_when(d.get('at'))}; it was to close {_when(d.get('was_to_close'))}",)),
    "round.reopened": lambda d, n: Sentence(f"{_round(d)} reopened", (
        f"Reason: {d.get('reason')}", f"Closes {_when(d.get('closes_at'))}")),
    "round.results_released": lambda d, n: Sentence(f"Results of {_round(d)[0].lower()}"
                                                    f"{_round(d)[1:]} released"),
    "meeting.created": lambda d, n: Sentence(f"{_meeting(d)} added", (
        f"Starts {_when(d.get('starts_at'))}",
        f"Serves {_plural(d.get('rounds'), 'round')}")),
    "meeting.edited": lambda d, n: Sentence(f"{_meeting(d)} edited", (
        "Changed: " + ", ".join(str(f).replace("_", " ") for f in d.get("fields") or ()),)),
    "meeting.deleted": lambda d, n: Sentence(f"{_meeting(d)} removed"),
    "reminders.queued": lambda d, n: Sentence(_reminders(d), (_plural(d.get("emails"), "e-mail"),)),
    "member.reminders_stopped": lambda d, n: Sentence(
        f"{n.person(d.get('member'))} stopped e-mail reminders"),
    "member.reminders_restarted": lambda d, n: Sentence(
        f"{n.person(d.get('member'))} asked for e-mail reminders again"),
    "briefing.added": lambda d, n: Sentence(f"{_briefing(d)} added to a learn round"),
    "briefing.edited": lambda d, n: Sentence(f"{_briefing(d)} edited", (
        f"Now version {_number(d.get('version'))}; the earlier one is kept",
        "Changed: " + ", ".join(str(f).replace("_", " ") for f in d.get("changed") or ()))),
    "briefing.file_added": lambda d, n: Sentence(f"File {d.get('file')} attached to "
                                                 f"{_briefing(d)[0].lower()}{_briefing(d)[1:]}",
                                                 (f"{d.get('type')}, {_number(d.get('bytes'))} bytes",)),
    "briefing.file_removed": lambda d, n: Sentence(f"File {d.get('file')} removed from "
                                                   f"{_briefing(d)[0].lower()}{_briefing(d)[1:]}"),
    "question.published": lambda d, n: Sentence(f"{_question(d)} published to members"),
    "question.rejected": lambda d, n: Sentence(f"{_question(d)} rejected"),
    "question.merged": lambda d, n: Sentence(f"{_question(d)} merged into another that asks "
                                             "the same"),
    "question.answered": lambda d, n: Sentence(f"{_question(d)} answered", (
        f"Answer published on behalf of {d.get('speaker')}",)),
    "question.answer_edited": lambda d, n: Sentence(f"The answer to {_question(d)[0].lower()}"
                                                    f"{_question(d)[1:]} changed", (
        f"On behalf of {d.get('speaker')}",)),
    "discussion.configured": lambda d, n: Sentence(
        f"Prompt or moderation of “{d.get('round_title')}” changed",
        tuple(f"{str(name).capitalize()}: {change.get('from') or '(none)'} → {change.get('to')}"
              for name, change in (d.get("changes") or {}).items())),
    "statement.seeded": lambda d, n: Sentence(
        f"Seed statement {_number(d.get('statement'))} added to “{d.get('round_title')}”",
        (f"“{d.get('text')}”",)),
    "statement.keyed_in": lambda d, n: Sentence(
        f"Statement {_number(d.get('statement'))} in “{d.get('round_title')}” keyed in from "
        f"{'paper' if d.get('channel') == 'paper' else 'a phone call'}"),
    "votes.keyed_in": lambda d, n: Sentence(
        f"{_plural(d.get('votes'), 'vote')} in “{d.get('round_title')}” keyed in from "
        f"{'paper' if d.get('channel') == 'paper' else 'a phone call'}"),
    "discussion.exported": lambda d, n: Sentence(
        f"“{d.get('round_title')}” downloaded in Pol.is's format", (
            (f"{_plural(d.get('statements'), 'statement')}, "
             f"{_plural(d.get('participants'), 'participant')} (numbered, not named), "
             f"{_plural(d.get('votes'), 'vote')}"),)),
    "statement.accepted": lambda d, n: Sentence(
        f"Statement {_number(d.get('statement'))} in “{d.get('round_title')}” accepted"),
    "question.keyed_in": lambda d, n: Sentence(
        f"Question of {n.person(d.get('member'))} in “{d.get('round_title')}” keyed in from "
        f"{'paper' if d.get('channel') == 'paper' else 'a phone call'}"),
    "ballots.configured": lambda d, n: Sentence(
        f"Ballot of “{d.get('round_title')}” set up", (
            (f"{_plural(d.get('principles'), 'principle')}, {d.get('scale')} scale, rule: "
            f"{str(d.get('rule') or '').replace('_', ' ')}"),
            "Changed: " + ", ".join(str(f).replace("_", " ") for f in d.get("fields") or ()))),
    "ballots.keyed_in": lambda d, n: Sentence(
        f"Ballot of {n.person(d.get('member'))} in “{d.get('round_title')}” keyed in from "
        f"{'paper' if d.get('channel') == 'paper' else 'a phone call'}", (
            f"{_plural(d.get('principles'), 'principle')} answered; what it said is secret",)),
    "council.responded": lambda d, n: Sentence(
        f"Council's response to principle {_number(d.get('principle'))} "
        f"“{d.get('principle_title')}” {'revised' if d.get('revised') else 'recorded'}", (
            (f"{str(d.get('status') or '').replace('_', ' ').capitalize()}, given "
             f"{d.get('responded_on')}"),)),
    "charter.published": lambda d, n: Sentence(
        f"Charter version {_number(d.get('version'))} published", (
            (f"{_plural(d.get('principles'), 'principle')}, {_number(d.get('adopted'))} "
             f"adopted; {_plural(d.get('responses'), 'council response')}; "
             f"{_plural(d.get('files'), 'file')}"),
            f"Fingerprint (sha256 of SHA256SUMS): {d.get('digest')}",
            *((f"What changed: {d.get('changes')}",) if d.get("changes") else ()))),
    "ballots.sealed": lambda d, n: Sentence(
        f"Ballots of “{d.get('round_title')}” sealed", (
            (f"{_plural(d.get('voters'), 'member')} of {d.get('eligible')} voted; "
            f"{_plural(d.get('ballots'), 'ballot')} counted, no longer linked to anyone"),
            f"Fingerprint (sha256) of the sealed ballots: {d.get('digest')}")),
    "statement.rejected": lambda d, n: Sentence(
        f"Statement {_number(d.get('statement'))} in “{d.get('round_title')}” rejected",
        (f"Reason given to the author: {d.get('reason')}",)),
    "principle.written": lambda d, n: Sentence(f"{_principle(d)} written", (
        f"Theme: {str(d.get('theme') or '').replace('_', ' ')}",)),
    "principle.edited": lambda d, n: Sentence(f"{_principle(d)} edited", (
        f"Now version {_number(d.get('version'))}; the earlier one is kept",
        "Changed: " + ", ".join(str(f) for f in d.get("changed") or ()))),
    "principle.moved": lambda d, n: Sentence(
        f"{_principle(d)} moved {d.get('direction')}", (
            f"Now number {_number(d.get('position'))}",)),
    "principle.statements_linked": lambda d, n: Sentence(
        f"Statements linked to {_principle(d)[0].lower()}{_principle(d)[1:]}", (
            f"From “{d.get('discuss_round_title')}”: "
            + (", ".join(str(s) for s in d.get("statements") or ()) or "none"),)),
    "draft.configured": lambda d, n: Sentence(
        f"Signatures a dissent note needs in “{d.get('round_title')}” changed", (
            (f"{_number((d.get('cosigners') or {}).get('from'))} → "
             f"{_number((d.get('cosigners') or {}).get('to'))}"),)),
    "comment.keyed_in": lambda d, n: Sentence(
        f"A comment on {_principle(d)[0].lower()}{_principle(d)[1:]} keyed in from "
        f"{_channel(d)}"),
    "comment.hidden": lambda d, n: Sentence(
        f"A comment on {_principle(d)[0].lower()}{_principle(d)[1:]} hidden", (
            f"Reason shown to members: {d.get('reason')}",)),
    "amendment.accepted": lambda d, n: Sentence(
        f"An amendment to {_principle(d)[0].lower()}{_principle(d)[1:]} accepted"
        + (" with changes" if d.get("with_changes") else ""), (
            f"Now version {_number(d.get('version'))}",)),
    "amendment.rejected": lambda d, n: Sentence(
        f"An amendment to {_principle(d)[0].lower()}{_principle(d)[1:]} rejected", (
            f"Reason given to the member: {d.get('reason')}",)),
    "dissent.recorded": lambda d, n: Sentence(
        f"A dissent note on {_principle(d)[0].lower()}{_principle(d)[1:]} went on the record",
        (f"Signed by {_plural(d.get('signatures'), 'member')}",)),
}


def sentence(event: AuditEvent, names: Names) -> Sentence:
    """The event in words; an unknown kind (from a newer version) shows its stored name."""
    writer = SENTENCES.get(event.action)
    details = event.details or {}
    try:
        if writer is not None:
            said = writer(details, names)
            return Sentence(said.what, tuple(line for line in said.details if line))
    except (KeyError, TypeError, AttributeError, ValueError):
        pass  # an event written before its details took their present shape
    return Sentence(event.action, ())


def actor(label: str, names: Names) -> str:
    """Who did it, as people say it."""
    if label.startswith("officer:"):
        return names.officer(label)
    if label.startswith("member:"):
        return f"Member {names.person(label.removeprefix('member:'))}"
    if label == "system":
        return "Minipublic (automatically)"
    if label.startswith("system:"):
        return f"Minipublic (automatically: {label.removeprefix('system:')})"
    if label == "anonymous":
        return "Someone not signed in"
    if label == "schedule":
        return "Minipublic (automatically, at the programme's times)"
    if label == "outbox":
        return "Minipublic (automatically: e-mail)"
    return label


def _people_in(events: Iterable[AuditEvent]) -> set[str]:
    found: set[str] = set()
    for event in events:
        if event.actor.startswith("member:"):
            found.add(event.actor.removeprefix("member:"))
        for key in PEOPLE_KEYS:
            value = (event.details or {}).get(key)
            if isinstance(value, str):
                found.add(value)
            elif isinstance(value, list) and key not in ("panel", "reserves"):
                found.update(v for v in value if isinstance(v, str))
    return found


def names_for(session: Session, events: Sequence[AuditEvent]) -> Names:
    """Look up every officer, person and run the events mention, in four queries at most."""
    officer_ids = {int(label.removeprefix("officer:")) for e in events
                   for label in (e.actor, (e.details or {}).get("officer"))
                   if isinstance(label, str) and label.startswith("officer:")
                   and label.removeprefix("officer:").isdigit()}
    officers = {oid: name or email for oid, name, email in session.exec(
        select(Officer.id, Officer.name, Officer.email)
        .where(col(Officer.id).in_(officer_ids))).all() if oid is not None} if officer_ids else {}
    wanted = _people_in(events)
    people: dict[str, str] = {}
    if wanted:
        people.update(session.exec(select(Respondent.public_id, Respondent.external_id)
                                   .where(col(Respondent.public_id).in_(wanted))).all())
        people.update(session.exec(
            select(Member.public_id, Respondent.external_id)
            .join(Respondent, col(Respondent.id) == col(Member.respondent_id))
            .where(col(Member.public_id).in_(wanted))).all())
    run_ids = {e.details["run"] for e in events
               if isinstance((e.details or {}).get("run"), int)
               and not isinstance((e.details or {}).get("run_number"), int)}
    runs = {rid: number for rid, number in session.exec(
        select(SelectionRun.id, SelectionRun.number)
        .where(col(SelectionRun.id).in_(run_ids))).all() if rid is not None} if run_ids else {}
    return Names(officers, people, runs)


@dataclass(frozen=True)
class Described:
    """An event as an officer reads it."""

    event: AuditEvent
    who: str
    what: str
    details: tuple[str, ...]


def describe(session: Session, events: Sequence[AuditEvent]) -> list[Described]:
    names = names_for(session, events)
    described = []
    for event in events:
        said = sentence(event, names)
        described.append(Described(event, actor(event.actor, names), said.what, said.details))
    return described


READABLE_COLUMNS = ("who", "what", "details_in_words")


def export_csv(session: Session, assembly_id: int) -> str:
    """The CSV export of the log: the hashed fields (so `audit.read_csv_export` and
    `verify_events` still check it), then the same event in words, as on the page."""
    events = audit.events(session, assembly_id)
    rows: list[list[Any]] = [[*audit.EXPORT_COLUMNS, *READABLE_COLUMNS]]
    for item in describe(session, events):
        exported = audit.exported(item.event)
        exported["details"] = audit.canonical_json(exported["details"])
        rows.append([*(exported[c] for c in audit.EXPORT_COLUMNS), item.who, item.what,
                     "; ".join(item.details)])
    return csvsafe.text(rows, lineterminator="\r\n")
