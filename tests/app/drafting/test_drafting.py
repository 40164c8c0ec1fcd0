"""Draft rounds through the real app on both databases: officers write, edit, order and link
principles (every save a version); members comment in threads while the round is open (and
only in their own assembly), propose amendments that officers accept, reject with a reason or
accept with changes; anyone in the assembly sees the history and a word-level difference;
members see what changed since they last looked; dissent notes go on the record at the round's
number of signatures, one signature per member even when submits race; a comment keyed in from
paper is marked and audited."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from assembly import db
from assembly.assemblies.models import Assembly
from assembly.audit import AuditEvent
from assembly.deliberation import rounds
from assembly.deliberation.models import Round, RoundKind
from assembly.discussion import statements
from assembly.drafting import amendments, dissent, principles
from assembly.drafting.models import (
    Amendment,
    Comment,
    DissentNote,
    DissentSignature,
    Principle,
    PrincipleStatement,
    PrincipleView,
)
from assembly.errors import Conflict
from assembly.selection.models import Member
from assembly.settings import Settings
from tests.app.builders import make_member, mark_joined, new_round
from tests.app.clocks import T0, Clock
from tests.app.flows import HTMX, make_client, post_form, sign_in_member

PRINCIPLE = {"title": "Open by default",
             "text": "The council publishes every way it uses data to make decisions.",
             "rationale": "Members wanted to know.", "theme": "transparency"}


@pytest.fixture
def draft(clock: Clock, engine: Engine, member: Member) -> Round:
    """A draft round of the member's assembly, open from a day ago for five days."""
    with db.session(engine, write=True) as session:
        item = new_round(session, member.assembly_id, rounds.Details(
            RoundKind.draft, "Drafting the charter", "To write it.", "Comment and amend.",
            T0 - timedelta(days=1), T0 + timedelta(days=5)), actor="test")
        mark_joined(session, member, T0 - timedelta(days=3))
        session.flush()
        session.expunge(item)
        return item


def write(officer_client: TestClient, item: Round, **changes: str) -> Principle:
    response = post_form(officer_client, f"/assemblies/{item.assembly_id}/rounds/{item.id}/"
                         "principles", {**PRINCIPLE, **changes}, follow_redirects=False)
    assert response.status_code == 303, response.text
    principle_id = int(response.headers["location"].rsplit("-", 1)[1])
    return load(officer_client.app.state.engine, principle_id)  # type: ignore[attr-defined]


def load(engine: Engine, principle_id: int) -> Principle:
    with db.session(engine) as session:
        found = session.get(Principle, principle_id)
        assert found is not None
        return found


def other_member(engine: Engine, member: Member, reference: str) -> Member:
    with db.session(engine) as session:
        assembly = session.get(Assembly, member.assembly_id)
    return make_member(engine, assembly=assembly, external_id=reference)


def events(engine: Engine, action: str) -> list[AuditEvent]:
    with db.session(engine) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)
                                 .order_by(col(AuditEvent.seq))).all())


