"""Driving the real app over HTTP as a person does: a browser client, sending forms, signing in,
creating an assembly, uploading its pool and quotas, starting a selection and waiting for it.

Helpers that write test data straight to the database are in `tests.app.builders`; fixtures are in
`tests/app/conftest.py`.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Mapping
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from assembly import cli, db, sessions
from assembly.selection.models import Member
from assembly.settings import Settings
from sortition.synthetic import SyntheticPool
from tests.app.builders import PASSWORD, synthetic

BASE_URL = "http://testserver"
# What a browser sends with a form submitted from one of our own pages.
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin", "Origin": BASE_URL}
# What htmx 4 sends when it asks for a fragment.
HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}
TEST_SECRET = "test-secret-" + "x" * 40

# The details of the assembly `create` makes.
DETAILS = {
    "title": "Our council, data and AI",
    "question": "How should our council use data and AI?",
    "remit": "Recommendations on the use of personal data in council services.",
    "commissioning_body": "Cabinet",
    "starts_on": "2026-03-14",
    "ends_on": "2026-05-09",
}
# What `upload` sends with the files unless told otherwise.
LEGAL = {"legal_basis": "Public task, UK GDPR Article 6(1)(e)", "consent_version": "v2",
         "address_columns": "address_line_1, postcode"}


def make_client(app: Starlette, headers: Mapping[str, str] | None = SAME_ORIGIN) -> TestClient:
    return TestClient(app, base_url=BASE_URL, headers=dict(headers or {}))


def post_form(client: TestClient, url: str, data: Mapping[str, Any] | None = None, *,
              htmx: bool = False, headers: Mapping[str, str] | None = None,
              **kwargs: Any) -> Any:
    """POST a form as a browser does from our own page (plain, or with htmx if `htmx=True`)."""
    all_headers = {**SAME_ORIGIN, **(HTMX if htmx else {}), **(headers or {})}
    return client.post(url, data=dict(data or {}), headers=all_headers, **kwargs)


def login(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    """Sign in through the real form; asserts it worked."""
    response = post_form(client, "/login", {"email": email, "password": password},
                         follow_redirects=False)
    assert response.status_code == 303, response.text
    return response


def sign_in_member(client: TestClient, engine: Engine, settings: Settings, member: Member) -> None:
    """Give `client` a member session, as redeeming an invitation does."""
    with db.session(engine, write=True) as session:
        token = sessions.start(session, settings, member=member)
    client.cookies.set(settings.session_cookie, token)


def run_command(argv: list[str], monkeypatch: pytest.MonkeyPatch, settings: Settings,
                stdin: str = "") -> int:
    """Run `minipublic ARGV` in this process against the test database; its exit status."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MINIPUBLIC_PASSWORD_MEMORY_KIB", str(settings.password_memory_kib))
    monkeypatch.setenv("MINIPUBLIC_PASSWORD_TIME_COST", str(settings.password_time_cost))
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    args = cli.build_parser().parse_args(argv)
    return int(args.run(args))


def is_signed_in(client: TestClient) -> bool:
    response = client.get("/admin/officers", follow_redirects=False)
    return response.status_code == 200


def create(client: TestClient, **changes: str) -> int:
    """Create an assembly with `DETAILS` (and `changes`) through the form; returns its id."""
    response = post_form(client, "/assemblies", {**DETAILS, **changes}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def upload(client: TestClient, assembly_id: int, *, quotas: bytes | None = None,
           people: bytes | None = None, data: dict[str, str] | None = None, htmx: bool = False,
           follow: bool = False) -> object:
    files = {}
    if quotas is not None:
        files["quotas"] = ("quotas.csv", quotas, "text/csv")
    if people is not None:
        files["people"] = ("people.csv", people, "text/csv")
    headers = dict(SAME_ORIGIN)
    if htmx:
        headers.update({"HX-Request": "true", "HX-Request-Type": "partial"})
    return client.post(f"/assemblies/{assembly_id}/pool", files=files,
                       data=LEGAL if data is None else data, headers=headers,
                       follow_redirects=follow)


def loaded(client: TestClient, pool: SyntheticPool | None = None) -> int:
    """A new assembly with `pool` (the default synthetic one if not given) and its quotas."""
    pool = pool or synthetic()
    assembly_id = create(client)
    response = upload(client, assembly_id, quotas=pool.quotas_csv(), people=pool.people_csv())
    assert response.status_code == 303, response.text
    return assembly_id


def start(client: TestClient, assembly_id: int, **changes: str) -> str:
    """Start a selection through the form; returns the address of its progress page."""
    form = {"algorithm": "leximin", "panel_size": "12", "lottery_size": "1000", **changes}
    response = post_form(client, f"/assemblies/{assembly_id}/selection", form,
                         follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


def wait_for(client: TestClient, url: str, seconds: float = 120) -> list[str]:
    """Poll the progress fragment as htmx does until the run ends; returns the phases seen."""
    phases: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        response = client.get(url, headers=HTMX)
        if response.status_code == 204:
            assert response.headers["HX-Refresh"] == "true"
            return phases
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<div id="progress"')
        phases += re.findall(r'class="progress-label">([^<]*)<', response.text)
        time.sleep(0.3)
    raise AssertionError(f"the run did not finish in {seconds} s; phases: {phases[-3:]}")


def wait_for_letters(client: TestClient, batch_url: str, seconds: float = 120) -> None:
    """Reload the letters' page as a browser without JavaScript does until they are ready."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        page = client.get(batch_url)
        assert page.status_code == 200, page.text
        if "Download the letters and make them work" in page.text:
            return
        assert "Making the letters" in page.text, page.text
        time.sleep(0.2)
    raise AssertionError(f"the letters were not ready within {seconds} s")


def create_letters(client: TestClient, url: str, *, seconds: float = 120) -> Any:
    """Create letters (confirming that working ones are replaced), wait for them, download them.
    Returns the download's response, or the first response that was not a redirect."""
    response = post_form(client, url, {"confirm": "yes"}, follow_redirects=False)
    if response.status_code != 303:
        return response
    batch_url = response.headers["location"]
    wait_for_letters(client, batch_url, seconds)
    return post_form(client, batch_url)
