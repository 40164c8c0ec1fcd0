"""Drop-outs nobody can replace, seats left empty on purpose, one reference per person and
finding people by it (issue 8, items 4 and 5), through the real app on both databases.

The pool is made so that the draw has no choice about two seats: the quotas want exactly two
wheelchair users and the pool has exactly two, so neither can ever be replaced, while everyone
else can. Which members the panel page warns about is compared with the engine's own rule
(`sortition.reserves.find_reserves`, which the command line uses) on the same data.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import numpy as np
import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from assembly.audit import AuditEvent
from assembly.recruitment.models import Respondent
from assembly.recruitment.pool import instance_from_db
from assembly.selection import panel
from assembly.selection.models import Draw, Member, MemberStatus
from sortition.reserves import find_reserves
from tests.app.flows import create, post_form, start, upload, wait_for

QUOTAS = b"""feature,value,min,max
Gender,Woman,3,3
Gender,Man,3,3
Access,Wheelchair user,2,2
Access,None,4,4
"""
# Ref-001 and Ref-002 are the only wheelchair users; "\u00c9mile-7" tests non-ASCII references.
REFERENCES = [f"Ref-{i:03d}" for i in range(1, 24)] + ["\u00c9mile-7"]


def people_csv() -> bytes:
    rows = ["id,name,email,Gender,Access"]
    for i, reference in enumerate(REFERENCES):
        gender = "Woman" if i % 2 == 0 else "Man"
        access = "Wheelchair user" if i < 2 else "None"
        rows.append(f"{reference},Person {i + 1},person{i + 1}@example.org,{gender},{access}")
    return ("\n".join(rows) + "\n").encode("utf-8")


@pytest.fixture
def drawn(officer_client: TestClient) -> int:
    """An assembly whose panel of 6 has just been drawn from the pool above."""
    assembly_id = create(officer_client)
    response = upload(officer_client, assembly_id, quotas=QUOTAS, people=people_csv(),
                      data={"legal_basis": "Public task", "consent_version": "v1",
                            "address_columns": ""})
    assert response.status_code == 303, response.text
    url = start(officer_client, assembly_id, panel_size="6")
    wait_for(officer_client, url)
    response = post_form(officer_client, f"{url}/draw",
                         {"seed": "4 8 15 16 23 42", "confirm": "yes"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return assembly_id


def seated(dbs: Callable, assembly_id: int) -> dict[str, Member]:
    """The members holding a seat, by their reference in the people file."""
    with dbs() as session:
        return {session.get(Respondent, m.respondent_id).external_id: m
                for m in panel.panel_members(session, assembly_id)}


def engine_says_irreplaceable(dbs: Callable, assembly_id: int) -> set[str]:
    """Who the engine's own rule (as the command line runs it) finds no reserve for."""
    with dbs() as session:
        record = session.exec(select(Draw).where(Draw.assembly_id == assembly_id)).one()
        instance = instance_from_db(session, assembly_id, 6)
        references = dict(session.exec(select(Respondent.public_id, Respondent.external_id)
                                       .where(Respondent.assembly_id == assembly_id)).all())
    index = {public: i for i, public in enumerate(instance.pool.ids)}
    chosen = np.array(sorted(index[p] for p in record.panel), dtype=np.int64)
    return {references[instance.pool.ids[r.member]]
            for r in find_reserves(instance, chosen) if not r.replacements}


def warned(page: str) -> set[str]:
    block = re.search(r'<div class="callout callout-warning" id="no-replacement">(.*?)</div>',
                      page, re.DOTALL)
    return set(re.findall(r"<li><strong>([^<]+)</strong>", block.group(1))) if block else set()


