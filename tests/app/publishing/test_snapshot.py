"""The charter's snapshot from the database (issue 12): what stops publishing, each with a message
that says what to do; and a snapshot whose votes are the stored tallies, whose open data recounts
clean, whose small strata cells and small opinion groups are withheld, and in which no member's
name or e-mail appears. Worlds are built with the real services (cast, seal, release), on both
databases."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.applications import Starlette

from assembly.assemblies.models import Assembly
from assembly.ballots import ballots, papers, sealing
from assembly.ballots.models import SealedBallot, Tally
from assembly.cli import main
from assembly.deliberation import briefings, rounds
from assembly.deliberation.models import Briefing, Round, RoundKind, RoundState
from assembly.discussion import statements, votes
from assembly.discussion.models import DiscussRound, Moderation, VoteValue
from assembly.drafting import principles as drafting
from assembly.drafting.models import DissentNote, Principle
from assembly.publishing import documents, models, snapshot
from assembly.recruitment.models import Contact, Quota
from assembly.selection.models import Draw, Member
from assembly.settings import Settings
from assembly.tables import row_id, utcnow
from charter import publication
from charter.recount import recount
from charter.tallies import METHOD_VERSION, RuleKind, Scale
from tests.app.builders import VoteWorld, vote_world
from tests.app.clocks import T0
from tests.app.flows import TEST_SECRET
from tests.unit._charter_snapshot import write

Sessions = Callable[..., AbstractContextManager[Session]]
OPENS, CLOSES = T0 + timedelta(hours=1), T0 + timedelta(days=2)
VOTING = OPENS + timedelta(hours=2)
SEALED = CLOSES + timedelta(minutes=1)
RELEASED = CLOSES + timedelta(hours=3)
OFFICER = "officer:1"
INFO = publication.PublicationInfo(1, CLOSES + timedelta(days=3), "Test City Council and the "
                                   "members of the assembly")
REJECTED = "Bernadette next door says the council spies on her"


def _world(engine: Engine) -> VoteWorld:
    """Twenty joined members, five in each age band, and a vote on three principles."""
    return vote_world(engine, opens_at=OPENS, closes_at=CLOSES, members=20)


def _vote_round(session: Session, world: VoteWorld) -> Round:
    found = session.get(Round, world.vote_round_id)
    assert found is not None
    return found


def _vote(session: Session, world: VoteWorld) -> None:
    """Seventeen members vote (three in 65+ stay away, so that band is under k): principle 1
    adopted, principle 2 rejected, principle 3 close."""
    item = _vote_round(session, world)
    ages = {p.member_id: p.age for p in world.panel.members}
    voters = [m for m in world.member_ids if ages[m] != "65+"][:15] \
        + [m for m in world.member_ids if ages[m] == "65+"][:2]
    first, second, third = world.principle_ids
    for n, member_id in enumerate(voters):
        ballots.cast(session, item, member_id, {
            ballots.choice_field(first): "strongly_agree" if n % 3 else "agree",
            ballots.choice_field(second): "disagree" if n % 4 else "agree",
            ballots.choice_field(third): ("agree", "unsure", "disagree")[n % 3]},
            VOTING + timedelta(minutes=n))


def _close_and_seal(session: Session, world: VoteWorld) -> None:
    assert sealing.seal(session, _vote_round(session, world), SEALED)


def _release(session: Session, world: VoteWorld) -> None:
    rounds.release_results(session, _vote_round(session, world), RELEASED, actor=OFFICER)


def _discussion(session: Session, world: VoteWorld) -> Round:
    """A discuss round before the vote, released: members in camps (ten, seven, three)
    on seven seed statements and one member's statement an officer rejected."""
    item = Round(assembly_id=world.assembly_id, position=-1, kind=RoundKind.discuss.value,
                 title="What matters to us", opens_at=T0 - timedelta(days=8),
                 closes_at=T0 - timedelta(days=6))
    session.add(item)
    session.flush()
    session.add(DiscussRound(round_id=row_id(item.id), prompt="What matters to you about data?",
                             moderation=Moderation.strict.value))
    at = T0 - timedelta(days=7)
    texts = ("Publish every algorithm the council uses.", "Keep data in the UK.",
             "Share data between services to save money.", "Let a computer decide benefits.",
             "Tell people when AI helped decide about them.", "Train staff in data ethics.",
             "Use AI to find fraud.")
    seeded = [statements.seed(session, item, text, at, actor=OFFICER) for text in texts]
    camps = ((1, 1, -1, -1, 1, 1, -1), (-1, -1, 1, 1, 1, -1, 1), (1, -1, 1, -1, 1, 0, 0))
    for n, member_id in enumerate(world.member_ids):
        camp = camps[0] if n < 10 else camps[1] if n < 17 else camps[2]
        for statement, value in zip(seeded, camp, strict=True):
            votes.cast(session, item, statement, member_id, VoteValue(value),
                       at + timedelta(minutes=n))
    rejected = statements.post(session, item, world.member_ids[0], REJECTED,
                               at + timedelta(hours=1))
    statements.moderate(session, item, rejected, "rejected", "It names a person.",
                        at + timedelta(hours=2), actor=OFFICER)
    rounds.release_results(session, item, T0 - timedelta(days=5), actor=OFFICER)
    return item


