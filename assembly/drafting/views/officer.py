"""The officers' side of a draft round: the principles in order (write, edit, move, link to
statements), the amendments queue (accept, accept with changes, reject), comments (hide, or key
in one a member gave on paper or by phone), dissent notes, and every principle's history.

Plain forms that work without JavaScript (303 + flash); a form with problems comes back with
each message beside its field (422) and nothing saved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from assembly import clock, db, forms
from assembly.assemblies.access import assembly_or_404
from assembly.assemblies.models import Assembly
from assembly.authz import require
from assembly.deliberation import rounds, timeline
from assembly.deliberation.access import round_or_404
from assembly.deliberation.models import Round, RoundKind, RoundState
from assembly.drafting import amendments, comments, dissent, principles
from assembly.drafting.access import amendment_or_404, comment_or_404, principle_or_404
from assembly.drafting.models import (
    Amendment,
    AmendmentStatus,
    Channel,
    DissentNote,
    DraftRound,
    Principle,
    PrincipleVersion,
)
from assembly.drafting.views import common, history
from assembly.errors import ActionableError
from assembly.recruitment.models import Contact
from assembly.selection.models import Member, on_panel
from assembly.tables import row_id
from assembly.templating import render, see_other, url

HINTS = {
    "title": "A few words members see in the list, for example “Open by default”.",
    "text": "The principle itself, in one to three plain sentences.",
    "rationale": "Optional. Why the assembly might want it: what members said, what the "
                 "evidence showed.",
}


def _values(form: FormData | None, item: Principle | None) -> dict[str, str]:
    if form is not None:
        return {name: forms.text(form, name, multiline=name in principles.MULTILINE)
                for name in principles.FIELDS}
    if item is None:
        return {"title": "", "text": "", "rationale": "", "theme": ""}
    return {name: getattr(item, name) for name in principles.FIELDS}


def _themes() -> list[tuple[str, str]]:
    return [(theme.value, label) for theme, label in principles.THEME_LABELS.items()]


# --- the draft round's page ------------------------------------------------------------------


@dataclass(frozen=True)
class RoundPage:
    assembly: Assembly
    view: timeline.RoundView
    settings: DraftRound
    principles: list[Principle]
    comments: dict[int, int]
    queue: list[Amendment]
    notes: dict[int, list[DissentNote]]


def _round_page_data(session: Session, assembly_id: int, round_id: int, now: Any) -> RoundPage:
    assembly = assembly_or_404(session, assembly_id)
    item = round_or_404(session, assembly_id, round_id)
    view = next(v for v in timeline.load(session, assembly, now).rounds if v.round.id == item.id)
    found = principles.of_round(session, round_id)
    ids = [row_id(p.id) for p in found]
    return RoundPage(assembly, view, principles.settings_of(session, item), found,
                     comments.counts(session, ids), amendments.waiting(session, ids),
                     dissent.of_principles(session, ids))


async def round_page(request: Request) -> Response:
    require(request, "programme.view")
    await common.caught_up(request, request.path_params["assembly_id"], clock.now(request))
    return await _round_page(request, {}, _values(None, None), {})


async def _round_page(request: Request, errors: dict[str, str], values: dict[str, str],
                      settings_errors: dict[str, str], *, status_code: int = 200,
                      cosigners: str | None = None) -> Response:
    assembly_id, round_id = request.path_params["assembly_id"], request.path_params["round_id"]
    now = clock.now(request)
    page = await db.run(request, _round_page_data, assembly_id, round_id, now)
    if RoundKind(page.view.round.kind) is not RoundKind.draft:
        return see_other(request, url(request, "round", assembly_id=assembly_id,
                                      round_id=round_id))
    by_id = {p.id: p for p in page.principles}
    return render(request, "drafting/round.html", {
        "assembly": page.assembly, "v": page.view, "principles": page.principles,
        "comment_counts": page.comments, "queue": page.queue, "by_id": by_id,
        "notes": page.notes, "settings": page.settings, "errors": errors, "values": values,
        "settings_errors": settings_errors,
        "cosigners": cosigners if cosigners is not None else str(page.settings.cosigners),
        "themes": _themes(), "theme_labels": {t.value: label for t, label
                                              in principles.THEME_LABELS.items()},
        "hints": HINTS,
    }, block="content", status_code=status_code)


async def principle_create(request: Request) -> Response:
    actor = require(request, "programme.manage")
    assembly_id, round_id = request.path_params["assembly_id"], request.path_params["round_id"]
    form = await forms.read(request)
    now = clock.now(request)
    values = _values(form, None)
    errors, details = principles.check(values)
    if details is not None:
        checked = details

        def work(session: Session) -> Principle:
            return principles.create(session, round_or_404(session, assembly_id, round_id),
                                     checked, now, actor=actor.label)

        try:
            item = await db.run(request, work, write=True)
        except ActionableError as error:
            errors = {error.field: str(error)}
        else:
            return see_other(request, url(request, "draft_round", assembly_id=assembly_id,
                                          round_id=round_id) + f"#principle-{item.id}",
                             f"Principle “{item.title}” added at the end of the list.")
    return await _round_page(request, errors, values, {}, status_code=422)


async def configure(request: Request) -> Response:
    actor = require(request, "programme.manage")
    assembly_id, round_id = request.path_params["assembly_id"], request.path_params["round_id"]
    value = forms.text(await forms.read(request), "cosigners")
    now = clock.now(request)

    def work(session: Session) -> bool:
        return principles.configure(session, round_or_404(session, assembly_id, round_id),
                                    value, now, actor=actor.label)

    try:
        changed = await db.run(request, work, write=True)
    except ActionableError as error:
        return await _round_page(request, {}, _values(None, None), {error.field: str(error)},
                                 status_code=422, cosigners=value)
    return see_other(request, url(request, "draft_round", assembly_id=assembly_id,
                                  round_id=round_id) + "#dissent-setting",
                     f"A dissent note now goes on the record once {value} members have signed "
                     "it." if changed else "Nothing changed.")


# --- one principle ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PrinciplePage:
    assembly: Assembly
    round: Round
    principle: Principle
    versions: list[PrincipleVersion]
    linked: list[principles.Linked]
    discuss_rounds: list[Round]
    thread: list[comments.Entry]
    amendments: list[Amendment]
    notes: list[DissentNote]
    cosigners: int
    members: list[tuple[str, str]]
    is_open: bool


def _members(session: Session, assembly_id: int) -> list[tuple[str, str]]:
    """The panel's members as (public id, name), for keying in what one gave on paper."""
    rows = session.exec(select(Member.public_id, Contact.name)
                        .outerjoin(Contact, col(Contact.respondent_id) == col(Member.respondent_id))
                        .where(Member.assembly_id == assembly_id, on_panel())
                        .order_by(col(Contact.name), col(Member.id))).all()
    return [(public_id, name or f"Member {public_id[:6]}") for public_id, name in rows]


