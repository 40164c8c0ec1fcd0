"""Uploads that should work (issue 7, item 13): quotas and a people file that add a feature
together; a message about many dropped columns; a quota table of over a thousand categories;
and files up to the size the page promises, with a clear message beyond it."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from assembly.app import create_app
from assembly.audit import AuditEvent
from assembly.forms import FORM_ALLOWANCE, MAX_UPLOAD_BYTES
from assembly.recruitment.models import Profile, Quota, Respondent
from assembly.settings import Settings
from assembly.templating import FLASH_COOKIE_BYTES, see_other
from tests.app.builders import synthetic
from tests.app.flows import LEGAL, create, loaded, login, make_client, post_form, upload

# What browsers keep at most for one cookie, name, value and attributes together (RFC 6265).
BROWSER_COOKIE_LIMIT = 4096


def flash_cookie(response: object) -> str:
    headers = response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    found = [h for h in headers if h.startswith("minipublic-flash=")]
    assert len(found) == 1, headers
    return found[0]


def test_new_quotas_and_a_people_file_that_add_a_feature_load_together(
        officer_client: TestClient, dbs: Callable) -> None:
    assembly_id = loaded(officer_client, synthetic(features=4))
    wider = synthetic(features=5)
    added = wider.features[4]

    alone = upload(officer_client, assembly_id, quotas=wider.quotas_csv())
    assert alone.status_code == 422  # the loaded pool has no answers for the new feature
    assert "in the same step as these quotas" in html.unescape(alone.text)

    both = upload(officer_client, assembly_id, quotas=wider.quotas_csv(),
                  people=wider.people_csv(), follow=True)
    assert both.status_code == 200, both.text
    assert f"Loaded {len(wider.quotas.categories)} quota categories." in both.text
    with dbs() as session:
        profiles = session.exec(select(Profile).join(
            Respondent, Respondent.id == Profile.respondent_id).where(
            Respondent.assembly_id == assembly_id)).all()
        assert len(profiles) == len(wider) and all(added in p.values for p in profiles)
        assert {q.feature for q in session.exec(select(Quota).where(
            Quota.assembly_id == assembly_id))} == set(wider.features)


def test_a_message_about_sixty_dropped_columns_fits_in_its_cookie(
        officer_client: TestClient) -> None:
    pool = synthetic()
    assembly_id = create(officer_client)
    extra = [f"survey_question_{i:02d}_how_did_you_hear_about_the_assembly_and_why" for i in
             range(60)]
    lines = pool.people_csv().decode().splitlines()
    people = "\n".join([lines[0] + "," + ",".join(extra)]
                       + [line + "," + ",".join("answer" for _ in extra) for line in lines[1:]])
    response = upload(officer_client, assembly_id, quotas=pool.quotas_csv(),
                      people=people.encode())
    assert response.status_code == 303
    cookie = flash_cookie(response)
    assert len(cookie) < BROWSER_COOKIE_LIMIT
    page = officer_client.get(response.headers["location"])
    text = html.unescape(page.text)
    assert "60 columns not kept (not needed for the selection or invitations): " in text
    assert re.search(r"survey_question_00_how_did_you_hear_abo…, .* and 55 more\.", text)


def test_any_flash_message_fits_in_its_cookie(app: Starlette, officer_client: TestClient
                                              ) -> None:
    """Whatever a view flashes (even thousands of non-ASCII characters, which JSON and base64
    make six bytes each), the cookie stays within what browsers and proxies take."""
    async def chatty(request: Request) -> Response:
        return see_other(request, "/assemblies", "Ünïcödé " * 2000 + "the end")

    app.router.routes.append(Route("/chatty", chatty, methods=["POST"]))
    for _ in range(3):  # messages pile up until a page shows them
        response = post_form(officer_client, "/chatty", follow_redirects=False)
        cookie = flash_cookie(response)
        assert len(cookie.split(";")[0]) <= len("minipublic-flash=") + FLASH_COOKIE_BYTES
        assert len(cookie) < BROWSER_COOKIE_LIMIT
    page = html.unescape(officer_client.get("/assemblies").text)
    assert "Ünïcödé Ünïcödé" in page and "…" in page


def test_a_quota_table_of_over_a_thousand_categories_can_be_saved(
        officer_client: TestClient, dbs: Callable) -> None:
    assembly_id = create(officer_client)
    rows = [f"District,D{i:04d},0,{i % 3 + 1},0,{i % 3 + 2}" for i in range(1_200)]
    quotas = ("feature,value,min,max,min_flex,max_flex\n" + "\n".join(rows) + "\n").encode()
    assert upload(officer_client, assembly_id, quotas=quotas).status_code == 303
    page = officer_client.get(f"/assemblies/{assembly_id}/quotas").text
    form = dict(re.findall(r'name="((?:min|max|min_flex|max_flex)-\d+)" value="([^"]*)"', page))
    assert len(form) == 4_800
    changed = {key: "5" if key.startswith("max_flex-") else value for key, value in form.items()}
    response = post_form(officer_client, f"/assemblies/{assembly_id}/quotas",
                         {**changed, "panel_size": "30"}, follow_redirects=True)
    assert response.status_code == 200, response.text[:500]
    assert "Quotas saved." in response.text
    with dbs() as session:
        saved = session.exec(select(Quota).where(Quota.assembly_id == assembly_id)).all()
        assert len(saved) == 1_200 and {q.max_flex for q in saved} == {5}
    # Still a bound: a form cannot be made of endless fields.
    flood = {f"min-{i}": "1" for i in range(6_000)}
    assert post_form(officer_client, f"/assemblies/{assembly_id}/quotas", flood).status_code == 400


def people_of_size(size: int) -> bytes:
    """A valid people file of exactly `size` bytes: the synthetic pool with two notes columns
    (each cell within the CSV reader's 128 KiB) padded to fill the size."""
    pool = synthetic()
    lines = pool.people_csv().decode().splitlines()
    head, rows = lines[0] + ",notes_1,notes_2", lines[1:]
    fixed = len(head) + 1 + sum(len(row) + 3 for row in rows)  # two commas and a newline each
    padding = size - fixed
    assert 0 <= padding <= len(rows) * 2 * 130_000, "size out of reach"
    cells = [padding // (2 * len(rows))] * (2 * len(rows))
    for i in range(padding - sum(cells)):
        cells[i] += 1
    out = [head] + [f"{row},{'x' * cells[2 * i]},{'y' * cells[2 * i + 1]}"
                    for i, row in enumerate(rows)]
    data = ("\n".join(out) + "\n").encode()
    assert len(data) == size
    return data


def test_the_default_request_limit_takes_two_full_size_files() -> None:
    assert Settings().max_request_bytes >= 2 * MAX_UPLOAD_BYTES + FORM_ALLOWANCE


def test_a_file_just_under_the_limit_loads_and_one_just_over_gets_a_clear_message(
        officer_client: TestClient, dbs: Callable) -> None:
    pool = synthetic()
    assembly_id = create(officer_client)
    page = officer_client.get(f"/assemblies/{assembly_id}/pool").text
    assert page.count("At most 20 MB.") == 2  # each file field says it
    under = people_of_size(MAX_UPLOAD_BYTES)  # 20 MB as a file manager shows it
    response = upload(officer_client, assembly_id, quotas=pool.quotas_csv(), people=under)
    assert response.status_code == 303, response.text[:2000]
    with dbs() as session:
        assert len(session.exec(select(Respondent)).all()) == len(pool)

    over = people_of_size(MAX_UPLOAD_BYTES + 1)
    response = upload(officer_client, assembly_id, people=over)
    assert response.status_code == 422
    assert ("people.csv is larger than 20 MB, the most this site accepts for one file."
            in response.text)
    with dbs() as session:  # the earlier pool is untouched
        assert len(session.exec(select(Respondent)).all()) == len(pool)
        assert [e.action for e in session.exec(select(AuditEvent).where(
            AuditEvent.action == "pool.uploaded"))] == ["pool.uploaded"]


def test_a_smaller_request_limit_is_the_limit_the_officer_is_told(
        settings: Settings, engine: Engine, officer) -> None:
    app = create_app(settings.replace(max_request_mb=3), engine=engine)
    pool = synthetic()
    with make_client(app) as client:
        login(client, officer.email)
        assembly_id = create(client)
        # Within the request limit, but over what is left of it for one file (3 - 1 MB).
        response = upload(client, assembly_id, quotas=pool.quotas_csv(),
                          people=people_of_size(2 * 1024 * 1024 + 10))
        assert response.status_code == 422
        assert "people.csv is larger than 2 MB, the most this site accepts" in response.text
        # Over the request limit: the form says so, with both limits, and nothing is loaded.
        response = upload(client, assembly_id, quotas=pool.quotas_csv(),
                          people=people_of_size(3 * 1024 * 1024 + 10), htmx=True)
        assert response.status_code == 422
        assert "each file can be at most 2 MB, and both together 2 MB" in response.text
        assert '<div id="upload">' in response.text.lstrip()[:40]
        assert upload(client, assembly_id, quotas=pool.quotas_csv(), people=pool.people_csv(),
                      data=LEGAL).status_code == 303
