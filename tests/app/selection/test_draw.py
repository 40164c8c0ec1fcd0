"""The public draw, the panel, reserves and replacing a drop-out, through the real app."""

from __future__ import annotations

import html
from collections.abc import Callable

import numpy as np
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from assembly import audit
from assembly.assemblies.models import Assembly
from assembly.audit import AuditEvent
from assembly.recruitment.models import Respondent
from assembly.recruitment.pool import instance_from_db
from assembly.selection import panel
from assembly.selection.models import Draw, Member, SelectionRun
from assembly.settings import Settings
from sortition import draw as public_draw
from sortition.commitment import opening_hash
from tests.app.builders import synthetic
from tests.app.flows import (
    loaded,
    make_client,
    post_form,
    sign_in_member,
    start,
    wait_for,
)

SEED = " 07 19  23 31 42 48 "


@pytest.fixture
def selected(officer_client: TestClient) -> tuple[int, str]:
    """An assembly with a finished selection (leximin, panel of 12) ready to draw."""
    assembly_id = loaded(officer_client, synthetic())
    url = start(officer_client, assembly_id)
    wait_for(officer_client, url)
    return assembly_id, url


def panel_ids(dbs: Callable, assembly_id: int) -> list[str]:
    with dbs() as session:
        members = panel.panel_members(session, assembly_id)
        return sorted(session.get(Respondent, m.respondent_id).public_id for m in members)


