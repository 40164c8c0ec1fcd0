"""Officer sign-in: passwords, the first pause, and create-officer (the limits in detail are in
test_limits.py)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.applications import Starlette
from starlette.routing import NoMatchFound
from starlette.testclient import TestClient

from assembly import audit, db
from assembly.accounts import commands as account_commands
from assembly.accounts import signin
from assembly.accounts.models import Officer
from assembly.settings import Settings
from tests.app.builders import PASSWORD, make_officer
from tests.app.flows import login, make_client, post_form, run_command

WRONG = "not the password at all"


def officer_home(client: TestClient) -> str:
    """Where officers land after signing in: the workspace if it is routed, else the home page."""
    try:
        return str(client.app.router.url_path_for("officer_home"))  # type: ignore[attr-defined]
    except NoMatchFound:
        return "/"


def sign_in(client: TestClient, email: str, password: str, **kwargs):  # type: ignore[no-untyped-def]
    return post_form(client, "/login", {"email": email, "password": password},
                     follow_redirects=False, **kwargs)


def test_sign_in_goes_to_next_page_and_opens_it(client: TestClient, admin: Officer) -> None:
    response = post_form(client, "/login", {"email": admin.email, "password": PASSWORD,
                                            "next": "/admin/officers"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/officers"
    page = client.get("/admin/officers")
    assert page.status_code == 200 and admin.email in page.text


def test_email_is_case_insensitive(client: TestClient, officer: Officer) -> None:
    assert sign_in(client, "  Officer@Example.ORG ", PASSWORD).status_code == 303


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example",
                                    "javascript:alert(1)"])
def test_next_never_leaves_the_site(client: TestClient, officer: Officer, target: str) -> None:
    response = post_form(client, "/login", {"email": officer.email, "password": PASSWORD,
                                            "next": target}, follow_redirects=False)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/") and not location.startswith("//")
    assert "evil" not in location and "javascript" not in location


def test_wrong_password_and_unknown_account_get_the_same_answer(
    client: TestClient, officer: Officer
) -> None:
    wrong = sign_in(client, officer.email, WRONG)
    unknown = sign_in(client, "nobody@example.org", WRONG)
    assert wrong.status_code == unknown.status_code == 401
    message = "The e-mail address or password is not right."
    assert message in wrong.text and message in unknown.text
    assert "set-cookie" not in wrong.headers


def test_empty_form_is_a_422_with_errors_tied_to_fields(client: TestClient) -> None:
    response = post_form(client, "/login", {"email": "", "password": ""})
    assert response.status_code == 422
    assert "Enter your e-mail address." in response.text
    assert 'aria-invalid="true"' in response.text
    assert 'aria-describedby="error-email"' in response.text
    assert '<a href="#field-email">' in response.text  # error summary links to the field


def test_htmx_sign_in_errors_are_a_fragment_and_success_redirects(
    client: TestClient, officer: Officer
) -> None:
    response = sign_in(client, officer.email, WRONG, htmx=True)
    assert response.status_code == 401
    assert response.text.lstrip().startswith("<form")
    assert "<html" not in response.text
    assert 'id="status" hx-swap-oob="innerHTML"' in response.text
    response = sign_in(client, officer.email, PASSWORD, htmx=True)
    assert response.status_code == 204
    assert response.headers["hx-redirect"] == officer_home(client)
    assert "minipublic-session=" in response.headers["set-cookie"]


def test_disabled_officer_cannot_sign_in(client: TestClient, officer: Officer, dbs) -> None:  # type: ignore[no-untyped-def]
    with dbs(write=True) as session:
        session.exec(sa.update(Officer).where(Officer.id == officer.id).values(disabled=True))
    assert sign_in(client, officer.email, PASSWORD).status_code == 401


def test_passwords_are_stored_as_argon2id(engine: Engine, officer: Officer, dbs) -> None:  # type: ignore[no-untyped-def]
    with dbs() as session:
        stored = session.get(Officer, officer.id).password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


# --- rate limits ----------------------------------------------------------------------------------


def test_account_is_paused_after_too_many_failures(
    client: TestClient, officer: Officer, settings: Settings
) -> None:
    for _ in range(settings.login_max_per_account):
        assert sign_in(client, officer.email, WRONG).status_code == 401
    response = sign_in(client, officer.email, PASSWORD)
    assert response.status_code == 429
    assert "Too many unsuccessful attempts. Wait 15 minutes" in response.text
    assert 1 <= int(response.headers["retry-after"]) <= 15 * 60
    assert "set-cookie" not in response.headers


def test_hash_is_upgraded_when_the_cost_settings_rise(
    engine: Engine, settings: Settings, officer: Officer
) -> None:
    stronger = settings.replace(password_memory_kib=2048, password_time_cost=2)
    assert signin.authenticate(engine, stronger, officer.email, PASSWORD, "192.0.2.1").ok
    with db.session(engine) as session:
        stored = session.get(Officer, officer.id).password_hash
    assert "m=2048,t=2" in stored


# --- create-officer -------------------------------------------------------------------------------


def test_create_officer_command_then_sign_in(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = run_command(["create-officer", "New.Officer@Example.org", "--admin",
                          "--password-stdin"], monkeypatch, settings, "a long enough password\n")
    assert status == 0
    assert "Created administrator new.officer@example.org" in capsys.readouterr().out
    assert sign_in(client, "new.officer@example.org", "a long enough password").status_code == 303


def test_create_officer_refuses_weak_password_and_duplicates(
    settings: Settings, officer: Officer, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], dbs,  # type: ignore[no-untyped-def]
) -> None:
    assert run_command(["create-officer", "x@example.org", "--password-stdin"], monkeypatch,
                       settings, "short\n") == 1
    assert "use at least 12" in capsys.readouterr().err
    assert run_command(["create-officer", officer.email, "--password-stdin"], monkeypatch,
                       settings, "another long password\n") == 1
    assert "already exists" in capsys.readouterr().err
    assert run_command(["create-officer", "not-an-address", "--password-stdin"], monkeypatch,
                       settings, "another long password\n") == 1
    assert "is not an e-mail address" in capsys.readouterr().err
    with dbs() as session:
        assert len(session.exec(select(Officer)).all()) == 1


def test_create_officer_prompts_twice(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter(["first long password", "second long password"])
    monkeypatch.setattr(account_commands.getpass, "getpass", lambda prompt: next(answers))
    assert run_command(["create-officer", "x@example.org"], monkeypatch, settings) == 1
    assert "The two passwords differ" in capsys.readouterr().err


def test_make_officer_helper_gives_a_working_account(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    other = make_officer(engine, settings, "second@example.org")
    assert sign_in(client, other.email, PASSWORD).status_code == 303


# --- changing one's own password ------------------------------------------------------------------


def test_officer_changes_password_and_other_sessions_end(
    app: Starlette, officer_client: TestClient, officer: Officer, engine: Engine
) -> None:
    with make_client(app) as laptop:
        login(laptop, officer.email)
        page = officer_client.get("/account/password")
        assert page.status_code == 200 and 'autocomplete="new-password"' in page.text
        response = post_form(officer_client, "/account/password",
                             {"current": PASSWORD, "new": "a fresh long passphrase",
                              "repeat": "a fresh long passphrase"})
        assert response.status_code == 200
        assert "Your password has been changed. Your 1 other session was signed out." in response.text
        assert laptop.get("/account/password", follow_redirects=False).status_code == 303
    assert officer_client.get("/account/password").status_code == 200  # still signed in here
    assert sign_in(officer_client, officer.email, PASSWORD).status_code == 401
    assert sign_in(officer_client, officer.email, "a fresh long passphrase").status_code == 303
    with db.session(engine) as session:
        actions = [event.action for event in audit.events(session, audit.SYSTEM)]
    assert actions == ["officer.password_changed"]


@pytest.mark.parametrize(("form", "message"), [
    ({"current": "", "new": "a fresh long passphrase", "repeat": "a fresh long passphrase"},
     "Enter your current password."),
    ({"current": PASSWORD, "new": "short", "repeat": "short"}, "use at least 12"),
    ({"current": PASSWORD, "new": "a fresh long passphrase", "repeat": "something else entirely"},
     "The two new passwords differ."),
    ({"current": PASSWORD, "new": PASSWORD, "repeat": PASSWORD}, "is the same as the current one"),
    ({"current": WRONG, "new": "a fresh long passphrase", "repeat": "a fresh long passphrase"},
     "Your current password is not right."),
])
def test_password_change_problems_are_explained_and_change_nothing(
    officer_client: TestClient, officer: Officer, form: dict[str, str], message: str
) -> None:
    response = post_form(officer_client, "/account/password", form, htmx=True)
    assert response.status_code == 422
    assert message in response.text
    assert response.text.lstrip().startswith("<form") and 'aria-invalid="true"' in response.text
    assert sign_in(officer_client, officer.email, PASSWORD).status_code == 303
