"""Reminders through a real SMTP server (aiosmtpd on a free local port): one e-mail per member who
joined, holds their seat, has an address and has not opted out, exactly once, also with two app
instances on one database and after a restart; the day-before reminder only to members with
something left to do; undelivered mail shown to officers with a Retry button; reminder letters
as one PDF for everyone else. No demographic data in any of it."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col, select
from starlette.testclient import TestClient

from assembly import audit, db, outbox
from assembly.app import create_app
from assembly.assemblies.models import Assembly
from assembly.deliberation import progress, reminders, rounds, times
from assembly.deliberation.models import ReminderEvent, ReminderOptOut, RoundKind
from assembly.invitations import credentials
from assembly.outbox import MessageState, OutboxMessage
from assembly.recruitment.models import Contact
from assembly.routes import path_for
from assembly.selection.models import Member
from assembly.settings import Settings
from assembly.tables import row_id, utcnow
from tests.app.builders import AGES, Panel, drawn_panel, make_officer
from tests.app.flows import login, make_client, post_form, run_command, sign_in_member
from tests.app.mailbox import Mailbox


@pytest.fixture
def panel(engine: Engine) -> Panel:
    """Six seats: five joined (through their invitations), one still invited. Of those who
    joined: one stopped e-mail reminders, one has no e-mail address."""
    made = drawn_panel(engine, respondents=10, panel=6, reserves=1)
    with db.session(engine, write=True) as session:
        assembly = session.get(Assembly, made.assembly_id)
        assert assembly is not None
        assembly.contact_phone, assembly.contact_email = "0151 496 0123", "team@example.org"
        assembly.contact_address = "Assembly Team\n1 Mann Island\nLiverpool"
        session.add(assembly)
        seated = [session.get(Member, p.member_id) for p in made.members[:6]]
        issued = credentials.issue(session, [m for m in seated if m is not None], days=14,
                                   officer_id=None)
        for item in issued[:5]:
            assert credentials.redeem(session, credentials.link_hash(item.token)).state \
                is credentials.State.valid
        session.add(ReminderOptOut(member_id=made.members[1].member_id or 0))
        session.exec(sa.update(Contact).where(
            col(Contact.respondent_id) == made.members[2].respondent_id).values(email=""))
    return made


def emailed(made: Panel) -> list[str]:
    """Who should get reminders by e-mail: joined, with an address, not opted out."""
    return sorted(made.members[i].email for i in (0, 3, 4))


def add_round(engine: Engine, assembly_id: int, opens: datetime, closes: datetime,
              kind: RoundKind = RoundKind.learn, title: str = "Data in social care") -> int:
    with db.session(engine, write=True) as session:
        assembly = session.get(Assembly, assembly_id)
        assert assembly is not None
        item = rounds.create(session, assembly, rounds.Details(
            kind, title, "To understand how the council uses data.",
            "Read the five briefings and ask the speakers a question.", opens, closes),
            actor="test")
        return row_id(item.id)


LINKS = reminders.link_maker("https://assembly.example", path_for)


def bodies(message: Message) -> dict[str, str]:
    return {part.get_content_type(): part.get_payload(decode=True).decode()
            for part in message.walk() if not part.is_multipart()}


def wait_until(check: Callable[[], bool], seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


def test_a_round_opening_is_e_mailed_once_by_two_app_instances_and_not_again_after_a_restart(
        database_url_and_engine: tuple[str, Engine], mail_settings: Settings, mailbox: Mailbox,
        panel: Panel) -> None:
    url, engine = database_url_and_engine
    now = utcnow()
    round_id = add_round(engine, panel.assembly_id, now - timedelta(minutes=1),
                         now + timedelta(days=5))
    expected = emailed(panel)

    engines = [db.make_engine(url), db.make_engine(url)]
    try:
        apps = [create_app(mail_settings, engine=e) for e in engines]
        with make_client(apps[0]), make_client(apps[1]):  # both lifespans run their loops
            assert wait_until(lambda: len(mailbox.received) >= len(expected))
            time.sleep(3)  # several more passes of both instances
        assert mailbox.recipients() == expected

        # A restart: a new instance, and the sent messages purged, sends nothing again.
        with db.session(engine, write=True) as session:
            outbox.purge_sent(session, older_than=timedelta(0), now=utcnow() + timedelta(1))
        with make_client(create_app(mail_settings, engine=engines[0])):
            time.sleep(3)
        assert mailbox.recipients() == expected
    finally:
        for e in engines:
            e.dispose()

    message = mailbox.received[0]
    assert message["Subject"].startswith("Data in social care: open now until ")
    parts = bodies(message)
    text, html = parts["text/plain"], parts["text/html"]
    with db.session(engine) as session:
        item = rounds.programme(session, panel.assembly_id)[0]
        public_id = item.public_id
        closes = times.in_words(item.closes_at, "Europe/London", now)
    for part in (text, html):
        assert f"It closes on {closes}" in part.replace("<strong>", "").replace("</strong>", "")
        assert "Read the five briefings" in part
        assert "0151 496 0123" in part
        assert f"/home/rounds/{public_id}" in part
        assert not any(age in part for age in AGES), "no demographic data in a message"
    assert "Testperson" not in text, "a reminder does not even carry the member's name"
    with db.session(engine) as session:
        events = session.exec(select(ReminderEvent)).all()
        assert [(e.round_id, e.event, e.queued) for e in events] == [(round_id, "opened", 3)]
        logged = [e for e in audit.events(session, panel.assembly_id)
                  if e.action == "reminders.queued"]
        assert len(logged) == 1 and logged[0].details["emails"] == 3
        keys = sorted(session.exec(select(OutboxMessage.key)).all())
    assert all(k.startswith(f"round:{round_id}:cycle:0:opened:member:") for k in keys)


def test_the_day_before_reminder_goes_only_to_members_with_something_left_to_do(
        engine: Engine, mail_settings: Settings, mailbox: Mailbox, panel: Panel,
        monkeypatch: pytest.MonkeyPatch) -> None:
    t0 = utcnow()
    add_round(engine, panel.assembly_id, t0 - timedelta(days=3), t0 + timedelta(days=2))
    assert reminders.pass_all(engine, mail_settings, t0, LINKS) == (1, 3)  # opened
    assert outbox.deliver_due(engine, mail_settings, now=t0).sent == 3
    # 25 hours before closing: nothing more is due.
    assert reminders.pass_all(engine, mail_settings, t0 + timedelta(hours=23), LINKS) == (0, 0)

    # Member 0 has read every briefing; member 3 has read some; member 4's kind measures
    # nothing (None): they still have something to do.
    done = {panel.members[0].member_id: progress.Progress(5, 5, "briefings", "read"),
            panel.members[3].member_id: progress.Progress(2, 5, "briefings", "read")}
    monkeypatch.setitem(progress.HOOKS, RoundKind.learn,
                        lambda session, item, member: done.get(member.id))
    later = t0 + timedelta(hours=24, minutes=1)
    assert reminders.pass_all(engine, mail_settings, later, LINKS) == (0, 2)
    assert reminders.pass_all(engine, mail_settings, later + timedelta(hours=1), LINKS) == (0, 0)
    assert outbox.deliver_due(engine, mail_settings, now=later).sent == 2
    closing = sorted(str(m["To"]) for m in mailbox.received if "closes" in str(m["Subject"]))
    assert closing == sorted([panel.members[3].email, panel.members[4].email])
    # After closing nothing is due any more.
    assert reminders.pass_all(engine, mail_settings, t0 + timedelta(days=3), LINKS)[1] == 0


def test_a_round_opening_with_less_than_a_day_left_sends_one_e_mail_not_two(
        engine: Engine, mail_settings: Settings, panel: Panel) -> None:
    t0 = utcnow()
    add_round(engine, panel.assembly_id, t0 - timedelta(hours=1), t0 + timedelta(hours=5))
    assert reminders.pass_all(engine, mail_settings, t0, LINKS) == (1, 3)
    assert reminders.pass_all(engine, mail_settings, t0 + timedelta(hours=1), LINKS) == (0, 0)


def test_a_reopened_round_is_a_new_event(engine: Engine, mail_settings: Settings,
                                         panel: Panel) -> None:
    t0 = utcnow()
    round_id = add_round(engine, panel.assembly_id, t0 - timedelta(days=3), t0 - timedelta(days=1))
    assert reminders.pass_all(engine, mail_settings, t0, LINKS)[1] == 0, "closed: nothing due"
    with db.session(engine, write=True) as session:
        item = rounds.programme(session, panel.assembly_id)[0]
        rounds.reopen(session, item, t0 + timedelta(days=4), "More time was asked for.", t0,
                      actor="officer:1")
    assert reminders.pass_all(engine, mail_settings, t0 + timedelta(minutes=1), LINKS)[1] == 3
    with db.session(engine) as session:
        keys = session.exec(select(OutboxMessage.key)).all()
    assert all(k.startswith(f"round:{round_id}:cycle:1:opened:") for k in keys)


def test_without_an_smtp_server_nothing_is_queued_and_tick_says_so(
        engine: Engine, settings: Settings, panel: Panel, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    t0 = utcnow()
    add_round(engine, panel.assembly_id, t0 - timedelta(minutes=5), t0 + timedelta(hours=5))
    assert run_command(["tick"], monkeypatch, settings) == 0
    out = capsys.readouterr().out
    assert "Recorded 1 change of state in 1 programme." in out
    assert "no reminders were queued" in out
    with db.session(engine) as session:
        assert session.exec(select(sa.func.count()).select_from(OutboxMessage)).one() == 0
        assert session.exec(select(sa.func.count()).select_from(ReminderEvent)).one() == 0


def test_tick_queues_the_reminders_when_an_smtp_server_is_set_up(
        engine: Engine, settings: Settings, mailbox: Mailbox, panel: Panel,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    t0 = utcnow()
    add_round(engine, panel.assembly_id, t0 - timedelta(minutes=5), t0 + timedelta(days=5))
    monkeypatch.setenv("MINIPUBLIC_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MINIPUBLIC_SMTP_PORT", str(mailbox.port))
    monkeypatch.setenv("MINIPUBLIC_SMTP_SECURITY", "none")
    monkeypatch.setenv("MINIPUBLIC_MAIL_FROM", "assembly@council.example")
    monkeypatch.setenv("MINIPUBLIC_PUBLIC_URL", "https://assembly.example")
    for _ in range(2):
        assert run_command(["tick"], monkeypatch, settings) == 0
    out = capsys.readouterr().out
    assert "Queued 3 reminder e-mails." in out and "Queued 0 reminder e-mails." in out
    with db.session(engine) as session:
        texts = session.exec(select(OutboxMessage.text)).all()
    assert len(texts) == 3
    assert all("https://assembly.example/home/rounds/" in t for t in texts)


def test_members_stop_and_restart_e_mail_reminders_from_their_home_page(
        app: Any, engine: Engine, settings: Settings, mail_settings: Settings,
        panel: Panel) -> None:
    member_id = panel.members[0].member_id or 0
    with db.session(engine) as session:
        member = session.get(Member, member_id)
        assert member is not None
    with make_client(app) as browser:
        sign_in_member(browser, engine, settings, member)
        page = browser.get("/home").text
        assert "Stop e-mail reminders" in page
        response = post_form(browser, path_for("member_reminders"), {"reminders": "stop"},
                             follow_redirects=False)
        assert response.status_code == 303
        page = browser.get(response.headers["location"]).text
        assert "We will not e-mail you reminders" in page
        assert "E-mail me reminders again" in page
        with db.session(engine) as session:
            assert reminders.opted_out(session, member_id)
        t0 = utcnow()
        add_round(engine, panel.assembly_id, t0 - timedelta(minutes=1), t0 + timedelta(days=5))
        assert reminders.pass_all(engine, mail_settings, t0, LINKS)[1] == 2
        with db.session(engine) as session:
            to = session.exec(select(OutboxMessage.member_id)).all()
        assert member_id not in to

        response = post_form(browser, path_for("member_reminders"), {"reminders": "start"})
        assert "When e-mail reminders start, we will e-mail you" in response.text
        assert "Stop e-mail reminders" in response.text
        with db.session(engine) as session:
            assert not reminders.opted_out(session, member_id)
            actions = [e.action for e in audit.events(session, panel.assembly_id)]
        assert actions.count("member.reminders_stopped") == 1
        assert actions.count("member.reminders_restarted") == 1
        # Saying the same twice changes nothing and logs nothing.
        post_form(browser, path_for("member_reminders"), {"reminders": "start"})
        with db.session(engine) as session:
            actions = [e.action for e in audit.events(session, panel.assembly_id)]
        assert actions.count("member.reminders_restarted") == 1


def test_a_member_without_an_address_is_told_they_get_letters(
        app: Any, engine: Engine, settings: Settings, panel: Panel) -> None:
    with db.session(engine) as session:
        member = session.get(Member, panel.members[2].member_id)
        assert member is not None
    with make_client(app) as browser:
        sign_in_member(browser, engine, settings, member)
        page = browser.get("/home").text
    assert "We do not have an e-mail address for you" in page
    assert "Stop e-mail reminders" not in page


def test_officers_see_undelivered_reminders_and_retry_them(
        engine: Engine, mail_settings: Settings, mailbox: Mailbox, panel: Panel) -> None:
    t0 = utcnow()
    add_round(engine, panel.assembly_id, t0 - timedelta(minutes=1), t0 + timedelta(days=5))
    assert reminders.pass_all(engine, mail_settings, t0, LINKS)[1] == 3
    mailbox.refuse = "550 No such mailbox"
    moment = t0
    for _ in range(outbox.MAX_ATTEMPTS):
        outbox.deliver_due(engine, mail_settings, now=moment)
        moment += timedelta(hours=3)
    with db.session(engine) as session:
        states = session.exec(select(OutboxMessage.state)).all()
    assert states == [MessageState.failed.value] * 3

    app = create_app(mail_settings, engine=engine)
    officer = make_officer(engine, mail_settings)
    with make_client(app) as browser:
        login(browser, officer.email)
        page = browser.get(path_for("programme", assembly_id=panel.assembly_id)).text
        assert "E-mails that could not be delivered" in page
        assert panel.members[0].external_id in page
        assert "550: No such mailbox" in page
        assert page.count(">Retry<") == 3
        assert "No e-mails are waiting to be sent." in page
        assert panel.members[0].email not in page, "officers see references, not addresses"
        with db.session(engine) as session:
            first = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).first()
            assert first is not None
        response = post_form(browser, path_for("mail_retry", assembly_id=panel.assembly_id,
                                               message_id=row_id(first.id)))
        assert "The e-mail is queued again" in response.text
        assert "1 e-mail waiting to be sent" in response.text.replace("<strong>", "").replace(
            "</strong>", "")
        assert response.text.count(">Retry<") == 2
        again = post_form(browser, path_for("mail_retry", assembly_id=panel.assembly_id,
                                            message_id=row_id(first.id)))
        assert "has not failed, so there is nothing to retry" in again.text
    mailbox.refuse = None
    assert outbox.deliver_due(engine, mail_settings).sent == 1
    assert len(mailbox.received) == 1


def test_reminder_letters_are_one_pdf_for_members_without_e_mail_and_hold_no_demographics(
        engine: Engine, officer_client: TestClient, settings: Settings, panel: Panel,
        tmp_path: Path) -> None:
    t0 = utcnow()
    round_id = add_round(engine, panel.assembly_id, t0 - timedelta(minutes=1),
                         t0 + timedelta(days=5))
    page = officer_client.get(path_for("programme", assembly_id=panel.assembly_id)).text
    assert "No e-mail server is set up" in page
    letters_url = path_for("round_reminder_letters", assembly_id=panel.assembly_id,
                           round_id=round_id)
    assert letters_url in page

    response = officer_client.get(letters_url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert "attachment" in response.headers["content-disposition"]
    pdf = tmp_path / "letters.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    # Without an SMTP server, everyone who joined gets a letter (five), one page each.
    assert text.count("“Data in social care” is open") == 5
    with db.session(engine) as session:
        item = rounds.programme(session, panel.assembly_id)[0]
        closes = times.in_words(item.closes_at, "Europe/London", t0)
    assert f"It closes on {closes}." in " ".join(text.split())
    assert "0151 496 0123" in text and "team@example.org" in text
    privacy = "testserver" + path_for("privacy_notice", assembly_id=panel.assembly_id)
    assert text.count(f"Privacy notice: {privacy}") == 5  # in every letter's foot
    for person in panel.members[:5]:
        assert person.name in text
    assert panel.members[5].name not in text, "not joined: their invitation is the letter"
    assert not any(age in text for age in AGES)
    import pikepdf
    with pikepdf.open(pdf) as document:
        assert len(document.pages) == 5
        assert "/StructTreeRoot" in document.Root, "a tagged PDF"


def test_with_e_mail_set_up_letters_go_to_members_without_address_or_who_opted_out(
        engine: Engine, mail_settings: Settings, panel: Panel, tmp_path: Path) -> None:
    t0 = utcnow()
    round_id = add_round(engine, panel.assembly_id, t0 + timedelta(days=1),
                         t0 + timedelta(days=5))
    app = create_app(mail_settings, engine=engine)
    officer = make_officer(engine, mail_settings)
    with make_client(app) as browser:
        login(browser, officer.email)
        page = browser.get(path_for("programme", assembly_id=panel.assembly_id)).text
        assert "3 members get them by e-mail" in page
        response = browser.get(path_for("round_reminder_letters",
                                        assembly_id=panel.assembly_id, round_id=round_id))
    assert response.status_code == 200
    pdf = tmp_path / "letters.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "opens on" in text
    names = [p.name for p in panel.members if p.name in text]
    assert names == [panel.members[1].name, panel.members[2].name]


def test_erasing_a_member_drops_their_opt_out_and_stops_their_reminders(
        engine: Engine, mail_settings: Settings, panel: Panel) -> None:
    from assembly.privacy import personal_data
    from assembly.recruitment.models import Respondent

    erased, opted_out = panel.members[0], panel.members[1]
    with db.session(engine, write=True) as session:
        for person in (erased, opted_out):
            respondent = session.get(Respondent, person.respondent_id)
            assert respondent is not None
            assert personal_data.erase(session, respondent, "officer:1")
    with db.session(engine) as session:
        assert session.get(ReminderOptOut, opted_out.member_id) is None
    t0 = utcnow()
    add_round(engine, panel.assembly_id, t0 - timedelta(minutes=1), t0 + timedelta(days=5))
    assert reminders.pass_all(engine, mail_settings, t0, LINKS)[1] == 2
    with db.session(engine) as session:
        to = set(session.exec(select(OutboxMessage.to_address)).all())
    assert to == {panel.members[3].email, panel.members[4].email}
