"""A discuss round's results through the real app, on both databases: officers see them live
(everything, small cells included), members only once released (small strata cells and small
opinion groups withheld); the opinion map's SVG and its table say the same; the Pol.is zip reads
back with `charter.polis` and its download is audited."""

from __future__ import annotations

import io
import random
import re
import xml.etree.ElementTree as ET
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from assembly import audit, db
from assembly.assemblies.models import Assembly
from assembly.deliberation import rounds
from assembly.deliberation.models import Round, RoundKind
from assembly.discussion import opinions, samples, statements, votes
from assembly.discussion.models import Moderation, VoteValue
from assembly.recruitment.models import Profile, Quota
from assembly.selection.models import Member, MemberStatus
from charter import polis
from tests.app.builders import make_member, new_round
from tests.app.clocks import T0, Clock
from tests.app.flows import make_client, post_form, sign_in_member

SVG = "{http://www.w3.org/2000/svg}"
PEOPLE = 20
# Age: 9 young, 8 middle, 3 older (a small cell); area: 10 and 10.
AGES = ["16-29"] * 9 + ["30-64"] * 8 + ["65+"] * 3
AREAS = ["North", "South"] * 10
SEEDS = [
    "The council should tell people when a computer helped decide about them.",  # all agree
    "Automated decisions save money that can go to front-line care.",
    "AI can spot people who need help before they ask.",
    "Computers make fewer mistakes than tired staff.",
    "Any decision about a person should be made by a person.",
    "I do not trust the council to keep my data safe.",
    "Data should never be sold to private companies.",
    "I am not sure what an algorithm is.",                                       # many pass
]


def vote_of(person: int, number: int) -> VoteValue:
    """Two camps: the first half keen on efficiency (agree 2-4, disagree 5-7), the rest wary
    (the opposite); everyone agrees with 1; statement 8 is mostly passed."""
    keen = person < PEOPLE // 2
    if number == 1:
        return VoteValue.agree
    if number == 8:
        return VoteValue.pass_ if person % 4 else VoteValue.agree
    return VoteValue.agree if (number <= 4) == keen else VoteValue.disagree


@pytest.fixture
def talk(clock: Clock, engine: Engine, member: Member) -> tuple[Round, list[Member]]:
    """An open discuss round: 8 seed statements, 20 members with profiles who voted on all, and
    one member statement rejected by an officer."""
    with db.session(engine) as session:
        assembly = session.get(Assembly, member.assembly_id)
    people = [member, *(make_member(engine, assembly=assembly, external_id=f"R{n:03d}")
                        for n in range(2, PEOPLE + 1))]
    with db.session(engine, write=True) as session:
        for position, (feature, value) in enumerate(
                [("Age", "16-29"), ("Age", "30-64"), ("Age", "65+"), ("Area", "North"),
                 ("Area", "South")]):
            session.add(Quota(assembly_id=member.assembly_id, position=position,
                              feature=feature, value=value, min_count=0, max_count=20))
        for person, age, area in zip(people, AGES, AREAS, strict=True):
            session.add(Profile(respondent_id=person.respondent_id,
                                values={"Age": age, "Area": area}))
        fresh = session.get(Assembly, member.assembly_id)
        assert fresh is not None
        item = rounds.create(session, fresh, rounds.Details(
            RoundKind.discuss, "What matters to us", "To find common ground.", "Vote.",
            T0 - timedelta(days=1), T0 + timedelta(days=5)), actor="officer:1")
        statements.configure(session, item, "How should the council use data and AI?",
                             Moderation.open.value, T0, actor="officer:1")
        made = [statements.seed(session, item, text, T0, actor="officer:1") for text in SEEDS]
        rude = statements.post(session, item, row(people[0].id), "Councillor X is a crook.",
                               T0)
        statements.moderate(session, item, rude, "rejected", "It names a person.", T0,
                            actor="officer:1")
        for index, person in enumerate(people):
            for statement in made:
                votes.cast(session, item, statement, row(person.id),
                           vote_of(index, statement.number), T0 + timedelta(minutes=index))
        session.flush()
        session.expunge(item)
    return item, people