def _principle_page_data(session: Session, assembly_id: int, principle_id: int, now: Any
                         ) -> PrinciplePage:
    assembly = assembly_or_404(session, assembly_id)
    round_item, principle = principle_or_404(session, assembly_id, principle_id)
    pid = row_id(principle.id)
    return PrinciplePage(
        assembly, round_item, principle, principles.versions(session, pid),
        principles.linked(session, [pid])[pid],
        principles.discuss_rounds(session, assembly_id), comments.thread(session, pid),
        amendments.of_principle(session, pid), dissent.of_principles(session, [pid])[pid],
        principles.settings_of(session, round_item).cosigners, _members(session, assembly_id),
        rounds.state_of(round_item, now) is RoundState.open)


async def principle_page(request: Request) -> Response:
    require(request, "programme.view")
    return await _principle_page(request, {}, {})


async def _principle_page(request: Request, errors: dict[str, str], values: dict[str, str], *,
                          status_code: int = 200, principle_id: int | None = None) -> Response:
    now = clock.now(request)
    page = await db.run(request, _principle_page_data, request.path_params["assembly_id"],
                        principle_id or request.path_params["principle_id"], now)
    texts = {v.version: v.text for v in page.versions}
    waiting = [a for a in page.amendments if a.status == AmendmentStatus.waiting.value]
    stale = {a.id: history.pieces(texts.get(a.base_version, ""), page.principle.text)
             for a in waiting if a.base_version < page.principle.version}
    return render(request, "drafting/principle.html", {
        "assembly": page.assembly, "round": page.round, "p": page.principle,
        "versions": page.versions, "linked": page.linked, "discuss_rounds": page.discuss_rounds,
        "thread": page.thread, "amendments": page.amendments, "notes": page.notes,
        "cosigners": page.cosigners, "members": page.members, "is_open": page.is_open,
        "stale": stale, "proposed": {a.id: history.pieces(texts.get(a.base_version, ""), a.text)
                                     for a in waiting},
        "errors": errors, "values": {**_values(None, page.principle), "numbers": "",
                                     "stance": "", "comment": "", "member": "",
                                     "channel": "paper", **values},
        "themes": _themes(), "theme_labels": {t.value: label for t, label
                                              in principles.THEME_LABELS.items()},
        "stance_labels": {s.value: label for s, label in comments.STANCE_LABELS.items()},
        "hints": HINTS, "history": history,
    }, block="content", status_code=status_code)


