"""The discuss round's pages through the real app, on both databases: members write statements
(a duplicate is pointed out and nothing stored), see their own with any reason, vote one
statement at a time (plain forms and htmx fragments), change a vote, and see their progress on
their home; officers set the question and moderation, seed, accept and reject. Authors are never
shown to other members; votes outside the open window, from another assembly, or on a statement
of another round are refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from assembly import audit, db
from assembly.assemblies.models import Assembly
from assembly.deliberation import rounds
from assembly.deliberation.models import Round, RoundKind
from assembly.discussion import statements
from assembly.discussion.models import Moderation, Statement, Vote, VoteRecord
from assembly.recruitment.models import Contact
from assembly.selection.models import Member
from assembly.settings import Settings
from tests.app.builders import make_member, mark_joined, new_round
from tests.app.clocks import T0, Clock
from tests.app.flows import HTMX, make_client, post_form, sign_in_member

SEEDS = ("Data should stay in the UK.", "Publish every algorithm the council uses.",
         "A person should check every automated decision.")


def join(engine: Engine, member: Member, name: str) -> None:
    with db.session(engine, write=True) as session:
        mark_joined(session, member, T0 - timedelta(days=3))
        session.add(Contact(respondent_id=member.respondent_id, name=name))


def make_round(engine: Engine, assembly_id: int, moderation: Moderation = Moderation.strict,
               kind: RoundKind = RoundKind.discuss, later: timedelta = timedelta(0)) -> Round:
    with db.session(engine, write=True) as session:
        item = new_round(session, assembly_id, rounds.Details(
            kind, "Talking about data", "To find common ground.", "Vote on each statement.",
            T0 - timedelta(days=1) + later, T0 + timedelta(days=5) + later), actor="officer:1")
        if kind is RoundKind.discuss:
            statements.configure(session, item, "How should the council use data?",
                                 moderation.value, T0, actor="officer:1")
        session.flush()
        session.expunge(item)
        return item


def seed(engine: Engine, item: Round, *texts: str) -> list[Statement]:
    with db.session(engine, write=True) as session:
        made = [statements.seed(session, item, text, T0, actor="officer:1") for text in texts]
        for statement in made:
            session.expunge(statement)
        return made


@pytest.fixture
def discuss(clock: Clock, engine: Engine, member: Member) -> Round:
    join(engine, member, "Pat Jones")
    return make_round(engine, member.assembly_id)


@pytest.fixture
def other_client(app: Starlette, engine: Engine, settings: Settings, member: Member
                 ) -> Iterator[TestClient]:
    """A second member of the same assembly (Sam Lee), signed in."""
    with db.session(engine) as session:
        assembly = session.get(Assembly, member.assembly_id)
    other = make_member(engine, assembly=assembly, external_id="R0002")
    join(engine, other, "Sam Lee")
    with make_client(app) as test_client:
        sign_in_member(test_client, engine, settings, other)
        yield test_client


def page_of(item: Round) -> str:
    return f"/home/rounds/{item.public_id}/discuss"


def officer_page(item: Round) -> str:
    return f"/assemblies/{item.assembly_id}/rounds/{item.id}/discuss"


def write(client: TestClient, item: Round, text: str, **kwargs: object) -> object:
    return post_form(client, page_of(item) + "/statements", {"text": text},
                     follow_redirects=False, **kwargs)  # type: ignore[arg-type]


def vote(client: TestClient, item: Round, statement: Statement, choice: str,
         **kwargs: object) -> object:
    return post_form(client, page_of(item) + "/votes",
                     {"statement": statement.public_id, "vote": choice, **kwargs.pop("form", {})},
                     follow_redirects=False, **kwargs)  # type: ignore[arg-type]


def stored(engine: Engine, text: str) -> Statement:
    with db.session(engine) as session:
        found = session.exec(select(Statement).where(Statement.text == text)).one()
        session.expunge(found)
        return found


def card(html: str) -> str:
    """The voting card's markup."""
    match = re.search(r'<section id="vote-card".*?</section>', html, re.DOTALL)
    assert match, html
    return match.group(0)