def row(value: int | None) -> int:
    assert value is not None
    return value


def officer_url(item: Round, tail: str = "") -> str:
    return f"/assemblies/{item.assembly_id}/rounds/{item.id}/results{tail}"


def member_url(item: Round) -> str:
    return f"/home/rounds/{item.public_id}/results"


def release(engine: Engine, item: Round, clock: Clock) -> None:
    clock.now = T0 + timedelta(days=6)
    with db.session(engine, write=True) as session:
        fresh = session.get(Round, item.id)
        assert fresh is not None
        rounds.release_results(session, fresh, clock.now, actor="officer:1")


def svg_of(html: str) -> ET.Element:
    found = re.search(r"<svg .*?</svg>", html, re.DOTALL)
    assert found, "no SVG on the page"
    return ET.fromstring(found.group(0))


def test_officers_see_live_results_with_every_cell_while_the_round_is_open(
        talk: tuple[Round, list[Member]], officer_client: TestClient) -> None:
    item, _ = talk
    page = officer_client.get(officer_url(item))
    assert page.status_code == 200
    assert "these results change as members vote" in page.text
    assert re.search(r"<strong>20</strong> members took part", page.text)
    assert re.search(r"<strong>8</strong> statements", page.text)
    assert re.search(r"<strong>160</strong> votes", page.text)
    # The small 65+ cell (3 voters) is shown to officers, with its count.
    assert 'data-value="65+">100% <span class="muted">of 3</span>' in page.text
    assert "not shown" not in page.text.split('id="strata"')[1]
    # The rejected statement is listed for officers, with its reason, and is not counted.
    assert "Councillor X is a crook." in page.text and "It names a person." in page.text
    # The officer's round page links to the live results.
    round_page = officer_client.get(f"/assemblies/{item.assembly_id}/rounds/{item.id}")
    assert officer_url(item) in round_page.text and "Live results" in round_page.text


def test_the_results_find_two_camps_agreeing_on_transparency(
        talk: tuple[Round, list[Member]], engine: Engine) -> None:
    item, _ = talk
    with db.session(engine) as session:
        found = opinions.results(session, item, for_officers=False)
    assert len(found.groups) == 2 and sorted(g.size for g in found.groups) == [10, 10]
    assert [s.statement.number for s in found.consensus][:1] == [1]
    assert [s.statement.number for s in found.uncertain] == [8]
    assert all(s.statement.number != 9 for s in found.statements)   # rejected: members never
    assert found.votes == 160 and found.participants == 20
    # the same every time (the seed comes from the round)
    with db.session(engine) as session:
        again = opinions.results(session, item, for_officers=False)
    assert again.analysis.groups == found.analysis.groups


def test_members_see_nothing_until_the_results_are_released(
        talk: tuple[Round, list[Member]], member_client: TestClient, engine: Engine,
        clock: Clock) -> None:
    item, _ = talk
    before = member_client.get(member_url(item))
    assert before.status_code == 404
    assert "The results are not out yet" in before.text
    assert "<svg" not in before.text and "Automated decisions" not in before.text
    clock.now = T0 + timedelta(days=6)   # closed, not yet released
    assert member_client.get(member_url(item)).status_code == 404
    release(engine, item, clock)
    after = member_client.get(member_url(item))
    assert after.status_code == 200, after.text
    assert "What every group agrees with" in after.text
    round_page = member_client.get(f"/home/rounds/{item.public_id}")
    assert member_url(item) in round_page.text


def test_the_officer_releases_the_results_from_the_round_page(
        talk: tuple[Round, list[Member]], officer_client: TestClient,
        member_client: TestClient, clock: Clock) -> None:
    item, _ = talk
    clock.now = T0 + timedelta(days=6)
    round_path = f"/assemblies/{item.assembly_id}/rounds/{item.id}"
    page = officer_client.get(round_path)
    assert "Release the results" in page.text and officer_url(item) in page.text
    assert "Members do not see these results until you release them" in \
        officer_client.get(officer_url(item)).text
    released = post_form(officer_client, round_path + "/release", {}, follow_redirects=False)
    assert released.status_code == 303
    assert member_client.get(member_url(item)).status_code == 200


