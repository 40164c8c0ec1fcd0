"""Test data written straight to the database (or built in memory), without going through the
app: officers, panel members, a synthetic pool, and a drawn panel with real personal data for tests
of what happens after the draw (invitations, purge, erasure) without running a selection each time.

Helpers that drive the app over HTTP as a person would are in `tests.app.flows`; fixtures that
hand these out per test are in `tests/app/conftest.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy.engine import Engine
from sqlmodel import Session

from assembly import db
from assembly.accounts import signin
from assembly.accounts.models import Officer
from assembly.assemblies.models import Assembly, AssemblyStatus
from assembly.ballots import ballots
from assembly.deliberation import rounds
from assembly.deliberation.models import Round, RoundKind
from assembly.drafting.models import (
    Amendment,
    Comment,
    DissentNote,
    Principle,
    PrincipleVersion,
)
from assembly.recruitment.models import Contact, PoolCount, Profile, Quota, Respondent
from assembly.selection.models import (
    Draw,
    Member,
    MemberRole,
    MemberStatus,
    RunStatus,
    SelectionRun,
)
from assembly.selection.runs import take_number
from assembly.settings import Settings
from assembly.tables import utcnow
from sortition.synthetic import SyntheticPool, make_pool
from tests.app.clocks import T0, Clock

PASSWORD = "correct horse battery staple"


def make_officer(engine: Engine, settings: Settings, email: str = "officer@example.org", *,
                 is_admin: bool = False, password: str = PASSWORD) -> Officer:
    with db.session(engine, write=True) as session:
        officer = Officer(email=email, name="Test Officer", is_admin=is_admin,
                          password_hash=signin.hash_password(settings, password))
        session.add(officer)
        session.flush()
        return officer


def make_member(engine: Engine, *, assembly: Assembly | None = None,
                external_id: str = "R0001") -> Member:
    """A drawn panel member of `assembly` (a new one if not given), with no personal data."""
    with db.session(engine, write=True) as session:
        if assembly is None:
            assembly = Assembly(title="Test assembly", question="How should we test?")
            session.add(assembly)
            session.flush()
        respondent = Respondent(assembly_id=assembly.id, external_id=external_id)
        session.add(respondent)
        session.flush()
        member = Member(assembly_id=assembly.id, respondent_id=respondent.id)
        session.add(member)
        session.flush()
        return member


@lru_cache(maxsize=4)
def synthetic(n: int = 120, k: int = 12, features: int = 4, seed: int = 3) -> SyntheticPool:
    return make_pool(n, k, features=features, seed=seed)


def unprotect_audit_log(engine: Engine) -> None:
    """Remove the triggers that refuse UPDATE and DELETE, as an attacker with the database
    password could; the chain must still show what they did."""
    with engine.begin() as connection:
        for event in ("update", "delete"):
            suffix = " ON audit_event" if engine.dialect.name == "postgresql" else ""
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS audit_event_no_{event}{suffix}")


# --- a drawn panel --------------------------------------------------------------------------------

FIRST = ("Amira", "Bernadette", "Callum", "Dolores", "Eddie", "Femi", "Grace", "Hassan", "Iris",
         "Jack", "Kath", "Liam")
AGES = ("16-29", "30-44", "45-64", "65+")


@dataclass(frozen=True)
class Person:
    respondent_id: int
    public_id: str
    external_id: str
    name: str
    email: str
    postcode: str
    age: str
    member_id: int | None


@dataclass(frozen=True)
class Panel:
    assembly_id: int
    people: list[Person]

    @property
    def members(self) -> list[Person]:
        return [p for p in self.people if p.member_id is not None]

    @property
    def not_drawn(self) -> list[Person]:
        return [p for p in self.people if p.member_id is None]


def drawn_panel(engine: Engine, *, respondents: int = 8, panel: int = 3, reserves: int = 1,
                drawn_at: datetime | None = None, retention_days: int = 90,
                member_retention_days: int = 90, ends_on: date | None = None,
                title: str = "Our council, data and AI", tag: str = "") -> Panel:
    """An assembly whose draw chose the first `panel` respondents, then `reserves` reserves.
    Their ids (`R0001`, ...) are plain references from the people file's id column."""
    drawn_at = drawn_at or utcnow()
    with db.session(engine, write=True) as session:
        assembly = Assembly(
            title=title, question="How should our council use data and AI?",
            commissioning_body="Test City Council", status=AssemblyStatus.drawn.value,
            panel_size=panel, retention_days=retention_days,
            member_retention_days=member_retention_days, ends_on=ends_on,
        )
        session.add(assembly)
        session.flush()
        assert assembly.id is not None
        run = SelectionRun(assembly_id=assembly.id, number=take_number(session, assembly.id),
                           algorithm="leximin", panel_size=panel,
                           status=RunStatus.done.value, commitment="0" * 64,
                           lottery={"size": 1000, "tickets": [], "files": {}, "auditor": {
                               "profiles.csv": "person,salt\n",
                               "tickets.csv": "ticket,salt,members\n"}})
        session.add(run)
        session.flush()
        people: list[tuple[Respondent, str, str, str, str]] = []
        for i in range(respondents):
            external = f"{tag}R{i + 1:04d}"
            respondent = Respondent(assembly_id=assembly.id, external_id=external,
                                    id_source="column", household_key=f"{i:064x}")
            session.add(respondent)
            session.flush()
            name = f"{FIRST[i % len(FIRST)]} Testperson{tag}{i}"
            email = f"{FIRST[i % len(FIRST)].lower()}.testperson{tag}{i}@example.org"
            postcode = f"L{i + 1} {i % 9 + 1}QQ"
            age = AGES[i % len(AGES)]
            session.add(Contact(respondent_id=respondent.id, name=name, email=email,
                                address_line_1=f"{i + 10} Quarry Street", town="Liverpool",
                                postcode=postcode))
            session.add(Profile(respondent_id=respondent.id, values={"Age": age}))
            people.append((respondent, name, email, postcode, age))
        for age in AGES:
            session.add(PoolCount(assembly_id=assembly.id, feature="Age", value=age,
                                  count=sum(1 for p in people if p[4] == age)))
        chosen = [p[0] for p in people[:panel + reserves]]
        draw = Draw(run_id=run.id, assembly_id=assembly.id, seed="12345", ticket=7,
                    panel=[r.external_id for r in chosen[:panel]],
                    reserves=[r.external_id for r in chosen[panel:]], drawn_at=drawn_at)
        session.add(draw)
        session.flush()
        member_ids: dict[int, int] = {}
        for i, respondent in enumerate(chosen):
            member = Member(assembly_id=assembly.id, respondent_id=respondent.id, draw_id=draw.id,
                            role=MemberRole.panel.value if i < panel else MemberRole.reserve.value)
            session.add(member)
            session.flush()
            assert member.id is not None and respondent.id is not None
            member_ids[respondent.id] = member.id
        result = []
        for respondent, name, email, postcode, age in people:
            assert respondent.id is not None
            result.append(Person(respondent.id, respondent.public_id, respondent.external_id,
                                 name, email, postcode, age, member_ids.get(respondent.id)))
        return Panel(assembly.id, result)


