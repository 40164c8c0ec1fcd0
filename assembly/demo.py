"""`minipublic demo`: a realistic assembly to click through, on nothing but SQLite.

The pool comes from `sortition.synthetic` (fictional people at example.org addresses with
census-like, correlated characteristics and the self-selection of real recruitment), loaded
through the same code as an officer's upload, so the demo shows what a real pool looks like:
quotas that bite, over-represented groups competing for few seats. Running it twice reuses the
assembly; only the demo officer's password changes, so the one printed is always the one that
works.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from assembly import db
from assembly.accounts import officers
from assembly.accounts.models import Officer
from assembly.assemblies import details
from assembly.assemblies.models import Assembly
from assembly.deliberation import meetings, rounds, samples, times
from assembly.deliberation.models import Round, RoundKind, RoundState, StepFree
from assembly.invitations import returning
from assembly.recruitment import pool
from assembly.settings import Settings
from assembly.tables import row_id, utcnow
from charter.publication import ResponseStatus
from sortition import csvsafe
from sortition.io import FLEX_COLUMNS, QUOTA_COLUMNS
from sortition.synthetic import ADDRESS_COLUMNS, SyntheticPool, make_pool

OFFICER_EMAIL = "demo.officer@example.org"
ACTOR = "demo"  # how the audit log names `minipublic demo`
POOL_SIZE = 1000
PANEL_SIZE = 40
SEED = 2027
TITLE = "Liverpool City Region Citizens' Assembly on Data and AI"
QUESTION = "How should our council use data and AI?"
COMMISSIONING_BODY = "Liverpool City Region Combined Authority (demo)"
REMIT = (
    "The assembly will hear from experts, council staff and residents about how public bodies in "
    "the city region use data and automated decision-making today: in social care, housing, "
    "transport and council tax. It will agree principles for when the council may use data and "
    "AI, what safeguards people are owed, and how the public should be told. The Combined "
    "Authority has committed to respond in public to every recommendation within three months."
)
LEGAL_BASIS = (
    "Public task, UK GDPR Article 6(1)(e); special category data under Article 9(2)(g) and the "
    "Data Protection Act 2018, Schedule 1, paragraph 8 (equality of opportunity)."
)
CONSENT_VERSION = "demo-privacy-notice-v1"
# Whom residents contact: on every letter and member page. Fictional: a number from Ofcom's range
# for drama (0151 496 0000-0999), an example.org address and an invented street.
CONTACT = {
    "contact_phone": "0151 496 0123",
    "contact_email": "assembly@example.org",
    "contact_address": "Citizens' Assembly Team\n1 Mann Island\nLiverpool\nL3 1BP",
    "support_offer": (
        "We pay £50 a day and your travel, childcare and care costs. We can arrange "
        "interpreters, British Sign Language, large print and step-free venues, and lend you a "
        "tablet. Call us, Monday to Friday 9am to 5pm."),
}


@dataclass(frozen=True)
class Demo:
    assembly_id: int
    created: bool
    email: str
    password: str
    people_csv: Path
    quotas_csv: Path



def quotas_with_census(synthetic: SyntheticPool) -> bytes:
    """The demo's quotas file as an officer writes it from the census: each value's share of
    the population (a percentage, one decimal) in a `share` column beside its seats."""
    shares = {(feature, value): share
              for feature, names in zip(synthetic.features, synthetic.values, strict=True)
              for value, share in zip(names, synthetic.census_shares(feature), strict=True)}
    rows: list[tuple[object, ...]] = [(*QUOTA_COLUMNS, *FLEX_COLUMNS, "share")]
    for c in synthetic.quotas.categories:
        rows.append((c.feature, c.value, c.min, c.max, c.min_flex,
                     c.max if c.max_flex is None else c.max_flex,
                     f"{100 * shares[(c.feature, c.value)]:.1f}"))
    return csvsafe.encode(rows, lineterminator="\r\n")

def new_password() -> str:
    """Four groups of four, readable aloud and at least as strong as the officers' rules ask."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def prepare(session: Session, settings: Settings, files: Path) -> Demo:
    """Create (or find) the demo officer and assembly; give the officer a fresh password."""
    password = new_password()
    officer = session.exec(select(Officer).where(Officer.email == OFFICER_EMAIL)).first()
    if officer is None:
        officer = officers.create(session, settings, OFFICER_EMAIL, password, actor=ACTOR,
                                  name="Demo Officer", is_admin=True)
    else:
        officers.reset_password(session, settings, officer, password, actor=ACTOR)
        officers.set_disabled(session, officer, False, actor=ACTOR)

    synthetic = make_pool(POOL_SIZE, PANEL_SIZE, features=6, seed=SEED, households=True)
    files.mkdir(parents=True, exist_ok=True)
    people_csv, quotas_csv = files / "people.csv", files / "quotas.csv"
    people_csv.write_bytes(synthetic.people_csv())
    quotas_csv.write_bytes(quotas_with_census(synthetic))

    assembly = session.exec(select(Assembly).where(Assembly.title == TITLE)).first()
    created = assembly is None
    if assembly is None:
        today = date.today()
        actor = f"officer:{officer.id}"
        assembly = details.create(
            session, {"title": TITLE, "question": QUESTION, "remit": REMIT,
                      "commissioning_body": COMMISSIONING_BODY,
                      "starts_on": today + timedelta(days=min(r[4] for r in ROUNDS)),
                      "ends_on": today + timedelta(days=max(r[4] + r[5] for r in ROUNDS)),
                      **CONTACT},
            actor=actor, officer_id=officer.id, retention_days=settings.retention_days,
            panel_size=PANEL_SIZE)
        pool.upload(session, assembly,
                    quotas_file=(quotas_with_census(synthetic), "quotas.csv"),
                    people_file=(synthetic.people_csv(), "people.csv"),
                    secret=settings.secret_key, address_columns=ADDRESS_COLUMNS,
                    legal_basis=LEGAL_BASIS, consent_version=CONSENT_VERSION, actor=actor,
                    source="minipublic demo")
    elif not (assembly.contact_phone or assembly.contact_email):  # made by an older version
        details.update(session, assembly, CONTACT, actor=f"officer:{officer.id}")
    assert assembly.id is not None
    if not rounds.programme(session, assembly.id):
        add_programme(session, assembly, utcnow(), actor=f"officer:{officer.id}")
    # The learn rounds' briefings, with questions and answers (once; kept on later runs).
    samples.add(session, rounds.programme(session, assembly.id), actor=f"officer:{officer.id}")
    return Demo(assembly.id, created, OFFICER_EMAIL, password, people_csv, quotas_csv)