def test_members_get_small_cells_withheld_and_marked_and_no_rejected_statement(
        talk: tuple[Round, list[Member]], member_client: TestClient, engine: Engine,
        clock: Clock) -> None:
    item, _ = talk
    release(engine, item, clock)
    page = member_client.get(member_url(item)).text
    strata = page.split('id="strata"')[1]
    # 65+ has 3 voters: withheld and marked, never shown as a figure or a zero.
    assert 'class="number suppressed" data-value="65+">not shown' in strata
    assert 'data-value="65+">0%' not in strata and "of 3<" not in strata
    # With 65+ withheld, the next smallest age cell (30-64, 8 voters) goes too, so the 65+
    # figures cannot be worked out from the totals; 16-29 (9 voters) is shown.
    assert 'class="number suppressed" data-value="30-64">not shown' in strata
    assert 'data-value="16-29">' in strata and "of 9<" in strata
    assert "Councillor X" not in page and "It names a person" not in page
    assert "polis.zip" not in page


def test_the_map_and_its_table_say_the_same_thing(
        talk: tuple[Round, list[Member]], officer_client: TestClient) -> None:
    item, _ = talk
    page = officer_client.get(officer_url(item)).text
    svg = svg_of(page)
    assert svg.get("role") == "img"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert title is not None and "Opinion map" in (title.text or "")
    assert desc is not None and desc.text
    drawn = {g.get("data-group"): len(g.findall(".//*[@class='participant']"))
             for g in svg.iter(f"{SVG}g") if g.get("class") == "group"}
    table = page.split('class="table groups-table"')[1].split("</table>")[0]
    listed = dict(re.findall(r'<tr data-group="(\w)">.*?<td class="number">(\d+)</td>', table,
                             re.DOTALL))
    assert drawn == {letter: int(size) for letter, size in listed.items()}
    assert sum(drawn.values()) == 20
    for letter, size in listed.items():
        assert f"Group {letter} (" in (desc.text or "") and f"{size} participants" in desc.text


def test_a_withheld_group_is_never_found_by_subtraction() -> None:
    assert opinions.shown_groups([15, 15, 4], 5, for_officers=False) == [False, True, False]
    assert opinions.shown_groups([15, 15, 4], 5, for_officers=True) == [True, True, True]
    assert opinions.shown_groups([12, 3, 2, 9], 5, for_officers=False) == [True, False, False,
                                                                           True]
    assert opinions.shown_groups([3, 1], 5, for_officers=False) == [False, False]
    assert opinions.shown_groups([6, 5], 5, for_officers=False) == [True, True]


def test_members_see_no_group_under_five_and_their_own_place(
        talk: tuple[Round, list[Member]], engine: Engine) -> None:
    """With k above every group's size, nothing of a group is shown to members: no size, no
    counts, no marks; officers still see it all."""
    item, people = talk
    with db.session(engine) as session:
        members = opinions.results(session, item, for_officers=False, k=11,
                                   member_id=people[0].id)
        officers = opinions.results(session, item, for_officers=True, k=11)
    assert [g.shown for g in members.groups] == [False, False]
    assert all(g.points == () and g.size is None for g in members.map_groups)
    assert all(c is None for s in members.statements for c in s.groups)
    assert members.you is not None
    assert [g.shown for g in officers.groups] == [True, True]
    assert sum(len(g.points) for g in officers.map_groups) == 20


