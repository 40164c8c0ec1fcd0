"""`minipublic demo` on both databases: a realistic pool, idempotent, with working credentials."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select
from starlette.applications import Starlette

from assembly import audit, demo
from assembly.accounts.models import Officer
from assembly.assemblies.models import Assembly
from assembly.ballots import ballots, results, sealing
from assembly.ballots import samples as ballot_samples
from assembly.ballots.models import Ballot, Receipt, VoteRound
from assembly.cli import main
from assembly.deliberation import rounds
from assembly.deliberation.models import Briefing, Meeting, Question, Round, RoundState
from assembly.discussion import opinions
from assembly.discussion import samples as discussion_samples
from assembly.drafting import amendments, comments, dissent, principles
from assembly.drafting import samples as drafting_samples
from assembly.drafting.models import Stance, Theme
from assembly.publishing import publish
from assembly.publishing import responses as council
from assembly.publishing.models import PublishedCharter
from assembly.recruitment.models import Contact, PoolCount, Profile, Quota, Respondent
from assembly.selection.models import Member
from assembly.settings import Settings
from assembly.tables import utcnow
from tests.app.flows import TEST_SECRET, make_client, post_form


@pytest.mark.slow
def test_demo_creates_a_realistic_assembly_once_and_prints_a_working_password(
        settings: Settings, app: Starlette, dbs: Callable, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MINIPUBLIC_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("MINIPUBLIC_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("MINIPUBLIC_PASSWORD_MEMORY_KIB", "1024")
    monkeypatch.setenv("MINIPUBLIC_PASSWORD_TIME_COST", "1")

    passwords, codes = [], []
    for _ in range(2):
        assert main(["demo", "--no-serve"]) == 0
        out = capsys.readouterr().out
        assert "http://127.0.0.1:8000/login" in out
        found = re.search(r"E-mail (\S+)\s+Password (\S+)", out)
        assert found is not None and found.group(1) == demo.OFFICER_EMAIL
        passwords.append(found.group(2))
        code = re.search(r"Open\s+(\S+)\n\s+Code\s+(\S+)", out)
        assert code is not None and code.group(1) == "http://127.0.0.1:8000/invite"
        codes.append(code.group(2))
    assert passwords[0] != passwords[1]
    assert codes[0] != codes[1]

    with dbs() as session:
        assemblies = session.exec(select(Assembly)).all()
        assert [a.title for a in assemblies] == [demo.TITLE]
        assembly = assemblies[0]
        assert assembly.question == "How should our council use data and AI?"
        assert assembly.panel_size == demo.PANEL_SIZE
        count = lambda model: session.exec(
            select(sa.func.count()).select_from(model)).one()
        assert count(Respondent) == count(Contact) == count(Profile) == demo.POOL_SIZE
        assert session.exec(select(sa.func.count()).select_from(Officer)).one() == 1
        features = set(session.exec(select(Quota.feature)).all())
        assert features == {"Gender", "Age", "Area", "Ethnicity", "Education", "Attitude to AI"}
        # Census-like: every age band is in the pool, and the pool over-represents older people
        # as real recruitment does.
        ages = dict(session.exec(select(PoolCount.value, PoolCount.count)
                                 .where(PoolCount.feature == "Age")).all())
        assert sum(ages.values()) == demo.POOL_SIZE and min(ages.values()) > 0
        assert ages["65+"] > ages["16-24"]
        emails = session.exec(select(Contact.email)).all()
        assert all(email.endswith("@example.org") for email in emails)
        assert audit.verify_events(audit.events(session, assembly.id)).ok
        # A programme on data and AI around today, added once however often the demo starts.
        # The panel is drawn and invited, and most members have joined.
        statuses = session.exec(select(Member.status).where(Member.role == "panel")).all()
        assert len(statuses) == demo.PANEL_SIZE
        assert statuses.count("joined") >= demo.PANEL_SIZE * 0.85
        assert set(statuses) <= {"joined", "invited"}
        programme = rounds.programme(session, assembly.id or 0)
        now = utcnow()
        # The principles are agreed, published and answered, and the assembly is applying
        # them: the first learn round, the discussion, the drafting and the vote are done (the
        # results of all three released); only the second learn round is open.
        assert [(r.kind, rounds.state_of(r, now).value) for r in programme] == [
            ("learn", "closed"), ("discuss", "results_released"),
            ("draft", "results_released"), ("vote", "results_released"), ("learn", "open")]
        assert all(r.closes_at < r.results_released_at < now  # type: ignore[operator]
                   for r in programme[1:4])
        learning, discussing, drafting, voting = (
            [programme[0], programme[4]], programme[1], programme[2], programme[3])
        demo_meetings = session.exec(select(Meeting)).all()
        assert len(demo_meetings) == 2
        assert any(m.step_free == "yes" and "Step-free" in m.access_notes for m in demo_meetings)
        assert any(m.online_url.startswith("https://") for m in demo_meetings)
        # The learn rounds' evidence: eight or more briefings in the open one, each with its
        # speaker, declared interests and an easy-read version; answered questions; added once.
        per_round = {r.id: [b for b in session.exec(select(Briefing)).all()
                            if b.round_id == r.id] for r in learning}
        assert len(per_round[learning[1].id]) >= 8 and len(per_round[learning[0].id]) >= 3
        every = [b for found in per_round.values() for b in found]
        assert len({b.title for b in every}) == len(every)
        assert all(b.speaker_name and b.interests and b.easy_read and b.summary for b in every)
        assert any("facial recognition" in b.title.lower() and b.video_url and b.transcript
                   for b in every)
        answered = session.exec(select(Question).where(Question.answer != "")).all()
        assert len(answered) >= 8 and all(q.status == "published" for q in answered)
        assert session.exec(select(Question).where(Question.status == "waiting")).first()
        # The discuss round's conversation, added once: about 40 statements voted on by the
        # joined members, in at least two opinion groups that agree on transparency.
        talk = opinions.results(session, discussing, for_officers=True)
        assert len(talk.shown) == len(discussion_samples.STATEMENTS)
        assert len(talk.groups) >= 2 and min(g.size for g in talk.groups) >= 5
        assert talk.participants >= demo.PANEL_SIZE * 0.8 and talk.votes > 900
        shared = {s.text for s in discussion_samples.STATEMENTS if s.kind == "shared"}
        assert sum(s.statement.text in shared for s in talk.consensus[:5]) >= 4
        # The statement the draft round builds on is agreed by most who voted on it (about 85 %
        # on average; half is five standard deviations below, with 28 votes). (Not
        # checked in the consensus list: the panel differs with every build, as the draw's
        # commitment is salted, and a group in which nobody happened to vote on it has a
        # smoothed rate of exactly one half, which leaves it out in about one build in fifteen.)
        built_on = next(s for s in talk.ranked
                        if "tell people whenever a computer" in s.statement.text)
        assert built_on.votes >= 15 and (built_on.share(built_on.result) or 0) > 0.5
        assert talk.waiting == len(discussion_samples.WAITING)
        check_draft_round(session, drafting, discussing)
        check_vote(session, voting, assembly.id or 0)
        check_charter(session, assembly.id or 0, programme)
        pages = {"draft_round": app.url_path_for("draft_round", assembly_id=str(assembly.id),
                                                 round_id=str(drafting.id)),
                 "ballots_results": app.url_path_for("ballots_results",
                                                     assembly_id=str(assembly.id),
                                                     round_id=str(voting.id)),
                 "member_ballot_results": app.url_path_for("member_ballot_results",
                                                           round=voting.public_id),
                 "member_principles": app.url_path_for("member_principles",
                                                       round=drafting.public_id),
                 "charter_latest": app.url_path_for("charter_latest",
                                                    assembly_id=str(assembly.id)),
                 "charter_first": app.url_path_for("charter_version",
                                                   assembly_id=str(assembly.id), version="1")}
    assert (settings.data_dir / "demo" / "people.csv").is_file()

    with make_client(app) as browser:
        old = post_form(browser, "/login", {"email": demo.OFFICER_EMAIL,
                                            "password": passwords[0]})
        assert old.status_code == 401
        new = post_form(browser, "/login", {"email": demo.OFFICER_EMAIL,
                                            "password": passwords[1]}, follow_redirects=False)
        assert new.status_code == 303
        # What officers see of the draft round and of the vote's results.
        drafts = browser.get(pages["draft_round"])
        assert drafts.status_code == 200
        assert all(d.title in drafts.text for d in drafting_samples.DRAFTS)
        tally = browser.get(pages["ballots_results"])
        assert tally.status_code == 200
        assert re.search(r"Adopted, but contested by Age: (55-64|65\+) agree least", tally.text)
        assert "Not adopted" in tally.text

    # The printed code signs a newcomer in as a member who joined, once; the earlier one is dead.
    with make_client(app) as newcomer:
        stale = post_form(newcomer, "/invite", {"code": codes[0]})
        assert "/home" not in str(stale.url)
        home = post_form(newcomer, "/invite", {"code": codes[1]})
        assert home.status_code == 200 and str(home.url).endswith("/home"), home.text[:500]
        assert demo.TITLE.replace("'", "&#39;") in home.text
        assert "Data and AI in care, policing and the NHS" in home.text
        # They can read the principles and the released results (the draft round is closed).
        principles_page = newcomer.get(pages["member_principles"])
        assert principles_page.status_code == 200
        assert "Joined-up care" in principles_page.text
        released = newcomer.get(pages["member_ballot_results"])
        assert released.status_code == 200
        assert re.search(r"contested by Age: (55-64|65\+) agree least", released.text)
    with make_client(app) as second:
        again = post_form(second, "/invite", {"code": codes[1]})
        assert not str(again.url).endswith("/home")

    # Anyone reads the charter at the address the demo printed: its newest version, with the
    # Combined Authority's response under the principles it answered; no cookie is set.
    assert f"Open   http://127.0.0.1:8000{pages['charter_latest']}" in out
    with make_client(app) as reader:
        latest = reader.get(pages["charter_latest"])
        assert latest.status_code == 200 and str(latest.url).endswith("/v2/")
        assert "Accepted in part" in latest.text and "Not accepted" in latest.text
        assert "Algorithmic Transparency Recording Standard" in latest.text
        assert "newer version" not in latest.text
        first = reader.get(pages["charter_first"])
        assert first.status_code == 200 and "a newer version (2)" in first.text
        assert "Algorithmic Transparency Recording Standard" not in first.text
        assert not reader.cookies and "set-cookie" not in latest.headers


def test_demo_refuses_production(monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MINIPUBLIC_ENV", "production")
    monkeypatch.setenv("MINIPUBLIC_SECRET_KEY", "p" * 48)
    monkeypatch.setenv("MINIPUBLIC_PUBLIC_URL", "https://assembly.example.org")
    monkeypatch.setenv("MINIPUBLIC_ALLOWED_HOSTS", "assembly.example.org")
    assert main(["demo", "--no-serve"]) == 2
    assert "refusing" in capsys.readouterr().err


def check_charter(session: Session, assembly_id: int, programme: list[Round]) -> None:
    """Two published versions: the first the day after the vote's results, the second with the
    Combined Authority's response to six of the ten adopted principles (three accepted, two in
    part, one not), each published while no round was open, before the second learn round
    opened; eleven principles, one not adopted, two dissent notes on the record."""
    made = publish.versions(session, assembly_id)
    assert [v.version for v in made] == [1, 2]
    first, second = made
    voting, learning = programme[3], programme[4]
    assert voting.results_released_at is not None
    assert first.published_at.date() == voting.results_released_at.date() + timedelta(days=1)
    assert voting.results_released_at < first.published_at < second.published_at \
        < learning.opens_at
    assert first.changes == "" and second.changes == demo.SECOND_VERSION_CHANGES
    for version in made:
        assert not any(rounds.state_of(r, version.published_at) is RoundState.open
                       for r in programme), version.version
    answered = council.of_assembly(session, assembly_id)
    assert sorted(Counter(r.status for r in answered.values()).items()) == [
        ("accepted", 3), ("accepted_in_part", 2), ("not_accepted", 1)]
    assert all(first.published_at.date() < r.responded_on < second.published_at.date()
               and r.reasons for r in answered.values())

    def open_data(version: PublishedCharter, name: str) -> list[dict[str, str]]:
        found = publish.file_of(session, version, "open-data/" + name)
        assert found is not None
        return list(csv.DictReader(io.StringIO(found.content.decode())))

    assert open_data(first, "responses.csv") == []
    newest = open_data(second, "responses.csv")
    assert len(newest) == 6
    shown = open_data(second, "principles.csv")
    assert len(shown) == 11
    assert [p["title"] for p in shown if p["adopted"] != "true"] == [ballot_samples.DIVIDED]
    assert {p["title"] for p in shown if p["principle"] in {r["principle"] for r in newest}} \
        == {a.principle for a in demo.RESPONSES}
    assert ballot_samples.DIVIDED not in {a.principle for a in demo.RESPONSES}
    assert len(open_data(second, "dissent.csv")) == 2
    events = [e for e in audit.events(session, assembly_id) if e.action == "charter.published"]
    assert [(e.details["version"], e.details["responses"], e.details["adopted"],
             e.details["principles"]) for e in events] == [(1, 0, 10, 11), (2, 6, 10, 11)]


def check_draft_round(session: Session, drafting: Round, discussing: Round) -> None:
    """Eleven principles, each once, on the charter's themes, most linked to the statements
    that inspired them; members' comments with replies; amendments accepted, accepted with
    changes and rejected with a reason, one still waiting; several versions; two dissent notes
    on the record and one still gathering signatures."""
    made = principles.of_round(session, drafting.id or 0)
    assert [p.title for p in made] == [d.title for d in drafting_samples.DRAFTS]
    assert len(made) == 11 and [p.position for p in made] == list(range(1, 12))
    assert {Theme(p.theme) for p in made} == set(Theme) - {Theme.other}
    assert all(p.rationale for p in made)
    ids = [p.id or 0 for p in made]
    linked = principles.linked(session, ids)
    assert all(linked[i] for i in ids)
    assert all(link.round.id == discussing.id for found in linked.values() for link in found)
    assert any("tell people whenever a computer" in link.statement.text
               for link in linked[made[2].id or 0])
    threads = {p.title: comments.thread(session, p.id or 0) for p in made}
    assert sum(len(t) for t in threads.values()) >= 25
    assert {e.comment.stance for t in threads.values() for e in t} == {s.value for s in Stance}
    assert sum(1 for t in threads.values() for e in t if e.depth == 1) >= 3
    # Nobody comments as the demo's own member (the one the printed code signs in).
    first = session.exec(select(Member.id).where(Member.status == "joined")
                         .order_by(col(Member.id))).first()
    assert all(e.comment.member_id != first for t in threads.values() for e in t)
    decided = [a for p in made for a in amendments.of_principle(session, p.id or 0)]
    statuses = sorted((a.status, a.changed) for a in decided)
    assert statuses.count(("accepted", False)) >= 3
    assert ("accepted", True) in statuses and ("waiting", False) in statuses
    assert statuses.count(("rejected", False)) == 2
    assert all(a.decision_reason for a in decided if a.status == "rejected")
    versions = {p.title: [v.change for v in principles.versions(session, p.id or 0)]
                for p in made}
    assert sum(len(v) > 1 for v in versions.values()) >= 6
    assert versions["Tell people when AI is used"] == ["written", "amendment", "edited"]
    changed = next(a for a in decided if a.changed)
    made_version = principles.version(session, changed.principle_id, changed.made_version or 0)
    assert made_version is not None and made_version.change == "amendment"
    assert made_version.text == changed.accepted_text != changed.text
    notes = dissent.of_principles(session, ids)
    recorded = dissent.recorded(session, ids)
    assert sum(len(n) for n in recorded.values()) == 2
    assert all(n.signatures >= principles.settings_of(session, drafting).cosigners
               for found in recorded.values() for n in found)
    assert sum(len(n) for n in notes.values()) == 3


def check_vote(session: Session, voting: Round, assembly_id: int) -> None:
    """A vote on the eleven principles, sealed at its close and released: one adopted but
    contested among the over-65s, one not adopted, a few ballots keyed in from paper or by
    phone, and nothing left that links a member to a choice."""
    setup = session.get(VoteRound, voting.id)
    assert setup is not None and setup.sealed_at is not None and setup.sealed_digest
    assert voting.results_released_at is not None
    turnout = ballots.turnout(session, voting)
    assert turnout.eligible >= demo.PANEL_SIZE * 0.85
    assert turnout.voted == turnout.eligible - 1 - ballot_samples.NOT_VOTING
    assert session.exec(select(sa.func.count()).select_from(Ballot)).one() == 0
    assert session.exec(select(sa.func.count()).select_from(Receipt)).one() == 0
    shown = results.load(session, voting, for_officers=False)
    assert shown is not None and len(shown.principles) == 11
    verdicts = {r.item.title: r.verdict for r in shown.principles}
    # Among the over-65s on the panels drawn so far; the 55-64s if too few over-65s voted.
    assert re.match(r"Adopted, but contested by Age: (55-64|65\+) agree least",
                    verdicts[ballot_samples.CONTESTED]), verdicts
    assert verdicts[ballot_samples.DIVIDED].startswith("Not adopted")
    assert shown.adopted == 10
    assert all(v == "Adopted, and agreement holds across every selection feature."
               for title, v in verdicts.items()
               if title not in (ballot_samples.CONTESTED, ballot_samples.DIVIDED)), verdicts
    # Each version on the ballot is the one the principle had when the vote opened.
    assert all(r.item.version is not None
               and r.item.version.version == r.item.principle.version for r in shown.principles)
    events = audit.events(session, assembly_id)
    keyed = [e for e in events if e.action == "ballots.keyed_in"]
    assert sorted(e.details["channel"] for e in keyed) == ["paper", "paper", "phone"]
    assert [e.action for e in events].count("ballots.sealed") == 1
    sealed = next(e for e in events if e.action == "ballots.sealed")
    assert sealed.details["digest"] == setup.sealed_digest == sealing.digest_of(session, voting)