# --- the programme: rounds on data and AI, and two meetings ---------------------------------------

# (kind, title, purpose, instructions, opens: days from today, lasts: days); all at 6pm, in the
# order they happened. The story runs from the lottery to the published charter: the first learn
# round, the discussion (its results released the next morning), the drafting (likewise) and the
# vote (sealed, its results released) are done; the charter was published the day after the
# vote's results, the Combined Authority answered six of its principles two weeks later and a
# second version was published with its response (`publish_charter`); only then did the second
# learn round open, applying the principles to the services people depend on. So every room has
# something to show: officers see a finished draft round (its amendments, versions and dissent
# notes) carried to a sealed vote, its results and the charter in two versions; the public reads
# the charter; members have a round open to take part in. Nothing but that round is open, as
# publishing requires.
ROUNDS: tuple[tuple[RoundKind, str, str, str, int, int], ...] = (
    (RoundKind.learn, "How councils use data today",
     ("To understand what information the council holds about residents and what it does "
      "with it now."),
     ("Read the short briefings from council staff and researchers. Write down anything that "
      "surprises you. You can ask the speakers a question."), -70, 14),
    (RoundKind.discuss, "What matters to us",
     "To find out where members agree and where they differ.",
     ("Read what other members think and say whether you agree. Add your own views in a "
      "sentence or two."), -63, 12),
    (RoundKind.draft, "Writing our principles",
     "To turn what we agree on into principles the council can follow.",
     "Suggest principles and improve the ones other members write.", -50, 14),
    (RoundKind.vote, "Voting on the principles",
     "To decide which principles the assembly recommends.",
     "Vote for or against each principle. Your vote is secret.", -33, 7),
    (RoundKind.learn, "Data and AI in care, policing and the NHS",
     ("To hear the arguments for and against using data and AI in services people depend on, "
      "and what our principles mean for them."),
     ("Read the briefings. Each one says who wrote it and what they gain or lose. Ask the "
      "speakers anything you want to know."), -6, 14),
)
# The discussion's statements and votes were made in its first days, before the drafting.
CONVERSATION_DAYS = 6
# The discussion's and the draft round's results were released the morning after they closed
# (10am), once the team had read them through.
RELEASED_AFTER = timedelta(hours=16)


def _local(day: date, hour: int, zone: str) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=times.zone(zone))


