"""Creating, listing and editing assemblies through the real app."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlmodel import select
from starlette.testclient import TestClient

from assembly.assemblies.models import Assembly
from assembly.audit import AuditEvent
from tests.app.flows import DETAILS, create, post_form


def test_create_list_and_show(officer_client: TestClient, dbs: Callable) -> None:
    assert "There are no assemblies yet" in officer_client.get("/assemblies").text
    assembly_id = create(officer_client)
    page = officer_client.get(f"/assemblies/{assembly_id}")
    assert "Assembly created." in page.text  # the flash message after the redirect
    with dbs() as session:
        assembly = session.get(Assembly, assembly_id)
        assert assembly.title == DETAILS["title"]
        assert assembly.starts_on == date(2026, 3, 14)
        assert assembly.status == "setup"
        actions = session.exec(select(AuditEvent.action).where(
            AuditEvent.assembly_id == assembly_id)).all()
    assert actions == ["assembly.created"]
    listing = officer_client.get("/assemblies").text
    assert f'href="/assemblies/{assembly_id}"' in listing and DETAILS["title"] in listing
    page = officer_client.get(f"/assemblies/{assembly_id}")
    assert page.status_code == 200
    assert DETAILS["question"] in page.text


def test_every_problem_is_shown_and_nothing_is_saved(officer_client: TestClient,
                                                      dbs: Callable) -> None:
    response = post_form(officer_client, "/assemblies", {
        "title": "", "question": "", "starts_on": "2026-02-30", "ends_on": "2026-01-01",
        "remit": "x" * 10001})
    assert response.status_code == 422
    text = response.text
    assert 'class="error-summary"' in text
    for name in ("title", "question", "starts_on", "remit"):
        assert f'href="#field-{name}"' in text
        assert f'id="error-{name}"' in text
    assert 'aria-invalid="true"' in text
    assert "Use at most 10,000 characters" in text
    with dbs() as session:
        assert session.exec(select(Assembly)).all() == []


def test_end_before_start_is_refused(officer_client: TestClient) -> None:
    response = post_form(officer_client, "/assemblies",
                         {**DETAILS, "starts_on": "2026-05-01", "ends_on": "2026-04-01"})
    assert response.status_code == 422
    assert "The end date must be on or after the start date." in response.text


def test_htmx_gets_the_form_fragment(officer_client: TestClient) -> None:
    response = post_form(officer_client, "/assemblies", {"title": ""}, htmx=True)
    assert response.status_code == 422
    assert response.text.lstrip().startswith("<form")
    assert "<html" not in response.text
    assert 'id="status"' in response.text  # flash messages go out of band into the status region


def test_edit_records_which_fields_changed(officer_client: TestClient, dbs: Callable) -> None:
    assembly_id = create(officer_client)
    form = officer_client.get(f"/assemblies/{assembly_id}/edit")
    assert f'value="{DETAILS["title"]}"' in form.text
    response = post_form(officer_client, f"/assemblies/{assembly_id}/edit",
                         {**DETAILS, "title": "Data, AI and us", "ends_on": ""},
                         follow_redirects=False)
    assert response.status_code == 303
    with dbs() as session:
        assembly = session.get(Assembly, assembly_id)
        assert assembly.title == "Data, AI and us" and assembly.ends_on is None
        event = session.exec(select(AuditEvent).where(AuditEvent.assembly_id == assembly_id)
                             .order_by(AuditEvent.seq.desc())).first()
    assert event.action == "assembly.edited"
    assert event.details == {"fields": ["ends_on", "title"]}


def test_unknown_assembly_is_not_found(officer_client: TestClient) -> None:
    for path in ("/assemblies/999", "/assemblies/999/edit", "/assemblies/999/pool",
                 "/assemblies/999/quotas", "/assemblies/999/selection", "/assemblies/999/audit"):
        assert officer_client.get(path).status_code == 404, path