def test_strict_round_waits_for_acceptance_and_only_the_author_sees_the_reason(
        discuss: Round, member_client: TestClient, other_client: TestClient,
        officer_client: TestClient, engine: Engine) -> None:
    response = write(member_client, discuss, "Tell me when a computer decided about me.")
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"].endswith("/discuss#mine")  # type: ignore[attr-defined]
    mine = member_client.get(page_of(discuss)).text
    assert "saved as statement 1" in mine and "Waiting to be checked" in mine
    assert "Tell me when a computer decided" not in other_client.get(page_of(discuss)).text

    officer = officer_client.get(officer_page(discuss) + "?show=waiting").text
    assert "Tell me when a computer decided" in officer and "From a member." in officer
    assert "Pat Jones" not in officer   # officers see where it came from, never who
    first = stored(engine, "Tell me when a computer decided about me.")
    response = post_form(officer_client, f"/assemblies/{discuss.assembly_id}/statements/"
                         f"{first.id}/moderate", {"decision": "accepted"},
                         follow_redirects=False)
    assert response.status_code == 303
    theirs = other_client.get(page_of(discuss)).text
    assert "Tell me when a computer decided" in card(theirs)
    assert "Pat Jones" not in theirs and "(yours)" not in theirs

    write(member_client, discuss, "Councillor Smith should resign.")
    second = stored(engine, "Councillor Smith should resign.")
    refused = post_form(officer_client, f"/assemblies/{discuss.assembly_id}/statements/"
                        f"{second.id}/moderate", {"decision": "rejected", "reason": ""})
    assert refused.status_code == 200 and "Say why" in refused.text   # flash after the 303
    post_form(officer_client, f"/assemblies/{discuss.assembly_id}/statements/{second.id}/"
              "moderate", {"decision": "rejected", "reason": "It names a person."})
    mine = member_client.get(page_of(discuss)).text
    assert "Not shown to other members" in mine and "It names a person." in mine
    theirs = other_client.get(page_of(discuss)).text
    assert "Councillor Smith" not in theirs and "It names a person." not in theirs
    rejected = officer_client.get(officer_page(discuss) + "?show=rejected").text
    assert "Councillor Smith" in rejected and "Tell me when a computer" not in rejected
    with db.session(engine) as session:
        actions = [e.action for e in audit.events(session, discuss.assembly_id)]
    assert actions[-2:] == ["statement.accepted", "statement.rejected"]


def test_open_round_shows_at_once_and_a_hidden_statement_can_no_longer_be_voted_on(
        clock: Clock, engine: Engine, member: Member, member_client: TestClient,
        other_client: TestClient, officer_client: TestClient) -> None:
    join(engine, member, "Pat Jones")
    item = make_round(engine, member.assembly_id, Moderation.open)
    write(member_client, item, "Ask residents before buying any AI system.")
    theirs = other_client.get(page_of(item)).text
    assert "Ask residents before buying any AI system." in card(theirs)
    posted = stored(engine, "Ask residents before buying any AI system.")
    officer = officer_client.get(officer_page(item)).text
    assert "Hide it" in officer
    post_form(officer_client, f"/assemblies/{item.assembly_id}/statements/{posted.id}/moderate",
              {"decision": "rejected", "reason": "It repeats statement 4."})
    theirs = other_client.get(page_of(item)).text
    assert "Ask residents" not in theirs
    response = vote(other_client, item, posted, "agree")
    assert response.status_code == 303  # type: ignore[attr-defined]
    shown = other_client.get(response.headers["location"]).text  # type: ignore[attr-defined]
    assert "not open for votes" in shown and "Ask residents" not in shown
    assert other_client.get(page_of(item) + f"/statements/{posted.public_id}").status_code == 404
    with db.session(engine) as session:   # only the author's own agree vote
        assert len(session.exec(select(Vote)).all()) == 1


