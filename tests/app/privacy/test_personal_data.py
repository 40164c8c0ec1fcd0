"""Retention and erasure through the real commands and pages, on both databases."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.testclient import TestClient

from assembly import audit
from assembly.accounts.models import UserSession
from assembly.assemblies.models import Assembly
from assembly.cli import main
from assembly.invitations.models import Invitation
from assembly.recruitment.models import Contact, PoolCount, Profile, Respondent
from assembly.selection.models import Member, SelectionRun
from assembly.settings import Settings
from tests.app.builders import Panel, days_ago, drawn_panel
from tests.app.flows import TEST_SECRET, create_letters, make_client, post_form


@pytest.fixture
def environment(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The commands read settings from the environment, as they do under cron."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MINIPUBLIC_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("MINIPUBLIC_DATA_DIR", str(settings.data_dir))
    return settings


@pytest.fixture
def three(engine: Engine) -> Iterator[tuple[Panel, Panel, Panel]]:
    """Due for purge (drawn 100 days ago, kept 90), not yet due (drawn 10 days ago), never drawn."""
    due = drawn_panel(engine, drawn_at=days_ago(100), retention_days=90, tag="A")
    recent = drawn_panel(engine, drawn_at=days_ago(10), retention_days=90, tag="B")
    undrawn = drawn_panel(engine, drawn_at=days_ago(1), tag="C")
    # "Never drawn": remove the draw and members of the third, as if the officer stopped early.
    from assembly import db
    from assembly.selection.models import Draw

    with db.session(engine, write=True) as session:
        session.exec(sa.delete(Member).where(Member.assembly_id == undrawn.assembly_id))
        session.exec(sa.delete(Draw).where(Draw.assembly_id == undrawn.assembly_id))
    undrawn = Panel(undrawn.assembly_id, [
        p.__class__(**{**p.__dict__, "member_id": None}) for p in undrawn.people])
    yield due, recent, undrawn


def snapshot(dbs: Callable) -> dict[str, object]:
    with dbs() as session:
        return {
            "contacts": {c.respondent_id: (c.name, c.email, c.postcode)
                         for c in session.exec(select(Contact)).all()},
            "profiles": {p.respondent_id: dict(p.values)
                         for p in session.exec(select(Profile)).all()},
            "respondents": {r.id: (r.erased, r.external_id)
                            for r in session.exec(select(Respondent)).all()},
            "pool_counts": sorted((c.assembly_id, c.feature, c.value, c.count)
                                  for c in session.exec(select(PoolCount)).all()),
            "members": sorted((m.id, m.status) for m in session.exec(select(Member)).all()),
            "auditor": {r.assembly_id: bool(r.lottery["auditor"])
                        for r in session.exec(select(SelectionRun)).all()},
        }


def test_purge_dry_run_changes_nothing(environment: Settings, three: tuple[Panel, Panel, Panel],
                                       dbs: Callable, capsys: pytest.CaptureFixture[str]) -> None:
    due, recent, undrawn = three
    before = snapshot(dbs)
    assert main(["purge", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"Assembly {due.assembly_id} " in out
    assert f"would delete the contact details and profiles of {len(due.not_drawn)} respondents" in out
    assert f"Assembly {recent.assembly_id} " in out
    assert f"Respondents not drawn: {len(recent.not_drawn)} kept until" in out
    assert f"Assembly {undrawn.assembly_id} " in out and "not drawn yet" in out
    assert "Dry run: nothing was changed" in out
    assert snapshot(dbs) == before


def test_purge_removes_what_it_should_and_nothing_else(
        environment: Settings, three: tuple[Panel, Panel, Panel], dbs: Callable,
        capsys: pytest.CaptureFixture[str]) -> None:
    due, recent, undrawn = three
    before = snapshot(dbs)
    assert main(["purge"]) == 0
    out = capsys.readouterr().out
    assert f"deleted the contact details and profiles of {len(due.not_drawn)} respondents" in out
    after = snapshot(dbs)

    gone = {p.respondent_id for p in due.not_drawn}
    assert len(gone) == 4
    expected_contacts = {k: v for k, v in before["contacts"].items() if k not in gone}  # type: ignore[attr-defined]
    expected_profiles = {k: v for k, v in before["profiles"].items() if k not in gone}  # type: ignore[attr-defined]
    assert after["contacts"] == expected_contacts
    assert after["profiles"] == expected_profiles
    # Rows stay (the published lottery refers to pool ids); only the purged ones are marked.
    assert {k: v[1] for k, v in after["respondents"].items()} == \
        {k: v[1] for k, v in before["respondents"].items()}  # type: ignore[attr-defined]
    assert {k for k, v in after["respondents"].items() if v[0]} == gone  # type: ignore[attr-defined]
    assert after["pool_counts"] == before["pool_counts"]
    assert after["members"] == before["members"]
    # The auditor's files (everyone's answers behind the salts) go with the profiles.
    assert before["auditor"] == {due.assembly_id: True, recent.assembly_id: True,
                                 undrawn.assembly_id: True}
    assert after["auditor"] == {**before["auditor"], due.assembly_id: False}  # type: ignore[dict-item]

    with dbs() as session:
        purged = session.get(Assembly, due.assembly_id)
        assert purged is not None and purged.purged_at is not None
        assert session.get(Assembly, recent.assembly_id).purged_at is None  # type: ignore[union-attr]
        events = audit.events(session, due.assembly_id)
        assert events[-1].action == "personal_data.purged"
        assert events[-1].details == {"group": "not_drawn", "respondents": 4,
                                      "retention_days": 90, "counted_from": "draw"}
        assert audit.verify_events(events).ok

    # Running it again (cron does, nightly) finds nothing more to do.
    assert main(["purge"]) == 0
    assert "nothing left to delete" in capsys.readouterr().out
    assert snapshot(dbs) == after


def test_purge_deletes_long_ended_sessions_only(
        environment: Settings, engine: Engine, settings: Settings, dbs: Callable,
        member: Member) -> None:
    from assembly import db, sessions

    with db.session(engine, write=True) as session:
        live = sessions.start(session, settings, member=member)
        old = sessions.start(session, settings, member=member, now=days_ago(200))
    assert main(["purge"]) == 0
    with dbs() as session:
        left = {s.token_hash for s in session.exec(select(UserSession)).all()}
    assert left == {sessions.token_hash(live)}
    assert sessions.token_hash(old) not in left


def test_erase_command_blanks_one_person_and_keeps_the_row(
        environment: Settings, engine: Engine, settings: Settings, dbs: Callable,
        capsys: pytest.CaptureFixture[str]) -> None:
    panel = drawn_panel(engine)
    person, other = panel.members[0], panel.people[-1]
    from assembly import db, sessions
    from assembly.invitations import credentials

    with db.session(engine, write=True) as session:
        member = session.get(Member, person.member_id)
        assert member is not None
        issued = credentials.issue(session, [member], days=28, officer_id=None)
        token = sessions.start(session, settings, member=member)
    before = snapshot(dbs)

    assert main(["erase", "--", person.public_id]) == 0
    assert f"Erased the contact details and profile of respondent {person.public_id}" in \
        capsys.readouterr().out
    after = snapshot(dbs)
    assert after["contacts"][person.respondent_id] == ("", "", "")  # type: ignore[index]
    assert after["profiles"][person.respondent_id] == {}  # type: ignore[index]
    assert after["respondents"][person.respondent_id] == (True, person.external_id)  # type: ignore[index]
    for key in ("contacts", "profiles"):
        assert {k: v for k, v in after[key].items() if k != person.respondent_id} == \
            {k: v for k, v in before[key].items() if k != person.respondent_id}  # type: ignore[attr-defined]
    assert after["contacts"][other.respondent_id] == (other.name, other.email, other.postcode)  # type: ignore[index]

    with dbs() as session:
        member = session.get(Member, person.member_id)
        assert member is not None and member.status == "declined"
        assert all(i.revoked_at is not None for i in session.exec(
            select(Invitation).where(Invitation.member_id == person.member_id)).all())
        assert credentials.inspect(session, credentials.link_hash(issued[0].token)) is \
            credentials.State.replaced
        assert sessions.lookup(session, settings, token)[0].kind == "anonymous"
        event = audit.events(session, panel.assembly_id)[-1]
        assert event.action == "respondent.erased"
        assert event.details["respondent"] == person.public_id
        assert person.name not in str(event.details) and person.email not in str(event.details)

    # By people-file id within an assembly; a second time is harmless.
    assert main(["erase", "--assembly", str(panel.assembly_id), person.external_id]) == 0
    assert "had already been erased" in capsys.readouterr().out
    assert main(["erase", "no-such-person"]) == 1
    assert "There is no respondent with the id 'no-such-person'" in capsys.readouterr().err


def test_officer_finds_a_person_by_email_and_erases_them(
        officer_client: TestClient, engine: Engine, dbs: Callable) -> None:
    panel = drawn_panel(engine)
    person = panel.not_drawn[0]
    url = f"/assemblies/{panel.assembly_id}/personal-data"
    page = officer_client.get(url)
    assert page.status_code == 200 and "Erase one person" in page.text

    missing = post_form(officer_client, f"{url}/find", {"reference": "nobody@example.org"})
    assert missing.status_code == 422 and "Nobody in this assembly" in missing.text
    found = post_form(officer_client, f"{url}/find", {"reference": person.email.upper()})
    assert found.status_code == 200
    assert person.external_id in found.text and person.name in found.text
    action = f"/assemblies/{panel.assembly_id}/respondents/{person.public_id}/erase"
    assert f'action="{action}"' in found.text
    with dbs() as session:  # finding erases nothing
        assert session.get(Contact, person.respondent_id).name == person.name  # type: ignore[union-attr]

    done = post_form(officer_client, action)
    assert done.status_code == 200 and "have been erased" in done.text
    with dbs() as session:
        contact = session.get(Contact, person.respondent_id)
        assert contact is not None and contact.name == "" and contact.email == ""
        respondent = session.get(Respondent, person.respondent_id)
        assert respondent is not None and respondent.erased
    again = post_form(officer_client, action)
    assert "had already been erased" in again.text


def test_erasing_someone_from_another_assembly_is_refused(
        officer_client: TestClient, engine: Engine, dbs: Callable) -> None:
    first, second = drawn_panel(engine, tag="X"), drawn_panel(engine, tag="Y")
    person = second.people[0]
    response = post_form(officer_client, f"/assemblies/{first.assembly_id}/respondents/"
                                         f"{person.public_id}/erase")
    assert "belongs to another assembly" in response.text
    with dbs() as session:
        assert session.get(Contact, person.respondent_id).name == person.name  # type: ignore[union-attr]


def test_no_personal_data_in_logs_through_a_whole_journey(
        app: object, engine: Engine, settings: Settings, officer_client: TestClient,
        environment: Settings, caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Invite, redeem with link and code, fail a code, erase, purge: log at DEBUG throughout and
    look for every name, e-mail address, postcode and demographic value in what was logged."""
    import logging

    caplog.set_level(logging.DEBUG)
    panel = drawn_panel(engine, drawn_at=days_ago(100), retention_days=90)
    response = create_letters(officer_client, f"/assemblies/{panel.assembly_id}/invitations")
    assert response.status_code == 200
    import csv
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        rows = list(csv.DictReader(io.StringIO(
            archive.read("mail-merge.csv").decode("utf-8-sig"))))
    with make_client(app) as resident:  # type: ignore[arg-type]
        token = rows[0]["invitation_link"].rsplit("/", 1)[1]
        resident.get(f"/invite/{token}")
        post_form(resident, f"/invite/{token}")
        resident.get("/home")
        post_form(resident, "/invite", {"code": rows[1]["invitation_code"]})
        post_form(resident, "/invite", {"code": "WRONG-CODE"})
    post_form(officer_client, f"/assemblies/{panel.assembly_id}/personal-data/find",
              {"reference": panel.members[2].email})
    officer_client.get(f"/assemblies/{panel.assembly_id}/invitations")
    assert main(["erase", "--", panel.members[2].public_id]) == 0
    assert main(["purge"]) == 0

    logged = "\n".join(record.getMessage() + repr(record.args) for record in caplog.records)
    logged += capsys.readouterr().out
    assert caplog.records, "nothing was logged; the test would prove nothing"
    for person in panel.people:
        for value in (person.name, person.name.split()[1], person.email, person.postcode):
            assert value not in logged, f"{value!r} appears in the logs"
    for age in ("16-29", "30-44", "45-64", "65+"):
        assert age not in logged
    for row in rows:  # the secrets that open a member's account are not logged either
        assert row["invitation_code"] not in logged