def days_ago(days: int) -> datetime:
    return utcnow() - timedelta(days=days)


# --- a vote round ---------------------------------------------------------------------------------

PRINCIPLES = (
    ("Open by default", "The council publishes what data it holds and why it holds it."),
    ("People check the machines", ("A person reviews every decision a computer suggests about "
                                   "someone's care, benefits or housing.")),
    ("Ask before sharing", ("Residents are asked before their data is shared outside the "
                            "council, except where the law requires it.")),
)


@dataclass(frozen=True)
class VoteWorld:
    panel: Panel
    draft_round_id: int
    vote_round_id: int
    vote_public_id: str
    principle_ids: list[int]

    @property
    def assembly_id(self) -> int:
        return self.panel.assembly_id

    @property
    def member_ids(self) -> list[int]:
        return [p.member_id for p in self.panel.members if p.member_id is not None]


def vote_world(engine: Engine, *, opens_at: datetime, closes_at: datetime, members: int = 6,
               tag: str = "") -> VoteWorld:
    """A drawn panel whose members have all joined (each with an age band, which the quotas name
    as the selection feature), a finished draft round with three principles (one edited once),
    and a vote round from `opens_at` to `closes_at`."""
    panel = drawn_panel(engine, respondents=members, panel=members, reserves=0, tag=tag)
    with db.session(engine, write=True) as session:
        for person in panel.members:
            member = session.get(Member, person.member_id)
            assert member is not None
            member.status = MemberStatus.joined.value
            member.joined_at = opens_at - timedelta(days=9)
            session.add(member)
        for position, age in enumerate(AGES):
            session.add(Quota(assembly_id=panel.assembly_id, position=position, feature="Age",
                              value=age, min_count=0, max_count=members))
        draft = Round(assembly_id=panel.assembly_id, position=0, kind=RoundKind.draft.value,
                      title="Drafting the charter", opens_at=opens_at - timedelta(days=14),
                      closes_at=opens_at - timedelta(days=7))
        vote = Round(assembly_id=panel.assembly_id, position=1, kind=RoundKind.vote.value,
                     title="Voting on the charter", purpose="To decide.",
                     instructions="Vote on every principle.", opens_at=opens_at,
                     closes_at=closes_at)
        session.add_all([draft, vote])
        session.flush()
        ids = []
        for position, (title, text) in enumerate(PRINCIPLES):
            principle = Principle(round_id=draft.id, position=position, title=title, text=text)
            session.add(principle)
            session.flush()
            session.add(PrincipleVersion(principle_id=principle.id, version=1, theme="other",
                                         title=title, text=text, saved_by="officer:1"))
            ids.append(principle.id)
        assert draft.id is not None and vote.id is not None
        return VoteWorld(panel, draft.id, vote.id, vote.public_id, ids)