def _problems(dbs: Sessions, world: VoteWorld, now: datetime) -> list[str]:
    with dbs() as session:
        assembly = session.get(Assembly, world.assembly_id)
        assert assembly is not None
        return snapshot.problems(session, assembly, now=now)


def test_each_thing_that_stops_publishing_says_what_to_do(engine: Engine, dbs: Sessions
                                                          ) -> None:
    world = _world(engine)
    with dbs(write=True) as session:   # no draw yet, as if the panel were still to be chosen
        session.execute(sa.update(Member).values(draw_id=None))
        session.execute(sa.delete(Draw))
    before = _problems(dbs, world, T0)
    assert any("No vote's results are released yet: release the results of “Voting on the "
               "charter”" in p for p in before)
    assert any("No panel has been drawn" in p and "public draw" in p for p in before)

    open_now = _problems(dbs, world, VOTING)
    assert any(p.startswith("“Voting on the charter” is still open: close it or wait until it "
                            "closes Wednesday 10 March at 9am") for p in open_now)

    with dbs(write=True) as session:
        _vote(session, world)
        _close_and_seal(session, world)
    closed = _problems(dbs, world, SEALED)
    assert any(p.startswith("The results of “Voting on the charter” are not released: release "
                            "them") for p in closed)
    assert not any("still open" in p for p in closed)

    with dbs(write=True) as session:
        _release(session, world)
    # A preview still builds: without a draw there is no selection to describe.
    preview = _built(dbs, world)
    assert preview.selection is None and preview.selection_files == {}
    assert [q.pool for q in preview.panel] == [5, 5, 5, 5]   # the pool counts kept at upload
    assert _problems(dbs, world, RELEASED) == [("No panel has been drawn: the charter says how "
                                               "its members were chosen, so hold the public draw "
                                               "on the Selection page first.")]


def test_no_vote_round_and_no_adopted_principle_are_refused(engine: Engine, dbs: Sessions
                                                            ) -> None:
    world = _world(engine)
    with dbs(write=True) as session:
        only_rejected = world.principle_ids[1]
        item = _vote_round(session, world)
        for n, member_id in enumerate(world.member_ids):
            ballots.cast(session, item, member_id,
                         {ballots.choice_field(only_rejected): "disagree"},
                         VOTING + timedelta(minutes=n))
        _close_and_seal(session, world)
        _release(session, world)
    problems = _problems(dbs, world, RELEASED)
    assert problems == [("No principle was adopted in the released vote: a charter needs at least "
                        "one adopted principle. Hold another vote round on revised principles "
                        "and release its results first.")]
    with dbs(write=True) as session:
        session.execute(sa.delete(Round).where(col(Round.kind) == RoundKind.vote.value))
    assert _problems(dbs, world, RELEASED) == [
        ("There is no vote round: add one to the programme, let the members vote on the "
        "principles and release the results first.")]


def test_a_tally_that_cannot_be_published_as_stored_is_refused_with_its_reason(
        engine: Engine, dbs: Sessions) -> None:
    world = _world(engine)
    with dbs(write=True) as session:
        _vote(session, world)
        _close_and_seal(session, world)
        _release(session, world)
    assert _problems(dbs, world, RELEASED) == []
    with dbs(write=True) as session:
        session.execute(sa.update(Tally).where(col(Tally.principle_id) == world.principle_ids[1])
                        .values(method_version="0"))
    assert _problems(dbs, world, RELEASED) == [
        ("In “Voting on the charter”: Principle 2 was tallied with method version 0, and this "
        f"Minipublic publishes (and recounts) with version {METHOD_VERSION}: recompute the "
        "round's tallies first.")]


