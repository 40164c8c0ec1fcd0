"""Retention that fits the assembly's calendar, through the real page and command, on both
databases: respondents who were not drawn go some days after the draw; panel members and reserves
(who may be called up to the last meeting) only some days after the assembly ends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.testclient import TestClient

from assembly import audit, db
from assembly.assemblies.models import Assembly
from assembly.cli import main
from assembly.privacy import personal_data
from assembly.recruitment.models import Contact, Profile, Respondent
from assembly.settings import Settings
from tests.app.builders import Panel, days_ago, drawn_panel
from tests.app.flows import HTMX, TEST_SECRET, post_form


@pytest.fixture
def environment(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The commands read settings from the environment, as they do under cron."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MINIPUBLIC_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("MINIPUBLIC_DATA_DIR", str(settings.data_dir))
    return settings


def held(dbs: Callable, people: list) -> set[int]:
    """Which of these people still have contact details and a profile."""
    ids = [p.respondent_id for p in people]
    with dbs() as session:
        contacts = {c.respondent_id for c in session.exec(select(Contact)).all()
                    if c.respondent_id in ids and c.email}
        profiles = {p.respondent_id for p in session.exec(select(Profile)).all()
                    if p.respondent_id in ids and p.values}
    return contacts & profiles


def set_ends_on(engine: Engine, assembly_id: int, ends_on: date | None) -> None:
    with db.session(engine, write=True) as session:
        assembly = session.get(Assembly, assembly_id)
        assert assembly is not None
        assembly.ends_on = ends_on
        session.add(assembly)


def test_reserves_are_kept_until_after_the_assembly_ends(
        environment: Settings, engine: Engine, dbs: Callable,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The demo's calendar: drawn now, ends in eight months, default retention (90 days)."""
    today = date.today()
    panel = drawn_panel(engine, respondents=10, panel=3, reserves=2,
                        ends_on=today + timedelta(days=243))
    drawn, not_drawn = panel.members, panel.not_drawn
    assert len(drawn) == 5 and len(not_drawn) == 5
    everyone = {p.respondent_id for p in panel.people}

    with dbs() as session:
        item = personal_data.plan_for(session, panel.assembly_id)
        later = personal_data.plan_for(session, panel.assembly_id,
                                       now=days_ago(-91))  # 91 days from now
    assert item.respondents == 0
    assert item.drawn.due_at == personal_data.end_of(today + timedelta(days=243)) + timedelta(90)
    assert item.drawn.due_at > item.not_drawn.due_at + timedelta(days=200)  # type: ignore[operator]
    assert item.not_drawn.due_at is not None and item.drawn_at is not None
    assert item.not_drawn.due_at - item.drawn_at == timedelta(days=90)
    # 91 days after the draw: the respondents not drawn are due, the reserves are not.
    assert (later.not_drawn.due_now, later.drawn.due_now) == (5, 0)

    assert main(["purge"]) == 0
    assert held(dbs, panel.people) == everyone  # nothing is due yet

    # Move the draw 91 days into the past (the same calendar, 91 days on): only the respondents
    # who were not drawn go; the panel and its reserves are still needed.
    with db.session(engine, write=True) as session:
        from assembly.selection.models import Draw

        record = session.exec(select(Draw).where(Draw.assembly_id == panel.assembly_id)).one()
        record.drawn_at = days_ago(91)
        session.add(record)
    set_ends_on(engine, panel.assembly_id, today + timedelta(days=243 - 91))
    assert main(["purge", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Respondents not drawn: kept until" in out
    assert "would delete the contact details and profiles of 5 respondents" in out
    assert "Panel members and reserves: 5 kept until" in out
    assert main(["purge"]) == 0
    assert held(dbs, panel.people) == {p.respondent_id for p in drawn}

    # The assembly ended 91 days ago: now the panel's and the reserves' details go too.
    set_ends_on(engine, panel.assembly_id, today - timedelta(days=92))
    assert main(["purge"]) == 0
    assert "Panel members and reserves: kept until" in capsys.readouterr().out
    assert held(dbs, panel.people) == set()
    with dbs() as session:
        events = [e for e in audit.events(session, panel.assembly_id)
                  if e.action == "personal_data.purged"]
        respondents = session.exec(select(Respondent).where(
            Respondent.assembly_id == panel.assembly_id)).all()
    assert [e.details for e in events] == [
        {"group": "not_drawn", "respondents": 5, "retention_days": 90, "counted_from": "draw"},
        {"group": "drawn", "respondents": 5, "retention_days": 90, "counted_from": "end"},
    ]
    assert all(r.erased for r in respondents)  # the rows stay, marked


def test_without_an_end_date_the_page_and_the_command_say_what_is_assumed(
        environment: Settings, engine: Engine, officer_client: TestClient,
        capsys: pytest.CaptureFixture[str]) -> None:
    panel = drawn_panel(engine, drawn_at=days_ago(10))
    page = officer_client.get(f"/assemblies/{panel.assembly_id}/personal-data")
    assert page.status_code == 200
    assert "No end date is set, so the assembly is taken to end" in page.text
    assert f'href="/assemblies/{panel.assembly_id}/edit"' in page.text
    with db.session(engine) as session:
        item = personal_data.plan_for(session, panel.assembly_id)
    assert item.end_assumed and item.drawn_at is not None
    assert item.drawn.due_at == item.drawn_at + personal_data.ASSUMED_LENGTH + timedelta(90)
    assert main(["purge", "--dry-run"]) == 0
    assert "No end date is set" in capsys.readouterr().out

    set_ends_on(engine, panel.assembly_id, date.today() + timedelta(days=30))
    page = officer_client.get(f"/assemblies/{panel.assembly_id}/personal-data")
    assert "No end date is set" not in page.text


def deletion_dates(page: str) -> list[str]:
    """The "Deleted from" cell of each group, as the page shows it."""
    import re

    return re.findall(r'<td><time datetime="([^"]+)">', page)


def test_changing_retention_on_the_page_changes_the_plan_and_is_audited(
        officer_client: TestClient, engine: Engine, dbs: Callable) -> None:
    ends = date.today() + timedelta(days=100)
    panel: Panel = drawn_panel(engine, drawn_at=days_ago(5), ends_on=ends)
    url = f"/assemblies/{panel.assembly_id}/personal-data"
    before = deletion_dates(officer_client.get(url).text)
    assert len(before) == 2

    response = post_form(officer_client, f"{url}/retention",
                         {"retention_days": "30", "member_retention_days": "180"})
    assert response.status_code == 200 and "Retention periods saved" in response.text
    with dbs() as session:
        item = personal_data.plan_for(session, panel.assembly_id)
        event = audit.events(session, panel.assembly_id)[-1]
    assert item.drawn_at is not None
    assert item.not_drawn.due_at == item.drawn_at + timedelta(days=30)
    assert item.drawn.due_at == personal_data.end_of(ends) + timedelta(days=180)
    assert deletion_dates(response.text) == [item.not_drawn.due_at.isoformat(),  # type: ignore[union-attr]
                                             item.drawn.due_at.isoformat()]  # type: ignore[union-attr]
    assert deletion_dates(response.text) != before
    assert event.action == "retention.changed"
    assert event.details == {"retention_days": {"from": 90, "to": 30},
                             "member_retention_days": {"from": 90, "to": 180}}

    # Saving the same values again changes nothing and writes no event.
    response = post_form(officer_client, f"{url}/retention",
                         {"retention_days": "30", "member_retention_days": "180"})
    assert "unchanged" in response.text
    with dbs() as session:
        assert audit.events(session, panel.assembly_id)[-1].id == event.id


@pytest.mark.parametrize("values", [
    {"retention_days": "", "member_retention_days": "90"},
    {"retention_days": "ninety", "member_retention_days": "90"},
    {"retention_days": "90", "member_retention_days": "-1"},
    {"retention_days": "90", "member_retention_days": "3651"},
    {"retention_days": "9" * 40, "member_retention_days": "90"},
])
def test_retention_that_cannot_be_used_is_refused_with_a_message(
        officer_client: TestClient, engine: Engine, dbs: Callable,
        values: dict[str, str]) -> None:
    panel = drawn_panel(engine)
    url = f"/assemblies/{panel.assembly_id}/personal-data/retention"
    response = post_form(officer_client, url, values, htmx=True)
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<div id="retention-panel">')
    assert "as a whole number from 0 to 3,650" in response.text
    assert 'aria-invalid="true"' in response.text
    plain = post_form(officer_client, url, values)
    assert plain.status_code == 422 and "<html" in plain.text
    with dbs() as session:
        assembly = session.get(Assembly, panel.assembly_id)
        assert assembly is not None
        assert (assembly.retention_days, assembly.member_retention_days) == (90, 90)
        assert not [e for e in audit.events(session, panel.assembly_id)
                    if e.action == "retention.changed"]


def test_htmx_save_goes_back_to_the_page(officer_client: TestClient, engine: Engine) -> None:
    panel = drawn_panel(engine)
    response = officer_client.post(
        f"/assemblies/{panel.assembly_id}/personal-data/retention",
        data={"retention_days": "60", "member_retention_days": "90"},
        headers={**HTMX, "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/assemblies/{panel.assembly_id}/personal-data"