def test_a_duplicate_is_pointed_out_with_a_way_to_vote_and_nothing_is_stored(
        discuss: Round, member_client: TestClient, engine: Engine) -> None:
    first, = seed(engine, discuss, SEEDS[0])
    response = write(member_client, discuss, "data should STAY in the uk!!")
    assert response.status_code == 409  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    assert "Statement 1 already says this" in html and first.public_id in html
    assert 'value="data should STAY in the uk!!"' not in html  # a textarea, kept as typed
    assert "data should STAY in the uk!!</textarea>" in html
    fragment = write(member_client, discuss, "Data should stay in the UK", headers=HTMX)
    assert fragment.status_code == 409  # type: ignore[attr-defined]
    assert fragment.text.lstrip().startswith('<section id="write"')  # type: ignore[attr-defined]
    with db.session(engine) as session:
        assert len(session.exec(select(Statement)).all()) == 1
        assert session.exec(select(Vote)).all() == []
    # The vote offered beside it counts, and leads back to the discussion.
    response = vote(member_client, discuss, first, "agree", form={"from": "statement"})
    assert response.status_code == 303  # type: ignore[attr-defined]
    with db.session(engine) as session:
        assert [v.value for v in session.exec(select(Vote)).all()] == [1]


def test_voting_one_statement_at_a_time_without_javascript_and_with_htmx(
        discuss: Round, member_client: TestClient, engine: Engine) -> None:
    made = seed(engine, discuss, *SEEDS)
    by_number = {s.number: s for s in made}
    html = member_client.get(page_of(discuss)).text
    assert "3</strong> statements left" in card(html)
    shown = int(re.search(r"Statement (\d+)", card(html)).group(1))  # type: ignore[union-attr]
    assert member_client.get(page_of(discuss)).text.count(f"Statement {shown}<") == 1  # stable

    # Without JavaScript: a plain form, 303, and the next statement on the page.
    response = vote(member_client, discuss, by_number[shown], "disagree")
    assert response.status_code == 303  # type: ignore[attr-defined]
    html = member_client.get(response.headers["location"]).text  # type: ignore[attr-defined]
    assert f"Saved: you disagree with statement {shown}." in html
    assert "2</strong> statements left" in card(html)
    assert by_number[shown].text not in card(html)
    following = int(re.search(r"Statement (\d+)", card(html)).group(1))  # type: ignore[union-attr]

    # With htmx: the card alone, the list out of band, the message for the status region.
    fragment = vote(member_client, discuss, by_number[following], "pass", headers=HTMX)
    assert fragment.status_code == 200  # type: ignore[attr-defined]
    text = fragment.text  # type: ignore[attr-defined]
    assert text.lstrip().startswith('<section id="vote-card"')
    assert "<html" not in text and "1</strong> statement left" in text
    assert f"Saved: you passed on statement {following}. Next, statement" in text
    assert 'id="voted" class="voted-panel" aria-labelledby="voted-title" hx-swap-oob="true"' \
        in text
    assert 'id="status" hx-swap-oob="innerHTML"' in text
    assert "HX-Request-Type" in fragment.headers["vary"]  # type: ignore[attr-defined]
    last, = set(by_number) - {shown, following}
    fragment = vote(member_client, discuss, by_number[last], "agree", headers=HTMX)
    assert "You have voted on every statement" in fragment.text  # type: ignore[attr-defined]

    # Going back to change a vote: the statement's own page, then back to the list.
    page = member_client.get(page_of(discuss) + f"/statements/{by_number[shown].public_id}")
    assert page.status_code == 200 and "Disagree (your vote)" in page.text
    response = vote(member_client, discuss, by_number[shown], "agree", form={"from": "statement"})
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"].endswith("#voted")  # type: ignore[attr-defined]
    response = vote(member_client, discuss, by_number[shown], "pass", form={"from": "statement"},
                    headers=HTMX)
    assert response.status_code == 204  # type: ignore[attr-defined]
    assert response.headers["hx-redirect"].endswith("/discuss#voted")  # type: ignore[attr-defined]
    html = member_client.get(page_of(discuss)).text
    assert "Saved: you passed on statement" in html
    with db.session(engine) as session:
        rows = session.exec(select(Vote).where(Vote.statement_id == by_number[shown].id)).all()
        history = session.exec(select(VoteRecord)
                               .where(VoteRecord.statement_id == by_number[shown].id)
                               .order_by(col(VoteRecord.id))).all()
    assert [r.value for r in rows] == [0]
    assert [r.value for r in history] == [-1, 1, 0]


