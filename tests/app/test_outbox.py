"""The outbox against a real SMTP server (aiosmtpd on a free local port): each message reaches
the server exactly once, also with two workers at once; failures are retried, then kept."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import select

from assembly import audit, db, mail, outbox
from assembly.app import create_app
from assembly.outbox import MessageState, OutboxMessage
from assembly.settings import Settings
from assembly.tables import utcnow
from tests.app.flows import make_client, run_command
from tests.app.mailbox import Mailbox
from tests.app.servers import free_port


def letter(n: int = 1) -> mail.Letter:
    return mail.Letter(to=f"resident{n}@example.org", subject=f"Round {n} is open",
                       text=f"Hello, round {n} is open.\n", html=f"<p>Round {n} is open.</p>")


def queue(engine: Engine, count: int, *, key: str = "event") -> None:
    with db.session(engine, write=True) as session:
        for n in range(count):
            outbox.enqueue(session, key=f"{key}:{n}", assembly_id=1, kind="reminder",
                           letter=letter(n), member_id=n + 1)


def rows(engine: Engine) -> list[OutboxMessage]:
    with db.session(engine) as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())


def test_a_message_is_queued_once_per_key_and_sent_once(engine: Engine, mail_settings: Settings,
                                                        mailbox: Mailbox) -> None:
    with db.session(engine, write=True) as session:
        assert outbox.enqueue(session, key="round:1:opened:member:5", assembly_id=1,
                              kind="reminder", letter=letter(), member_id=5)
    with db.session(engine, write=True) as session:
        assert not outbox.enqueue(session, key="round:1:opened:member:5", assembly_id=1,
                                  kind="reminder", letter=letter(), member_id=5)

    assert outbox.deliver_due(engine, mail_settings) == outbox.Delivery(sent=1)
    assert outbox.deliver_due(engine, mail_settings) == outbox.Delivery()

    [received] = mailbox.received
    assert received["Subject"] == "Round 1 is open"
    assert received["To"] == "resident1@example.org"
    assert "assembly@council.example" in received["From"]
    assert received["Message-ID"].endswith("@council.example>")
    parts = {part.get_content_type(): part.get_payload(decode=True).decode()
             for part in received.walk() if not part.is_multipart()}
    assert parts["text/plain"].strip() == "Hello, round 1 is open."
    assert parts["text/html"].strip() == "<p>Round 1 is open.</p>"
    [row] = rows(engine)
    assert row.state == MessageState.sent and row.sent_at is not None and row.attempts == 1
    assert (row.text, row.html) == ("", ""), "a sent message's body is not kept"


def test_two_workers_at_once_send_each_message_exactly_once(
        database_url_and_engine: tuple[str, Engine], mail_settings: Settings,
        mailbox: Mailbox) -> None:
    url, engine = database_url_and_engine
    queue(engine, 60)
    other = db.make_engine(url) if engine.dialect.name == "postgresql" else engine
    engines = [engine, other, engine, other]
    start = threading.Barrier(len(engines))

    def work(worker_engine: Engine) -> None:
        start.wait()
        while outbox.deliver_due(worker_engine, mail_settings, limit=7).sent:
            pass

    threads = [threading.Thread(target=work, args=(worker_engine,)) for worker_engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    if other is not engine:
        other.dispose()

    subjects = mailbox.subjects()
    assert sorted(subjects) == sorted(f"Round {n} is open" for n in range(60))
    assert {row.state for row in rows(engine)} == {MessageState.sent}


def test_a_refused_message_is_retried_then_kept_as_failed_for_officers(
        engine: Engine, mail_settings: Settings, mailbox: Mailbox) -> None:
    queue(engine, 1)
    mailbox.refuse = "550 No such mailbox here"
    now = utcnow()
    assert outbox.deliver_due(engine, mail_settings, now=now) == outbox.Delivery(retrying=1)
    [row] = rows(engine)
    assert row.state == MessageState.queued and row.attempts == 1
    assert row.next_attempt_at == now + timedelta(minutes=1)
    assert "550" in row.last_error and "No such mailbox" in row.last_error
    # Not due again until the pause is over.
    assert outbox.deliver_due(engine, mail_settings, now=now + timedelta(seconds=59)) == \
        outbox.Delivery()

    for attempt in range(2, outbox.MAX_ATTEMPTS + 1):
        now = now + outbox.pause_after(attempt - 1)
        expected = (outbox.Delivery(failed=1) if attempt == outbox.MAX_ATTEMPTS
                    else outbox.Delivery(retrying=1))
        assert outbox.deliver_due(engine, mail_settings, now=now) == expected
    [row] = rows(engine)
    assert row.state == MessageState.failed and row.attempts == outbox.MAX_ATTEMPTS
    assert outbox.deliver_due(engine, mail_settings, now=now + timedelta(days=1)) == \
        outbox.Delivery()
    with db.session(engine) as session:
        assert [message.id for message in outbox.failures(session, 1)] == [row.id]
        [event] = [event for event in audit.events(session, 1) if event.action == "mail_failed"]
        assert event.actor == "outbox" and event.details["attempts"] == outbox.MAX_ATTEMPTS
    assert mailbox.received == []

    # Once the problem is fixed, an officer puts it back in the queue and it goes.
    mailbox.refuse = None
    with db.session(engine, write=True) as session:
        outbox.retry(session, 1, row.id, "officer:1", now=now)
    assert outbox.deliver_due(engine, mail_settings, now=now) == outbox.Delivery(sent=1)
    assert mailbox.subjects() == ["Round 0 is open"]


def test_retrying_a_message_that_has_not_failed_is_refused(engine: Engine) -> None:
    queue(engine, 1)
    [row] = rows(engine)
    with db.session(engine, write=True) as session, pytest.raises(outbox.NotRetryable,
                                                                  match="has not failed"):
        outbox.retry(session, 1, row.id, "officer:1")
    with db.session(engine, write=True) as session, pytest.raises(outbox.NotRetryable,
                                                                  match="does not exist"):
        outbox.retry(session, 2, row.id, "officer:1")


def test_a_server_nobody_answers_on_is_retried(engine: Engine, settings: Settings) -> None:
    closed = settings.replace(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_security="none",
                              mail_from="assembly@council.example")
    queue(engine, 2)
    assert outbox.deliver_due(engine, closed) == outbox.Delivery(retrying=2)
    assert all("could not be reached" in row.last_error for row in rows(engine))


def test_a_lease_keeps_a_message_from_a_second_worker_until_it_ends(engine: Engine) -> None:
    queue(engine, 3)
    now = utcnow()
    with db.session(engine, write=True) as session:
        first = outbox.claim(session, holder="a", now=now)
    with db.session(engine, write=True) as session:
        assert outbox.claim(session, holder="b", now=now + timedelta(minutes=9)) == []
    with db.session(engine, write=True) as session:
        again = outbox.claim(session, holder="b", now=now + outbox.LEASE + timedelta(seconds=1))
    assert [m.id for m in again] == [m.id for m in first]
    assert all(m.attempts == 2 for m in again)


def test_each_server_process_delivers_on_its_own_and_two_never_send_twice(
        database_url_and_engine: tuple[str, Engine], mail_settings: Settings,
        mailbox: Mailbox) -> None:
    url, engine = database_url_and_engine
    second_engine = db.make_engine(url) if engine.dialect.name == "postgresql" else engine
    apps = [create_app(mail_settings, engine=engine),
            create_app(mail_settings, engine=second_engine)]
    queue(engine, 25)
    with make_client(apps[0]), make_client(apps[1]):
        deadline = time.monotonic() + 30
        while len(mailbox.subjects()) < 25 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.5)  # a further pass of each loop, which must find nothing left to send
    if second_engine is not engine:
        second_engine.dispose()
    assert sorted(mailbox.subjects()) == sorted(f"Round {n} is open" for n in range(25))


def test_send_mail_command(engine: Engine, mail_settings: Settings, settings: Settings,
                           mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str]) -> None:
    assert run_command(["send-mail"], monkeypatch, settings) == 2
    assert "no e-mail server is set up" in capsys.readouterr().err

    queue(engine, 120)
    monkeypatch.setenv("MINIPUBLIC_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MINIPUBLIC_SMTP_PORT", str(mailbox.port))
    monkeypatch.setenv("MINIPUBLIC_SMTP_SECURITY", "none")
    monkeypatch.setenv("MINIPUBLIC_MAIL_FROM", "assembly@council.example")
    assert run_command(["send-mail"], monkeypatch, settings) == 0
    assert "Sent 120; 0 to try again later; 0 could not be delivered." in capsys.readouterr().out
    assert len(mailbox.received) == 120


def test_purge_forgets_sent_mail_after_a_while(engine: Engine) -> None:
    queue(engine, 2)
    long_ago = utcnow() - timedelta(days=100)
    with db.session(engine, write=True) as session:
        session.execute(sa.update(OutboxMessage).where(OutboxMessage.key == "event:0")
                        .values(state="sent", sent_at=long_ago))
        assert outbox.purge_sent(session, older_than=timedelta(days=90)) == 1
    assert [row.key for row in rows(engine)] == ["event:1"]


@pytest.mark.parametrize(("changes", "message"), [
    ({"smtp_security": "tls"}, "use starttls, ssl or none"),
    ({"smtp_host": "smtp.example.org"}, "MINIPUBLIC_MAIL_FROM"),
    ({"smtp_host": "smtp.example.org", "mail_from": "a@b.example", "smtp_password": "secret",
      "smtp_security": "none"}, "unencrypted"),
])
def test_mail_settings_that_cannot_work_are_refused(settings: Settings, changes: dict[str, Any],
                                                    message: str) -> None:
    from assembly.settings import SettingsError

    with pytest.raises(SettingsError, match=message):
        settings.replace(**changes).check()


def test_erasing_a_member_deletes_their_mail(engine: Engine) -> None:
    from assembly.privacy import personal_data
    from assembly.recruitment.models import Respondent
    from tests.app.builders import drawn_panel

    panel = drawn_panel(engine)
    erased, kept = panel.members[0], panel.members[1]
    with db.session(engine, write=True) as session:
        for person in (erased, kept):
            outbox.enqueue(session, key=f"welcome:{person.member_id}", kind="reminder",
                           assembly_id=panel.assembly_id, member_id=person.member_id,
                           letter=mail.Letter(to=person.email, subject="Welcome", text="Hi"))
    with db.session(engine, write=True) as session:
        respondent = session.get(Respondent, erased.respondent_id)
        assert respondent is not None
        personal_data.erase(session, respondent, "officer:1")
    assert [row.member_id for row in rows(engine)] == [kept.member_id]