def _built(dbs: Sessions, world: VoteWorld, *, k: int = 5) -> publication.Snapshot:
    with dbs() as session:
        assembly = session.get(Assembly, world.assembly_id)
        assert assembly is not None
        return snapshot.build(session, assembly, INFO, k=k)


def _full(engine: Engine, dbs: Sessions) -> VoteWorld:
    """The vote released, a discussion, a learn round with a briefing, a dissent note on the
    record and the council's response to principle 1."""
    world = _world(engine)
    with dbs(write=True) as session:
        _discussion(session, world)
        learn = Round(assembly_id=world.assembly_id, position=-2, kind=RoundKind.learn.value,
                      title="Learning about data", opens_at=T0 - timedelta(days=12),
                      closes_at=T0 - timedelta(days=9))
        session.add(learn)
        session.flush()
        briefing = Briefing(round_id=row_id(learn.id), title="How the council uses data today",
                            summary="What it holds and why.", speaker_name="Dr Ada Example",
                            speaker_organisation="Example University", speaker_role="Lecturer",
                            interests="None declared.")
        session.add(briefing)
        session.flush()
        for member_id in world.member_ids[:3]:
            briefings.mark_read(session, briefing, member_id, now=T0 - timedelta(days=11))
        first = session.get(Principle, world.principle_ids[0])
        assert first is not None   # an officer's edit before the vote: version 2
        drafting.new_version(session, first, title=first.title, text=first.text + " Always.",
                             rationale="Members asked for it.", theme="transparency",
                             change="edited", actor=OFFICER, now=T0 - timedelta(days=1))
        session.add(DissentNote(principle_id=world.principle_ids[0],
                                member_id=world.member_ids[3], text="Too slow.", signatures=4,
                                recorded_at=T0 - timedelta(days=8)))
        session.add(DissentNote(principle_id=world.principle_ids[0],
                                member_id=world.member_ids[4], text="Not on the record.",
                                signatures=1))
        _vote(session, world)
        third = session.get(Principle, world.principle_ids[2])
        assert third is not None   # edited after the paper froze: not what was voted on
        drafting.new_version(session, third, title="Too late", text=third.text,
                             rationale="", theme="other", change="edited", actor=OFFICER,
                             now=VOTING + timedelta(hours=1))
        _close_and_seal(session, world)
        _release(session, world)
        session.add(models.CouncilResponse(
            assembly_id=world.assembly_id, principle_id=world.principle_ids[0],
            status=publication.ResponseStatus.accepted_in_part.value,
            reasons="We will, within a year.", responded_on=date(2027, 4, 1),
            recorded_by=OFFICER))
    return world


def test_the_snapshot_holds_the_stored_tallies_and_recounts_clean(
        engine: Engine, dbs: Sessions, tmp_path: Path) -> None:
    world = _full(engine, dbs)
    assert _problems(dbs, world, INFO.published_at) == []
    made = _built(dbs, world)
    assert [p.number for p in made.principles] == [1, 2, 3]
    assert [p.current.title for p in made.principles] == [
        "Open by default", "People check the machines", "Ask before sharing"]
    assert [(v.number, v.made_by, v.theme) for v in made.principles[0].versions] == [
        (1, "first draft", "Other"), (2, "edited by the assembly team", "Transparency")]
    assert made.principles[0].current.text.endswith(" Always.")
    assert [v.number for v in made.principles[2].versions] == [1]   # version 2 came later
    with dbs() as session:
        stored = {t.principle_id: t for t in session.exec(select(Tally)).all()}
        sealed = session.exec(select(SealedBallot.principle_id, SealedBallot.choice,
                                     sa.func.count())
                              .group_by(col(SealedBallot.principle_id),
                                        col(SealedBallot.choice))).all()
    for number, principle_id in enumerate(world.principle_ids, start=1):
        vote = next(v for v in made.votes if v.principle == number)
        row = stored[principle_id]
        assert (vote.inputs, vote.digest, vote.method_version, dict(vote.parameters)) == (
            row.inputs, row.digest, row.method_version, row.parameters)
        assert vote.round == "Voting on the charter"
        counts = {c: n for p, c, n in sealed if p == principle_id}
        assert {o: n for o, n in vote.inputs["counts"].items() if n} == counts
        tally, _ = vote.public()
        assert tally.eligible == 20 and tally.valid == 17
    adopted = [v.public()[0].decision.adopted for v in made.votes]
    assert adopted[0] and not adopted[1]
    assert made.votes[0].dissent == (publication.DissentNote("Too slow.", 4),)
    assert made.responses == (publication.CouncilResponse(
        1, publication.ResponseStatus.accepted_in_part, "We will, within a year.",
        date(2027, 4, 1)),)
    assert made.evidence == (publication.Evidence(
        "Learning about data", "How the council uses data today", "Dr Ada Example",
        "Example University", "Lecturer", "None declared.", "What it holds and why."),)
    assert [(t.round, t.kind, t.eligible, t.took_part) for t in made.turnout] == [
        ("Learning about data", "learn", 20, 3), ("What matters to us", "discuss", 20, 20),
        ("Drafting the charter", "draft", 20, 0), ("Voting on the charter", "vote", 20, 17)]
    vote_turnout = made.turnout[-1]
    assert vote_turnout.opened == OPENS and vote_turnout.closed == CLOSES
    assert [(q.feature, q.value, q.panel, q.pool) for q in made.panel] == [
        ("Age", age, 5, 5) for age in ("16-29", "30-44", "45-64", "65+")]
    assert made.assembly.title == "Our council, data and AI"
    assert made.assembly.commissioned_by == "Test City Council"

    files = publication.open_data(made)
    report = recount(write(files, tmp_path / "open-data"))
    assert report.matches, [str(d) for d in report.differences]
    assert len(report.principles) == 3