def test_votes_and_statements_are_refused_outside_the_open_window(
        discuss: Round, member_client: TestClient, engine: Engine, clock: Clock) -> None:
    first, = seed(engine, discuss, SEEDS[0])
    clock.now = T0 + timedelta(days=6)
    response = vote(member_client, discuss, first, "agree")
    assert response.status_code == 303  # type: ignore[attr-defined]
    html = member_client.get(response.headers["location"]).text  # type: ignore[attr-defined]
    assert "closed Saturday 13 March at 9am" in html and "nothing more can be added" in html
    assert "Voting is closed." in html and "Add my statement" not in html
    fragment = vote(member_client, discuss, first, "agree", headers=HTMX)
    assert fragment.status_code == 409  # type: ignore[attr-defined]
    assert fragment.text.lstrip().startswith('<section id="vote-card"')  # type: ignore[attr-defined]
    refused = write(member_client, discuss, "Too late to say this.")
    assert refused.status_code == 409 and "closed" in refused.text  # type: ignore[attr-defined]
    clock.now = T0 - timedelta(days=2)
    html = member_client.get(page_of(discuss)).text
    assert "This opens Sunday 7 March at 9am" in html and SEEDS[0] not in html
    assert member_client.get(page_of(discuss) + f"/statements/{first.public_id}"
                             ).status_code == 404   # nothing to read before it opens
    with db.session(engine) as session:
        assert session.exec(select(Vote)).all() == []
        assert len(session.exec(select(Statement)).all()) == 1


def test_other_assemblies_other_rounds_and_hidden_statements_are_refused(
        discuss: Round, member: Member, member_client: TestClient, app: Starlette,
        engine: Engine, settings: Settings) -> None:
    first, = seed(engine, discuss, SEEDS[0])
    stranger = make_member(engine, external_id="X0001")   # a member of another assembly
    join(engine, stranger, "Alex Stranger")
    with make_client(app) as outsider:
        sign_in_member(outsider, engine, settings, stranger)
        assert outsider.get(page_of(discuss)).status_code == 404
        assert vote(outsider, discuss, first, "agree").status_code == 404  # type: ignore
        assert write(outsider, discuss, "Hello").status_code == 404  # type: ignore
        theirs = make_round(engine, stranger.assembly_id)
        elsewhere, = seed(engine, theirs, "Something only they discuss.")
    # A statement of another round of the member's own assembly, or no statement at all.
    second = make_round(engine, member.assembly_id, later=timedelta(days=10))
    other_round, = seed(engine, second, "A statement of another round.")
    for forged in (other_round, elsewhere):
        assert vote(member_client, discuss, forged, "agree").status_code == 404  # type: ignore
        assert member_client.get(page_of(discuss) + f"/statements/{forged.public_id}"
                                 ).status_code == 404
    response = post_form(member_client, page_of(discuss) + "/votes",
                         {"statement": "nosuchstatement1", "vote": "agree"})
    assert response.status_code == 404
    learn = make_round(engine, member.assembly_id, kind=RoundKind.learn)
    assert member_client.get(page_of(learn)).status_code == 404
    with db.session(engine) as session:
        assert session.exec(select(Vote)).all() == []


def test_progress_on_the_members_home(discuss: Round, member_client: TestClient,
                                      engine: Engine) -> None:
    made = seed(engine, discuss, *SEEDS)
    home = member_client.get("/home").text
    assert "0 of 3 statements voted on" in home and "Vote on the statements" in home
    vote(member_client, discuss, made[0], "agree")
    assert "1 of 3 statements voted on" in member_client.get("/home").text
    round_page = member_client.get(f"/home/rounds/{discuss.public_id}").text
    assert "Go to the statements" in round_page