def test_the_polis_zip_reads_back_and_is_audited(
        talk: tuple[Round, list[Member]], officer_client: TestClient, engine: Engine,
        tmp_path: Path) -> None:
    item, people = talk
    response = officer_client.get(officer_url(item, "/polis.zip"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert "what-matters-to-us-polis.zip" in response.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert sorted(archive.namelist()) == sorted(polis.FILES)
        archive.extractall(tmp_path)
    read = polis.read_polis(tmp_path)
    assert [s.id for s in read.statements] == [str(n) for n in range(1, 10)]
    assert [s.moderated for s in read.statements] == [1] * 8 + [-1]
    assert len(read.votes) == 161          # 160 votes and the rejected statement's author's
    assert read.participants == tuple(str(n) for n in range(20))
    assert len(read.groups) == 20 and set(read.groups.values()) == {0, 1}
    member_ids = {str(p.id) for p in people} | {p.public_id for p in people}
    assert not member_ids & set(read.participants) - {str(n) for n in range(20)}
    with db.session(engine) as session:
        last = audit.events(session, item.assembly_id)[-1]
    assert last.action == "discussion.exported"
    assert last.details["votes"] == 161 and last.details["participants"] == 20


def test_results_of_a_round_that_is_not_a_discuss_round_are_not_found(
        clock: Clock, engine: Engine, member: Member, officer_client: TestClient,
        member_client: TestClient) -> None:
    with db.session(engine, write=True) as session:
        item = new_round(session, member.assembly_id, rounds.Details(
            RoundKind.learn, "Learning", "To learn.", "Read.", T0 - timedelta(days=1),
            T0 + timedelta(days=5)), actor="officer:1")
        session.flush()
        session.expunge(item)
    assert officer_client.get(officer_url(item)).status_code == 404
    assert officer_client.get(officer_url(item, "/polis.zip")).status_code == 404
    assert member_client.get(member_url(item)).status_code == 404


def test_a_member_of_another_assembly_cannot_see_the_results(
        talk: tuple[Round, list[Member]], app: Starlette, engine: Engine, clock: Clock) -> None:
    item, _ = talk
    release(engine, item, clock)
    stranger = make_member(engine, external_id="X001")
    settings = app.state.settings
    with make_client(app) as other:
        sign_in_member(other, engine, settings, stranger)
        refused = other.get(member_url(item))
    assert refused.status_code == 404 and "Automated decisions" not in refused.text


def test_the_demo_conversation_is_added_once_and_only_to_an_open_round(
        clock: Clock, engine: Engine, member: Member) -> None:
    with db.session(engine) as session:
        assembly = session.get(Assembly, member.assembly_id)
    people = [member, *(make_member(engine, assembly=assembly, external_id=f"J{n:03d}")
                        for n in range(12))]
    with db.session(engine, write=True) as session:
        for person in people:
            joined = session.get(Member, person.id)
            assert joined is not None
            joined.status = MemberStatus.joined.value
            session.add(joined)
        fresh = session.get(Assembly, member.assembly_id)
        assert fresh is not None
        later = rounds.create(session, fresh, rounds.Details(
            RoundKind.discuss, "Later", "To talk.", "Vote.", T0 + timedelta(days=1),
            T0 + timedelta(days=3)), actor="test")
        assert not samples.add(session, later, T0, actor="officer:1")   # not open yet
        item = rounds.create(session, fresh, rounds.Details(
            RoundKind.discuss, "Now", "To talk.", "Vote.", T0 - timedelta(days=2),
            T0 + timedelta(hours=12)), actor="test")
        assert samples.add(session, item, T0, actor="officer:1")
        assert not samples.add(session, item, T0, actor="officer:1")   # once
        session.flush()
        session.expunge(item)
    with db.session(engine) as session:
        found = opinions.results(session, item, for_officers=True)
        first_member_votes = votes.of_member(session, row(item.id), row(member.id))
    assert len(found.shown) == len(samples.STATEMENTS) and found.waiting == 2
    assert found.participants == 12 and first_member_votes == {}   # the first joined: fresh
    assert all(s.statement.created_at <= T0 for s in found.statements)


def test_a_round_without_votes_says_so(clock: Clock, engine: Engine, member: Member,
                                       officer_client: TestClient) -> None:
    with db.session(engine, write=True) as session:
        item = new_round(session, member.assembly_id, rounds.Details(
            RoundKind.discuss, "Quiet", "To talk.", "Vote.", T0 - timedelta(days=1),
            T0 + timedelta(days=5)), actor="test")
        session.flush()
        session.expunge(item)
    empty = officer_client.get(officer_url(item))
    assert empty.status_code == 200 and "Nobody has voted yet" in empty.text
    with db.session(engine, write=True) as session:
        fresh = session.get(Round, item.id)
        assert fresh is not None
        statements.seed(session, fresh, "Tell us when a computer decided.", T0, actor="test")
    seeded = officer_client.get(officer_url(item))
    assert seeded.status_code == 200 and "Nobody has voted yet" in seeded.text
    assert officer_client.get(officer_url(item, "/polis.zip")).status_code == 200


def test_a_group_of_four_is_not_shown_to_members_and_is_to_officers(
        clock: Clock, engine: Engine, member: Member, member_client: TestClient,
        officer_client: TestClient) -> None:
    """Two camps of 15 and four contrarians (votes with 15% noise, fixed seed): Pol.is's method
    finds three groups, one of four members. Members get no size, no marks and no counts for
    it; officers get everything."""
    chooser = random.Random(1)
    with db.session(engine) as session:
        assembly = session.get(Assembly, member.assembly_id)
    people = [member, *(make_member(engine, assembly=assembly, external_id=f"C{n:03d}")
                        for n in range(33))]
    with db.session(engine, write=True) as session:
        fresh = session.get(Assembly, member.assembly_id)
        assert fresh is not None
        item = rounds.create(session, fresh, rounds.Details(
            RoundKind.discuss, "Three views", "To talk.", "Vote.", T0 - timedelta(days=1),
            T0 + timedelta(days=5)), actor="test")
        made = [statements.seed(session, item, f"Statement number {n}.", T0, actor="test")
                for n in range(1, 13)]
        for index, person in enumerate(people):
            for number, statement in enumerate(made, start=1):
                if index < 30:
                    value = 1 if number == 1 else 1 if (number % 2 == 0) == (index < 15) else -1
                else:
                    value = -1 if number == 1 else 0
                if chooser.random() < 0.15:
                    value = chooser.choice((1, 0, -1))
                votes.cast(session, item, statement, row(person.id), VoteValue(value),
                           T0 + timedelta(minutes=index))
        session.flush()
        session.expunge(item)
    officers = officer_client.get(officer_url(item)).text
    table = officers.split('class="table groups-table"')[1].split("</table>")[0]
    assert sorted(re.findall(r'<td class="number">(\d+)</td>', table)) == ["15", "15", "4"]
    release(engine, item, clock)
    page = member_client.get(member_url(item)).text
    table = page.split('class="table groups-table"')[1].split("</table>")[0]
    # The group of four is withheld, and so is one group of 15: otherwise the four's size and
    # votes would be the totals less the groups shown.
    assert re.findall(r'<td class="number">(\d+)</td>', table) == ["15"]
    assert '<td class="number">fewer than 5</td>' in table
    assert '<td class="number">not shown</td>' in table
    withheld = re.findall(r'<tr data-group="(\w)">\s*<th scope="row">Group \w</th>\s*'
                          r"<td>not drawn</td>", table)
    assert len(withheld) == 2
    svg = svg_of(page)
    drawn = {g.get("data-group") for g in svg.iter(f"{SVG}g") if g.get("class") == "group"}
    assert not drawn & set(withheld) and len(drawn) == 1
    assert len([m for m in svg.iter() if m.get("class") == "participant"]) == 15
    desc = svg.find(f"{SVG}desc")
    assert desc is not None and "2 groups are not drawn: 1 of fewer than 5 members" in (
        desc.text or "")
    assert "A small group of fewer than 5 members. What it thinks is not shown" in page
    assert 'title="not shown, to protect a small group">n/s</abbr>' in page
    assert " 4 members" not in page and "(4 votes)" not in page and "(19 votes)" not in page
