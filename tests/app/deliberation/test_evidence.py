"""The evidence library of a learn round, through the real app: officers add and edit
briefings (earlier versions kept), attach files (checked by their bytes, refused with a message
and nothing stored), members read them and ask questions, officers moderate, merge and answer,
and see counts (never who read what) and who has done nothing yet."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from assembly import audit, db
from assembly.assemblies.models import Assembly
from assembly.deliberation import briefings, questions, rounds, samples
from assembly.deliberation.models import (
    Attachment,
    Briefing,
    BriefingRead,
    BriefingVersion,
    Question,
    Round,
    RoundKind,
    RoundVisit,
)
from assembly.privacy import personal_data
from assembly.recruitment.models import Contact, Respondent
from assembly.selection.models import Member
from assembly.settings import Settings
from tests.app.builders import make_member, mark_joined, new_round
from tests.app.clocks import T0, Clock
from tests.app.flows import make_client, post_form, sign_in_member

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
BRIEFING = {"title": "Data in adult social care", "summary": "How the council uses data.",
            "body": "## What is kept\n\nCare **records**.\n\n<script>alert(1)</script>\n\n"
                    "[bad](javascript:alert(1)) [good](https://ico.org.uk)",
            "easy_read": "The council keeps notes about care.", "speaker_name": "Dr Amina Shah",
            "speaker_organisation": "University of Liverpool", "speaker_role": "Lecturer",
            "interests": "Funded by the Nuffield Foundation.", "video_url": "", "transcript": ""}


@pytest.fixture
def learn(clock: Clock, engine: Engine, member: Member) -> Round:
    """An open learn round of the member's assembly (which the member has joined, with a name
    and phone number on file)."""
    with db.session(engine, write=True) as session:
        item = new_round(session, member.assembly_id, rounds.Details(
            RoundKind.learn, "Learning about data", "To learn.", "Read the briefings.",
            T0 - timedelta(days=1), T0 + timedelta(days=5)), actor="test")
        mark_joined(session, member, T0 - timedelta(days=3))
        session.add(Contact(respondent_id=member.respondent_id, name="Pat Jones",
                            phone="0151 496 0000"))
        session.flush()
        session.expunge(item)
        return item


def add_briefing(officer_client: TestClient, item: Round, **changes: str) -> int:
    response = post_form(officer_client, f"/assemblies/{item.assembly_id}/rounds/{item.id}/"
                         "briefings", {**BRIEFING, **changes}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def attach(client: TestClient, assembly_id: int, briefing_id: int, name: str, data: bytes,
           alt_text: str = "") -> object:
    return client.post(f"/assemblies/{assembly_id}/briefings/{briefing_id}/files",
                       data={"alt_text": alt_text}, files={"file": (name, data, "text/plain")},
                       headers={"Sec-Fetch-Site": "same-origin"}, follow_redirects=False)


def public(engine: Engine, table: type, row_id: int) -> str:
    with db.session(engine) as session:
        return str(session.get(table, row_id).public_id)  # type: ignore[union-attr]


def test_a_briefing_with_problems_is_refused_field_by_field(
        learn: Round, officer_client: TestClient, engine: Engine) -> None:
    response = post_form(officer_client, f"/assemblies/{learn.assembly_id}/rounds/{learn.id}/"
                         "briefings", {"title": "", "video_url": "http://x.example/v"})
    assert response.status_code == 422
    for message in ("Enter a title", "Write a short summary", "Enter who gave this briefing",
                    "declared interests", "starting with https://"):
        assert message in response.text
    response = post_form(officer_client, f"/assemblies/{learn.assembly_id}/rounds/{learn.id}/"
                         "briefings", {**BRIEFING, "body": "", "video_url":
                                       "https://video.example/1"})
    assert response.status_code == 422 and "Add the video&#39;s transcript" in response.text
    with db.session(engine) as session:
        assert session.exec(select(Briefing)).all() == []


def test_briefings_belong_to_learn_rounds(clock: Clock, engine: Engine, member: Member,
                                          officer_client: TestClient) -> None:
    with db.session(engine, write=True) as session:
        vote = new_round(session, member.assembly_id, rounds.Details(
            RoundKind.vote, "Vote", "To vote.", "Vote.", T0 + timedelta(days=9),
            T0 + timedelta(days=12)), actor="test")
    response = post_form(officer_client, f"/assemblies/{member.assembly_id}/rounds/{vote.id}/"
                         "briefings", BRIEFING)
    assert response.status_code == 422 and "Briefings belong to learn rounds" in response.text


def test_members_read_briefings_safely_and_officers_see_counts_only(
        learn: Round, officer_client: TestClient, member_client: TestClient, engine: Engine,
        clock: Clock) -> None:
    first = add_briefing(officer_client, learn)
    add_briefing(officer_client, learn, title="Live facial recognition")
    page = member_client.get(f"/home/rounds/{learn.public_id}")
    assert "Data in adult social care" in page.text and "Live facial recognition" in page.text
    assert "0 of 2 briefings read" in page.text
    briefing_page = member_client.get(f"/home/briefings/{public(engine, Briefing, first)}")
    text = briefing_page.text
    assert "<h3>What is kept</h3>" in text and "<strong>records</strong>" in text
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;" in text
    assert 'href="javascript:' not in text
    assert 'href="https://ico.org.uk" rel="noopener noreferrer nofollow"' in text
    assert "The council keeps notes about care." in text          # the easy-read version
    assert "Funded by the Nuffield Foundation." in text and "Dr Amina Shah" in text
    assert "Updated on" not in text
    response = post_form(member_client, f"/home/briefings/{public(engine, Briefing, first)}/read",
                         follow_redirects=False)
    assert response.status_code == 303
    post_form(member_client, f"/home/briefings/{public(engine, Briefing, first)}/read")  # twice
    assert "1 of 2 briefings read" in member_client.get("/home").text
    assert "You have marked this briefing as read" in member_client.get(
        f"/home/briefings/{public(engine, Briefing, first)}").text
    with db.session(engine) as session:
        assert len(session.exec(select(BriefingRead)).all()) == 1
    officer_view = officer_client.get(f"/assemblies/{learn.assembly_id}/rounds/{learn.id}").text
    assert "1 of 1</td>" in officer_view and "0 of 1</td>" in officer_view
    assert "<strong>1 of 1</strong> members opened this round" in officer_view
    briefing_view = officer_client.get(f"/assemblies/{learn.assembly_id}/briefings/{first}").text
    assert "Read by 1 member." in briefing_view and "Pat Jones" not in briefing_view
    # The service says whether the mark is new: once per member and briefing.
    with db.session(engine, write=True) as session:
        [read] = session.exec(select(BriefingRead)).all()
        item, other = (session.exec(select(Briefing).where(Briefing.round_id == learn.id)
                                    .order_by(col(Briefing.id))).all())
        assert briefings.mark_read(session, item, read.member_id) is False
        assert briefings.mark_read(session, other, read.member_id) is True
        assert briefings.mark_read(session, other, read.member_id) is False


def test_editing_keeps_earlier_versions_and_members_see_the_date(
        learn: Round, officer_client: TestClient, member_client: TestClient, engine: Engine,
        clock: Clock) -> None:
    briefing_id = add_briefing(officer_client, learn)
    clock.now = T0 + timedelta(days=2)
    path = f"/assemblies/{learn.assembly_id}/briefings/{briefing_id}/edit"
    response = post_form(officer_client, path, {**BRIEFING, "body": "Corrected figures."},
                         follow_redirects=False)
    assert response.status_code == 303
    assert "Nothing changed" in post_form(officer_client, path,
                                          {**BRIEFING, "body": "Corrected figures."}).text
    with db.session(engine) as session:
        versions = session.exec(select(BriefingVersion).order_by(
            col(BriefingVersion.version))).all()
        assert [v.version for v in versions] == [1, 2]
        assert versions[0].content["body"] == BRIEFING["body"]
        assert versions[1].content["body"] == "Corrected figures."
        assert [e.action for e in audit.events(session, learn.assembly_id)][-2:] == [
            "briefing.added", "briefing.edited"]
    text = member_client.get(f"/home/briefings/{public(engine, Briefing, briefing_id)}").text
    assert "Updated on Wednesday 10 March." in text and "Corrected figures." in text
    officer_page = officer_client.get(f"/assemblies/{learn.assembly_id}/briefings/{briefing_id}")
    assert "Version 1" in officer_page.text and "Version 2 (now)" in officer_page.text


def test_attachments_are_checked_and_refusals_store_nothing(
        learn: Round, officer_client: TestClient, engine: Engine, app: Starlette,
        settings: Settings) -> None:
    briefing_id = add_briefing(officer_client, learn)
    a = learn.assembly_id
    refusals = [
        (attach(officer_client, a, briefing_id, "report.pdf", b"<html><script>x</script>"),
         "not one members can open safely"),
        (attach(officer_client, a, briefing_id, "report.pdf", PNG, "A chart"),
         "is a PNG image, but its name ends in"),
        (attach(officer_client, a, briefing_id, "chart.png", PNG), "Describe the image"),
        (attach(officer_client, a, briefing_id, "chart.svg", b"<svg onload=alert(1)>"),
         "not one members can open safely"),
    ]
    app.state.settings = dataclasses.replace(settings, max_attachment_mb=1)
    refusals.append((attach(officer_client, a, briefing_id, "big.pdf", PDF + b"0" * 1048576),
                     "the largest a briefing can take is 1 MB"))
    for response, message in refusals:
        assert response.status_code == 422, message  # type: ignore[attr-defined]
        assert message in response.text  # type: ignore[attr-defined]
    with db.session(engine) as session:
        assert session.exec(select(Attachment)).all() == []
        assert not [e for e in audit.events(session, a) if e.action == "briefing.file_added"]
    ok = attach(officer_client, a, briefing_id, "Slides (final).pdf", PDF)
    assert ok.status_code == 303  # type: ignore[attr-defined]
    image = attach(officer_client, a, briefing_id, "chart.png", PNG, "Bar chart of referrals")
    assert image.status_code == 303  # type: ignore[attr-defined]
    with db.session(engine) as session:
        stored = session.exec(select(Attachment).order_by(col(Attachment.id))).all()
        assert [(f.filename, f.content_type, f.size) for f in stored] == [
            ("Slides -final-.pdf", "application/pdf", len(PDF)),
            ("chart.png", "image/png", len(PNG))]
    # Slides download rather than open; an image shows with its description to members.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("ppt/presentation.xml", "<p/>")
    assert attach(officer_client, a, briefing_id, "talk.pptx",
                  buffer.getvalue()).status_code == 303  # type: ignore[attr-defined]
    with db.session(engine) as session:
        slides = session.exec(select(Attachment).where(Attachment.filename == "talk.pptx")).one()
    response = officer_client.get(f"/assemblies/{a}/files/{slides.id}")
    assert response.headers["content-disposition"] == 'attachment; filename="talk.pptx"'
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation")


def test_attachment_access(learn: Round, officer_client: TestClient, member_client: TestClient,
                           client: TestClient, app: Starlette, engine: Engine,
                           settings: Settings) -> None:
    """Anonymous visitors and another assembly's member get nothing; this assembly's members
    and officers get the file with its checked type, a disposition and nosniff."""
    briefing_id = add_briefing(officer_client, learn)
    assert attach(officer_client, learn.assembly_id, briefing_id, "notes.pdf",
                  PDF).status_code == 303  # type: ignore[attr-defined]
    with db.session(engine) as session:
        stored = session.exec(select(Attachment)).one()
    member_path = f"/home/files/{stored.public_id}"
    officer_path = f"/assemblies/{learn.assembly_id}/files/{stored.id}"
    for response in (member_client.get(member_path), officer_client.get(officer_path)):
        assert response.status_code == 200 and response.content == PDF
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["content-disposition"] == 'inline; filename="notes.pdf"'
        assert response.headers["x-content-type-options"] == "nosniff"
    anonymous = client.get(member_path, follow_redirects=False)
    assert anonymous.status_code in (303, 401) and anonymous.content != PDF
    stranger = make_member(engine, external_id="S1")
    with make_client(app) as other:
        sign_in_member(other, engine, settings, stranger)
        refused = other.get(member_path)
        assert refused.status_code == 404 and "Page not found" in refused.text
        assert other.get(f"/home/briefings/{public(engine, Briefing, briefing_id)}"
                         ).status_code == 404
        assert post_form(other, f"/home/rounds/{learn.public_id}/questions",
                         {"text": "Sneaky?"}).status_code == 404
    # an officer asking for it under another assembly's address
    other_assembly = stranger.assembly_id
    assert officer_client.get(f"/assemblies/{other_assembly}/files/{stored.id}"
                              ).status_code == 404
    assert post_form(officer_client, f"/assemblies/{other_assembly}/files/{stored.id}/delete"
                     ).status_code == 404
    with db.session(engine) as session:
        assert session.get(Attachment, stored.id) is not None
        assert session.exec(select(Question)).all() == []


def test_questions_asked_moderated_merged_and_answered(
        learn: Round, officer_client: TestClient, member_client: TestClient, engine: Engine,
        app: Starlette, settings: Settings, clock: Clock) -> None:
    ask = f"/home/rounds/{learn.public_id}/questions"
    too_long = post_form(member_client, ask, {"text": "x" * 1001})
    assert too_long.status_code == 422 and "at most 1,000 characters" in too_long.text
    assert post_form(member_client, ask, {"text": ""}).status_code == 422
    for text in ("Who checks the computer's decisions?", "Who checks the decisions?",
                 "Something rude"):
        assert post_form(member_client, ask, {"text": text},
                         follow_redirects=False).status_code == 303
    neighbour = make_member(engine, assembly=_assembly(engine, learn), external_id="N1")
    with make_client(app) as other:
        sign_in_member(other, engine, settings, neighbour)
        assert "Who checks" not in other.get(f"/home/rounds/{learn.public_id}").text
        with db.session(engine) as session:
            first, second, rude = session.exec(select(Question).order_by(col(Question.id))).all()
        a = learn.assembly_id
        officer_page = officer_client.get(f"/assemblies/{a}/rounds/{learn.id}").text
        assert "Asked by Pat Jones" in officer_page and "Waiting to be checked" in officer_page
        assert post_form(officer_client, f"/assemblies/{a}/questions/{rude.id}/moderate",
                         {"decision": "rejected"}, follow_redirects=False).status_code == 303
        post_form(officer_client, f"/assemblies/{a}/questions/{second.id}/merge",
                  {"into": str(first.id)})
        post_form(officer_client, f"/assemblies/{a}/questions/{first.id}/moderate",
                  {"decision": "published"})
        seen = other.get(f"/home/rounds/{learn.public_id}").text
        assert "Who checks the computer&#39;s decisions?" in seen
        assert "2 members asked this." in seen and "Waiting for an answer." in seen
        assert "Who checks the decisions?" not in seen and "Something rude" not in seen
        assert "Pat Jones" not in seen
        post_form(officer_client, f"/assemblies/{a}/questions/{first.id}/answer",
                  {"answer": "A social worker reviews every flag.",
                   "answered_by": "Dr Amina Shah"})
        seen = other.get(f"/home/rounds/{learn.public_id}").text
        assert "Dr Amina Shah answered:" in seen and "A social worker reviews every flag." in seen
    with db.session(engine) as session:
        actions = [e.action for e in audit.events(session, learn.assembly_id)]
        assert {"question.rejected", "question.merged", "question.published",
                "question.answered"} <= set(actions)
        assert "Who checks" not in str([e.details for e in audit.events(session,
                                                                       learn.assembly_id)])


def _assembly(engine: Engine, item: Round) -> Assembly:
    with db.session(engine) as session:
        assembly = session.get(Assembly, item.assembly_id)
        assert assembly is not None
        session.expunge(assembly)
        return assembly


@pytest.mark.parametrize(("moment", "says"), [
    (T0 - timedelta(days=1, seconds=1), "has not started yet. It opens Sunday 7 March at 9am"),
    (T0 + timedelta(days=5), "closed Saturday 13 March at 9am"),
])
def test_questions_only_while_the_round_is_open(
        learn: Round, member_client: TestClient, engine: Engine, clock: Clock, moment: datetime,
        says: str) -> None:
    clock.now = T0 + timedelta(days=5) - timedelta(seconds=1)     # the last open second
    ask = f"/home/rounds/{learn.public_id}/questions"
    assert post_form(member_client, ask, {"text": "Just in time?"},
                     follow_redirects=False).status_code == 303
    clock.now = moment
    refused = post_form(member_client, ask, {"text": "Too late?"})
    assert refused.status_code == 409 and says in refused.text.replace("&#34;", '"')
    with db.session(engine) as session:
        assert [q.text for q in session.exec(select(Question)).all()] == ["Just in time?"]


def test_the_round_view_lists_members_who_have_done_nothing_with_their_phone(
        learn: Round, officer_client: TestClient, member_client: TestClient, engine: Engine,
        clock: Clock) -> None:
    path = f"/assemblies/{learn.assembly_id}/rounds/{learn.id}"
    text = officer_client.get(path).text
    assert "Members who have done nothing yet (1)" in text
    assert 'Pat Jones: <a href="tel:01514960000">0151 496 0000</a>' in text
    assert "<strong>0 of 1</strong> members opened this round" in text
    member_client.get(f"/home/rounds/{learn.public_id}")
    text = officer_client.get(path).text
    assert "Members who have done nothing yet (0)" in text
    assert "<strong>1 of 1</strong> members opened this round" in text
    clock.now = T0 + timedelta(days=6)                              # closed: nobody to phone
    assert "done nothing yet" not in officer_client.get(path).text


def test_erasing_a_member_removes_their_reads_and_unties_their_questions(
        learn: Round, officer_client: TestClient, member_client: TestClient, engine: Engine,
        member: Member) -> None:
    briefing_id = add_briefing(officer_client, learn)
    post_form(member_client, f"/home/briefings/{public(engine, Briefing, briefing_id)}/read")
    ask = f"/home/rounds/{learn.public_id}/questions"
    post_form(member_client, ask, {"text": "Published one"})
    post_form(member_client, ask, {"text": "Waiting one"})
    with db.session(engine) as session:
        published = session.exec(select(Question).where(Question.text == "Published one")).one()
    post_form(officer_client, f"/assemblies/{learn.assembly_id}/questions/{published.id}/"
              "moderate", {"decision": "published"})
    with db.session(engine, write=True) as session:
        respondent = session.get(Respondent, member.respondent_id)
        assert respondent is not None
        assert personal_data.erase(session, respondent, "test")
    with db.session(engine) as session:
        assert session.exec(select(BriefingRead)).all() == []
        assert session.exec(select(RoundVisit)).all() == []
        left = session.exec(select(Question)).all()
        assert [(q.text, q.member_id) for q in left] == [("Published one", None)]


def test_a_full_library_stays_light_for_members(learn: Round, member_client: TestClient,
                                                engine: Engine) -> None:
    """Eight briefings with questions and answers: each member page is at most 60 KB over the
    wire (before images), as every member page must be."""
    with db.session(engine, write=True) as session:
        item = session.get(Round, learn.id)
        assert item is not None
        for sample in samples.SECOND_ROUND:
            name, role, organisation = sample.speaker
            made = briefings.create(session, item, briefings.Details(
                sample.title, sample.summary, sample.body, sample.easy_read, name,
                organisation, role, sample.interests, *sample.video), actor="test")
            for text, answer in sample.asked:
                question = Question(round_id=learn.id, briefing_id=made.id, text=text)
                session.add(question)
                session.flush()
                questions.answer(session, item, question, answer or "Soon.", name, actor="t")
        first = briefings.of_round(session, learn.id or 0)[0].public_id
    for path in (f"/home/rounds/{learn.public_id}", f"/home/briefings/{first}", "/home"):
        page = member_client.get(path, headers={"Accept-Encoding": "gzip"})
        assert page.status_code == 200
        sent = int(page.headers.get("content-length", len(page.content)))
        print(f"{path}: {sent:,} bytes over the wire, {len(page.content):,} uncompressed")
        assert sent <= 60 * 1024, f"{path} sends {sent} bytes"
    text = member_client.get(f"/home/rounds/{learn.public_id}").text
    assert "0 of 8 briefings read" in text and text.count('class="qa"') == 11