def text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.mark.slow
def test_the_panel_warns_before_any_drop_out_and_a_seat_can_be_left_empty(
        drawn: int, officer_client: TestClient, dbs: Callable) -> None:
    assembly_id = drawn
    members = seated(dbs, assembly_id)
    assert {"Ref-001", "Ref-002"} <= set(members)
    # Before anyone drops out, the panel page names exactly those the engine's rule names.
    page = officer_client.get(f"/assemblies/{assembly_id}/panel").text
    expected = engine_says_irreplaceable(dbs, assembly_id)
    assert expected == {"Ref-001", "Ref-002"}
    assert warned(page) == expected
    assert "2 members could not be replaced" in text(page)
    assert "relaxing" not in page and "Members (6 of 6 seats)" in text(page)

    # Recording the drop-out of someone nobody can replace: the page says so at once, and the
    # replacing form is not offered; forcing it changes nothing and explains why.
    leaving = members["Ref-001"]
    drop_out = f"/assemblies/{assembly_id}/members/{leaving.id}/drop-out"
    confirm = officer_client.get(drop_out).text
    assert "Nobody can take this seat." in confirm and "Replace this member" not in confirm
    assert "the seat can only be left empty" in text(confirm)
    refused = post_form(officer_client, drop_out, {"confirm": "yes"})
    assert refused.status_code == 409 and "Nobody can take this seat." in refused.text
    # Leaving the seat empty needs a reason.
    empty = f"/assemblies/{assembly_id}/members/{leaving.id}/leave-seat-empty"
    unexplained = post_form(officer_client, empty, {"vacated_reason": "   "})
    assert unexplained.status_code == 422
    assert 'href="#field-vacated_reason"' in unexplained.text
    assert "Say why the seat is left empty" in html.unescape(unexplained.text)
    assert set(seated(dbs, assembly_id)) == set(members)  # nothing changed
    with dbs() as session:
        assert not session.exec(select(AuditEvent).where(
            AuditEvent.action == "member.seat_left_empty")).all()

    done = post_form(officer_client, empty,
                     {"vacated_reason": "Moved away after the first session."},
                     follow_redirects=True)
    assert done.status_code == 200
    flash = text(done.text)
    assert "Ref-001 has left the panel and their seat is left empty." in flash
    assert "Access Wheelchair user: 1 seated, at least 2 wanted" in flash
    with dbs() as session:
        gone = session.get(Member, leaving.id)
        assert gone.status == MemberStatus.vacated.value
        assert gone.vacated_reason == "Moved away after the first session."
        assert gone.replaced_by is None
        event = session.exec(select(AuditEvent).where(
            AuditEvent.action == "member.seat_left_empty")).one()
        public = session.get(Respondent, leaving.respondent_id).public_id
    assert event.details == {
        "leaving": public, "reason": "Moved away after the first session.",
        "replacement_possible": False,
        "shortfall": [{"feature": "Gender", "value": "Woman", "seats": 2, "min": 3},
                      {"feature": "Access", "value": "Wheelchair user", "seats": 1, "min": 2}]}
    assert len(seated(dbs, assembly_id)) == 5

    # The panel page counts the empty seat and states the quota it falls short of.
    page = text(officer_client.get(f"/assemblies/{assembly_id}/panel").text)
    assert "Members (5 of 6 seats; 1 left empty)" in page
    assert "Seats left empty (1)" in page and "Moved away after the first session." in page
    assert ("the panel falls short of 2 quotas: Gender Woman has 2 seats, at least 3 wanted; "
            "Access Wheelchair user has 1 seat, at least 2 wanted." in " ".join(page.split()))
    # Ref-002 still cannot be replaced; nobody new became irreplaceable by the vacancy.
    assert warned(officer_client.get(f"/assemblies/{assembly_id}/panel").text) == {"Ref-002"}

    # The seat cannot then be emptied again, nor given to a reserve.
    again = post_form(officer_client, empty, {"vacated_reason": "Twice"}, follow_redirects=True)
    assert "no longer holds a seat" in html.unescape(again.text)
    replace = post_form(officer_client, drop_out, {"confirm": "yes"}, follow_redirects=True)
    assert "Only a current panel member" in html.unescape(replace.text)
    assert "no longer holds a seat" in officer_client.get(drop_out).text
    with dbs() as session:
        assert len(session.exec(select(AuditEvent).where(
            AuditEvent.action == "member.seat_left_empty")).all()) == 1
        assert session.get(Member, leaving.id).status == MemberStatus.vacated.value
    assert len(seated(dbs, assembly_id)) == 5

    # The audit log says it in words, naming the member by their reference.
    log = text(officer_client.get(f"/assemblies/{assembly_id}/audit").text)
    assert "Ref-001 dropped out; seat left empty" in log
    assert "Reason: Moved away after the first session." in log
    assert "Nobody left in the pool could keep every quota" in log
    assert "Short of Access Wheelchair user: 1 seated, at least 2 wanted" in log
    assert public not in log