@pytest.mark.slow
def test_draw_is_reproducible_and_replacement_keeps_quotas(
        selected: tuple[int, str], officer_client: TestClient, dbs: Callable, app: Starlette,
        engine: Engine, settings: Settings) -> None:
    assembly_id, url = selected
    # The seed and the confirmation are required; nothing is drawn without them.
    response = post_form(officer_client, f"{url}/draw", {"seed": "  "}, htmx=True)
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<form method="post"')
    assert 'href="#field-seed"' in response.text and 'href="#field-confirm"' in response.text
    with dbs() as session:
        assert session.exec(select(Draw)).all() == []

    response = post_form(officer_client, f"{url}/draw", {"seed": SEED, "confirm": "yes"},
                         follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/assemblies/{assembly_id}/panel"
    with dbs() as session:
        run = session.exec(select(SelectionRun).where(SelectionRun.assembly_id == assembly_id)).one()
        record = session.exec(select(Draw)).one()
        assembly = session.get(Assembly, assembly_id)
        reserves = panel.reserve_members(session, assembly_id)
    # Anyone can repeat the draw from the commitment, the seed and the published lottery.
    ticket = public_draw.pick_ticket(run.commitment, "07 19 23 31 42 48", 1000)
    assert record.seed == "07 19 23 31 42 48" and record.ticket == ticket
    expected = sorted(run.marginals["ids"][i] for i in run.lottery["tickets"][ticket - 1])
    assert sorted(record.panel) == expected == panel_ids(dbs, assembly_id)
    assert assembly.status == "drawn"
    assert len(reserves) == len(record.reserves) > 0
    assert not set(record.reserves) & set(record.panel)
    # The published draw.json opens the drawn ticket's committed hash (test_publication.py
    # checks it all with minipublic verify).
    published = officer_client.get(f"{url}/files/draw.json").json()
    assert published["ticket"] == ticket and len(published["panel"]) == 12
    lottery_csv = officer_client.get(f"{url}/files/lottery.csv").text.splitlines()
    assert lottery_csv[ticket].split(",") == [str(ticket), opening_hash(
        ticket, published["salt"], published["panel"])]

    page = officer_client.get(f"/assemblies/{assembly_id}/panel")
    assert page.status_code == 200
    assert "The panel has been drawn: ticket" in page.text
    assert page.text.count(">Record drop-out<") == 12
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in page.text

    # The draw cannot be repeated, with the same seed or another.
    again = post_form(officer_client, f"{url}/draw", {"seed": "1 2 3", "confirm": "yes"})
    assert again.status_code == 422
    assert "already been drawn" in html.unescape(again.text)

    # A drop-out is replaced by the first reserve that keeps every quota.
    with dbs() as session:
        leaving = panel.panel_members(session, assembly_id)[0]
        leaving_public = session.get(Respondent, leaving.respondent_id).public_id
        leaving_reference = session.get(Respondent, leaving.respondent_id).external_id
    # The leaving member has already joined online; leaving the panel must end that session.
    leaver = make_client(app)
    sign_in_member(leaver, engine, settings, leaving)
    assert leaver.get("/home", follow_redirects=False).status_code == 200
    drop_out = f"/assemblies/{assembly_id}/members/{leaving.id}/drop-out"
    assert f'href="{drop_out}"' in page.text
    confirm = officer_client.get(drop_out)
    assert "This cannot be undone" in confirm.text and leaving_reference in confirm.text
    assert leaving_public not in confirm.text and leaving.public_id not in confirm.text
    unconfirmed = post_form(officer_client, drop_out, {"reason": "declined"})
    assert unconfirmed.status_code == 422 and 'href="#field-confirm"' in unconfirmed.text
    assert panel_ids(dbs, assembly_id) == expected  # nothing changed
    response = post_form(officer_client, drop_out, {"reason": "declined", "confirm": "yes"},
                         follow_redirects=True)
    assert "takes the seat and every quota is still met" in response.text
    assert f"{leaving_reference} has left the panel" in response.text
    with dbs() as session:
        now = panel_ids(dbs, assembly_id)
        assert leaving_public not in now and len(now) == 12
        gone = session.get(Member, leaving.id)
        assert gone.status == "replaced" and gone.replaced_by is not None
    assert leaver.get("/home", follow_redirects=False).status_code != 200
    leaver.close()
    with dbs() as session:
        instance = instance_from_db(session, assembly_id, 12)
        index = {p: i for i, p in enumerate(instance.pool.ids)}
        assert instance.is_feasible_panel(np.array(sorted(index[p] for p in now)))
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "member.replaced")).one()
        assert event.details["leaving"] == leaving_public
        assert event.details["reason"] == "declined"
        assert event.details["joining"] in now
        # Every step is in the log, and the chain verifies.
        actions = session.exec(select(AuditEvent.action).where(
            AuditEvent.assembly_id == assembly_id).order_by(AuditEvent.seq)).all()
        assert actions == ["assembly.created", "pool.uploaded", "selection.started",
                           "selection.finished", "draw.performed", "member.replaced"]
        assert audit.verify_chain(session, assembly_id).ok
    log = officer_client.get(f"/assemblies/{assembly_id}/audit").text
    assert "Chain intact." in log
    assert "Panel drawn in public" in log and f"Ticket {record.ticket} of 1,000" in log
    assert f"{leaving_reference} declined; replaced by" in log and leaving_public not in log
    # Once drawn, the pool and quotas are locked.
    locked = officer_client.get(f"/assemblies/{assembly_id}/pool").text
    assert "The panel has been drawn, so the pool and quotas can no longer change." in locked


def test_replacing_without_a_draw_says_so(officer_client: TestClient, dbs: Callable) -> None:
    assembly_id = loaded(officer_client)
    with dbs(write=True) as session:
        respondent = session.exec(select(Respondent).where(
            Respondent.assembly_id == assembly_id)).first()
        member = Member(assembly_id=assembly_id, respondent_id=respondent.id)
        session.add(member)
        session.flush()
        member_id = member.id
    response = post_form(officer_client, f"/assemblies/{assembly_id}/members/{member_id}/drop-out",
                         {"confirm": "yes"}, follow_redirects=True)
    assert "The panel has not been drawn yet." in response.text
    page = officer_client.get(f"/assemblies/{assembly_id}/panel").text
    assert "The panel has not been drawn yet." in page
