"""Administering officers' accounts: an administrator ends another officer's sessions or disables
the account, and the revoke-sessions, disable-officer and set-password commands do the same from
the command line."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from assembly import audit, cli, db
from assembly.accounts.models import Officer
from assembly.settings import Settings
from tests.app.flows import is_signed_in, login, make_client, post_form


def test_admin_revokes_another_officers_sessions(
    app: Starlette, admin_client: TestClient, officer: Officer
) -> None:
    with make_client(app) as laptop, make_client(app) as phone:
        login(laptop, officer.email)
        login(phone, officer.email)
        page = admin_client.get("/admin/officers")
        assert page.status_code == 200 and officer.email in page.text
        response = post_form(admin_client, f"/admin/officers/{officer.id}/revoke-sessions")
        assert response.status_code == 200
        assert f"Ended 2 sessions of {officer.email}" in response.text
        for browser in (laptop, phone):
            assert browser.get("/admin/officers", follow_redirects=False).status_code == 303
    assert is_signed_in(admin_client)


def test_admin_revocation_with_htmx_updates_the_table_and_status(
    app: Starlette, admin_client: TestClient, officer: Officer
) -> None:
    with make_client(app) as laptop:
        login(laptop, officer.email)
    response = post_form(admin_client, f"/admin/officers/{officer.id}/revoke-sessions", htmx=True)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="officers">')
    assert 'id="status" hx-swap-oob="innerHTML"' in response.text
    assert "Ended 1 session of" in response.text
    assert response.headers["vary"] == "HX-Request, HX-Request-Type, Accept-Encoding"


def test_revoking_an_unknown_officer_is_404(admin_client: TestClient) -> None:
    assert post_form(admin_client, "/admin/officers/999999/revoke-sessions").status_code == 404


def test_ordinary_officer_cannot_revoke(officer_client: TestClient, admin: Officer) -> None:
    response = post_form(officer_client, f"/admin/officers/{admin.id}/revoke-sessions")
    assert response.status_code == 403
    assert "You do not have permission" in response.text


def test_disabling_an_officer_ends_their_access_at_once(
    officer_client: TestClient, engine: Engine, officer: Officer, dbs  # type: ignore[no-untyped-def]
) -> None:
    assert officer_client.get("/login", follow_redirects=False).status_code == 303  # signed in
    with dbs(write=True) as session:
        session.exec(sa.update(Officer).where(Officer.id == officer.id).values(disabled=True))
    assert officer_client.get("/login", follow_redirects=False).status_code == 200


def run_revoke(argv: list[str], settings: Settings, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    parser = cli.build_parser()
    args = parser.parse_args(["revoke-sessions", *argv])
    return args.run(args)


def test_revoke_sessions_command(
    app: Starlette, officer: Officer, admin: Officer, settings: Settings,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    with make_client(app) as first, make_client(app) as second:
        login(first, officer.email)
        login(second, admin.email)
        assert run_revoke(["--email", "OFFICER@example.org"], settings, monkeypatch) == 0
        assert "Ended 1 session of officer@example.org." in capsys.readouterr().out
        assert first.get("/login", follow_redirects=False).status_code == 200
        assert is_signed_in(second)
        assert run_revoke(["--all"], settings, monkeypatch) == 0
        assert "Ended 1 session of everyone." in capsys.readouterr().out
        assert not is_signed_in(second)
    assert run_revoke(["--email", "nobody@example.org"], settings, monkeypatch) == 1
    assert "no officer has the address nobody@example.org" in capsys.readouterr().err


# --- disabling accounts ---------------------------------------------------------------------------


def system_actions(engine: Engine) -> list[tuple[str, str, dict[str, object]]]:
    with db.session(engine) as session:
        assert audit.verify_chain(session, audit.SYSTEM).ok
        return [(event.actor, event.action, event.details)
                for event in audit.events(session, audit.SYSTEM)]


def test_admin_disables_and_re_enables_an_officer(
    app: Starlette, admin_client: TestClient, admin: Officer, officer: Officer, engine: Engine
) -> None:
    with make_client(app) as laptop:
        login(laptop, officer.email)
        response = post_form(admin_client, f"/admin/officers/{officer.id}/disabled",
                             {"disabled": "1"})
        assert response.status_code == 200
        assert f"Disabled {officer.email}. They are signed out and cannot sign in." in response.text
        assert "Disabled</td>" in response.text
        assert not is_signed_in(laptop)
        refused = post_form(laptop, "/login", {"email": officer.email,
                                               "password": "correct horse battery staple"})
        assert refused.status_code == 401
        response = post_form(admin_client, f"/admin/officers/{officer.id}/disabled",
                             {"disabled": "0"})
        assert f"Enabled {officer.email}. They can sign in again." in response.text
        login(laptop, officer.email)
    assert system_actions(engine) == [
        (f"officer:{admin.id}", "officer.disabled",
         {"officer": f"officer:{officer.id}", "sessions_ended": 1}),
        (f"officer:{admin.id}", "officer.enabled",
         {"officer": f"officer:{officer.id}", "sessions_ended": 0}),
    ]


def test_admin_cannot_disable_themselves(admin_client: TestClient, admin: Officer) -> None:
    response = post_form(admin_client, f"/admin/officers/{admin.id}/disabled", {"disabled": "1"})
    assert response.status_code == 409
    assert "You cannot disable your own account" in response.text
    assert is_signed_in(admin_client)


def test_disable_form_must_say_which(admin_client: TestClient, officer: Officer) -> None:
    response = post_form(admin_client, f"/admin/officers/{officer.id}/disabled",
                         {"disabled": "maybe"}, htmx=True)
    assert response.status_code == 422
    assert "disabled=1 or disabled=0" in response.text and "<html" not in response.text


def run_command(argv: list[str], settings: Settings, monkeypatch: pytest.MonkeyPatch,
                stdin: str = "") -> int:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MINIPUBLIC_PASSWORD_MEMORY_KIB", str(settings.password_memory_kib))
    monkeypatch.setenv("MINIPUBLIC_PASSWORD_TIME_COST", str(settings.password_time_cost))
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    parser = cli.build_parser()
    args = parser.parse_args(argv)
    return args.run(args)


def test_disable_officer_and_set_password_commands(
    app: Starlette, officer: Officer, settings: Settings, engine: Engine,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    with make_client(app) as browser:
        login(browser, officer.email)
        assert run_command(["disable-officer", officer.email], settings, monkeypatch) == 0
        assert f"Disabled {officer.email}; ended 1 session." in capsys.readouterr().out
        assert not is_signed_in(browser)
        assert run_command(["disable-officer", officer.email, "--enable"], settings,
                           monkeypatch) == 0
        assert run_command(["set-password", officer.email, "--password-stdin"], settings,
                           monkeypatch, "a brand new passphrase\n") == 0
        assert "Set a new password for officer@example.org" in capsys.readouterr().out
        old = post_form(browser, "/login", {"email": officer.email,
                                            "password": "correct horse battery staple"})
        assert old.status_code == 401
        login(browser, officer.email, "a brand new passphrase")
    assert run_command(["set-password", officer.email, "--password-stdin"], settings,
                       monkeypatch, "short\n") == 1
    assert "use at least 12" in capsys.readouterr().err
    assert run_command(["disable-officer", "nobody@example.org"], settings, monkeypatch) == 1
    assert [action for _, action, _ in system_actions(engine)] == [
        "officer.disabled", "officer.enabled", "officer.password_set"]
    assert {actor for actor, _, _ in system_actions(engine)} == {"command-line"}
