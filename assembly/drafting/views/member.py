"""The member's side of a draft round: the principles with what changed since they last
looked, one principle (its text, rationale, the statements behind it, the comments, their own
amendments, dissent notes), commenting and replying, proposing an amendment, writing and
co-signing dissent notes, and every principle's history.

Everything works without JavaScript (303 + flash); with htmx, posting a comment swaps the
thread in place. Every change is refused on the server, with the round's own message, once the
round has closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from assembly import clock, db, forms
from assembly.assemblies.models import Assembly
from assembly.authz import Actor, require
from assembly.deliberation import rounds, timeline
from assembly.deliberation.access import members_assembly
from assembly.deliberation.models import Round, RoundState
from assembly.drafting import amendments, comments, dissent, principles
from assembly.drafting.access import (
    members_comment,
    members_draft_round,
    members_note,
    members_principle,
)
from assembly.drafting.models import (
    COMMENT_LIMIT,
    NOTE_LIMIT,
    Amendment,
    DissentNote,
    Principle,
    PrincipleVersion,
)
from assembly.drafting.views import common, history
from assembly.errors import ActionableError
from assembly.tables import row_id
from assembly.templating import Flash, is_htmx, render, see_other, url


def _member(actor: Actor) -> int:
    assert actor.member is not None
    return row_id(actor.member.id)


def _themes() -> dict[str, str]:
    return {t.value: label for t, label in principles.THEME_LABELS.items()}


# --- the list ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListPage:
    assembly: Assembly
    view: timeline.RoundView
    principles: list[Principle]
    seen: dict[int, int]
    comments: dict[int, int]
    commented: set[int]


async def principles_page(request: Request) -> Response:
    actor = require(request, "member.welcome")
    assert actor.member is not None
    now = clock.now(request)
    await common.caught_up(request, actor.member.assembly_id, now)
    member_id = _member(actor)

    def load(session: Session) -> ListPage:
        item = members_draft_round(session, actor, request.path_params["round"], now)
        assembly = members_assembly(session, actor)
        view = next(v for v in timeline.load(session, assembly, now, member=actor.member).rounds
                    if v.round.id == item.id)
        found = principles.of_round(session, row_id(item.id))
        ids = [row_id(p.id) for p in found]
        return ListPage(assembly, view, found, principles.seen_versions(session, member_id, ids),
                        comments.counts(session, ids),
                        comments.commented_on(session, ids, member_id))

    page = await db.run(request, load)
    return render(request, "drafting/member_principles.html", {
        "assembly": page.assembly, "v": page.view, "principles": page.principles,
        "seen": page.seen, "comment_counts": page.comments, "commented": page.commented,
        "themes": _themes(),
    })


# --- one principle ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrinciplePage:
    assembly: Assembly
    round: Round
    principle: Principle
    seen: int | None                   # the version they read before this visit (None: never)
    last_seen: PrincipleVersion | None
    linked: list[principles.Linked]
    thread: list[comments.Entry]
    mine: list[Amendment]
    notes: list[DissentNote]
    signed: set[int]
    cosigners: int
    is_open: bool


def _load(session: Session, actor: Actor, public_id: str, now: datetime, *, visit: bool
          ) -> PrinciplePage:
    member_id = _member(actor)
    round_item, principle = members_principle(session, actor, public_id, now)
    pid = row_id(principle.id)
    seen = principles.seen_versions(session, member_id, [pid]).get(pid)
    if visit:
        principles.mark_seen(session, principle, member_id, now)
    notes = dissent.of_principles(session, [pid])[pid]
    return PrinciplePage(
        members_assembly(session, actor), round_item, principle, seen,
        principles.version(session, pid, seen) if seen and seen < principle.version else None,
        principles.linked(session, [pid])[pid], comments.thread(session, pid),
        amendments.by_member(session, pid, member_id), notes,
        dissent.signed_by(session, member_id, [row_id(n.id) for n in notes]),
        principles.settings_of(session, round_item).cosigners,
        rounds.state_of(round_item, now) is RoundState.open)


async def principle_page(request: Request) -> Response:
    actor = require(request, "member.welcome")
    assert actor.member is not None
    now = clock.now(request)
    await common.caught_up(request, actor.member.assembly_id, now)
    page = await db.run(request, _load, actor, request.path_params["principle"], now,
                        visit=True, write=True)
    return _render(request, page, {}, {})


def _render(request: Request, page: PrinciplePage, errors: dict[str, str],
            values: dict[str, str], *, status_code: int = 200, block: str | None = None,
            messages: list[Flash] | None = None) -> Response:
    p = page.principle
    return render(request, "drafting/member_principle.html", {
        "assembly": page.assembly, "round": page.round, "p": p, "seen": page.seen,
        "since": history.pieces(page.last_seen.text, p.text) if page.last_seen else None,
        "last_seen": page.last_seen, "linked": page.linked, "thread": page.thread,
        "mine": page.mine, "notes": page.notes,
        "edits": {a.id: history.pieces(a.text, a.accepted_text) for a in page.mine if a.changed},
        "signed": page.signed,
        "cosigners": page.cosigners, "is_open": page.is_open, "themes": _themes(),
        "stance_labels": {s.value: label for s, label in comments.STANCE_LABELS.items()},
        "errors": errors,
        "values": {"stance": "", "text": "", "reply_to": "", "amend_title": "",
                   "amend_text": p.text, "amend_reason": "", "note": "", **values},
        "comment_limit": COMMENT_LIMIT, "note_limit": NOTE_LIMIT,
    }, status_code=status_code, block=block, messages=messages)


async def _again(request: Request, actor: Actor, errors: dict[str, str],
                 values: dict[str, str], *, status_code: int, block: str) -> Response:
    """The principle's page with the form's problems (422): the whole page without htmx, the
    form's block with it."""
    now = clock.now(request)
    page = await db.run(request, _load, actor, request.path_params["principle"], now,
                        visit=False)
    return _render(request, page, errors, values, status_code=status_code, block=block)


