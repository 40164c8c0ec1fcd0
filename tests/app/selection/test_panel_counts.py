"""Every page counts the panel the same way (`on_panel()`): after an erasure and after a
replacement, the list of assemblies, the overview, the panel page and the invitations page agree
with the number of members who hold a seat."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from assembly.selection import panel
from assembly.selection.models import Member, MemberStatus
from tests.app.builders import drawn_panel, synthetic
from tests.app.flows import loaded, post_form, start, wait_for


def counts(client: TestClient, assembly_id: int) -> dict[str, int]:
    """The panel size as each officer page shows it."""
    index = client.get("/assemblies").text
    row = re.search(rf'href="/assemblies/{assembly_id}">.*?</tr>', index, re.S)
    assert row is not None
    overview = client.get(f"/assemblies/{assembly_id}").text
    drawn = re.search(r"Drawn <time[^>]*>[^<]*</time>: (\d+) members", overview)
    panel_page = client.get(f"/assemblies/{assembly_id}/panel").text
    listed = re.search(r"<h2>Members \((\d+) of \d+ seats", panel_page)
    invitations = client.get(f"/assemblies/{assembly_id}/invitations").text
    seated = re.search(r"<dt>On the panel</dt><dd>(\d+)</dd>", invitations)
    assert drawn and listed and seated, "a page no longer shows the panel size"
    return {
        "assemblies": int(re.findall(r'<td class="numeric">([\d,]+)</td>', row.group(0))[-1]),
        "overview": int(drawn.group(1)),
        "panel page": int(listed.group(1)),
        "invitations": int(seated.group(1)),
    }


def seats(dbs: Callable, assembly_id: int) -> int:
    with dbs() as session:
        return len(panel.panel_members(session, assembly_id))


def test_after_an_erasure_every_page_counts_the_members_left(
        officer_client: TestClient, engine: Engine, dbs: Callable) -> None:
    drawn = drawn_panel(engine, respondents=8, panel=3, reserves=1)
    assert set(counts(officer_client, drawn.assembly_id).values()) == {3}

    erased = drawn.members[0]
    done = post_form(officer_client,
                     f"/assemblies/{drawn.assembly_id}/respondents/{erased.public_id}/erase")
    assert done.status_code == 200 and "have been erased" in done.text
    assert seats(dbs, drawn.assembly_id) == 2
    assert counts(officer_client, drawn.assembly_id) == dict.fromkeys(
        ("assemblies", "overview", "panel page", "invitations"), 2)
    with dbs() as session:
        assert session.get(Member, erased.member_id).status == MemberStatus.declined.value


@pytest.mark.slow
def test_after_a_replacement_every_page_counts_the_seats(
        officer_client: TestClient, dbs: Callable) -> None:
    assembly_id = loaded(officer_client, synthetic())
    url = start(officer_client, assembly_id)
    wait_for(officer_client, url)
    drawn = post_form(officer_client, f"{url}/draw", {"seed": "1 2 3", "confirm": "yes"})
    assert drawn.status_code == 200
    assert set(counts(officer_client, assembly_id).values()) == {12}

    with dbs() as session:
        leaving = panel.panel_members(session, assembly_id)[0]
    replaced = post_form(officer_client,
                         f"/assemblies/{assembly_id}/members/{leaving.id}/drop-out",
                         {"confirm": "yes"})
    assert replaced.status_code == 200 and "takes the seat" in replaced.text
    assert seats(dbs, assembly_id) == 12
    assert counts(officer_client, assembly_id) == dict.fromkeys(
        ("assemblies", "overview", "panel page", "invitations"), 12)