@pytest.mark.slow
def test_a_replaceable_seat_can_still_be_left_empty_on_purpose(
        drawn: int, officer_client: TestClient, dbs: Callable) -> None:
    assembly_id = drawn
    members = seated(dbs, assembly_id)
    reference = next(r for r in sorted(members) if r not in ("Ref-001", "Ref-002"))
    leaving = members[reference]
    page = officer_client.get(f"/assemblies/{assembly_id}/members/{leaving.id}/drop-out").text
    assert "Replace this member" in page and "Or leave the seat empty" in page
    done = post_form(officer_client,
                     f"/assemblies/{assembly_id}/members/{leaving.id}/leave-seat-empty",
                     {"vacated_reason": "Last session only; not worth a newcomer."},
                     follow_redirects=True)
    flash = text(done.text)
    assert f"{reference} has left the panel and their seat is left empty." in flash
    assert "The panel is now short of " in flash
    assert "Access None: 3 seated, at least 4 wanted" in flash
    with dbs() as session:
        event = session.exec(select(AuditEvent).where(
            AuditEvent.action == "member.seat_left_empty")).one()
    assert event.details["replacement_possible"] is True
    log = text(officer_client.get(f"/assemblies/{assembly_id}/audit").text)
    assert "A reserve could have kept every quota" in log


@pytest.mark.slow
def test_officers_see_one_reference_per_person_and_find_people_by_it_in_any_case(
        drawn: int, officer_client: TestClient, dbs: Callable) -> None:
    assembly_id = drawn
    members = seated(dbs, assembly_id)
    with dbs() as session:
        hidden = {reference: (session.get(Respondent, m.respondent_id).public_id, m.public_id)
                  for reference, m in members.items()}
    # A replacement, so the flash message, the panel's "left" list and the log all name people.
    reference = next(r for r in sorted(members) if r not in ("Ref-001", "Ref-002"))
    leaving = members[reference]
    replaced = post_form(officer_client,
                         f"/assemblies/{assembly_id}/members/{leaving.id}/drop-out",
                         {"confirm": "yes"}, follow_redirects=True)
    assert replaced.status_code == 200
    joining = (set(seated(dbs, assembly_id)) - set(members)).pop()
    assert (f"{reference} has left the panel; reserve {joining} takes the seat"
            in text(replaced.text))
    pages = {
        "flash": replaced.text,
        "panel": officer_client.get(f"/assemblies/{assembly_id}/panel").text,
        "audit": officer_client.get(f"/assemblies/{assembly_id}/audit").text,
        "drop-out": officer_client.get(
            f"/assemblies/{assembly_id}/members/{members['Ref-001'].id}/drop-out").text,
        "invitations": officer_client.get(f"/assemblies/{assembly_id}/invitations").text,
    }
    for name, page in pages.items():
        for ref, (public_id, member_id) in hidden.items():
            assert public_id not in page and member_id not in page, (name, ref)
    for ref in members:
        assert ref in pages["panel"], ref
    assert f"{reference} dropped out; replaced by {joining}" in text(pages["audit"])
    # The CSV export of the log says the same in words beside the hashed data.
    export = officer_client.get(f"/assemblies/{assembly_id}/audit.csv").text
    assert f"{reference} dropped out; replaced by {joining}" in export

    # Finding a respondent ignores case, on the pool page and on the panel page.
    pool = officer_client.get(f"/assemblies/{assembly_id}/pool",
                              params={"reference": reference.lower()}).text
    assert f"<strong>{reference}</strong> Person" in pool and "in the pool" in pool
    assert "See them on the panel page" in pool
    found = officer_client.get(f"/assemblies/{assembly_id}/panel",
                               params={"reference": f"  {reference.upper()} "}).text
    assert f"<strong>{reference}</strong>" in found
    assert f"left the panel; seat taken by {joining}" in html.unescape(found)
    found = officer_client.get(f"/assemblies/{assembly_id}/panel",
                               params={"reference": joining.lower()}).text
    assert "on the panel (selected)" in found
    accented = officer_client.get(f"/assemblies/{assembly_id}/pool",
                                  params={"reference": "\u00e9MILE-7"}).text
    assert "<strong>\u00c9mile-7</strong>" in accented
    missing = officer_client.get(f"/assemblies/{assembly_id}/pool",
                                 params={"reference": "nobody-here"}).text
    assert "Nobody in this pool has the id" in missing