def _back(request: Request, anchor: str) -> str:
    return url(request, "member_principle", principle=request.path_params["principle"]) + anchor


async def comment(request: Request) -> Response:
    actor = require(request, "member.welcome")
    form = await forms.read(request)
    now = clock.now(request)
    values = {"stance": forms.text(form, "stance"),
              "text": forms.text(form, "text", multiline=True),
              "reply_to": forms.text(form, "reply_to")}

    def work(session: Session) -> None:
        round_item, principle = members_principle(session, actor,
                                                  request.path_params["principle"], now)
        parent = members_comment(session, principle, values["reply_to"]) \
            if values["reply_to"] else None
        comments.post(session, round_item, principle, _member(actor), values["stance"],
                      values["text"], parent, now)

    try:
        await db.run(request, work, write=True)
    except ActionableError as error:
        field = error.field if error.field in ("stance", "text") else "form"
        return await _again(request, actor, {field: str(error)}, values,
                            status_code=error.status_code, block="thread")
    message = "Thank you. Your comment is posted; other members see it, never your name."
    if is_htmx(request):
        page = await db.run(request, _load, actor, request.path_params["principle"], now,
                            visit=False)
        return _render(request, page, {}, {}, block="thread",
                       messages=[Flash("success", message)])
    return see_other(request, _back(request, "#comments"), message)


async def amend(request: Request) -> Response:
    actor = require(request, "member.welcome")
    form = await forms.read(request)
    now = clock.now(request)
    values = {"amend_title": forms.text(form, "amend_title"),
              "amend_text": forms.text(form, "amend_text", multiline=True),
              "amend_reason": forms.text(form, "amend_reason", multiline=True)}
    base = forms.text(form, "base_version")

    def work(session: Session) -> None:
        round_item, principle = members_principle(session, actor,
                                                  request.path_params["principle"], now)
        amendments.propose(session, round_item, principle, _member(actor),
                           values["amend_title"], values["amend_text"], values["amend_reason"],
                           int(base) if base.isdigit() and len(base) < 7 else principle.version,
                           now)

    try:
        await db.run(request, work, write=True)
    except ActionableError as error:
        field = error.field if error.field in ("title", "text", "reason") else "form"
        return await _again(request, actor, {f"amend_{field}": str(error)}, values,
                            status_code=error.status_code, block="amend")
    return see_other(request, _back(request, "#your-amendments"),
                     "Thank you. Your amendment is sent to the assembly team, who will accept "
                     "or explain why not. You will see their answer here.")


async def write_note(request: Request) -> Response:
    actor = require(request, "member.welcome")
    form = await forms.read(request)
    now = clock.now(request)
    text = forms.text(form, "note", multiline=True)

    def work(session: Session) -> DissentNote:
        round_item, principle = members_principle(session, actor,
                                                  request.path_params["principle"], now)
        return dissent.write(session, round_item, principle, _member(actor), text, now)

    try:
        note = await db.run(request, work, write=True)
    except ActionableError as error:
        field = "note" if error.field == "note" else "note_form"
        return await _again(request, actor, {field: str(error)}, {"note": text},
                            status_code=error.status_code, block="notes")
    return see_other(request, _back(request, f"#note-{note.public_id}"),
                     "Your dissent note is written and signed by you. Ask other members to "
                     "sign it too." if note.recorded_at is None else
                     "Your dissent note is written and is part of the record.")


async def sign_note(request: Request) -> Response:
    actor = require(request, "member.welcome")
    await forms.read(request)
    now = clock.now(request)

    def work(session: Session) -> tuple[str, bool, DissentNote]:
        round_item, principle, note = members_note(session, actor, request.path_params["note"],
                                                   now)
        added = dissent.sign(session, round_item, principle, note, _member(actor), now)
        return principle.public_id, added, note

    try:
        principle_id, added, note = await db.run(request, work, write=True)
    except ActionableError as error:
        def where(session: Session) -> str:
            return members_note(session, actor, request.path_params["note"], now)[1].public_id

        principle_id = await db.run(request, where)
        return see_other(request, url(request, "member_principle", principle=principle_id)
                         + "#notes", str(error), "error")
    back = url(request, "member_principle", principle=principle_id) + f"#note-{note.public_id}"
    if not added:
        return see_other(request, back, "You had already signed this note.", "info")
    return see_other(request, back, "Thank you. You have signed the note." + (
        " It is now part of the record." if note.recorded_at is not None else ""))


# --- history -------------------------------------------------------------------------------------


async def history_page(request: Request) -> Response:
    actor = require(request, "member.welcome")
    now = clock.now(request)

    def load(session: Session) -> tuple[Assembly, Round, Principle, list[PrincipleVersion]]:
        round_item, principle = members_principle(session, actor,
                                                  request.path_params["principle"], now)
        return (members_assembly(session, actor), round_item, principle,
                principles.versions(session, row_id(principle.id)))

    assembly, round_item, principle, found = await db.run(request, load)
    return render(request, "drafting/history.html", {
        "assembly": assembly, "round": round_item, "p": principle, "versions": found,
        "compared": history.compare(found, request.query_params), "officer": False,
        "action": url(request, "member_principle_history", principle=principle.public_id),
        "back": url(request, "member_principle", principle=principle.public_id),
    }, block="content")