def test_the_population_shares_of_the_quotas_file_are_published(engine: Engine, dbs: Sessions
                                                                ) -> None:
    world = _full(engine, dbs)
    assert {q.target_share for q in _built(dbs, world).panel} == {None}
    shares = {"16-29": 0.2, "30-44": 0.25, "45-64": 0.33, "65+": 0.22}
    with dbs(write=True) as session:
        for value, share in shares.items():
            session.execute(sa.update(Quota).where(col(Quota.assembly_id) == world.assembly_id,
                                                   col(Quota.value) == value)
                            .values(target_share=share))
    made = _built(dbs, world)
    assert {q.value: q.target_share for q in made.panel} == shares
    rows = publication.open_data(made)["panel.csv"].decode().splitlines()
    assert rows[0].split(",")[-1] == "target_share"
    assert rows[-1].endswith(",0.22")
    page = documents.charter_html(made)
    assert "In the population (census)" in page
    assert "Age: 30-44</th>" in page and "25\u00a0%</td>" in page

def test_small_cells_and_small_groups_are_withheld(engine: Engine, dbs: Sessions) -> None:
    world = _full(engine, dbs)
    made = _built(dbs, world)
    files = publication.open_data(made)
    strata = files["strata.csv"].decode().splitlines()
    over = [line for line in strata if ",Age,65+," in line]
    assert over and all(line.endswith(",,true") for line in over)   # 2 voters, under k = 5
    for vote in made.votes:
        _, features = vote.public()
        for feature in features:
            for value in feature.values:
                assert value.suppressed or sum(vote.inputs["strata"][feature.feature][
                    value.value].values()) >= 5
    # The discussion: groups under k show no size and no statements, and their participants
    # carry no group in the Pol.is files.
    (talk,) = made.discuss
    assert talk.prompt == "What matters to you about data?" and talk.participants == 20
    assert "Tell people when AI helped decide about them." in talk.consensus
    assert [g.size for g in talk.groups] == [10, 10]
    assert all(0 < len(g.representative) <= 3 for g in talk.groups)
    assert ("Keep data in the UK.", "agree") in talk.groups[0].representative
    assert sorted(talk.conversation.groups.values()) == [0] * 10 + [1] * 10
    # With k = 11 neither group of ten may be shown: no size, no statements, and no
    # participant carries a group in the Pol.is files.
    strict = _built(dbs, world, k=11).discuss[0]
    assert [(g.letter, g.size, g.representative) for g in strict.groups] == [
        ("A", None, ()), ("B", None, ())]
    assert not strict.conversation.groups
    # Consensus is then judged over the panel as a whole, as members saw it.
    assert strict.consensus[0] == "Tell people when AI helped decide about them."


def test_no_members_name_email_or_rejected_statement_reaches_the_open_data(
        engine: Engine, dbs: Sessions) -> None:
    world = _full(engine, dbs)
    files = publication.open_data(_built(dbs, world))
    everything = b"\n".join(files.values())
    assert b"Test City Council" in everything
    for person in world.panel.people:
        for secret in (person.name, person.email, person.postcode, person.public_id):
            assert secret.encode() not in everything, secret
    assert b"@example.org" not in everything and b"Testperson" not in everything
    assert REJECTED.encode() not in everything
    comments = files["statements/round-1/comments.csv"].decode()
    assert snapshot.MODERATED_OUT in comments
    package = json.loads(files["datapackage.json"])
    assert {"evidence.csv", "responses.csv"} <= {r["path"] for r in package["resources"]}


