"""Administration of officers' accounts: see who is signed in and end their sessions.

Revoking is how an admin responds to a lost laptop or a colleague leaving; it takes effect on the
officer's very next request because sessions live in the database.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from sqlmodel import Session, select

from assembly import db, sessions
from assembly.authz import require
from assembly.models import Officer
from assembly.templating import render, see_other


async def officers(request: Request) -> Response:
    require(request, "officers.list")
    settings = request.app.state.settings

    def load(session: Session) -> list[tuple[Officer, int]]:
        rows = session.exec(select(Officer).order_by(Officer.email)).all()
        return [(officer, sessions.active_count(session, settings, officer.id or 0))
                for officer in rows]

    rows = await db.run(request, load)
    return render(request, "admin/officers.html", {"rows": rows}, block="officers")


async def revoke_sessions(request: Request) -> Response:
    actor = require(request, "officers.revoke_sessions")
    officer_id = request.path_params["officer_id"]

    def revoke(session: Session) -> tuple[Officer | None, int]:
        officer = session.get(Officer, officer_id)
        if officer is None:
            return None, 0
        return officer, sessions.revoke(session, officer_id=officer_id,
                                        reason=f"revoked by {actor.label}")

    officer, count = await db.run(request, revoke, write=True)
    if officer is None:
        raise HTTPException(404)
    noun = "session" if count == 1 else "sessions"
    return see_other(request, "/admin/officers",
                     f"Ended {count} {noun} of {officer.email}. They must sign in again.")
