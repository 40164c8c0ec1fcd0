"""Server-side sessions: sign-out, idle and absolute timeouts, a new session at each sign-in, and
members kept apart from officers. Ending an officer's sessions by an administrator or from the
command line is in `tests/app/accounts/test_officers.py`."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from assembly import db, sessions
from assembly.accounts.models import Officer, UserSession
from assembly.selection.models import Member
from assembly.settings import Settings
from assembly.tables import utcnow
from tests.app.flows import HTMX, is_signed_in, login, make_client, post_form


def age_session(engine: Engine, *, last_seen: timedelta | None = None,
                created: timedelta | None = None) -> None:
    """Move every session back in time, as if the clock had run on."""
    now = utcnow()
    values: dict[str, object] = {}
    if last_seen is not None:
        values["last_seen_at"] = now - last_seen
    if created is not None:
        values["created_at"] = now - created
        values["expires_at"] = now - created + timedelta(hours=12)
    with db.session(engine, write=True) as session:
        session.exec(sa.update(UserSession).values(**values))


def test_session_cookie_is_http_only_and_lax(client: TestClient, admin: Officer) -> None:
    response = login(client, admin.email)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("minipublic-session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Max-Age=43200" in cookie  # the absolute limit, 12 hours


def test_only_a_hash_of_the_cookie_is_stored(client: TestClient, admin: Officer, dbs) -> None:  # type: ignore[no-untyped-def]
    login(client, admin.email)
    token = client.cookies.get("minipublic-session")
    with dbs() as session:
        rows = session.exec(select(UserSession)).all()
    assert len(rows) == 1
    assert rows[0].token_hash == sessions.token_hash(token)
    assert token not in repr(rows[0].model_dump())


def test_sign_out_ends_the_session_on_the_server(app: Starlette, admin: Officer) -> None:
    with make_client(app) as browser:
        login(browser, admin.email)
        stolen = browser.cookies.get("minipublic-session")
        response = post_form(browser, "/logout", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login"
        assert 'minipublic-session=""' in response.headers["set-cookie"]
    with make_client(app) as attacker:
        attacker.cookies.set("minipublic-session", stolen)
        assert not is_signed_in(attacker)


def test_htmx_sign_out_reloads_the_whole_page(admin_client: TestClient) -> None:
    response = post_form(admin_client, "/logout", htmx=True, follow_redirects=False)
    assert response.status_code == 204 and response.headers["hx-redirect"] == "/login"


def test_idle_session_ends(admin_client: TestClient, engine: Engine, settings: Settings) -> None:
    age_session(engine, last_seen=timedelta(minutes=settings.officer_idle_minutes - 1))
    assert is_signed_in(admin_client)
    age_session(engine, last_seen=timedelta(minutes=settings.officer_idle_minutes, seconds=1))
    response = admin_client.get("/admin/officers", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/admin/officers"


def test_activity_pushes_back_the_idle_timeout(
    admin_client: TestClient, engine: Engine, settings: Settings
) -> None:
    age_session(engine, last_seen=timedelta(minutes=settings.officer_idle_minutes - 1))
    assert is_signed_in(admin_client)  # this request refreshes last_seen
    with db.session(engine) as session:
        row = session.exec(select(UserSession)).one()
    assert utcnow() - row.last_seen_at < timedelta(minutes=1)


def test_absolute_timeout_ends_even_an_active_session(
    admin_client: TestClient, engine: Engine, settings: Settings
) -> None:
    age_session(engine, created=timedelta(hours=settings.officer_session_hours, seconds=1),
                last_seen=timedelta(seconds=5))
    assert not is_signed_in(admin_client)


def test_htmx_request_after_expiry_redirects_the_whole_page(
    admin_client: TestClient, engine: Engine, settings: Settings
) -> None:
    age_session(engine, last_seen=timedelta(days=1))
    response = admin_client.get("/admin/officers", headers=HTMX, follow_redirects=False)
    assert response.status_code == 401
    assert response.headers["hx-redirect"] == "/login?next=/admin/officers"


def test_expired_session_post_changes_nothing_and_says_so(
    admin_client: TestClient, engine: Engine, officer: Officer, dbs  # type: ignore[no-untyped-def]
) -> None:
    other = make_client(admin_client.app)  # type: ignore[arg-type]
    with other:
        login(other, officer.email)
    age_session(engine, last_seen=timedelta(days=1))
    response = post_form(admin_client, f"/admin/officers/{officer.id}/revoke-sessions")
    assert response.status_code == 401
    assert "Your session has ended, so nothing was changed" in response.text
    with dbs() as session:
        officer_sessions = session.exec(
            select(UserSession).where(UserSession.officer_id == officer.id)).all()
    assert all(row.revoked_at is None for row in officer_sessions)


def test_signing_in_again_replaces_the_old_session(
    client: TestClient, admin: Officer, dbs  # type: ignore[no-untyped-def]
) -> None:
    login(client, admin.email)
    first = client.cookies.get("minipublic-session")
    login(client, admin.email)
    assert client.cookies.get("minipublic-session") != first
    with dbs() as session:
        rows = session.exec(select(UserSession).order_by(UserSession.id)).all()
    assert [row.revoked_reason for row in rows] == ["replaced at sign-in", None]


def test_member_session_is_not_an_officer_session(member_client: TestClient) -> None:
    response = member_client.get("/admin/officers", follow_redirects=False)
    assert response.status_code == 403
    response = member_client.get("/login", follow_redirects=False)
    assert response.status_code == 200  # not treated as a signed-in officer


def test_member_sessions_last_longer_but_still_end(
    engine: Engine, settings: Settings, member: Member
) -> None:
    start = utcnow()
    with db.session(engine, write=True) as session:
        token = sessions.start(session, settings, member=member, now=start)
    with db.session(engine) as session:
        day = sessions.lookup(session, settings, token, now=start + timedelta(days=1))[0]
        idle = sessions.lookup(session, settings, token,
                               now=start + timedelta(days=settings.member_idle_days, seconds=1))[0]
    assert day.is_member and day.member is not None and day.member.id == member.id
    assert idle.kind == "anonymous"


def test_session_belongs_to_exactly_one_person(engine: Engine, settings: Settings,
                                               officer: Officer, member: Member) -> None:
    with db.session(engine, write=True) as session, pytest.raises(ValueError):
        sessions.start(session, settings, officer=officer, member=member)
    with pytest.raises(sa.exc.IntegrityError), db.session(engine, write=True) as session:
        session.add(UserSession(token_hash="x" * 64, kind="officer", officer_id=officer.id,
                                member_id=member.id, expires_at=utcnow()))
        session.flush()


def test_prune_forgets_long_ended_sessions_only(
    engine: Engine, settings: Settings, officer: Officer
) -> None:
    now = utcnow()
    with db.session(engine, write=True) as session:
        live = sessions.start(session, settings, officer=officer)
        sessions.start(session, settings, officer=officer, now=now - timedelta(days=40))
        revoked_recently = sessions.start(session, settings, officer=officer)
        sessions.end(session, revoked_recently)
    with db.session(engine, write=True) as session:
        assert sessions.prune(session) == 1
    with db.session(engine) as session:
        remaining = {row.token_hash for row in session.exec(select(UserSession)).all()}
    assert remaining == {sessions.token_hash(live), sessions.token_hash(revoked_recently)}
