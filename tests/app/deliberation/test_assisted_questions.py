"""Questions a member gave on paper or by phone, keyed in by an officer (issue 11, item 4): the
question is marked with its channel and the officer, waits to be checked like any other, and the
audit log says who keyed in whose question and when, never its words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from assembly import db
from assembly.assemblies.models import Assembly
from assembly.audit import AuditEvent
from assembly.deliberation import rounds
from assembly.deliberation.models import Question, RoundKind
from assembly.recruitment.models import Respondent
from assembly.selection.models import Member
from tests.app.flows import post_form

T0 = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)
WORDS = "Who checks the computer before a family is visited?"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_an_officer_keys_in_a_question_given_by_phone(
        app: Starlette, engine: Engine, member: Member, officer_client: TestClient) -> None:
    app.state.clock = Clock(T0)
    with db.session(engine, write=True) as session:
        assembly = session.get(Assembly, member.assembly_id)
        assert assembly is not None
        item = rounds.create(session, assembly, rounds.Details(
            RoundKind.learn, "Learning about data", "To learn.", "Read the briefings.",
            T0 - timedelta(days=1), T0 + timedelta(days=5)), actor="test")
        reference = session.get(Respondent, member.respondent_id).external_id  # type: ignore[union-attr]
    url = f"/assemblies/{member.assembly_id}/rounds/{item.id}/questions/keyed-in"
    unknown = post_form(officer_client, url, {"reference": "R9999", "channel": "phone",
                                              "text": WORDS})
    assert "No member of this assembly has the reference" in unknown.text
    no_channel = post_form(officer_client, url, {"reference": reference, "channel": "",
                                                 "text": WORDS})
    assert "on paper or by phone" in no_channel.text
    saved = post_form(officer_client, url, {"reference": reference.lower(), "channel": "phone",
                                            "text": WORDS})
    assert saved.status_code == 200 and "Question keyed in" in saved.text
    assert "Given by phone and keyed in by an officer" in saved.text
    with db.session(engine) as session:
        question = session.exec(select(Question)).one()
        assert (question.member_id, question.channel, question.status) == \
            (member.id, "phone", "waiting")
        assert question.entered_by.startswith("officer:")
        event = session.exec(select(AuditEvent).where(
            AuditEvent.action == "question.keyed_in")).one()
        assert event.details["channel"] == "phone" and event.details["member"] == member.public_id
        assert WORDS not in str(event.details)
    app.state.clock.now = T0 + timedelta(days=6)   # closed: keying in is refused like asking
    late = post_form(officer_client, url, {"reference": reference, "channel": "paper",
                                           "text": WORDS})
    assert "closed" in late.text
    with db.session(engine) as session:
        assert len(session.exec(select(Question)).all()) == 1
