"""Test data written straight to the database (or built in memory), without going through the
app: officers, panel members, a synthetic pool, and a drawn panel with real personal data for tests
of what happens after the draw (invitations, purge, erasure) without running a selection each time.

Helpers that drive the app over HTTP as a person would are in `tests.app.flows`; fixtures that
hand these out per test are in `tests/app/conftest.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy.engine import Engine

from assembly import db
from assembly.accounts import signin
from assembly.accounts.models import Officer
from assembly.assemblies.models import Assembly, AssemblyStatus
from assembly.recruitment.models import Contact, PoolCount, Profile, Respondent
from assembly.selection.models import Draw, Member, MemberRole, RunStatus, SelectionRun
from assembly.selection.runs import take_number
from assembly.settings import Settings
from assembly.tables import utcnow
from sortition.synthetic import SyntheticPool, make_pool

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