def add_programme(session: Session, assembly: Assembly, now: datetime, *, actor: str) -> None:
    """A programme around today (`ROUNDS`) and two meetings (one in person with step-free
    access, one online) about the open learn round."""
    zone = assembly.time_zone
    today = now.astimezone(times.zone(zone)).date()
    made: dict[str, int] = {}
    for kind, title, purpose, instructions, starts, lasts in ROUNDS:
        opens = _local(today + timedelta(days=starts), 18, zone)
        made[title] = row_id(rounds.create(session, assembly, rounds.Details(
            kind, title, purpose, instructions, opens, opens + timedelta(days=lasts)),
            actor=actor).id)
    learning = made[ROUNDS[4][1]]
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    meetings.create(session, assembly, meetings.Details(
        "Weekend meeting: hearing from the speakers", _local(saturday, 10, zone),
        _local(saturday, 16, zone), "Central Library, Picton Reading Room",
        "William Brown Street\nLiverpool\nL3 8EW", StepFree.yes,
        "Step-free entrance on William Brown Street, lifts to every floor, a hearing loop and "
        "a quiet room. Lunch is provided; tell us about any dietary needs. Travel costs and "
        "childcare are paid.", "", (learning,)), actor=actor)
    meetings.create(session, assembly, meetings.Details(
        "Online evening: questions and answers", _local(saturday + timedelta(days=4), 18, zone),
        _local(saturday + timedelta(days=4), 19, zone) + timedelta(minutes=30), "", "",
        StepFree.unknown, "Join by phone or computer. Captions are on.",
        "https://meet.example.org/assembly-data-ai", (learning,)),
        actor=actor)


# --- the panel: drawn, invited, most members joined; a sign-in code for a newcomer ----------------

DRAW_SEED = "demo-2027"   # the public seed of the demo's draw
JOINED_SHARE = 0.9        # of the panel, how many have accepted their invitation
INVITATION_DAYS = 28


def seat_panel(engine: Engine, settings: Settings, assembly_id: int) -> None:
    """Run the selection (leximin, a few seconds), draw the panel with a public seed, invite
    every member and have most of them accept, as if weeks had passed. Once: a demo that
    already has a draw keeps it."""
    from assembly import audit
    from assembly.invitations import credentials
    from assembly.selection import draws, runs, worker
    from assembly.selection.models import Member, RunStatus, SelectionRun

    with db.session(engine) as session:
        if draws.draw_of(session, assembly_id) is not None:
            return
        run = session.exec(select(SelectionRun).where(SelectionRun.assembly_id == assembly_id)
                           .order_by(col(SelectionRun.id).desc())).first()
    if run is None or run.status != RunStatus.done.value:
        with db.session(engine, write=True) as session:
            assembly = session.get(Assembly, assembly_id)
            assert assembly is not None
            run = runs.start(session, assembly, runs.RunOptions(
                algorithm="leximin", panel_size=PANEL_SIZE, one_per_household=True,
                lottery_size=None, time_budget=120), actor=ACTOR, officer_id=None)
            run_id = row_id(run.id)
        worker.execute(settings.database_url, run_id)
        with db.session(engine) as session:
            run = session.get(SelectionRun, run_id)
            assert run is not None
            if run.status != RunStatus.done.value:
                raise RuntimeError(f"The demo's selection did not finish: {run.error}")
    with db.session(engine, write=True) as session:
        assembly = session.get(Assembly, assembly_id)
        run = session.get(SelectionRun, row_id(run.id))
        assert assembly is not None and run is not None
        draws.perform_draw(session, assembly, run, DRAW_SEED, ACTOR, None)
        seated = [m for m in session.exec(select(Member).where(
            Member.assembly_id == assembly_id, Member.role == "panel")
            .order_by(col(Member.id))).all()]
        issued = credentials.issue(session, seated, days=INVITATION_DAYS, officer_id=None)
        audit.record(session, assembly_id, ACTOR, "invitations.issued", {
            "members": [m.public_id for m in seated],
            "expires_at": audit.timestamp(issued[0].expires_at)})
        for item in issued[:round(len(issued) * JOINED_SHARE)]:
            joined = credentials.redeem(session, credentials.link_hash(item.token))
            if joined.member is not None:
                audit.record(session, assembly_id, f"member:{joined.member.public_id}",
                             "invitation.redeemed", {"member": joined.member.public_id,
                                                     "via": "link"})


def member_code(session: Session, assembly_id: int) -> returning.Code:
    """A fresh one-time sign-in code for the first member who joined (any earlier one stops)."""
    from assembly.selection.models import Member, MemberStatus

    member = session.exec(select(Member).where(
        Member.assembly_id == assembly_id, Member.status == MemberStatus.joined.value)
        .order_by(col(Member.id))).first()
    if member is None:
        raise RuntimeError("The demo panel has no member who joined.")
    return returning.make_code(session, member, None)


