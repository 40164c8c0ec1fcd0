"""`minipublic demo` on both databases: a realistic pool, idempotent, with working credentials."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlmodel import select
from starlette.applications import Starlette

from assembly import audit, demo
from assembly.accounts.models import Officer
from assembly.assemblies.models import Assembly
from assembly.cli import main
from assembly.deliberation import rounds
from assembly.deliberation.models import Briefing, Meeting, Question
from assembly.discussion import opinions
from assembly.discussion import samples as discussion_samples
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
        count = lambda model: session.exec(  # noqa: E731
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
        assert audit.verify_events(audit.events(session, assembly.id)).ok  # type: ignore[arg-type]
        # A programme on data and AI around today, added once however often the demo starts.
        # The panel is drawn and invited, and most members have joined.
        statuses = session.exec(select(Member.status).where(Member.role == "panel")).all()
        assert len(statuses) == demo.PANEL_SIZE
        assert statuses.count("joined") >= demo.PANEL_SIZE * 0.85
        assert set(statuses) <= {"joined", "invited"}
        programme = rounds.programme(session, assembly.id or 0)
        now = utcnow()
        assert [(r.kind, rounds.state_of(r, now).value) for r in programme] == [
            ("learn", "closed"), ("learn", "open"), ("discuss", "open"),
            ("draft", "scheduled"), ("vote", "scheduled")]
        demo_meetings = session.exec(select(Meeting)).all()
        assert len(demo_meetings) == 2
        assert any(m.step_free == "yes" and "Step-free" in m.access_notes for m in demo_meetings)
        assert any(m.online_url.startswith("https://") for m in demo_meetings)
        # The learn rounds' evidence: eight or more briefings in the open one, each with its
        # speaker, declared interests and an easy-read version; answered questions; added once.
        per_round = {r.id: [b for b in session.exec(select(Briefing)).all()
                            if b.round_id == r.id] for r in programme[:2]}
        assert len(per_round[programme[1].id]) >= 8 and len(per_round[programme[0].id]) >= 3
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
        talk = opinions.results(session, programme[2], for_officers=True)
        assert len(talk.shown) == len(discussion_samples.STATEMENTS)
        assert len(talk.groups) >= 2 and min(g.size for g in talk.groups) >= 5
        assert talk.participants >= demo.PANEL_SIZE * 0.8 and talk.votes > 900
        shared = {s.text for s in discussion_samples.STATEMENTS if s.kind == "shared"}
        assert sum(s.statement.text in shared for s in talk.consensus[:5]) >= 4
        assert any("tell people whenever a computer" in s.statement.text
                   for s in talk.consensus)
        assert talk.waiting == len(discussion_samples.WAITING)
    assert (settings.data_dir / "demo" / "people.csv").is_file()

    with make_client(app) as browser:
        old = post_form(browser, "/login", {"email": demo.OFFICER_EMAIL,
                                            "password": passwords[0]})
        assert old.status_code == 401
        new = post_form(browser, "/login", {"email": demo.OFFICER_EMAIL,
                                            "password": passwords[1]}, follow_redirects=False)
        assert new.status_code == 303

    # The printed code signs a newcomer in as a member who joined, once; the earlier one is dead.
    with make_client(app) as newcomer:
        stale = post_form(newcomer, "/invite", {"code": codes[0]})
        assert "/home" not in str(stale.url)
        home = post_form(newcomer, "/invite", {"code": codes[1]})
        assert home.status_code == 200 and str(home.url).endswith("/home"), home.text[:500]
        assert demo.TITLE.replace("'", "&#39;") in home.text
        assert "Data and AI in care, policing and the NHS" in home.text
    with make_client(app) as second:
        again = post_form(second, "/invite", {"code": codes[1]})
        assert not str(again.url).endswith("/home")


def test_demo_refuses_production(monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MINIPUBLIC_ENV", "production")
    monkeypatch.setenv("MINIPUBLIC_SECRET_KEY", "p" * 48)
    monkeypatch.setenv("MINIPUBLIC_PUBLIC_URL", "https://assembly.example.org")
    monkeypatch.setenv("MINIPUBLIC_ALLOWED_HOSTS", "assembly.example.org")
    assert main(["demo", "--no-serve"]) == 2
    assert "refusing" in capsys.readouterr().err
