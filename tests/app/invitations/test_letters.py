"""Letters are all or nothing (issue #7, item 12), through the real app on both databases:
either the earlier letters still work, or the new ones can be downloaded."""

from __future__ import annotations

import csv
import io
import re
import signal
import time
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx2
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from assembly import db, sessions
from assembly.accounts.models import UserSession
from assembly.app import create_app
from assembly.assemblies.models import Assembly
from assembly.audit import AuditEvent
from assembly.invitations import batches, credentials, letters
from assembly.invitations.credentials import State
from assembly.invitations.models import Invitation, LetterBatch
from assembly.selection.models import Member
from assembly.settings import Settings
from assembly.tables import utcnow
from tests.app import servers
from tests.app.builders import PASSWORD, Panel, drawn_panel, make_officer
from tests.app.flows import (
    HTMX,
    create_letters,
    login,
    make_client,
    post_form,
    wait_for_letters,
)


@pytest.fixture
def panel(engine: Engine) -> Panel:
    return drawn_panel(engine, respondents=8, panel=3, reserves=1)


def rows_of(response: object) -> list[dict[str, str]]:
    assert getattr(response, "status_code") == 200, getattr(response, "text")
    assert getattr(response, "headers")["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(getattr(response, "content"))) as archive:
        text = archive.read("mail-merge.csv").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def token(row: dict[str, str]) -> str:
    return row["invitation_link"].rsplit("/", 1)[1]


def state(engine: Engine, row: dict[str, str]) -> State:
    with db.session(engine) as session:
        return credentials.inspect(session, credentials.link_hash(token(row)))


def issued_events(engine: Engine) -> int:
    with db.session(engine) as session:
        return len(session.exec(select(AuditEvent.id).where(
            AuditEvent.action == "invitations.issued")).all())


def prepare(client: TestClient, panel: Panel, confirm: bool = True) -> str:
    """Ask for new letters; returns the address of their page."""
    response = post_form(client, f"/assemblies/{panel.assembly_id}/invitations",
                         {"confirm": "yes"} if confirm else {}, follow_redirects=False)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert re.fullmatch(rf"/assemblies/{panel.assembly_id}/letters/[\w-]+", location)
    return str(location)


def test_new_letters_work_and_old_ones_stop_only_when_downloaded(
        officer_client: TestClient, panel: Panel, engine: Engine, dbs: Callable) -> None:
    old = rows_of(create_letters(officer_client, f"/assemblies/{panel.assembly_id}/invitations"))
    assert issued_events(engine) == 1
    batch_url = prepare(officer_client, panel)
    wait_for_letters(officer_client, batch_url)
    # Ready, not downloaded: nothing has changed for anyone.
    assert [state(engine, row) for row in old] == [State.valid] * 3
    assert issued_events(engine) == 1
    with dbs() as session:
        batch = session.exec(select(LetterBatch).where(
            LetterBatch.public_id == batch_url.rsplit("/", 1)[1])).one()
        assert batch.archive is not None
        stored = batch.archive + str(batch.credentials).encode()
    downloaded = post_form(officer_client, batch_url)
    new = rows_of(downloaded)
    assert downloaded.headers["content-disposition"].startswith("attachment;")
    assert [state(engine, row) for row in old] == [State.replaced] * 3
    assert [state(engine, row) for row in new] == [State.valid] * 3
    assert issued_events(engine) == 2
    # What the database held meanwhile: hashes and ciphertext, never a link, code or the PDF.
    for row in new:
        assert token(row).encode() not in stored
        assert row["invitation_code"].replace("-", "").encode() not in stored
    assert b"%PDF" not in stored and b"mail-merge.csv" not in stored
    with dbs() as session:
        live = session.exec(select(Invitation).where(
            Invitation.revoked_at.is_(None), Invitation.consumed_at.is_(None))).all()
        statuses = session.exec(select(Member.status).where(
            Member.assembly_id == panel.assembly_id, Member.role == "panel")).all()
    assert len(live) == 6  # a link and a code per member, all from the new letters
    assert set(statuses) == {"invited"}
    # The code of a new letter opens the door; the old code does not.
    with make_client(officer_client.app) as resident:
        assert post_form(resident, "/invite", {"code": old[1]["invitation_code"]},
                         follow_redirects=False).status_code == 410
        assert post_form(resident, "/invite", {"code": new[1]["invitation_code"]},
                         follow_redirects=False).status_code == 303


def test_a_server_that_dies_before_the_download_leaves_the_old_letters_working(
        officer_client: TestClient, panel: Panel, engine: Engine, dbs: Callable) -> None:
    old = rows_of(create_letters(officer_client, f"/assemblies/{panel.assembly_id}/invitations"))
    batch_url = prepare(officer_client, panel)
    wait_for_letters(officer_client, batch_url)
    # The process that made the letters dies with the download not yet done, and time passes;
    # another batch dies while still being made (its heartbeat stops).
    with dbs(write=True) as session:
        session.execute(sa.update(LetterBatch).values(
            ready_at=utcnow() - batches.READY_FOR - timedelta(minutes=1)))
    page = officer_client.get(batch_url)
    assert "Nothing was changed: the earlier letters still work." in page.text
    assert "Download the letters" not in page.text
    refused = post_form(officer_client, batch_url)
    assert refused.status_code == 409 and "the earlier letters still work" in refused.text
    assert [state(engine, row) for row in old] == [State.valid] * 3
    assert issued_events(engine) == 1
    with dbs() as session:
        assert len(session.exec(select(Invitation)).all()) == 6  # the old letters' rows only


def test_letters_being_made_when_the_server_died_are_abandoned(
        officer_client: TestClient, panel: Panel, engine: Engine, dbs: Callable,
        settings: Settings) -> None:
    old = rows_of(create_letters(officer_client, f"/assemblies/{panel.assembly_id}/invitations"))
    # The first step of "create letters" as the view does it, with no rendering thread after it:
    # exactly what a server killed between preparing and rendering leaves behind.
    with dbs(write=True) as session:
        assembly = session.get(Assembly, panel.assembly_id)
        officer_session = officer_client.cookies.get(settings.session_cookie)
        session_id = session.exec(select(UserSession.id).where(
            UserSession.token_hash == sessions.token_hash(officer_session))).one()
        prepared = batches.prepare_panel(session, assembly, days=28, officer_id=None,
                                         session_id=session_id)
        public_id = prepared.batch.public_id
    batch_url = f"/assemblies/{panel.assembly_id}/letters/{public_id}"
    assert "Making the letters: 0 of 3" in officer_client.get(batch_url).text
    with dbs(write=True) as session:
        session.execute(sa.update(LetterBatch).values(
            heartbeat_at=utcnow() - batches.STALE_AFTER - timedelta(seconds=1)))
    page = officer_client.get(batch_url)
    assert "Nothing was changed: the earlier letters still work." in page.text
    assert 'http-equiv="refresh"' not in page.text
    assert post_form(officer_client, batch_url).status_code == 409
    assert [state(engine, row) for row in old] == [State.valid] * 3
    # The same prepared secrets never start working later.
    for item in prepared.issued:
        with db.session(engine) as session:
            assert credentials.inspect(session, credentials.link_hash(item.token)) is State.unknown


def test_ready_letters_survive_a_restart_of_the_app_and_only_their_browser_gets_them(
        officer_client: TestClient, panel: Panel, engine: Engine, settings: Settings,
        app: Starlette, officer: object) -> None:
    batch_url = prepare(officer_client, panel)
    wait_for_letters(officer_client, batch_url)
    cookie = officer_client.cookies.get(settings.session_cookie)
    # Another sign-in of the same officer sees nothing (and could not decrypt it anyway).
    with make_client(app) as other:
        login(other, getattr(officer, "email"))
        assert other.get(batch_url).status_code == 404
        assert post_form(other, batch_url).status_code == 404
    # A new app object (a restarted server) on the same database: the letters can be downloaded
    # from the browser that asked for them, with its cookie.
    restarted = create_app(settings, engine=engine)
    with make_client(restarted) as browser:
        browser.cookies.set(settings.session_cookie, cookie)
        new = rows_of(post_form(browser, batch_url))
    assert [state(engine, row) for row in new] == [State.valid] * 3


def test_replacing_working_letters_asks_for_confirmation_first(
        officer_client: TestClient, panel: Panel, engine: Engine, dbs: Callable) -> None:
    # Nobody holds a letter yet: no question asked.
    first = create_letters(officer_client, f"/assemblies/{panel.assembly_id}/invitations")
    old = rows_of(first)
    response = post_form(officer_client, f"/assemblies/{panel.assembly_id}/invitations")
    assert response.status_code == 200
    text = " ".join(response.text.split())
    assert "Replace letters that still work?" in text
    assert "3 of the 3 members you are making letters for hold letters that still work" in text
    assert 'name="confirm" value="yes"' in text
    with dbs() as session:
        assert len(session.exec(select(LetterBatch)).all()) == 1  # nothing prepared
    # One member's letter: the same question, about that one letter.
    member = panel.members[0]
    single = f"/assemblies/{panel.assembly_id}/members/{member.member_id}/invitation"
    asked = " ".join(post_form(officer_client, single).text.split())
    assert "1 of the 1 member you are making letters for holds a letter that still works" in asked
    assert [state(engine, row) for row in old] == [State.valid] * 3
    # Confirmed, the single letter goes through the same steps: the old one works until then.
    batch_url = post_form(officer_client, single, {"confirm": "yes"},
                          follow_redirects=False).headers["location"]
    wait_for_letters(officer_client, batch_url)
    assert state(engine, old[0]) is State.valid
    new = rows_of(post_form(officer_client, batch_url))
    assert [row["member_ref"] for row in new] == [member.external_id]
    assert state(engine, old[0]) is State.replaced and state(engine, new[0]) is State.valid
    assert [state(engine, row) for row in old[1:]] == [State.valid] * 2
    with dbs() as session:
        events = session.exec(select(AuditEvent.action).where(
            AuditEvent.action.in_(["invitations.issued", "invitation.reissued"]))
            .order_by(AuditEvent.seq)).all()
    assert events == ["invitations.issued", "invitation.reissued"]


def test_the_page_shows_who_holds_working_letters_after_the_download(
        officer_client: TestClient, panel: Panel) -> None:
    batch_url = prepare(officer_client, panel)
    wait_for_letters(officer_client, batch_url)
    ready = officer_client.get(batch_url).text
    assert "Members in these letters" in ready and ">No<" in ready
    rows_of(post_form(officer_client, batch_url))
    page = " ".join(officer_client.get(batch_url).text.split())
    assert "these letters work now, and the earlier ones have stopped" in page
    assert "Members in these letters: 3 hold a working letter" in page
    assert page.count("<td>Yes</td>") == 3
    assert "Download the same letters again" in page
    overview = " ".join(officer_client.get(f"/assemblies/{panel.assembly_id}/invitations").text
                        .split())
    assert overview.count("Yes, issued <time") == 3
    # Downloading again hands over the same file and changes nothing.
    again = post_form(officer_client, batch_url)
    assert again.status_code == 200 and again.headers["content-type"] == "application/zip"


def test_the_progress_page_works_without_javascript_and_with_htmx(
        officer_client: TestClient, panel: Panel, dbs: Callable) -> None:
    batch_url = prepare(officer_client, panel)
    wait_for_letters(officer_client, batch_url)  # the renderer is done: nothing writes any more
    # Put the batch back at "4 of 10 made" to look at the page while letters are being made.
    with dbs(write=True) as session:
        session.execute(sa.update(LetterBatch).values(status="rendering", done=4, count=10,
                                                      heartbeat_at=utcnow() + timedelta(hours=1)))
    page = officer_client.get(batch_url).text
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert '<progress id="progress-bar" max="100" value="40">40%</progress>' in page
    assert "Making the letters: 4 of 10" in page
    assert f'<a href="{batch_url}">Check again now</a>' in page
    assert 'hx-trigger="every 1s"' in page
    fragment = officer_client.get(batch_url + "?seen=rendering", headers=HTMX)
    assert fragment.text.lstrip().startswith('<div id="progress"') and "<html" not in fragment.text
    with dbs(write=True) as session:
        session.execute(sa.update(LetterBatch).values(status="ready", ready_at=utcnow()))
    done = officer_client.get(batch_url + "?seen=rendering", headers=HTMX)
    assert done.status_code == 204 and done.headers["HX-Refresh"] == "true"
    assert 'http-equiv="refresh"' not in officer_client.get(batch_url).text


@pytest.mark.slow  # a real server process, killed while it renders 60 letters
def test_a_real_server_killed_while_making_letters_leaves_the_old_letters_working(
        settings: Settings, engine: Engine, tmp_path: Path) -> None:
    big = drawn_panel(engine, respondents=70, panel=60, reserves=2)
    make_officer(engine, settings)
    with db.session(engine, write=True) as session:
        members = session.exec(select(Member).where(Member.assembly_id == big.assembly_id,
                                                    Member.role == "panel")).all()
        sent = credentials.issue(session, members, days=28, officer_id=None)  # letters sent
    port = servers.free_port()
    server = servers.serve(tmp_path, port, DATABASE_URL=settings.database_url)
    left: dict[int, str] = {}
    try:
        servers.wait_until_up(server, port)
        base = f"http://127.0.0.1:{port}"
        with httpx2.Client(base_url=base, headers={"Sec-Fetch-Site": "same-origin",
                                                   "Origin": base}, timeout=60) as browser:
            assert browser.post("/login", data={"email": "officer@example.org",
                                                "password": PASSWORD}).status_code == 303
            asked = browser.post(f"/assemblies/{big.assembly_id}/invitations",
                                 data={"confirm": "yes"})
            assert asked.status_code == 303, asked.text
            batch_url = asked.headers["location"]
            seen = []
            deadline = time.monotonic() + 60
            while True:  # watch the progress page until some, not all, letters are made
                page = browser.get(batch_url).text
                made = re.search(r"Making the letters: (\d+) of 60", page)
                assert made, page
                seen.append(int(made.group(1)))
                if 0 < seen[-1] < 60:
                    break
                assert time.monotonic() < deadline, seen
                time.sleep(0.05)
        left = {pid: servers.command_line(pid) for pid in servers.children(server.pid)}
        servers.kill_hard(server)
    finally:
        servers.stop(server, left)
    with db.session(engine) as session:
        batch = session.exec(select(LetterBatch)).one()
        assert batch.status == "rendering" and batch.archive is None and 0 < batch.done < 60
        assert credentials.inspect(session, credentials.link_hash(sent[0].token)) is State.valid
        assert all(credentials.inspect(session, credentials.link_hash(item.token)) is State.valid
                   for item in sent)
        assert len(session.exec(select(Invitation)).all()) == 120  # no new ones, none revoked
        assert session.exec(select(AuditEvent.id).where(
            AuditEvent.action == "invitations.issued")).all() == []
    # A new server on the same database lets a member in with the letter they already have.
    again = servers.serve(tmp_path, port, DATABASE_URL=settings.database_url)
    try:
        servers.wait_until_up(again, port)
        with httpx2.Client(base_url=f"http://127.0.0.1:{port}") as resident:
            opened = resident.get(f"/invite/{sent[5].token}")
            assert opened.status_code == 200 and "Continue" in opened.text
    finally:
        again.send_signal(signal.SIGTERM)
        servers.stop(again)


def test_letters_that_fail_to_render_change_nothing_and_say_so(
        officer_client: TestClient, panel: Panel, engine: Engine, dbs: Callable) -> None:
    old = rows_of(create_letters(officer_client, f"/assemblies/{panel.assembly_id}/invitations"))
    batch_url = prepare(officer_client, panel)
    public_id = batch_url.rsplit("/", 1)[1]
    wait_for_letters(officer_client, batch_url)
    with dbs(write=True) as session:  # render it again, as if from scratch, and make it fail
        session.execute(sa.update(LetterBatch).where(LetterBatch.public_id == public_id)
                        .values(status="rendering", archive=None, heartbeat_at=utcnow()))
    head = letters.LetterHead(title="T", question="Q?", commissioning_body="C")
    batches.render(engine, public_id, b"k" * 32, head, [], utcnow().date())  # no letters: error
    page = officer_client.get(batch_url).text
    assert "The letters could not be made because of an error in the program (ValueError)" in page
    assert post_form(officer_client, batch_url).status_code == 409
    assert [state(engine, row) for row in old] == [State.valid] * 3


def test_older_letters_cannot_stop_newer_ones_and_a_refused_download_changes_nothing(
        officer_client: TestClient, panel: Panel, engine: Engine, dbs: Callable) -> None:
    first_url = prepare(officer_client, panel)
    second_url = prepare(officer_client, panel)
    wait_for_letters(officer_client, first_url)
    wait_for_letters(officer_client, second_url)
    newer = rows_of(post_form(officer_client, second_url))
    refused = post_form(officer_client, first_url)
    assert refused.status_code == 409
    assert "Newer letters were issued for 3 of these members" in " ".join(refused.text.split())
    assert [state(engine, row) for row in newer] == [State.valid] * 3
    with dbs() as session:
        first = session.exec(select(LetterBatch).where(
            LetterBatch.public_id == first_url.rsplit("/", 1)[1])).one()
        assert first.status == "ready" and first.activated_at is None  # the claim was undone
        assert len(session.exec(select(Invitation)).all()) == 6
    assert issued_events(engine) == 1