# --- rounds and joining, in the caller's session ------------------------------------------------

def new_round(session: Session, assembly_id: int, details: rounds.Details, *,
              actor: str = "test") -> Round:
    """A round made by the rounds service, as an officer's form makes one, for an assembly known
    by its id."""
    assembly = session.get(Assembly, assembly_id)
    assert assembly is not None
    return rounds.create(session, assembly, details, actor=actor)


def mark_joined(session: Session, member: Member, joined_at: datetime) -> None:
    """The member accepted their place at `joined_at`."""
    joined = session.get(Member, member.id)
    assert joined is not None
    joined.status, joined.joined_at = MemberStatus.joined.value, joined_at
    session.add(joined)


# --- a draft round with one of everything ---------------------------------------------------------

@dataclass(frozen=True)
class Drafting:
    round: Round
    principle: Principle
    comment: Comment
    amendment: Amendment
    note: DissentNote


def open_draft(session: Session, assembly_id: int, member_id: int, *, title: str,
               closes_at: datetime) -> Drafting:
    """An open draft round (opened a day ago) with a principle, and the member's comment,
    amendment and dissent note on it: one row behind each drafting route, for tests that visit
    every route. Written in the caller's session, beside the rest of its world."""
    draft = Round(assembly_id=assembly_id, kind=RoundKind.draft.value, title=title,
                  opens_at=utcnow() - timedelta(days=1), closes_at=closes_at)
    session.add(draft)
    session.flush()
    principle = Principle(round_id=draft.id, title="Open by default", text="Publish it.")
    session.add(principle)
    session.flush()
    comment = Comment(principle_id=principle.id, member_id=member_id, version=1,
                      stance="support", text="Yes.")
    amendment = Amendment(principle_id=principle.id, member_id=member_id, base_version=1,
                          text="Publish it all.", reason="Clearer.")
    note = DissentNote(principle_id=principle.id, member_id=member_id, text="No.")
    session.add_all([comment, amendment, note])
    session.flush()
    return Drafting(draft, principle, comment, amendment, note)


# --- a vote held, sealed and released ---------------------------------------------------------

# Per member, a choice per principle: "Open by default" adopted by 5 of 6, "People check the
# machines" not adopted (2 of 6), the third adopted by all.
CHOICES = (("agree", "agree", "agree"), ("strongly_agree", "disagree", "agree"),
           ("agree", "disagree", "strongly_agree"), ("agree", "disagree", "agree"),
           ("agree", "agree", "agree"), ("disagree", "unsure", "agree"))


def hold_vote(engine: Engine, clock: Clock, world: VoteWorld,
              choices: Sequence[Sequence[str]] = CHOICES, *, release: bool = True) -> None:
    """Every member votes while the round is open; the clock then passes its close, which seals
    it, and (unless `release` is False) an officer releases the results."""
    clock.now = T0 + timedelta(hours=2)
    with db.session(engine, write=True) as session:
        item = session.get(Round, world.vote_round_id)
        assert item is not None
        for member_id, chosen in zip(world.member_ids, choices, strict=False):
            ballots.cast(session, item, member_id,
                         {f"choice-{p}": c for p, c in zip(world.principle_ids, chosen,
                                                           strict=True)}, clock.now)
    clock.now = T0 + timedelta(days=3)
    if release:
        with db.session(engine, write=True) as session:
            item = session.get(Round, world.vote_round_id)
            assert item is not None
            rounds.release_results(session, item, clock.now, actor="officer:1")
