"""The officers' side of a learn round's evidence library: adding and editing briefings (every
save kept as a version), attaching files, and moderating and answering members' questions.

Plain forms that work without JavaScript (303 + flash); a form with problems comes back with
each message beside its field (422) and nothing saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from assembly import clock, db, forms
from assembly.assemblies.access import assembly_or_404
from assembly.assemblies.models import Assembly
from assembly.authz import require
from assembly.deliberation import briefings, markdown, questions, report, rounds
from assembly.deliberation.access import (
    attachment_or_404,
    briefing_or_404,
    question_or_404,
    round_or_404,
)
from assembly.deliberation.models import (
    Attachment,
    Briefing,
    BriefingVersion,
    Question,
    Round,
    RoundKind,
    RoundState,
)
from assembly.errors import ActionableError
from assembly.security import RequestTooLarge
from assembly.tables import row_id
from assembly.templating import render, see_other, url
from sortition.model import clean_text

HINTS = {
    "title": "Members see it in the list of briefings, for example “Predictive analytics in "
             "children's services”.",
    "summary": "Two or three sentences in plain words: what the briefing says. Members read "
               "this first.",
    "body": "The full briefing. You can use Markdown: a blank line between paragraphs, "
            "## for a heading, - for a list, [words](https://...) for a link. HTML is shown as "
            "text.",
    "easy_read": "Optional. Short sentences and everyday words, one idea per sentence. "
                 "Markdown as above.",
    "speaker_name": "Who gave the briefing, for example “Dr Amina Shah”.",
    "speaker_organisation": "For example “University of Liverpool”. Leave empty if none.",
    "speaker_role": "For example “Senior lecturer in data ethics”.",
    "interests": "Who funds the speaker's work, whom they advise or work for, anything members "
                 "should weigh. Write “None declared” if there are none.",
    "video_url": "Optional. A link to a recording, starting with https://.",
    "transcript": "Needed with a video, so members who cannot watch or hear it can read it.",
}


def _values(form: FormData | None, item: Briefing | None) -> dict[str, str]:
    if form is not None:
        return {name: forms.text(form, name, multiline=name in briefings.MULTILINE)
                for name in briefings.FIELDS}
    if item is None:
        return dict.fromkeys(briefings.FIELDS, "")
    return {name: getattr(item, name) for name in briefings.FIELDS}


def _form(request: Request, assembly: Assembly, round_item: Round, item: Briefing | None,
          values: dict[str, str], errors: dict[str, str], *, status_code: int = 200
          ) -> Response:
    return render(request, "deliberation/briefing_form.html", {
        "assembly": assembly, "round": round_item, "briefing": item, "values": values,
        "errors": errors, "hints": HINTS,
    }, block="form", status_code=status_code)


def _load_round(session: Session, assembly_id: int, round_id: int) -> tuple[Assembly, Round]:
    return assembly_or_404(session, assembly_id), round_or_404(session, assembly_id, round_id)


def _load_briefing(session: Session, assembly_id: int, briefing_id: int
                   ) -> tuple[Assembly, Round, Briefing]:
    assembly = assembly_or_404(session, assembly_id)
    round_item, item = briefing_or_404(session, assembly_id, briefing_id)
    return assembly, round_item, item


async def briefing_new(request: Request) -> Response:
    require(request, "programme.manage")
    assembly, round_item = await db.run(request, _load_round, request.path_params["assembly_id"],
                                        request.path_params["round_id"])
    return _form(request, assembly, round_item, None, _values(None, None), {})


async def briefing_create(request: Request) -> Response:
    actor = require(request, "programme.manage")
    assembly_id, round_id = request.path_params["assembly_id"], request.path_params["round_id"]
    form = await forms.read(request)
    now = clock.now(request)
    assembly, round_item = await db.run(request, _load_round, assembly_id, round_id)
    values = _values(form, None)
    errors, details = briefings.check(values)
    if details is not None:
        def work(session: Session) -> Briefing:
            return briefings.create(session, round_or_404(session, assembly_id, round_id),
                                    details, actor=actor.label, now=now)

        try:
            item = await db.run(request, work, write=True)
        except ActionableError as error:
            errors = {error.field: str(error)}
        else:
            return see_other(request, url(request, "briefing", assembly_id=assembly_id,
                                          briefing_id=row_id(item.id)),
                             f"Briefing “{item.title}” added. Attach any files below.")
    return _form(request, assembly, round_item, None, values, errors, status_code=422)


async def briefing_edit(request: Request) -> Response:
    require(request, "programme.manage")
    assembly, round_item, item = await db.run(request, _load_briefing,
                                              request.path_params["assembly_id"],
                                              request.path_params["briefing_id"])
    return _form(request, assembly, round_item, item, _values(None, item), {})


async def briefing_update(request: Request) -> Response:
    actor = require(request, "programme.manage")
    assembly_id, briefing_id = (request.path_params["assembly_id"],
                                request.path_params["briefing_id"])
    form = await forms.read(request)
    now = clock.now(request)
    assembly, round_item, item = await db.run(request, _load_briefing, assembly_id, briefing_id)
    values = _values(form, None)
    errors, details = briefings.check(values)
    if details is not None:
        def work(session: Session) -> bool:
            fresh_round, fresh = briefing_or_404(session, assembly_id, briefing_id)
            return briefings.update(session, fresh_round, fresh, details, actor=actor.label,
                                    now=now)

        changed = await db.run(request, work, write=True)
        return see_other(request, url(request, "briefing", assembly_id=assembly_id,
                                      briefing_id=briefing_id),
                         "Briefing saved. Members see when it was updated; the earlier "
                         "version is kept." if changed else "Nothing changed.")
    return _form(request, assembly, round_item, item, values, errors, status_code=422)


@dataclass(frozen=True)
class BriefingPage:
    assembly: Assembly
    round: Round
    briefing: Briefing
    attachments: list[Attachment]
    versions: list[BriefingVersion]
    reads: int


def _briefing_page_data(session: Session, assembly_id: int, briefing_id: int) -> BriefingPage:
    assembly, round_item, item = _load_briefing(session, assembly_id, briefing_id)
    found = briefings.attachments_of(session, [row_id(item.id)])[row_id(item.id)]
    reads = briefings.read_counts(session, row_id(round_item.id)).get(row_id(item.id), 0)
    return BriefingPage(assembly, round_item, item, found,
                        briefings.versions(session, row_id(item.id)), reads)


async def briefing_page(request: Request) -> Response:
    require(request, "programme.view")
    return await _briefing_page(request, {}, {})


async def _briefing_page(request: Request, errors: dict[str, str], values: dict[str, str], *,
                         status_code: int = 200) -> Response:
    page = await db.run(request, _briefing_page_data, request.path_params["assembly_id"],
                        request.path_params["briefing_id"])
    settings = request.app.state.settings
    return render(request, "deliberation/briefing.html", {
        "assembly": page.assembly, "round": page.round, "b": page.briefing,
        "attachments": page.attachments, "versions": page.versions, "reads": page.reads,
        "body": markdown.render(page.briefing.body),
        "easy_read": markdown.render(page.briefing.easy_read),
        "errors": errors, "values": {"alt_text": "", **values},
        "limit": forms.megabytes(settings.max_attachment_bytes),
    }, block="content", status_code=status_code)


async def attachment_add(request: Request) -> Response:
    actor = require(request, "programme.manage")
    assembly_id, briefing_id = (request.path_params["assembly_id"],
                                request.path_params["briefing_id"])
    limit: int = request.app.state.settings.max_attachment_bytes
    data: bytes | None = None
    filename = alt_text = ""
    errors: dict[str, str] = {}
    await db.run(request, _load_briefing, assembly_id, briefing_id)   # 404 before reading
    try:
        async with request.form(max_files=1, max_fields=5) as form:
            upload: Any = form.get("file")
            if isinstance(upload, UploadFile) and upload.filename:
                data = await upload.read(limit + 1)
                filename = clean_text(upload.filename)[:200]
            alt_text = forms.text(form, "alt_text", multiline=True)
    except RequestTooLarge:
        errors["file"] = (f"That file is larger than this site accepts; a briefing's file can "
                          f"be at most {forms.megabytes(limit)}. Make it smaller and try again.")
    if data is None and not errors:
        errors["file"] = "Choose a file to attach: a PDF, an image or slides."
    if not errors:
        assert data is not None

        def work(session: Session) -> Attachment:
            round_item, item = briefing_or_404(session, assembly_id, briefing_id)
            return briefings.attach(session, round_item, item, filename, data, alt_text,
                                    limit=limit, actor=actor.label)

        try:
            attachment = await db.run(request, work, write=True)
        except ActionableError as error:
            errors = {error.field: str(error)}
        else:
            return see_other(request, url(request, "briefing", assembly_id=assembly_id,
                                          briefing_id=briefing_id) + "#files",
                             f"{attachment.filename} attached.")
    return await _briefing_page(request, errors, {"alt_text": alt_text}, status_code=422)


def file_response(attachment: Attachment) -> Response:
    """The file with the type its bytes were checked to be; pictures and PDFs open in the
    browser, slides download. `nosniff` stops a browser second-guessing the type; the app's
    own Content-Security-Policy applies to the file as to every page."""
    inline = attachment.content_type.startswith("image/") or \
        attachment.content_type == "application/pdf"
    disposition = "inline" if inline else "attachment"
    return Response(attachment.data, media_type=attachment.content_type, headers={
        "Content-Disposition": f'{disposition}; filename="{attachment.filename}"',
        "X-Content-Type-Options": "nosniff",
        # A library computer is shared: nothing of an assembly's files stays in its cache.
        "Cache-Control": "no-store",
    })


async def attachment_download(request: Request) -> Response:
    require(request, "programme.view")

    def load(session: Session) -> Attachment:
        return attachment_or_404(session, request.path_params["assembly_id"],
                                 request.path_params["attachment_id"], with_data=True)[2]

    return file_response(await db.run(request, load))


async def attachment_delete(request: Request) -> Response:
    actor = require(request, "programme.manage")
    assembly_id = request.path_params["assembly_id"]
    await forms.read(request)

    def work(session: Session) -> tuple[int, str]:
        round_item, item, attachment = attachment_or_404(session, assembly_id,
                                                         request.path_params["attachment_id"])
        briefings.detach(session, round_item, item, attachment, actor=actor.label)
        return row_id(item.id), attachment.filename

    briefing_id, name = await db.run(request, work, write=True)
    return see_other(request, url(request, "briefing", assembly_id=assembly_id,
                                  briefing_id=briefing_id) + "#files", f"{name} removed.")


# --- the round view ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionRow:
    question: Question
    asker: str            # the member's name (officers only), or "" once erased
    briefing: str         # the title of the briefing it is about, or ""
    duplicates: int       # how many questions were merged into it
    speaker_hint: str     # who is likely to answer: the speaker of the briefing it is about


@dataclass(frozen=True)
class RoundEvidence:
    """What a learn round's page shows officers: briefings with read counts, the counts of
    who took part, members with nothing done yet, and the questions to moderate."""

    briefings: list[Briefing]
    report: report.Report
    questions: list[QuestionRow]


def round_evidence(session: Session, round_item: Round, now: datetime) -> RoundEvidence | None:
    if RoundKind(round_item.kind) is not RoundKind.learn:
        return None
    round_id = row_id(round_item.id)
    items = briefings.of_round(session, round_id)
    titles = {item.id: item.title for item in items}
    speakers = {item.id: item.speaker_name for item in items}
    all_questions = questions.of_round(session, round_id)
    names = questions.askers(session, all_questions)
    merged = questions.merged_counts(all_questions)
    rows = [QuestionRow(q, names.get(q.member_id or 0, ""), titles.get(q.briefing_id, ""),
                        merged.get(row_id(q.id), 0), speakers.get(q.briefing_id, ""))
            for q in all_questions]
    return RoundEvidence(items, report.load(
        session, round_item, with_idle=rounds.state_of(round_item, now) is RoundState.open), rows)


# --- questions ----------------------------------------------------------------------------------


async def _question_change(request: Request, change: Any, success: str) -> Response:
    actor = require(request, "programme.manage")
    assembly_id, question_id = (request.path_params["assembly_id"],
                                request.path_params["question_id"])
    form = await forms.read(request)

    def work(session: Session) -> int:
        round_item, question = question_or_404(session, assembly_id, question_id)
        change(session, round_item, question, form, actor.label)
        return row_id(round_item.id)

    try:
        round_id = await db.run(request, work, write=True)
    except ActionableError as error:
        round_id = await db.run(request, lambda s: row_id(
            question_or_404(s, assembly_id, question_id)[0].id))
        return see_other(request, url(request, "round", assembly_id=assembly_id,
                                      round_id=round_id) + f"#question-{question_id}",
                         str(error), "error")
    return see_other(request, url(request, "round", assembly_id=assembly_id,
                                  round_id=round_id) + f"#question-{question_id}", success)


async def question_key_in(request: Request) -> Response:
    """A question a member gave on paper or by phone, keyed in by an officer."""
    actor = require(request, "programme.manage")
    assembly_id, round_id = request.path_params["assembly_id"], request.path_params["round_id"]
    form = await forms.read(request)
    now = clock.now(request)

    def work(session: Session) -> str:
        round_item = round_or_404(session, assembly_id, round_id)
        member_id = questions.member_by_reference(session, round_item,
                                                  forms.text(form, "reference"))
        question = questions.ask(session, round_item, member_id,
                                 forms.text(form, "text", multiline=True), None, now,
                                 channel=forms.text(form, "channel"), entered_by=actor.label)
        return str(question.id)

    back = url(request, "round", assembly_id=assembly_id, round_id=round_id)
    try:
        question_id = await db.run(request, work, write=True)
    except ActionableError as error:
        return see_other(request, back + "#key-in-question", str(error), "error")
    return see_other(request, back + f"#question-{question_id}",
                     "Question keyed in. It waits to be checked like any other.")


async def question_moderate(request: Request) -> Response:
    def change(session: Session, round_item: Round, question: Any, form: FormData,
               actor: str) -> None:
        questions.moderate(session, round_item, question, forms.text(form, "decision"),
                           actor=actor)

    return await _question_change(request, change, "Question moderated.")


async def question_merge(request: Request) -> Response:
    assembly_id = request.path_params["assembly_id"]

    def change(session: Session, round_item: Round, question: Any, form: FormData,
               actor: str) -> None:
        target = forms.text(form, "into")
        if not target.isdigit() or len(target) > 9:
            raise questions.QuestionError("Choose the question it duplicates.", field="into")
        _, into = question_or_404(session, assembly_id, int(target))
        questions.merge(session, round_item, question, into, actor=actor)

    return await _question_change(request, change,
                                  "Merged: members see it as one question.")


async def question_answer(request: Request) -> Response:
    def change(session: Session, round_item: Round, question: Any, form: FormData,
               actor: str) -> None:
        questions.answer(session, round_item, question,
                         forms.text(form, "answer", multiline=True),
                         forms.text(form, "answered_by"), actor=actor)

    return await _question_change(request, change, "Answer published. Members can read it now.")