def _back(request: Request, principle_id: int, anchor: str = "") -> str:
    return url(request, "principle", assembly_id=request.path_params["assembly_id"],
               principle_id=principle_id) + anchor


async def principle_update(request: Request) -> Response:
    actor = require(request, "programme.manage")
    assembly_id, principle_id = (request.path_params["assembly_id"],
                                 request.path_params["principle_id"])
    form = await forms.read(request)
    now = clock.now(request)
    values = _values(form, None)
    errors, details = principles.check(values)
    if details is not None:
        checked = details

        def work(session: Session) -> bool:
            round_item, principle = principle_or_404(session, assembly_id, principle_id)
            return principles.edit(session, round_item, principle, checked, now,
                                   actor=actor.label)

        changed = await db.run(request, work, write=True)
        return see_other(request, _back(request, principle_id),
                         "Saved as a new version; the earlier one is kept in the history."
                         if changed else "Nothing changed.")
    return await _principle_page(request, errors, values, status_code=422)


async def principle_move(request: Request) -> Response:
    actor = require(request, "programme.manage")
    assembly_id, principle_id = (request.path_params["assembly_id"],
                                 request.path_params["principle_id"])
    direction = forms.text(await forms.read(request), "direction")

    def work(session: Session) -> tuple[int, bool]:
        round_item, principle = principle_or_404(session, assembly_id, principle_id)
        return row_id(round_item.id), principles.move(session, round_item, principle,
                                                      direction, actor=actor.label)

    try:
        round_id, moved = await db.run(request, work, write=True)
    except ActionableError as error:
        return see_other(request, _back(request, principle_id), str(error), "error")
    return see_other(request, url(request, "draft_round", assembly_id=assembly_id,
                                  round_id=round_id) + f"#principle-{principle_id}",
                     f"Moved {direction}." if moved else
                     "That principle is already at the "
                     f"{'top' if direction == 'up' else 'bottom'}.")


async def _change(request: Request, change: Callable[[Session, FormData, str], Any],
                  success: str, anchor: str, values: Callable[[FormData], dict[str, str]],
                  fields: dict[str, str] | None = None) -> Response:
    """Run one officer change on a principle; its form's problems come back beside it (422)."""
    actor = require(request, "programme.manage")
    form = await forms.read(request)

    def work(session: Session) -> Any:
        return change(session, form, actor.label)

    try:
        await db.run(request, work, write=True)
    except ActionableError as error:
        field = (fields or {}).get(error.field, error.field)
        return await _principle_page(request, {field: str(error)}, values(form),
                                     status_code=error.status_code)
    return see_other(request, _back(request, request.path_params["principle_id"], anchor),
                     success)


async def principle_link(request: Request) -> Response:
    assembly_id, principle_id = (request.path_params["assembly_id"],
                                 request.path_params["principle_id"])

    def change(session: Session, form: FormData, actor: str) -> None:
        round_item, principle = principle_or_404(session, assembly_id, principle_id)
        discuss_id = forms.text(form, "discuss_round")
        discuss = round_or_404(session, assembly_id, int(discuss_id)) \
            if discuss_id.isdigit() and len(discuss_id) < 10 else None
        if discuss is None:
            raise principles.PrincipleError("Choose the discuss round the statements are from.",
                                            field="discuss_round")
        try:
            numbers = principles.parse_numbers(forms.text(form, "numbers"))
        except ValueError as problem:
            raise principles.PrincipleError(
                f"{str(problem).capitalize()}: type the numbers separated by commas, for "
                "example 4, 7, 12.", field="numbers") from None
        principles.link_statements(session, round_item, principle, discuss, numbers,
                                   actor=actor)

    return await _change(request, change, "Linked statements saved.", "#statements",
                         lambda form: {"numbers": forms.text(form, "numbers")})


async def comment_key_in(request: Request) -> Response:
    """A comment a member gave on paper or by phone, typed in by an officer."""
    assembly_id, principle_id = (request.path_params["assembly_id"],
                                 request.path_params["principle_id"])
    now = clock.now(request)

    def change(session: Session, form: FormData, actor: str) -> None:
        round_item, principle = principle_or_404(session, assembly_id, principle_id)
        channel = forms.text(form, "channel")
        if channel not in (Channel.paper.value, Channel.phone.value):
            raise comments.CommentError("Say whether the member gave it on paper or by phone.",
                                        field="channel")
        member = session.exec(select(Member).where(
            Member.public_id == forms.text(form, "member"),
            Member.assembly_id == assembly_id)).first()
        if member is None:
            raise comments.CommentError("Choose the member who gave the comment.",
                                        field="member")
        comments.post(session, round_item, principle, row_id(member.id),
                      forms.text(form, "stance"), forms.text(form, "comment", multiline=True),
                      None, now, channel=Channel(channel), entered_by=actor)

    def values(form: FormData) -> dict[str, str]:
        return {name: forms.text(form, name, multiline=name == "comment")
                for name in ("member", "channel", "stance", "comment")}

    return await _change(request, change, "Comment keyed in. It shows as given on paper or "
                                          "by phone.", "#comments", values, {"text": "comment"})