def _round_of(session: Session, assembly_id: int, kind: RoundKind) -> Round | None:
    return next((r for r in rounds.programme(session, assembly_id)
                 if RoundKind(r.kind) is kind), None)


def _officer_actor(session: Session) -> str | None:
    officer = session.exec(select(Officer).where(Officer.email == OFFICER_EMAIL)).first()
    return f"officer:{officer.id}" if officer is not None else None


def _release(session: Session, item: Round, *, actor: str) -> bool:
    """Release a closed round's results the morning after it closed (`RELEASED_AFTER`); False
    when they are released already, or the round (of an older demo) has not closed."""
    at = item.closes_at + RELEASED_AFTER
    if at > utcnow() or rounds.state_of(item, utcnow()) is not RoundState.closed:
        return False
    rounds.release_results(session, item, at, actor=actor)
    return True


def start_conversation(engine: Engine, assembly_id: int) -> bool:
    """The discuss round's statements and the joined members' votes (`discussion.samples`), once
    the panel has joined, in the round's first days (before the drafting that drew on it), and
    its results released after it closed; False when there is nothing to add (already there,
    or the round of an older demo is not open)."""
    from assembly.discussion import samples as conversation

    with db.session(engine, write=True) as session:
        actor = _officer_actor(session)
        item = _round_of(session, assembly_id, RoundKind.discuss)
        if actor is None or item is None:
            return False
        moment = min(item.opens_at + timedelta(days=CONVERSATION_DAYS), utcnow())
        added = conversation.add(session, item, moment, actor=actor)
        return _release(session, item, actor=actor) or added


def write_principles(engine: Engine, assembly_id: int) -> bool:
    """The draft round's eleven principles with members' comments, amendments and dissent notes
    (`drafting.samples`), after the conversation they draw on, and the round's results
    released; False when there is nothing to add (already there, or the draft round of an
    older demo has not closed)."""
    from assembly.drafting import samples as drafts

    with db.session(engine, write=True) as session:
        actor = _officer_actor(session)
        item = _round_of(session, assembly_id, RoundKind.draft)
        if actor is None or item is None:
            return False
        added = drafts.add(session, item, _round_of(session, assembly_id, RoundKind.discuss),
                           utcnow(), actor=actor)
        return _release(session, item, actor=actor) or added


def hold_vote(engine: Engine, assembly_id: int) -> bool:
    """The vote round's ballots on those principles, sealed at its close and released
    (`ballots.samples`); False when there is nothing to add (already held, or the vote of an
    older demo has not closed)."""
    from assembly.ballots import samples as vote

    with db.session(engine, write=True) as session:
        actor = _officer_actor(session)
        item = _round_of(session, assembly_id, RoundKind.vote)
        if actor is None or item is None:
            return False
        return vote.add(session, item, utcnow(), actor=actor)


# --- the charter: published, answered by the Combined Authority, published again ----------------

# After the vote's results (days): version 1 the next morning; the Combined Authority's board
# answers six principles two weeks later, the same afternoon the officers record it; version 2
# two days after that, before the second learn round opens (publishing needs no round open).
FIRST_VERSION_DAYS = 1
RESPONDED_DAYS = 14
SECOND_VERSION_DAYS = 16
SECOND_VERSION_CHANGES = "Adds the Combined Authority's response to six principles."


@dataclass(frozen=True)
class Answer:
    """The council's response to one principle of the charter, by its title."""

    principle: str
    status: ResponseStatus
    reasons: str


