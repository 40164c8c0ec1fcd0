"""The discuss round's services on both real databases: statements (numbering, duplicates, the
author's own agree vote), moderation, and votes (one latest per member and statement even under
concurrent submits, refused outside the open window or on a statement the member cannot see)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from assembly import audit, db
from assembly.assemblies.models import Assembly
from assembly.deliberation import rounds
from assembly.deliberation.models import Round, RoundKind
from assembly.discussion import statements, votes
from assembly.discussion.models import (
    Channel,
    Moderation,
    Statement,
    StatementStatus,
    Vote,
    VoteRecord,
    VoteValue,
)
from assembly.selection.models import Member
from tests.app.builders import make_member, new_round

T0 = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)


def discuss_round(engine: Engine, member: Member, moderation: Moderation = Moderation.strict
                  ) -> Round:
    with db.session(engine, write=True) as session:
        item = new_round(session, member.assembly_id, rounds.Details(
            RoundKind.discuss, "Talking about data", "To find common ground.", "Vote on each.",
            T0 - timedelta(days=1), T0 + timedelta(days=5)), actor="officer:1")
        statements.configure(session, item, "How should the council use data?",
                             moderation.value, T0, actor="officer:1")
        return item


def others(engine: Engine, member: Member, count: int) -> list[Member]:
    with db.session(engine) as session:
        assembly = session.get(Assembly, member.assembly_id)
    return [make_member(engine, assembly=assembly, external_id=f"R{n:04d}")
            for n in range(2, 2 + count)]


def test_normalise_sets_aside_case_spacing_and_punctuation() -> None:
    assert statements.normalise("  Data, used   FAIRLY!") == "data used fairly"
    assert statements.normalise("Data used fairly") == statements.normalise("data—used fairly…")
    assert statements.normalise("Données utilisées") == "données utilisées"
    assert statements.normalise("!!!") == ""


def test_a_members_statement_waits_in_a_strict_round_and_counts_as_their_agree_vote(
        engine: Engine, member: Member) -> None:
    item = discuss_round(engine, member)
    with db.session(engine, write=True) as session:
        first = statements.post(session, item, member.id, "Tell me when a computer decided.", T0)
        second = statements.seed(session, item, "Data should stay in the UK.", T0,
                                 actor="officer:1")
    assert (first.number, first.status) == (1, StatementStatus.waiting.value)
    assert (second.number, second.status, second.member_id) == (2, "accepted", None)
    with db.session(engine) as session:
        mine = session.exec(select(Vote).where(Vote.member_id == member.id)).all()
        assert [(v.statement_id, v.value) for v in mine] == [(first.id, 1)]
        assert [e.action for e in audit.events(session, member.assembly_id)][-1] \
            == "statement.seeded"  # the member's own statement is not in the log


def test_a_statement_shows_at_once_in_an_open_round(engine: Engine, member: Member) -> None:
    item = discuss_round(engine, member, Moderation.open)
    with db.session(engine, write=True) as session:
        posted = statements.post(session, item, member.id, "Ask us first.", T0)
    assert posted.status == StatementStatus.accepted.value


def test_a_duplicate_is_pointed_out_and_nothing_is_stored(engine: Engine,
                                                          member: Member) -> None:
    item = discuss_round(engine, member)
    with db.session(engine, write=True) as session:
        statements.seed(session, item, "Data should stay in the UK.", T0, actor="officer:1")
    with pytest.raises(statements.DuplicateStatement) as refused, \
            db.session(engine, write=True) as session:
        statements.post(session, item, member.id, "data should STAY in the uk!!", T0)
    assert "Statement 1 already says this" in str(refused.value)
    with db.session(engine) as session:
        assert len(session.exec(select(Statement)).all()) == 1
        assert session.exec(select(Vote)).all() == []


def test_statements_are_refused_outside_the_round_and_when_too_long(engine: Engine,
                                                                    member: Member) -> None:
    item = discuss_round(engine, member)
    with pytest.raises(rounds.RoundNotOpen), db.session(engine, write=True) as session:
        statements.post(session, item, member.id, "Too late.", T0 + timedelta(days=6))
    with pytest.raises(statements.StatementError, match="280"), \
            db.session(engine, write=True) as session:
        statements.post(session, item, member.id, "x" * 281, T0)


def test_rejecting_needs_a_reason_and_is_audited(engine: Engine, member: Member) -> None:
    item = discuss_round(engine, member, Moderation.open)
    with db.session(engine, write=True) as session:
        posted = statements.post(session, item, member.id, "Councillor X is useless.", T0)
        with pytest.raises(statements.StatementError, match="Say why"):
            statements.moderate(session, item, posted, "rejected", "", T0, actor="officer:1")
        assert statements.moderate(session, item, posted, "rejected", "It names a person.", T0,
                                   actor="officer:1")
        assert not statements.moderate(session, item, posted, "rejected", "It names a person.",
                                       T0, actor="officer:1")
    with db.session(engine) as session:
        stored = session.get(Statement, posted.id)
        assert stored is not None and stored.reason == "It names a person."
        last = audit.events(session, member.assembly_id)[-1]
        assert (last.action, last.details["statement"]) == ("statement.rejected", 1)


def test_one_latest_vote_per_member_and_statement_under_concurrent_submits(
        engine: Engine, member: Member) -> None:
    item = discuss_round(engine, member)
    with db.session(engine, write=True) as session:
        seeded = statements.seed(session, item, "Publish every algorithm the council uses.", T0,
                                 actor="officer:1")
    choices = [VoteValue.agree, VoteValue.disagree] * 8
    barrier = threading.Barrier(len(choices))
    failures: list[BaseException] = []

    def submit(value: VoteValue) -> None:
        barrier.wait()
        try:
            with db.session(engine, write=True) as session:
                votes.cast(session, item, seeded, member.id, value, T0)
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=submit, args=(value,)) for value in choices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with db.session(engine) as session:
        latest = session.exec(select(Vote).where(Vote.statement_id == seeded.id)).all()
        assert len(latest) == 1
        records = session.exec(select(VoteRecord).order_by(VoteRecord.id)).all()
        assert 1 <= len(records) <= len(choices)
        assert records[-1].value == latest[0].value  # the history ends at the current vote


def test_votes_refused_outside_the_window_and_on_statements_not_shown(
        engine: Engine, member: Member) -> None:
    item = discuss_round(engine, member)
    (other,) = others(engine, member, 1)
    with db.session(engine, write=True) as session:
        waiting = statements.post(session, item, other.id, "Nobody has accepted this yet.", T0)
        seeded = statements.seed(session, item, "Open data by default.", T0, actor="officer:1")
    with pytest.raises(votes.VoteError, match="not open for votes"), \
            db.session(engine, write=True) as session:
        votes.cast(session, item, waiting, member.id, VoteValue.agree, T0)
    with pytest.raises(rounds.RoundNotOpen), db.session(engine, write=True) as session:
        votes.cast(session, item, seeded, member.id, VoteValue.agree, T0 - timedelta(days=2))
    with db.session(engine, write=True) as session:
        assert votes.cast(session, item, seeded, member.id, VoteValue.pass_, T0)
        assert not votes.cast(session, item, seeded, member.id, VoteValue.pass_, T0)
        assert votes.cast(session, item, seeded, member.id, VoteValue.disagree, T0,
                          channel=Channel.paper, entered_by="officer:1")
        assert votes.of_member(session, item.id, member.id) == {seeded.id: VoteValue.disagree}


def test_the_next_statement_has_the_fewest_votes_and_is_never_one_already_voted_on(
        engine: Engine, member: Member) -> None:
    item = discuss_round(engine, member)
    crowd = others(engine, member, 3)
    with db.session(engine, write=True) as session:
        seeded = [statements.seed(session, item, f"Statement about topic {n}.", T0,
                                  actor="officer:1") for n in range(4)]
        for voter in crowd:                   # statements 1 and 2 have three votes each
            for statement in seeded[:2]:
                votes.cast(session, item, statement, voter.id, VoteValue.agree, T0)
        votes.cast(session, item, seeded[2], crowd[0].id, VoteValue.agree, T0)
    with db.session(engine, write=True) as session:
        assert votes.remaining(session, item.id, member.id) == 4
        shown = votes.next_for(session, item, member.id)
        assert shown is not None and shown.id == seeded[3].id     # no votes yet
        assert votes.next_for(session, item, member.id).id == shown.id  # stable on reload
        votes.cast(session, item, shown, member.id, VoteValue.agree, T0)
        assert votes.next_for(session, item, member.id).id == seeded[2].id
        for statement in seeded[:3]:
            votes.cast(session, item, statement, member.id, VoteValue.pass_, T0)
        assert votes.next_for(session, item, member.id) is None
        assert votes.remaining(session, item.id, member.id) == 0