def test_officers_set_the_question_seed_and_see_live_counts(
        discuss: Round, officer_client: TestClient, member_client: TestClient,
        engine: Engine) -> None:
    round_page = officer_client.get(f"/assemblies/{discuss.assembly_id}/rounds/{discuss.id}")
    assert "Statements and moderation" in round_page.text
    refused = post_form(officer_client, officer_page(discuss) + "/settings",
                        {"prompt": "", "moderation": "loose"})
    assert refused.status_code == 422 and "Write the question members answer" in refused.text
    fragment = post_form(officer_client, officer_page(discuss) + "/settings",
                         {"prompt": "What should the council never do with data?",
                          "moderation": "open"}, headers=HTMX)
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="discuss-officer"')
    assert "The question and moderation are saved." in fragment.text
    assert "What should the council never do with data?" in member_client.get(
        page_of(discuss)).text
    response = post_form(officer_client, officer_page(discuss) + "/seed", {"seed": SEEDS[1]},
                         follow_redirects=False)
    assert response.status_code == 303
    duplicate = post_form(officer_client, officer_page(discuss) + "/seed",
                          {"seed": SEEDS[1].upper()})
    assert duplicate.status_code == 409 and "Statement 1 already says this" in duplicate.text
    seeded = stored(engine, SEEDS[1])
    vote(member_client, discuss, seeded, "disagree")
    page = officer_client.get(officer_page(discuss)).text
    assert "Seed statement." in page
    assert re.search(r"Agree <strong>0</strong>.*Disagree <strong>1</strong>.*"
                     r"Pass <strong>0</strong>", page, re.DOTALL)
    fragment = post_form(officer_client, f"/assemblies/{discuss.assembly_id}/statements/"
                         f"{seeded.id}/moderate", {"decision": "rejected", "reason": "Off topic."},
                         headers=HTMX)
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith(f'<section class="moderation statement-box '
                                             f'statement-rejected" id="statement-{seeded.id}"')
    assert "Statement 1 rejected" in fragment.text
    with db.session(engine) as session:
        actions = [e.action for e in audit.events(session, discuss.assembly_id)]
    assert actions[-3:] == ["discussion.configured", "statement.seeded", "statement.rejected"]


def test_officers_key_in_what_a_member_gave_on_paper_or_by_phone(
        discuss: Round, member: Member, officer_client: TestClient,
        engine: Engine, clock: Clock) -> None:
    made = seed(engine, discuss, *SEEDS)
    paper = officer_page(discuss) + "/paper"
    page = officer_client.get(paper + f"?member={member.public_id}")
    assert page.status_code == 200 and "Pat Jones (R0001)" in page.text and SEEDS[2] in page.text
    response = post_form(officer_client, paper + "/statements",
                         {"member": member.public_id, "channel": "paper",
                          "text": "Letters should be in plain English."},
                         follow_redirects=False)
    assert response.status_code == 303
    keyed = stored(engine, "Letters should be in plain English.")
    assert (keyed.member_id, keyed.channel, keyed.status) == (member.id, "paper", "waiting")
    assert keyed.entered_by.startswith("officer:")

    # All or none: one vote that cannot be read, and nothing is stored.
    refused = post_form(officer_client, paper + "/votes",
                        {"member": member.public_id, "channel": "phone",
                         f"vote-{made[0].number}": "agree", f"vote-{made[1].number}": "maybe"})
    assert refused.status_code == 422 and "Choose agree, disagree or pass" in refused.text
    response = post_form(officer_client, paper + "/votes",
                         {"member": member.public_id, "channel": "phone",
                          f"vote-{made[0].number}": "agree",
                          f"vote-{made[1].number}": "disagree", f"vote-{made[2].number}": ""},
                         follow_redirects=False)
    assert response.status_code == 303
    assert "2 votes keyed in." in officer_client.get(response.headers["location"]).text
    with db.session(engine) as session:
        theirs = {v.statement_id: (v.value, v.channel) for v in session.exec(
            select(Vote).where(Vote.member_id == member.id))}
        records = session.exec(select(VoteRecord).where(VoteRecord.channel == "phone")).all()
        events = audit.events(session, discuss.assembly_id)
    assert theirs == {keyed.id: (1, "paper"), made[0].id: (1, "phone"),
                      made[1].id: (-1, "phone")}
    assert {r.entered_by for r in records} == {keyed.entered_by}
    assert [e.action for e in events][-2:] == ["statement.keyed_in", "votes.keyed_in"]
    for event in events[-2:]:   # who keyed it in, never whose it was or which way
        assert member.public_id not in str(event.details) and "Pat" not in str(event.details)
    assert events[-1].details["votes"] == 2

    # Only members of this assembly's panel; nothing once the round has closed.
    stranger = make_member(engine, external_id="X0002")
    assert officer_client.get(paper + f"?member={stranger.public_id}").status_code == 404
    clock.now = T0 + timedelta(days=6)
    closed = post_form(officer_client, paper + "/votes",
                       {"member": member.public_id, "channel": "paper",
                        f"vote-{made[2].number}": "pass"})
    assert closed.status_code == 409 and "closed" in closed.text