def text_of(html: str) -> str:
    """The page's words, tags and runs of space removed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_officers_write_edit_order_and_link_principles(
        draft: Round, officer_client: TestClient, engine: Engine, officer: object) -> None:
    base = f"/assemblies/{draft.assembly_id}"
    refused = post_form(officer_client, f"{base}/rounds/{draft.id}/principles",
                        {"title": "", "text": "", "theme": "nonsense"})
    assert refused.status_code == 422
    for message in ("Give the principle a short title", "Write the principle itself",
                    "Choose the theme"):
        assert message in refused.text
    with db.session(engine) as session:
        assert session.exec(select(Principle)).all() == []
    first = write(officer_client, draft)
    second = write(officer_client, draft, title="Human review", theme="accountability",
                   text="A person checks every decision a computer helps to make.")
    assert (first.position, second.position, first.version) == (1, 2, 1)

    edited = post_form(officer_client, f"{base}/principles/{first.id}/edit",
                       {**PRINCIPLE, "text": "The council publishes every way it uses data "
                                             "and AI to make decisions about people."},
                       follow_redirects=False)
    assert edited.status_code == 303
    unchanged = post_form(officer_client, f"{base}/principles/{first.id}/edit",
                          {**PRINCIPLE, "text": "The council publishes every way it uses data "
                                                "and AI to make decisions about people."})
    assert "Nothing changed" in unchanged.text
    moved = post_form(officer_client, f"{base}/principles/{second.id}/move",
                      {"direction": "up"}, follow_redirects=False)
    assert moved.status_code == 303
    with db.session(engine) as session:
        ordered = principles.of_round(session, draft.id)  # type: ignore[arg-type]
        assert [p.title for p in ordered] == ["Human review", "Open by default"]
        found = principles.versions(session, first.id)  # type: ignore[arg-type]
        assert [(v.version, v.change) for v in found] == [(1, "written"), (2, "edited")]
        assert found[0].text == PRINCIPLE["text"]

    # Link the statements of a discuss round that inspired it; a rejected one cannot be linked.
    with db.session(engine, write=True) as session:
        talk = new_round(session, draft.assembly_id, rounds.Details(
            RoundKind.discuss, "Talking", "To talk.", "Vote.", T0 - timedelta(days=9),
            T0 - timedelta(days=2)), actor="test")
        for words in ("Say when a computer decided.", "Tell us what data you keep.",
                      "Names are private."):
            statements.seed(session, talk, words, T0 - timedelta(days=10), actor="test")
        third = statements.of_round(session, talk.id)[2]  # type: ignore[arg-type]
        statements.moderate(session, talk, third, "rejected", "Off topic", T0 - timedelta(days=9),
                            actor="test")
        talk_id = talk.id
    bad = post_form(officer_client, f"{base}/principles/{first.id}/statements",
                    {"discuss_round": str(talk_id), "numbers": "2, 9"})
    assert bad.status_code == 422 and "has no statement numbered 9" in bad.text
    hidden = post_form(officer_client, f"{base}/principles/{first.id}/statements",
                       {"discuss_round": str(talk_id), "numbers": "3"})
    assert hidden.status_code == 422 and "has not been accepted" in hidden.text
    linked = post_form(officer_client, f"{base}/principles/{first.id}/statements",
                       {"discuss_round": str(talk_id), "numbers": "2, 1"}, follow_redirects=False)
    assert linked.status_code == 303
    with db.session(engine) as session:
        assert len(session.exec(select(PrincipleStatement)).all()) == 2
    page = officer_client.get(f"{base}/principles/{first.id}")
    assert "Statement 1 in “Talking”: “Say when a computer decided.”" in text_of(page.text)
    assert [e.details["statements"] for e in events(engine, "principle.statements_linked")] \
        == [[1, 2]]
    assert len(events(engine, "principle.written")) == 2
    assert [e.details["changed"] for e in events(engine, "principle.edited")] == [["text"]]
    assert len(events(engine, "principle.moved")) == 1


def test_amendments_are_accepted_rejected_or_accepted_with_changes_and_make_versions(
        draft: Round, officer_client: TestClient, member_client: TestClient,
        engine: Engine) -> None:
    principle = write(officer_client, draft)
    base = f"/assemblies/{draft.assembly_id}"
    mine = f"/home/principles/{principle.public_id}"
    assert member_client.get(mine).status_code == 200

    missing = post_form(member_client, f"{mine}/amendments",
                        {"amend_text": PRINCIPLE["text"], "amend_reason": "",
                         "base_version": "1"})
    assert missing.status_code == 422
    assert "This is the wording it has now" in missing.text
    proposals = [
        ("The council publishes every way it uses data and AI to make decisions.", "Say AI."),
        ("The council publishes nothing.", "A test."),
        ("The council publishes, in plain words, every way it uses data to decide.",
         "Plain words."),
    ]
    for text, reason in proposals:
        sent = post_form(member_client, f"{mine}/amendments",
                         {"amend_text": text, "amend_reason": reason, "base_version": "1"},
                         follow_redirects=False)
        assert sent.status_code == 303, sent.text
    with db.session(engine) as session:
        ids = [a.id for a in session.exec(select(Amendment).order_by(col(Amendment.id)))]
    assert len(ids) == 3
    assert events(engine, "amendment.accepted") == []   # proposing is not audited

    accepted = post_form(officer_client, f"{base}/amendments/{ids[0]}/decide",
                         {"decision": "accept"}, follow_redirects=False)
    assert accepted.status_code == 303
    # The third was written against version 1: the officer is shown what changed since.
    page = officer_client.get(f"{base}/principles/{principle.id}")
    assert "The principle has changed since this was written" in page.text
    assert "<ins><span class=\"visually-hidden\">[inserted: </span>and AI " in page.text
    partial = officer_client.get(f"{base}/principles/{principle.id}", headers=HTMX)
    assert partial.status_code == 200 and "has changed since" in partial.text
    assert "<html" not in partial.text

    no_reason = post_form(officer_client, f"{base}/amendments/{ids[1]}/decide",
                          {"decision": "reject", f"decision_reason-{ids[1]}": ""})
    assert no_reason.status_code == 422 and "Say why, in words the member will read" \
        in no_reason.text
    rejected = post_form(officer_client, f"{base}/amendments/{ids[1]}/decide",
                         {"decision": "reject",
                          f"decision_reason-{ids[1]}": "It would undo the principle."},
                         follow_redirects=False)
    assert rejected.status_code == 303
    changed_text = ("The council publishes, in plain words, every way it uses data and AI to "
                    "decide.")
    with_changes = post_form(officer_client, f"{base}/amendments/{ids[2]}/decide",
                             {"decision": "accept_with_changes",
                              f"amend_text-{ids[2]}": changed_text,
                              f"amend_title-{ids[2]}": "Open by default"},
                             follow_redirects=False)
    assert with_changes.status_code == 303
    again = post_form(officer_client, f"{base}/amendments/{ids[2]}/decide",
                      {"decision": "accept"})
    assert again.status_code == 409 and "already accepted" in again.text

    with db.session(engine) as session:
        found = principles.versions(session, principle.id)  # type: ignore[arg-type]
        assert [(v.version, v.change, v.amendment_id) for v in found] == [
            (1, "written", None), (2, "amendment", ids[0]), (3, "amendment", ids[2])]
        assert found[-1].text == changed_text
        third = session.get(Amendment, ids[2])
        assert third is not None and third.changed and third.made_version == 3
    assert [e.details["with_changes"] for e in events(engine, "amendment.accepted")] \
        == [False, True]
    assert [e.details["reason"] for e in events(engine, "amendment.rejected")] \
        == ["It would undo the principle."]

    # The member sees each outcome: the reason, and that their wording was changed.
    words = text_of(member_client.get(mine).text)
    assert "Accepted as you wrote it (now version 2)" in words
    assert "Not accepted. The team's reason: It would undo the principle." in words
    assert "Accepted with changes (now version 3)" in words
    assert "What they changed: The council publishes, in plain words, every way it uses data " \
        "[inserted: and AI ] to decide." in words

    # History and a word-level difference between any two versions, for members and officers.
    for client, url in ((member_client, f"{mine}/history"),
                        (officer_client, f"{base}/principles/{principle.id}/history")):
        history = client.get(url, params={"from": "1", "to": "3"})
        assert history.status_code == 200
        assert "From version 1 to version 3" in history.text
        assert "<ins><span class=\"visually-hidden\">[inserted: </span>, in plain words," \
            in history.text
        assert "<del><span class=\"visually-hidden\">[deleted: </span>make decisions" \
            in history.text
        wrong = client.get(url, params={"from": "7", "to": "x"})
        assert wrong.status_code == 200 and "Choose versions from 1 to 3" in wrong.text


def test_comments_only_while_open_and_only_in_the_members_own_assembly(
        draft: Round, clock: Clock, officer_client: TestClient, member_client: TestClient,
        app: Starlette, engine: Engine, settings: Settings) -> None:
    principle = write(officer_client, draft)
    mine = f"/home/principles/{principle.public_id}"
    posted = post_form(member_client, f"{mine}/comments",
                       {"stance": "concern", "text": "Who checks it?"}, follow_redirects=False)
    assert posted.status_code == 303
    with db.session(engine) as session:
        first = session.exec(select(Comment)).one()
    # A reply, with htmx: the thread comes back in place, with the reply under its comment.
    reply = post_form(member_client, f"{mine}/comments",
                      {"stance": "support", "text": "An independent panel.",
                       "reply_to": first.public_id}, htmx=True)
    assert reply.status_code == 200 and reply.text.lstrip().startswith('<section id="comments"')
    assert "comment depth-1" in reply.text and "An independent panel." in reply.text
    invalid = post_form(member_client, f"{mine}/comments", {"stance": "angry", "text": ""},
                        htmx=True)
    assert invalid.status_code == 422 and "Choose whether you support it" in invalid.text

    clock.now = T0 + timedelta(days=6)   # closed
    closed = post_form(member_client, f"{mine}/comments", {"stance": "support", "text": "Late."})
    assert closed.status_code == 409 and "closed" in closed.text
    clock.now = T0 - timedelta(days=2)   # not yet open: members do not see it at all
    assert member_client.get(mine).status_code == 404
    assert post_form(member_client, f"{mine}/comments",
                     {"stance": "support", "text": "Early."}).status_code == 404
    clock.now = T0
    # A member of another assembly cannot see or comment on it.
    stranger = make_member(engine, external_id="R0900")
    with make_client(app) as other:
        sign_in_member(other, engine, settings, stranger)
        assert other.get(mine).status_code == 404
        assert post_form(other, f"{mine}/comments",
                         {"stance": "support", "text": "Hello."}).status_code == 404
    with db.session(engine) as session:
        found = session.exec(select(Comment).order_by(col(Comment.id))).all()
        assert [(c.text, c.parent_id) for c in found] == [("Who checks it?", None),
                                                           ("An independent panel.", first.id)]
    assert events(engine, "comment.keyed_in") == []   # members' comments are never audited

    # An officer hides a comment with a reason members read in its place.
    hidden = post_form(officer_client, f"/assemblies/{draft.assembly_id}/comments/{first.id}/"
                       "hide", {"reason": "It names an officer."}, follow_redirects=False)
    assert hidden.status_code == 303
    words = text_of(member_client.get(mine).text)
    assert "Hidden by the assembly team: It names an officer." in words
    assert "Who checks it?" not in words and "An independent panel." in words
    assert [e.details["reason"] for e in events(engine, "comment.hidden")] \
        == ["It names an officer."]


def test_a_dissent_note_goes_on_the_record_at_the_rounds_number_of_signatures(
        draft: Round, officer_client: TestClient, member_client: TestClient, app: Starlette,
        engine: Engine, settings: Settings, member: Member) -> None:
    principle = write(officer_client, draft)
    mine = f"/home/principles/{principle.public_id}"
    too_many = post_form(officer_client, f"/assemblies/{draft.assembly_id}/rounds/{draft.id}/"
                         "principles/settings", {"cosigners": "0"})
    assert too_many.status_code == 422 and "from 1 to 100" in too_many.text
    written = post_form(member_client, f"{mine}/dissent",
                        {"note": "It should also say how long data is kept."},
                        follow_redirects=False)
    assert written.status_code == 303
    with db.session(engine) as session:
        note = session.exec(select(DissentNote)).one()
    assert note.signatures == 1 and note.recorded_at is None
    words = text_of(member_client.get(mine).text)
    assert "Signed by 1 member. Needs 2 more to be part of the record." in words
    assert "You have signed it." in words
    again = post_form(member_client, f"/home/dissent/{note.public_id}/sign", {})
    assert "You had already signed this note." in again.text

    others = [other_member(engine, member, f"R01{i}") for i in range(3)]
    for index, person in enumerate(others[:2]):
        with make_client(app) as client:
            sign_in_member(client, engine, settings, person)
            signed = post_form(client, f"/home/dissent/{note.public_id}/sign", {})
            assert signed.status_code == 200
            if index == 1:
                assert "It is now part of the record." in signed.text
    with db.session(engine) as session:
        found = session.get(DissentNote, note.id)
        assert found is not None and found.signatures == 3 and found.recorded_at is not None
        pid = principle.id
        assert pid is not None
        assert [n.id for n in dissent.recorded(session, [pid])[pid]] == [note.id]
    recorded = events(engine, "dissent.recorded")
    assert [(e.actor, e.details["signatures"]) for e in recorded] \
        == [("system:dissent note signatures", 3)]
    page = text_of(member_client.get(mine).text)
    assert "Signed by 3 members. Part of the record." in page
    # Never who signed: no member's reference or name on the officers' page either.
    officer_page = officer_client.get(f"/assemblies/{draft.assembly_id}/principles/"
                                      f"{principle.id}").text.split('id="notes"', 1)[1]
    assert "Signed by 3 members" in text_of(officer_page)
    for person in [member, *others]:
        assert person.public_id not in officer_page
    round_page = text_of(officer_client.get(f"/assemblies/{draft.assembly_id}/rounds/"
                                            f"{draft.id}/principles").text)
    assert "It should also say how long data is kept. Signed by 3 members. On the record." \
        in round_page


@pytest.mark.parametrize("same_member", [True, False], ids=["one member", "many members"])
def test_one_signature_per_member_when_submits_race(
        draft: Round, officer_client: TestClient, member: Member, engine: Engine,
        same_member: bool) -> None:
    principle = write(officer_client, draft)
    with db.session(engine, write=True) as session:
        round_item = session.get(Round, draft.id)
        fresh = session.get(Principle, principle.id)
        assert round_item is not None and fresh is not None
        principles.configure(session, round_item, "5", T0, actor="test")
        note = dissent.write(session, round_item, fresh, member.id,  # type: ignore[arg-type]
                             "Too vague.", T0)
        note_id = note.id
    threads_count = 6
    signers = [other_member(engine, member, f"R02{i}") for i in range(
        1 if same_member else threads_count)]
    barrier = threading.Barrier(threads_count)
    results: list[bool] = []
    failures: list[BaseException] = []

    def sign(index: int) -> None:
        person = signers[0 if same_member else index]
        try:
            barrier.wait()
            with db.session(engine, write=True) as session:
                round_item = session.get(Round, draft.id)
                fresh = session.get(Principle, principle.id)
                found = session.get(DissentNote, note_id)
                assert round_item is not None and fresh is not None and found is not None
                results.append(dissent.sign(session, round_item, fresh, found,
                                            person.id, T0))  # type: ignore[arg-type]
        except BaseException as error:  # noqa: BLE001  (reported below)
            failures.append(error)

    threads = [threading.Thread(target=sign, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    expected = 1 if same_member else threads_count
    assert sorted(results) == [False] * (threads_count - expected) + [True] * expected
    with db.session(engine) as session:
        rows = session.exec(select(DissentSignature)
                            .where(DissentSignature.note_id == note_id)).all()
        found = session.get(DissentNote, note_id)
        assert found is not None
        assert len(rows) == found.signatures == 1 + expected
        assert (found.recorded_at is not None) == (not same_member)
    assert len(events(engine, "dissent.recorded")) == (0 if same_member else 1)


def test_members_see_what_changed_since_they_last_looked(
        draft: Round, officer_client: TestClient, member_client: TestClient,
        engine: Engine) -> None:
    principle = write(officer_client, draft)
    other = write(officer_client, draft, title="Human review", text="A person checks.")
    listing = f"/home/rounds/{draft.public_id}/principles"
    words = text_of(member_client.get(listing).text)
    assert words.count("You have not read it yet.") == 2
    assert "0 of 2 principles read" in words
    member_client.get(f"/home/principles/{principle.public_id}")
    member_client.get(f"/home/principles/{principle.public_id}")   # the upsert: still one row
    with db.session(engine) as session:
        assert len(session.exec(select(PrincipleView)).all()) == 1
    assert "1 of 2 principles read" in text_of(member_client.get("/home").text)

    post_form(officer_client, f"/assemblies/{draft.assembly_id}/principles/{principle.id}/edit",
              {**PRINCIPLE, "text": "The council publishes every way it uses data."},
              follow_redirects=False)
    words = text_of(member_client.get(listing).text)
    assert "Changed since you last looked." in words and "You have not read it yet." in words
    assert "0 of 2 principles read" in words
    page = member_client.get(f"/home/principles/{principle.public_id}").text
    assert "Changed since you last looked" in page and "You last read version 1" in page
    assert "<del><span class=\"visually-hidden\">[deleted: </span> to make decisions" in page
    assert "from=1&amp;to=2" in page
    # Read now: nothing is marked changed any more.
    words = text_of(member_client.get(listing).text)
    assert "Changed since you last looked." not in words and "You have read this version." in words
    assert "Changed since you last looked" not in member_client.get(
        f"/home/principles/{principle.public_id}").text
    assert other.version == 1


def test_a_comment_given_on_paper_is_keyed_in_marked_and_audited(
        draft: Round, officer_client: TestClient, member_client: TestClient, engine: Engine,
        member: Member, officer: object) -> None:
    principle = write(officer_client, draft)
    url = f"/assemblies/{draft.assembly_id}/principles/{principle.id}/comments"
    missing = post_form(officer_client, url, {"member": member.public_id, "channel": "paper",
                                              "stance": "question", "comment": ""})
    assert missing.status_code == 422 and "Write your comment" in missing.text
    keyed = post_form(officer_client, url, {"member": member.public_id, "channel": "paper",
                                            "stance": "question",
                                            "comment": "Will it cover schools?"},
                      follow_redirects=False)
    assert keyed.status_code == 303
    with db.session(engine) as session:
        comment = session.exec(select(Comment)).one()
    assert (comment.member_id, comment.channel, comment.stance) == (member.id, "paper",
                                                                     "question")
    assert comment.entered_by.startswith("officer:")
    [event] = events(engine, "comment.keyed_in")
    assert event.actor == comment.entered_by and event.details["channel"] == "paper"
    assert event.details["comment"] == comment.public_id
    # Who gave it and what it says stay out of the log.
    assert member.public_id not in str(event.details) and "schools" not in str(event.details)
    assert "(given on paper)" in text_of(member_client.get(
        f"/home/principles/{principle.public_id}").text)


def test_the_pages_link_up(draft: Round, officer_client: TestClient,
                           member_client: TestClient) -> None:
    principle = write(officer_client, draft)
    officer_round = officer_client.get(f"/assemblies/{draft.assembly_id}/rounds/{draft.id}")
    assert f"/assemblies/{draft.assembly_id}/rounds/{draft.id}/principles" in officer_round.text
    page = officer_client.get(f"/assemblies/{draft.assembly_id}/rounds/{draft.id}/principles")
    assert page.status_code == 200 and "Open by default" in page.text
    member_round = member_client.get(f"/home/rounds/{draft.public_id}")
    assert f"/home/rounds/{draft.public_id}/principles" in member_round.text
    listing = member_client.get(f"/home/rounds/{draft.public_id}/principles")
    assert f"/home/principles/{principle.public_id}" in listing.text


def test_two_officers_deciding_at_once_make_one_version(
        draft: Round, officer_client: TestClient, member: Member, engine: Engine) -> None:
    principle = write(officer_client, draft)
    with db.session(engine, write=True) as session:
        round_item = session.get(Round, draft.id)
        fresh = session.get(Principle, principle.id)
        assert round_item is not None and fresh is not None
        amendment_id = amendments.propose(
            session, round_item, fresh, member.id,  # type: ignore[arg-type]
            "", "Publish it all.", "Clearer.", 1, T0).id
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def decide(index: int) -> None:
        barrier.wait()
        try:
            with db.session(engine, write=True) as session:
                round_item = session.get(Round, draft.id)
                fresh = session.get(Principle, principle.id)
                found = session.get(Amendment, amendment_id)
                assert round_item is not None and fresh is not None and found is not None
                if index % 2:
                    amendments.reject(session, round_item, fresh, found, "No.", T0,
                                      actor=f"officer:{index}")
                else:
                    amendments.accept(session, round_item, fresh, found, T0,
                                      actor=f"officer:{index}")
            outcomes.append("decided")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=decide, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "decided"]
    with db.session(engine) as session:
        found = session.get(Amendment, amendment_id)
        assert found is not None
        versions = principles.versions(session, principle.id)  # type: ignore[arg-type]
    assert len(versions) == (2 if found.status == "accepted" else 1)
    assert len(events(engine, "amendment.accepted") + events(engine, "amendment.rejected")) == 1