def test_a_principle_voted_on_twice_is_decided_by_the_last_released_vote(
        engine: Engine, dbs: Sessions) -> None:
    world = _world(engine)
    with dbs(write=True) as session:
        _vote(session, world)
        _close_and_seal(session, world)
        _release(session, world)
        again = Round(assembly_id=world.assembly_id, position=2, kind=RoundKind.vote.value,
                      title="Voting again", opens_at=CLOSES + timedelta(days=1),
                      closes_at=CLOSES + timedelta(days=2))
        session.add(again)
        session.flush()
        second = world.principle_ids[1]
        papers.configure(session, again, papers.Setup(
            world.draft_round_id, Scale.five,
            papers.Reasons.optional, RuleKind.majority, False, 0.0, 0.5,
            (second,)), CLOSES + timedelta(hours=12), actor=OFFICER)
        for n, member_id in enumerate(world.member_ids):
            ballots.cast(session, again, member_id, {ballots.choice_field(second): "agree"},
                         CLOSES + timedelta(days=1, minutes=n))
        assert sealing.seal(session, again, CLOSES + timedelta(days=2, minutes=1))
        rounds.release_results(session, again, CLOSES + timedelta(days=2, hours=1),
                               actor=OFFICER)
    made = _built(dbs, world)
    assert [p.number for p in made.principles] == [1, 2, 3]
    decided = {v.principle: v for v in made.votes}
    assert decided[2].round == "Voting again" and decided[1].round == "Voting on the charter"
    assert decided[2].public()[0].decision.adopted
    assert decided[2].public()[0].valid == 20



@pytest.mark.slow
def test_the_demo_assembly_builds_into_a_charter_that_recounts(
        settings: Settings, app: Starlette, dbs: Sessions, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The real data the public will see: the demo (which published its charter before its
    second learn round opened), with that round closed early by an officer, as it would be
    before publishing again now."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MINIPUBLIC_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("MINIPUBLIC_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("MINIPUBLIC_PASSWORD_MEMORY_KIB", "1024")
    monkeypatch.setenv("MINIPUBLIC_PASSWORD_TIME_COST", "1")
    assert main(["demo", "--no-serve"]) == 0
    capsys.readouterr()
    now = utcnow()
    with dbs() as session:
        assembly = session.exec(select(Assembly)).one()
        found = snapshot.problems(session, assembly, now=now)
    assert [p.split(" is still open")[0] for p in found] == [
        "“Data and AI in care, policing and the NHS”"]
    with dbs(write=True) as session:
        for item in rounds.programme(session, row_id(assembly.id)):
            if rounds.state_of(item, now) is RoundState.open:
                rounds.close_early(session, item, now, actor="demo")
    later = now + timedelta(hours=1)
    with dbs() as session:
        assert snapshot.problems(session, assembly, now=later) == []
        made = snapshot.build(session, assembly, replace(INFO, published_at=later),
                              k=settings.suppress_below)
        names = session.exec(select(Contact.name, Contact.email).join(
            Member, col(Member.respondent_id) == col(Contact.respondent_id))).all()
    assert len(made.principles) == 11
    assert [v.public()[0].decision.adopted for v in made.votes].count(False) == 1
    assert sum(len(v.dissent) for v in made.votes) == 2
    assert len(made.evidence) >= 11 and made.selection is not None
    assert made.selection.pool_size == 1000 and made.selection.seed
    assert {"commitment.json", "draw.json"} <= set(made.selection_files)
    (talk,) = made.discuss
    assert talk.participants >= 30 and len(talk.consensus) == 5 and len(talk.groups) >= 2
    assert [t.kind for t in made.turnout] == ["learn", "discuss", "draft", "vote", "learn"]
    assert sum(q.panel for q in made.panel if q.feature == "Age") == 40
    files = publication.open_data(made)
    report = recount(write(files, tmp_path / "open-data"))
    assert report.matches, [str(d) for d in report.differences]
    everything = b"\n".join(files.values())
    speakers = {e.speaker for e in made.evidence}   # the synthetic pool shares a few names
    for name, email in names:
        assert email.encode() not in everything
        assert name in speakers or name.encode() not in everything, name
