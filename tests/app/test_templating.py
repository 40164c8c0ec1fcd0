"""Pages and the htmx fragments cut from them, flash messages, and error pages as fragments.

jinja2-fragments imports a private Starlette class (`_TemplateResponse`); these tests render real
blocks through it, so a Starlette or jinja2-fragments upgrade that breaks it fails here first.
"""

from __future__ import annotations

import re
from importlib.metadata import version

from starlette.applications import Starlette
from starlette.testclient import TestClient

from assembly.settings import Settings
from assembly.templating import Flash, decode_flashes, encode_flashes, safe_next
from tests.app.flows import HTMX, TEST_SECRET, post_form


def test_pinned_versions_of_the_fragile_pair() -> None:
    assert version("starlette") == "1.10.0"
    assert version("jinja2-fragments") == "1.12.0"


def test_block_renders_alone_through_jinja2_blocks(client: TestClient) -> None:
    from jinja2_fragments.starlette import (
        Jinja2Blocks,  # the import that touches Starlette's privates
    )

    templates = client.app.state.templates  # type: ignore[attr-defined]
    assert isinstance(templates, Jinja2Blocks)
    request_scope = {"type": "http", "method": "GET", "path": "/login", "headers": [],
                     "query_string": b"", "app": client.app, "state": {}}
    from starlette.requests import Request

    response = templates.TemplateResponse(
        Request(request_scope), "accounts/login.html",
        {"next": "/", "errors": {}, "email": "", "flashes": []}, block_name="login_form",
    )
    body = response.body.decode()
    assert body.lstrip().startswith("<form") and body.rstrip().endswith("</form>")
    assert "<html" not in body and "Sign in" in body


def test_full_page_for_plain_requests_and_htmx_full_requests(client: TestClient) -> None:
    for headers in ({}, {"HX-Request": "true", "HX-Request-Type": "full"}):
        response = client.get("/login", headers=headers)
        assert response.text.startswith("<!doctype html>")
        assert response.headers["vary"] == "HX-Request, HX-Request-Type, Accept-Encoding"


def test_fragment_only_for_partial_requests(client: TestClient) -> None:
    response = client.get("/login", headers=HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<form")
    assert "<html" not in response.text and "<header" not in response.text
    assert response.headers["vary"] == "HX-Request, HX-Request-Type, Accept-Encoding"


def test_base_layout_landmarks_and_status_region(client: TestClient) -> None:
    page = client.get("/").text
    assert '<html lang="en-GB">' in page
    assert '<a class="skip-link" href="#main">' in page
    assert '<main id="main"' in page and "<header" in page and "<footer" in page
    # Someone signed out on a public page has nothing to choose: no empty menu. Officers' pages
    # have one (at least "Officer sign in").
    assert '<nav class="site-nav"' not in page
    assert '<nav class="site-nav" aria-label="Main">' in client.get("/login").text
    status = re.search(r'<div id="status"[^>]*>', page)
    assert status and 'role="status"' in status.group(0) and 'aria-live="polite"' in status.group(0)
    # The status region sits outside <main>, so no swap into the page can replace it.
    assert page.index('id="status"') < page.index("<main")


def test_flash_survives_one_redirect_then_disappears(client: TestClient) -> None:
    response = post_form(client, "/logout", follow_redirects=True)
    assert '<p class="flash flash-info">You have signed out.</p>' in response.text
    assert "minipublic-flash=" in response.headers.get("set-cookie", "")  # cleared
    again = client.get("/login")
    assert "You have signed out." not in again.text


def test_flash_cookie_is_signed_and_expires(settings: Settings) -> None:
    value = encode_flashes(settings, [Flash("success", "Saved")], now=1000)
    assert decode_flashes(settings, value, now=1010) == [Flash("success", "Saved")]
    assert decode_flashes(settings, value, now=1000 + 301) == []
    tampered = value.replace(value[:4], "eyJh" if value[:4] != "eyJh" else "eyJi", 1)
    assert decode_flashes(settings, tampered, now=1010) == []
    assert decode_flashes(settings.replace(secret_key=TEST_SECRET + "other"), value, now=1010) == []
    assert decode_flashes(settings, "garbage", now=1010) == []


def test_flash_text_is_escaped(client: TestClient, settings: Settings) -> None:
    client.cookies.set("minipublic-flash",
                       encode_flashes(settings, [Flash("info", "<script>alert(1)</script>")]))
    page = client.get("/login").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_not_found_is_a_page_or_a_fragment(client: TestClient) -> None:
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.text.startswith("<!doctype html>")
    assert "<h1>Page not found</h1>" in page.text
    fragment = client.get("/no-such-page", headers=HTMX)
    assert fragment.status_code == 404
    assert fragment.text.lstrip().startswith('<div class="error-panel" role="alert"')


def test_method_not_allowed_is_explained(client: TestClient) -> None:
    response = client.get("/logout")
    assert response.status_code == 405
    assert "This page does not accept that kind of request" in response.text


def test_validation_errors_are_422_fragments_with_accessible_errors(client: TestClient) -> None:
    response = post_form(client, "/login", {"email": "no-at-sign", "password": ""}, htmx=True)
    assert response.status_code == 422
    assert response.text.lstrip().startswith("<form")
    assert "Enter an e-mail address like name@council.gov.uk." in response.text
    assert 'class="error-summary" role="alert"' in response.text
    assert 'id="field-password"' in response.text and 'aria-describedby="error-password"' in response.text


def test_static_urls_carry_a_content_hash(client: TestClient) -> None:
    page = client.get("/").text
    links = re.findall(r'href="(/static/app\.css[^"]*)"', page)
    assert len(links) == 1 and re.fullmatch(r"/static/app\.css\?v=[0-9a-f]{12}", links[0])
    assert client.get(links[0]).status_code == 200


def test_safe_next() -> None:
    assert safe_next("/assemblies/3?tab=quotas") == "/assemblies/3?tab=quotas"
    for bad in (None, "", "https://evil.example", "//evil.example", "/\\evil", "evil"):
        assert safe_next(bad, "/home") == "/home"


def test_navigation_shows_what_the_actor_may_use(admin_client: TestClient, client: TestClient,
                                                 app: Starlette) -> None:
    admin_page = admin_client.get("/").text
    assert 'href="/admin/officers"' in admin_page and ">Sign out</button>" in admin_page
    anonymous_page = client.get("/login").text
    assert 'href="/admin/officers"' not in anonymous_page and "Officer sign in" in anonymous_page
    # Residents' and public pages do not offer officers' sign-in (officers go to /login).
    assert "Officer sign in" not in client.get("/").text