# Six of the ten adopted principles, answered as a combined authority would: what it will do, by
# when, and where a principle asks for what is not in its gift (benefits are decided by the
# councils and the DWP; sharing for direct care follows national NHS rules), who else it will ask.
RESPONSES: tuple[Answer, ...] = (
    Answer("Tell people when AI is used", ResponseStatus.accepted,
           "The Combined Authority accepts this principle. From April, every letter, e-mail and "
           "screen that tells residents about a decision in which a computer played a part will "
           "say so in plain English and explain how to ask a person to look at it again. Our "
           "data team will publish the standard wording and check every service against it "
           "twice a year. We will ask the six councils of the city region to use the same "
           "wording."),
    Answer("A public register of algorithms", ResponseStatus.accepted,
           "Accepted. We will publish a register of every algorithmic tool the Combined "
           "Authority uses or buys, following the government's Algorithmic Transparency "
           "Recording Standard, starting with transport and skills. Suppliers will have to "
           "provide the information as a condition of every new contract. The first register "
           "will be published within six months and updated every quarter."),
    Answer("Nobody left behind", ResponseStatus.accepted,
           "Accepted. Every service the Combined Authority runs will stay available in person, "
           "by phone and on paper, and nobody will pay more or wait longer for not using the "
           "internet. This will be written into the Digital Inclusion Strategy the Board adopts "
           "in the spring, and every new digital service will be checked against it before it "
           "starts."),
    Answer("A person decides what matters most", ResponseStatus.accepted_in_part,
           "Accepted for every decision the Combined Authority makes itself: none about a "
           "resident's care, housing or safety will be made by a computer alone, and the person "
           "who decides will be able to explain it. Benefits and council tax support are "
           "decided by the six councils and the Department for Work and Pensions, not by us; we "
           "will put the principle to the councils' leaders and report their answers to the "
           "assembly. We have read the members' dissent note and agree that clear-cut approvals "
           "may be automated where a person reviews every refusal."),
    Answer("Joined-up care", ResponseStatus.accepted_in_part,
           "Accepted in part. With NHS Cheshire and Merseyside and the six councils we will "
           "agree one published agreement for sharing the information needed to join up care, "
           "including the right to say no without losing a service, as the principle asks. We "
           "cannot commit to asking people each time information is shared, as the members' "
           "dissent note proposes: sharing for a person's direct care follows the NHS duty of "
           "confidentiality and the national data opt-out, which are set nationally. The "
           "agreement will be published in draft for comment before it is signed."),
    Answer("Ask before using data in a new way", ResponseStatus.not_accepted,
           "Not accepted as written. Asking residents before every new use of data the law "
           "allows, such as planning bus routes from anonymised journey data, would mean "
           "writing to hundreds of thousands of people and would hold back improvements the "
           "assembly supports elsewhere. Instead, before any new use of personal data we will "
           "publish a plain-English notice and the data protection impact assessment, and ask "
           "the Residents' Panel about any use the law does not require. We will report to the "
           "assembly in a year on how this has worked."),
)


def answer(session: Session, assembly: Assembly, answered: datetime, *, actor: str) -> int:
    """Record `RESPONSES` as given on the day `answered`, through the officers' own checks;
    how many were new or changed."""
    from assembly.publishing import principles as charter
    from assembly.publishing import responses

    entries = {entry.principle.title: entry for entry in charter.in_charter(session, assembly)}
    recorded = 0
    for given in RESPONSES:
        entry = entries.get(given.principle)
        if entry is None:   # an older demo's principles
            continue
        status, reasons, on = responses.check(
            given.status.value, given.reasons, answered.date().isoformat(),
            today=answered.date())
        recorded += responses.record(session, assembly, entry, status, reasons, on,
                                     actor=actor, now=answered)
    return recorded


def publish_charter(engine: Engine, settings: Settings, assembly_id: int) -> bool:
    """The charter, published the day after the vote's results; the Combined Authority's
    response to six principles two weeks later; version 2 with it (`RESPONSES`), each at its
    past moment. False when there is nothing to add (both versions there) or it cannot be
    published (an older demo whose vote was not released, or which has a round open then)."""
    from assembly.publishing import publish
    from assembly.routes import path_for

    site = publish.Site(settings.public_address, path_for)
    with db.session(engine) as session:
        actor = _officer_actor(session)
        vote = _round_of(session, assembly_id, RoundKind.vote)
        assembly = session.get(Assembly, assembly_id)
        if actor is None or vote is None or assembly is None \
                or vote.results_released_at is None:
            return False
        published = len(publish.versions(session, assembly_id))
        zone = assembly.time_zone
    released = vote.results_released_at.astimezone(times.zone(zone)).date()
    first, answered, second = (
        _local(released + timedelta(days=days), hour, zone)
        for days, hour in ((FIRST_VERSION_DAYS, 10), (RESPONDED_DAYS, 16),
                           (SECOND_VERSION_DAYS, 10)))
    if published >= 2 or second > utcnow():
        return False
    try:
        if published == 0:
            publish.publish(engine, assembly_id, actor=actor, changes="", now=first, site=site,
                            k=settings.suppress_below)
        with db.session(engine, write=True) as session:
            assembly = session.get(Assembly, assembly_id)
            assert assembly is not None
            answer(session, assembly, answered, actor=actor)
        publish.publish(engine, assembly_id, actor=actor, changes=SECOND_VERSION_CHANGES,
                        now=second, site=site, k=settings.suppress_below)
    except publish.PublishError:   # the first version may have been published before
        with db.session(engine) as session:
            return len(publish.versions(session, assembly_id)) > published
    return True
