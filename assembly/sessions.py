"""Server-side sessions: a random id in a cookie, only its sha256 in the database.

A signed-cookie session cannot be taken back; these can. A session ends when the person signs out,
when an admin revokes it, when it has been idle too long, or when it reaches its absolute age,
whichever comes first.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from anyio import to_thread
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from assembly import db
from assembly.accounts.models import Officer, SessionKind, UserSession
from assembly.authz import ANONYMOUS, Actor
from assembly.selection.models import Member
from assembly.settings import Settings
from assembly.tables import utcnow
from assembly.templating import STATIC_PATH

# Writing last_seen on every request would turn every page view into a write; a minute of slack
# on a 30-minute idle timeout does not matter.
TOUCH_INTERVAL = timedelta(seconds=60)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def idle_limit(settings: Settings, kind: str) -> timedelta:
    if kind == SessionKind.officer.value:
        return timedelta(minutes=settings.officer_idle_minutes)
    return timedelta(days=settings.member_idle_days)


def absolute_limit(settings: Settings, kind: str) -> timedelta:
    if kind == SessionKind.officer.value:
        return timedelta(hours=settings.officer_session_hours)
    return timedelta(days=settings.member_session_days)


def start(
    session: Session,
    settings: Settings,
    *,
    officer: Officer | None = None,
    member: Member | None = None,
    now: datetime | None = None,
) -> str:
    """Create a session for exactly one officer or member; return the cookie value."""
    if (officer is None) == (member is None):
        raise ValueError("a session belongs to exactly one officer or one member")
    now = now or utcnow()
    kind = SessionKind.officer.value if officer is not None else SessionKind.member.value
    token = new_token()
    session.add(
        UserSession(
            token_hash=token_hash(token),
            kind=kind,
            officer_id=officer.id if officer is not None else None,
            member_id=member.id if member is not None else None,
            created_at=now,
            last_seen_at=now,
            expires_at=now + absolute_limit(settings, kind),
        )
    )
    session.flush()
    return token


def lookup(session: Session, settings: Settings, token: str, *, now: datetime | None = None
           ) -> tuple[Actor, bool]:
    """The actor this cookie belongs to (ANONYMOUS if the session is over), and whether its
    last-seen time is due to be refreshed with `touch`. Only reads, so it never takes SQLite's
    write lock on an ordinary page view."""
    now = now or utcnow()
    row = session.exec(
        select(UserSession).where(
            UserSession.token_hash == token_hash(token),
            col(UserSession.revoked_at).is_(None),
            UserSession.expires_at > now,
        )
    ).first()
    if row is None or row.last_seen_at + idle_limit(settings, row.kind) <= now:
        return ANONYMOUS, False
    if row.officer_id is not None:
        officer = session.get(Officer, row.officer_id)
        if officer is None or officer.disabled:
            return ANONYMOUS, False
        actor = Actor("officer", officer=officer, session_id=row.id)
    else:
        member = session.get(Member, row.member_id)
        if member is None:
            return ANONYMOUS, False
        actor = Actor("member", member=member, session_id=row.id)
    return actor, now - row.last_seen_at >= TOUCH_INTERVAL


def touch(session: Session, session_id: int, *, now: datetime | None = None) -> None:
    """Record activity, which pushes back the idle timeout (never the absolute one)."""
    session.exec(
        sa.update(UserSession).where(col(UserSession.id) == session_id)
        .values(last_seen_at=now or utcnow())
    )


def load(session: Session, settings: Settings, token: str, *, now: datetime | None = None) -> Actor:
    """`lookup` and `touch` in one go, for callers already in a write unit of work."""
    actor, due = lookup(session, settings, token, now=now)
    if due and actor.session_id is not None:
        touch(session, actor.session_id, now=now)
    return actor


def end(session: Session, token: str, *, reason: str = "signed out") -> None:
    session.exec(
        sa.update(UserSession)
        .where(col(UserSession.token_hash) == token_hash(token),
               col(UserSession.revoked_at).is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )


def revoke(
    session: Session,
    *,
    officer_id: int | None = None,
    member_id: int | None = None,
    everyone: bool = False,
    reason: str = "revoked by an admin",
) -> int:
    """End live sessions of one officer, one member, or everyone; return how many ended."""
    query = sa.update(UserSession).where(
        col(UserSession.revoked_at).is_(None), col(UserSession.expires_at) > utcnow()
    )
    if officer_id is not None:
        query = query.where(col(UserSession.officer_id) == officer_id)
    elif member_id is not None:
        query = query.where(col(UserSession.member_id) == member_id)
    elif not everyone:
        raise ValueError("say whose sessions to revoke, or everyone=True")
    result = session.exec(query.values(revoked_at=utcnow(), revoked_reason=reason))
    return result.rowcount


def prune(session: Session, *, keep: timedelta = timedelta(days=30)) -> int:
    """Delete sessions that ended (expired or revoked) more than `keep` ago; return how many.

    A month of history lets an admin see recent revocations; older rows only take space.
    """
    cutoff = utcnow() - keep
    result = session.exec(
        sa.delete(UserSession).where(
            sa.or_(col(UserSession.expires_at) < cutoff, col(UserSession.revoked_at) < cutoff)
        )
    )
    return result.rowcount


def active_count(session: Session, settings: Settings, officer_id: int) -> int:
    """Sessions of this officer that would still let them in now."""
    now = utcnow()
    idle = idle_limit(settings, SessionKind.officer.value)
    return len(
        session.exec(
            select(UserSession.id).where(
                UserSession.officer_id == officer_id,
                col(UserSession.revoked_at).is_(None),
                UserSession.expires_at > now,
                UserSession.last_seen_at > now - idle,
            )
        ).all()
    )


def set_cookie(response: Response, settings: Settings, token: str, kind: str) -> None:
    response.set_cookie(
        settings.session_cookie,
        token,
        max_age=int(absolute_limit(settings, kind).total_seconds()),
        path="/",
        secure=settings.production,
        httponly=True,
        samesite="lax",
    )


def clear_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        settings.session_cookie, path="/", secure=settings.production, httponly=True, samesite="lax"
    )


def cookie_token(connection: HTTPConnection) -> str | None:
    settings: Settings = connection.app.state.settings
    return connection.cookies.get(settings.session_cookie) or None


class SessionMiddleware:
    """Put `request.state.actor` on every request. Never sets a cookie itself, so public pages
    stay cookie-free; only signing in and out do."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        actor = ANONYMOUS
        token = cookie_token(connection)
        if token is not None and not scope["path"].startswith(STATIC_PATH + "/"):
            engine: Engine = connection.app.state.engine
            settings: Settings = connection.app.state.settings

            def find() -> Actor:
                with db.session(engine) as session:
                    found, due = lookup(session, settings, token)
                if due and found.session_id is not None:
                    with db.session(engine, write=True) as session:
                        touch(session, found.session_id)
                return found

            actor = await to_thread.run_sync(find)
        scope.setdefault("state", {})["actor"] = actor
        await self.app(scope, receive, send)
