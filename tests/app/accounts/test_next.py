"""Where an officer lands after signing in: `next` is followed only to a path on this site, after
the same clean-up a browser applies to a URL (WHATWG: strip leading/trailing controls and spaces,
drop every tab and newline, read `\\` as `/`), for plain forms (303 Location) and htmx
(HX-Redirect) alike."""

from __future__ import annotations

import pytest
from starlette.routing import NoMatchFound
from starlette.testclient import TestClient

from assembly.accounts.models import Officer
from tests.app.builders import PASSWORD
from tests.app.flows import login, post_form

# As the app receives them (form values and query parameters arrive decoded).
HOSTILE = [
    "/\t/evil.example",            # the browser drops the tab: //evil.example
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "\x00//evil.example",
    "\x1f/\\evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "\\\\evil.example",
    "/\t\\evil.example",
    "//evil.example",
    "///evil.example",
    "https://evil.example/",
    "https:evil.example",
    "HTTPS://evil.example",
    "javascript:alert(1)",
    "\tjavascript:alert(1)",
    "evil.example",
    "/%0A",  # percent-encoded stays a harmless path, but a raw newline must not reach a header
    "/\n",
    "/x\ny",
]


def officer_home(client: TestClient) -> str:
    try:
        return str(client.app.router.url_path_for("officer_home"))  # type: ignore[attr-defined]
    except NoMatchFound:
        return "/"


def stays_home(location: str, client: TestClient, value: str) -> bool:
    # "/%0A" is a path on this site; every other value must fall back to the officer's home.
    if value == "/%0A":
        return location == "/%0A"
    if value in ("/x\ny", "/\n"):
        return location == value.replace("\n", "")
    return location == officer_home(client)


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_next_without_javascript_lands_on_this_site(
    client: TestClient, officer: Officer, value: str
) -> None:
    response = post_form(client, "/login", {"email": officer.email, "password": PASSWORD,
                                            "next": value}, follow_redirects=False)
    assert response.status_code == 303
    assert stays_home(response.headers["location"], client, value), response.headers["location"]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_next_with_htmx_lands_on_this_site(
    client: TestClient, officer: Officer, value: str
) -> None:
    response = post_form(client, "/login", {"email": officer.email, "password": PASSWORD,
                                            "next": value}, htmx=True, follow_redirects=False)
    assert response.status_code == 204
    assert stays_home(response.headers["hx-redirect"], client, value), response.headers


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_next_on_the_sign_in_page_is_never_a_500(
    officer_client: TestClient, client: TestClient, value: str
) -> None:
    """Signed out: the page renders with the safe value in its form; signed in: it redirects."""
    page = client.get("/login", params={"next": value})
    assert page.status_code == 200
    assert "evil.example" not in page.text and "javascript:" not in page.text
    response = officer_client.get("/login", params={"next": value}, follow_redirects=False)
    assert response.status_code == 303
    assert stays_home(response.headers["location"], client, value)


def test_a_real_next_path_is_kept_with_its_query(client: TestClient, admin: Officer) -> None:
    response = post_form(client, "/login", {"email": admin.email, "password": PASSWORD,
                                            "next": "/admin/officers?sort=name#list"},
                         follow_redirects=False)
    assert response.headers["location"] == "/admin/officers?sort=name#list"


def test_non_ascii_in_next_is_percent_encoded_not_a_500(client: TestClient, officer: Officer
                                                        ) -> None:
    response = post_form(client, "/login", {"email": officer.email, "password": PASSWORD,
                                            "next": "/café ok"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/caf%C3%A9%20ok"
    login(client, officer.email)
