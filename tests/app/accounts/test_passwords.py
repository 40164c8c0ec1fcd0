"""Choosing passwords (NCSC guidance: block common and guessable ones, and ones built from the
officer's e-mail name or the site's name), through the web page and the command line; and a
password change ending other sessions and rotating the session token in use."""

from __future__ import annotations

import html

import pytest
from sqlmodel import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from assembly.accounts.models import Officer, UserSession
from assembly.sessions import token_hash
from assembly.settings import Settings
from tests.app.builders import PASSWORD
from tests.app.flows import login, make_client, post_form, run_command

STRONG = "lantern orchard kettle"
# The officer fixture is officer@example.org; the test site is called "Minipublic".
WEAK = {
    "password1234": "too easy to guess",
    "Password1234!": "too easy to guess",
    "qwertyuiop123": "too easy to guess",
    "iloveyou12345": "too easy to guess",
    "123456789012": "too easy to guess",
    "aaaaaaaaaaaaaa": "too easy to guess",
    "officer-is-here-now": "contains 'officer'",
    "MiniPublic staff access": "contains 'minipublic'",
}


@pytest.mark.parametrize("weak", sorted(WEAK))
def test_the_password_page_refuses_common_and_personal_passwords(
    officer_client: TestClient, officer: Officer, weak: str
) -> None:
    response = post_form(officer_client, "/account/password",
                         {"current": PASSWORD, "new": weak, "repeat": weak})
    assert response.status_code == 422
    assert WEAK[weak] in html.unescape(response.text)
    # Nothing changed: the old password still works, the weak one does not.
    with make_client(officer_client.app) as other:  # type: ignore[arg-type]
        login(other, officer.email, PASSWORD)
        assert post_form(other, "/login", {"email": officer.email, "password": weak},
                         follow_redirects=False).status_code == 401


@pytest.mark.parametrize("weak", sorted(WEAK))
def test_create_officer_refuses_common_and_personal_passwords(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    dbs, weak: str,  # type: ignore[no-untyped-def]
) -> None:
    status = run_command(["create-officer", "officer@example.org", "--password-stdin"],
                         monkeypatch, settings, weak + "\n")
    assert status == 1
    assert WEAK[weak] in capsys.readouterr().err
    with dbs() as session:
        assert session.exec(select(Officer)).all() == []


def test_set_password_refuses_a_common_password_and_accepts_a_strong_one(
    client: TestClient, officer: Officer, settings: Settings, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_command(["set-password", officer.email, "--password-stdin"], monkeypatch,
                       settings, "password1234\n") == 1
    assert "This password is too easy to guess: this is a very common password" in \
        capsys.readouterr().err
    login(client, officer.email, PASSWORD)
    assert run_command(["set-password", officer.email, "--password-stdin"], monkeypatch,
                       settings, STRONG + "\n") == 0
    assert "ended 1 session" in capsys.readouterr().out
    with make_client(client.app) as fresh:  # type: ignore[arg-type]
        login(fresh, officer.email, STRONG)


def test_the_site_name_setting_is_what_is_refused(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("MINIPUBLIC_SITE_NAME", "Wirral Council")
    assert run_command(["create-officer", "jo@example.org", "--password-stdin"], monkeypatch,
                       settings, "wirral harbour lighthouse\n") == 1
    assert "contains 'wirral'" in capsys.readouterr().err
    assert run_command(["create-officer", "jo@example.org", "--password-stdin"], monkeypatch,
                       settings, "harbour lighthouse kettle\n") == 0


def test_a_password_change_rotates_the_session_token_and_ends_the_others(
    app: Starlette, officer_client: TestClient, officer: Officer, settings: Settings, dbs,  # type: ignore[no-untyped-def]
) -> None:
    old_token = officer_client.cookies.get(settings.session_cookie)
    assert old_token
    with make_client(app) as laptop, make_client(app) as stolen_copy:
        login(laptop, officer.email)
        stolen_copy.cookies.set(settings.session_cookie, old_token)
        assert stolen_copy.get("/account/password", follow_redirects=False).status_code == 200
        response = post_form(officer_client, "/account/password",
                             {"current": PASSWORD, "new": STRONG, "repeat": STRONG},
                             follow_redirects=False)
        assert response.status_code == 303
        assert settings.session_cookie + "=" in response.headers["set-cookie"]
        new_token = officer_client.cookies.get(settings.session_cookie)
        assert new_token and new_token != old_token
        # The browser that changed it stays signed in, under the new token only.
        assert officer_client.get("/account/password", follow_redirects=False).status_code == 200
        assert stolen_copy.get("/account/password", follow_redirects=False).status_code == 303
        assert laptop.get("/account/password", follow_redirects=False).status_code == 303
    with dbs() as session:
        old = session.exec(select(UserSession).where(
            UserSession.token_hash == token_hash(old_token))).one()
    assert old.revoked_at is not None and old.revoked_reason == "replaced after password change"


def test_htmx_password_change_also_rotates_the_token(
    officer_client: TestClient, settings: Settings
) -> None:
    old_token = officer_client.cookies.get(settings.session_cookie)
    response = post_form(officer_client, "/account/password",
                         {"current": PASSWORD, "new": STRONG, "repeat": STRONG}, htmx=True,
                         follow_redirects=False)
    assert response.status_code in (200, 204, 303)
    assert officer_client.cookies.get(settings.session_cookie) not in (None, old_token)
    assert officer_client.get("/account/password", follow_redirects=False).status_code == 200
