"""Getting back in after joining: a sign-in link by e-mail (sent through a real SMTP server) and
a sign-in code from an officer; both single-use, also under concurrency; sign out everywhere."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from assembly import audit, db, outbox
from assembly.app import create_app
from assembly.invitations import credentials, returning
from assembly.invitations.models import SignInCredential
from assembly.selection.models import Member, MemberStatus
from assembly.settings import Settings
from assembly.tables import utcnow
from tests.app.builders import Panel, drawn_panel
from tests.app.flows import make_client, post_form
from tests.app.mailbox import Mailbox


@pytest.fixture
def mail_app(mail_settings: Settings, engine: Engine) -> Starlette:
    """The app with e-mail set up, its own delivery loop kept out of the way (once an hour) so
    each test says when mail goes, with `deliver`."""
    return create_app(mail_settings.replace(mail_interval_seconds=3600), engine=engine)


@pytest.fixture
def joined(engine: Engine) -> Panel:
    """A drawn panel whose first two members have joined."""
    panel = drawn_panel(engine)
    with db.session(engine, write=True) as session:
        for person in panel.members[:2]:
            member = session.get(Member, person.member_id)
            assert member is not None
            member.status = MemberStatus.joined.value
            member.joined_at = utcnow()
            session.add(member)
    return panel


def deliver(engine: Engine, settings: Settings) -> None:
    outbox.deliver_due(engine, settings)


def test_a_member_gets_a_link_by_email_and_signs_in_with_it_once(
        mail_app: Starlette, engine: Engine, mail_settings: Settings,
        mailbox: Mailbox, joined: Panel, dbs: Callable) -> None:
    person = joined.members[0]
    with make_client(mail_app) as client:
        page = client.get("/sign-in")
        assert page.status_code == 200 and "Send me a link" in page.text
        # Any case, stray spaces: the address in the contact details is found.
        answer = post_form(client, "/sign-in", {"email": f"  {person.email.upper()} "})
        assert answer.status_code == 200 and "Check your e-mail" in answer.text
    deliver(engine, mail_settings)
    [message] = mailbox.received
    assert message["To"] == person.email
    assert message["Subject"] == "Your link to sign in to Our council, data and AI"
    [link] = mailbox.links()
    # Nothing about the member is in the message but their address.
    body = message.as_string()
    assert person.name not in body and person.postcode not in body and person.age not in body
    path = link.removeprefix(mail_settings.public_url)

    with make_client(mail_app) as browser:
        opened = browser.get(path)
        assert opened.status_code == 200 and "Continue" in opened.text
        browser.get(path)  # opening it again (a mail scanner did, say) uses nothing
        used = post_form(browser, path, follow_redirects=False)
        assert used.status_code == 303 and used.headers["location"] == "/home"
        assert browser.get("/home").status_code == 200
        assert browser.get("/account").text.count("signed in on 1 phone or computer") == 1

    with make_client(mail_app) as stranger:
        again = post_form(stranger, path)
        assert again.status_code == 410 and "already been used" in again.text
        assert stranger.get("/home", follow_redirects=False).status_code == 303

    with dbs() as session:
        actions = [event.action for event in audit.events(session, joined.assembly_id)]
    assert actions[-2:] == ["member.sign_in_link_sent", "member.signed_in"]


def test_the_page_never_says_whether_an_address_is_known(
        mail_app: Starlette, engine: Engine, mail_settings: Settings,
        mailbox: Mailbox, joined: Panel, dbs: Callable) -> None:
    not_joined = joined.members[2]
    answers = []
    with make_client(mail_app) as client:
        for address in (joined.members[0].email, "nobody@example.org", not_joined.email):
            response = post_form(client, "/sign-in", {"email": address})
            answers.append((response.status_code,
                            response.text.replace(address, "ADDRESS")))
    assert answers[0] == answers[1] == answers[2]
    deliver(engine, mail_settings)
    # Only the member who joined gets a link; someone who has not joined needs their invitation.
    assert [m["To"] for m in mailbox.received] == [joined.members[0].email]


def test_links_per_member_are_limited_and_bad_addresses_get_a_message(
        mail_app: Starlette, engine: Engine, mail_settings: Settings,
        mailbox: Mailbox, joined: Panel) -> None:
    person = joined.members[0]
    with make_client(mail_app) as client:
        for _ in range(returning.LINKS_PER_HOUR + 2):
            assert post_form(client, "/sign-in", {"email": person.email}).status_code == 200
        bad = post_form(client, "/sign-in", {"email": "not an address"})
        assert bad.status_code == 422 and "like name@example.com" in bad.text
    deliver(engine, mail_settings)
    assert len(mailbox.received) == returning.LINKS_PER_HOUR


def test_without_email_the_page_says_to_ask_for_a_code(client: TestClient, joined: Panel) -> None:
    page = client.get("/sign-in")
    assert page.status_code == 200 and "does not send e-mail" in page.text
    refused = post_form(client, "/sign-in", {"email": joined.members[0].email})
    assert refused.status_code == 200 and "does not send e-mail" in refused.text
    assert "Check your e-mail" not in refused.text


def test_an_officer_makes_a_code_the_member_types_it_and_earlier_codes_stop(
        officer_client: TestClient, app: Starlette, joined: Panel, dbs: Callable) -> None:
    person = joined.members[0]
    page_url = f"/assemblies/{joined.assembly_id}/members/{person.member_id}/sign-in-code"
    panel_page = officer_client.get(f"/assemblies/{joined.assembly_id}/panel")
    assert page_url in panel_page.text
    confirm = officer_client.get(page_url)
    assert confirm.status_code == 200 and "Make a sign-in code" in confirm.text

    first = post_form(officer_client, page_url)
    second = post_form(officer_client, page_url)
    assert second.headers["cache-control"] == "no-store"
    codes = [re.search(r'<p class="big-code"><code>([0-9A-Z-]+)</code>', r.text).group(1)
             for r in (first, second)]
    assert codes[0] != codes[1]

    with make_client(app) as member_browser:
        stale = post_form(member_browser, "/invite", {"code": codes[0]})
        assert stale.status_code == 410 and "no longer works" in stale.text
        # Read out on the phone and typed in small letters without dashes: it still works.
        typed = codes[1].replace("-", " ").lower()
        used = post_form(member_browser, "/invite", {"code": typed}, follow_redirects=False)
        assert used.status_code == 303 and used.headers["location"] == "/home"
        again = post_form(member_browser, "/invite", {"code": codes[1]})
        assert again.status_code == 410 and "already been used" in again.text

    with dbs() as session:
        events = [(e.action, e.actor) for e in audit.events(session, joined.assembly_id)]
    made = [e for e in events if e[0] == "member.sign_in_code_made"]
    assert len(made) == 2 and all(actor.startswith("officer:") for _, actor in made)
    assert ("member.signed_in", f"member:{_public_id(dbs, person.member_id)}") in events


def _public_id(dbs: Callable, member_id: int) -> str:
    with dbs() as session:
        return str(session.get(Member, member_id).public_id)


def test_no_code_for_someone_who_has_not_joined(officer_client: TestClient, joined: Panel,
                                                dbs: Callable) -> None:
    person = joined.members[2]
    page_url = f"/assemblies/{joined.assembly_id}/members/{person.member_id}/sign-in-code"
    assert "cannot be given a sign-in code" in officer_client.get(page_url).text
    refused = post_form(officer_client, page_url)
    assert refused.status_code == 200 and "Only a member who has joined" in refused.text
    with dbs() as session:
        assert session.exec(select(SignInCredential)).all() == []


def test_a_code_of_another_assembly_cannot_be_made_from_this_one(
        officer_client: TestClient, engine: Engine, joined: Panel) -> None:
    other = drawn_panel(engine, tag="X", title="Another assembly")
    url = f"/assemblies/{joined.assembly_id}/members/{other.members[0].member_id}/sign-in-code"
    assert post_form(officer_client, url).status_code == 404


def test_one_code_used_by_many_at_once_signs_in_once(
        engine: Engine, settings: Settings, joined: Panel, dbs: Callable) -> None:
    with dbs() as session:
        member = session.get(Member, joined.members[0].member_id)
    with db.session(engine, write=True) as session:
        code = returning.make_code(session, member, officer_id=None)  # type: ignore[arg-type]
    secret = credentials.code_hash(credentials.normalise_code(code.code) or "")
    results: list[str | None] = []
    start = threading.Barrier(8)

    def use() -> None:
        start.wait()
        with db.session(engine, write=True) as session:
            results.append(returning.admit(session, settings, secret, via="code")[1])

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(results) == 8 and sum(token is not None for token in results) == 1


def test_an_expired_link_or_a_member_who_left_cannot_sign_in(
        engine: Engine, settings: Settings, joined: Panel) -> None:
    person, leaver = joined.members[0], joined.members[1]
    with db.session(engine, write=True) as session:
        member = session.get(Member, person.member_id)
        assert member is not None
        code = returning.make_code(session, member, officer_id=None)  # type: ignore[arg-type]
        other = session.get(Member, leaver.member_id)
        assert other is not None
        left_code = returning.make_code(session, other, officer_id=None)  # type: ignore[arg-type]
        other.status = MemberStatus.declined.value
        session.add(other)
    later = utcnow() + returning.CODE_LIFETIME + timedelta(seconds=1)
    with db.session(engine, write=True) as session:
        state, token = returning.admit(
            session, settings, credentials.code_hash(credentials.normalise_code(code.code) or ""),
            via="code", now=later)
    assert (state, token) == (credentials.State.expired, None)
    with db.session(engine, write=True) as session:
        state, token = returning.admit(
            session, settings,
            credentials.code_hash(credentials.normalise_code(left_code.code) or ""), via="code")
    assert (state, token) == (credentials.State.replaced, None)
    with db.session(engine) as session:
        assert all(c.used_at is None for c in session.exec(select(SignInCredential)).all())


def test_several_devices_then_sign_out_everywhere(
        app: Starlette, engine: Engine, settings: Settings, joined: Panel, dbs: Callable) -> None:
    with dbs() as session:
        member = session.get(Member, joined.members[0].member_id)
    browsers = []
    for _ in range(3):
        with db.session(engine, write=True) as session:
            code = returning.make_code(session, member, officer_id=None)  # type: ignore[arg-type]
        browser = make_client(app)
        browser.__enter__()
        assert post_form(browser, "/invite", {"code": code.code}).status_code == 200
        browsers.append(browser)
    try:
        assert "signed in on 3 phones or computers" in browsers[0].get("/account").text
        out = post_form(browsers[1], "/account/sign-out-everywhere", follow_redirects=False)
        assert out.status_code == 303 and out.headers["location"] == "/"
        for browser in browsers:
            gone = browser.get("/home", follow_redirects=False)
            assert gone.status_code == 303 and gone.headers["location"] == "/sign-in"
    finally:
        for browser in browsers:
            browser.__exit__(None, None, None)
    with dbs() as session:
        [event] = [e for e in audit.events(session, joined.assembly_id)
                   if e.action == "member.signed_out_everywhere"]
        assert event.details["sessions"] == 3


def test_sign_in_tokens_never_reach_the_access_log() -> None:
    import logging

    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s "%s %s"',
                               ("127.0.0.1", "GET", "/sign-in/SECRETTOKEN123"), None)
    credentials.HIDE_TOKENS.filter(record)
    assert "SECRETTOKEN123" not in record.getMessage()
    assert "/sign-in/[hidden]" in record.getMessage()


def test_erasing_a_member_removes_their_sign_in_credentials(
        engine: Engine, joined: Panel, dbs: Callable) -> None:
    from assembly.privacy import personal_data
    from assembly.recruitment.models import Respondent

    person = joined.members[0]
    with dbs() as session:
        member = session.get(Member, person.member_id)
    with db.session(engine, write=True) as session:
        returning.make_code(session, member, officer_id=None)  # type: ignore[arg-type]
    with db.session(engine, write=True) as session:
        respondent = session.get(Respondent, person.respondent_id)
        assert respondent is not None
        personal_data.erase(session, respondent, "officer:1")
    with dbs() as session:
        rows = session.exec(select(SignInCredential)).all()
        assert all(row.revoked_at is not None or row.used_at is not None for row in rows)
        assert session.execute(sa.select(sa.func.count()).select_from(SignInCredential)
                               .where(SignInCredential.revoked_at.is_(None))).scalar_one() == 0