async def comment_hide(request: Request) -> Response:
    actor = require(request, "programme.manage")
    assembly_id, comment_id = request.path_params["assembly_id"], request.path_params["comment_id"]
    reason = forms.text(await forms.read(request), "reason", multiline=True)
    now = clock.now(request)

    def work(session: Session) -> tuple[int, bool]:
        round_item, principle, comment = comment_or_404(session, assembly_id, comment_id)
        return row_id(principle.id), comments.hide(session, round_item, principle, comment,
                                                   reason, now, actor=actor.label)

    try:
        principle_id, hidden = await db.run(request, work, write=True)
    except ActionableError as error:
        principle_id = await db.run(request, lambda s: row_id(
            comment_or_404(s, assembly_id, comment_id)[1].id))
        return see_other(request, _back(request, principle_id, f"#comment-{comment_id}"),
                         str(error), "error")
    return see_other(request, _back(request, principle_id, f"#comment-{comment_id}"),
                     "Comment hidden. Members see the reason in its place."
                     if hidden else "Nothing changed.")


async def amendment_decide(request: Request) -> Response:
    """Accept (as proposed, or with the officer's changes) or reject an amendment."""
    actor = require(request, "programme.manage")
    assembly_id, amendment_id = (request.path_params["assembly_id"],
                                 request.path_params["amendment_id"])
    form = await forms.read(request)
    now = clock.now(request)
    decision = forms.text(form, "decision")
    text = forms.text(form, f"amend_text-{amendment_id}", multiline=True)
    title = forms.text(form, f"amend_title-{amendment_id}")
    reason = forms.text(form, f"decision_reason-{amendment_id}", multiline=True)

    def work(session: Session) -> tuple[int, str]:
        round_item, principle, amendment = amendment_or_404(session, assembly_id, amendment_id)
        if decision == "accept":
            made = amendments.accept(session, round_item, principle, amendment, now,
                                     actor=actor.label)
            return row_id(principle.id), f"Amendment accepted: the principle is now version {made}."
        if decision == "accept_with_changes":
            made = amendments.accept(session, round_item, principle, amendment, now,
                                     actor=actor.label, title=title, text=text)
            return row_id(principle.id), (f"Amendment accepted with your changes: the principle "
                                          f"is now version {made}. The member sees it was "
                                          "changed.")
        if decision == "reject":
            amendments.reject(session, round_item, principle, amendment, reason, now,
                              actor=actor.label)
            return row_id(principle.id), "Amendment rejected. The member sees your reason."
        raise amendments.AmendmentError("Choose to accept, accept with changes, or reject.",
                                        field="decision")

    try:
        principle_id, message = await db.run(request, work, write=True)
    except ActionableError as error:
        principle_id = await db.run(request, lambda s: row_id(
            amendment_or_404(s, assembly_id, amendment_id)[1].id))
        field = {"text": "amend_text", "title": "amend_title"}.get(error.field, error.field)
        return await _principle_page(request, {f"{field}-{amendment_id}": str(error)},
                                     {"amend_text": text, "amend_title": title,
                                      "decision_reason": reason},
                                     status_code=error.status_code, principle_id=principle_id)
    return see_other(request, _back(request, principle_id, "#amendments"), message)


# --- history ---------------------------------------------------------------------------------


async def history_page(request: Request) -> Response:
    require(request, "programme.view")
    assembly_id, principle_id = (request.path_params["assembly_id"],
                                 request.path_params["principle_id"])

    def load(session: Session) -> tuple[Assembly, Round, Principle, list[PrincipleVersion]]:
        assembly = assembly_or_404(session, assembly_id)
        round_item, principle = principle_or_404(session, assembly_id, principle_id)
        return assembly, round_item, principle, principles.versions(session,
                                                                    row_id(principle.id))

    assembly, round_item, principle, found = await db.run(request, load)
    compared = history.compare(found, request.query_params)
    return render(request, "drafting/history.html", {
        "assembly": assembly, "round": round_item, "p": principle, "versions": found,
        "compared": compared, "officer": True,
        "action": url(request, "principle_history", assembly_id=assembly_id,
                      principle_id=principle_id),
        "back": _back(request, principle_id),
    }, block="content")
