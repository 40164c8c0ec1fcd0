"""Administration of officers' accounts: see who is signed in, end their sessions, and disable
or re-enable an account.

Revoking is how an admin responds to a lost laptop; disabling is for a colleague who leaves. Both
take effect on the officer's very next request because sessions live in the database, and both
are written to the system audit chain (assembly 0), naming officers by id only.
"""

from __future__ import annotations

from sqlmodel import Session, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from assembly import audit, db, sessions
from assembly.accounts.models import Officer
from assembly.authz import require
from assembly.templating import render, see_other, url


async def officers(request: Request) -> Response:
    require(request, "officers.list")
    settings = request.app.state.settings

    def load(session: Session) -> list[tuple[Officer, int]]:
        rows = session.exec(select(Officer).order_by(Officer.email)).all()
        return [(officer, sessions.active_count(session, settings, officer.id or 0))
                for officer in rows]

    rows = await db.run(request, load)
    return render(request, "accounts/officers.html", {"rows": rows}, block="officers")


async def revoke_sessions(request: Request) -> Response:
    actor = require(request, "officers.revoke_sessions")
    officer_id = request.path_params["officer_id"]

    def revoke(session: Session) -> tuple[Officer | None, int]:
        officer = session.get(Officer, officer_id)
        if officer is None:
            return None, 0
        count = sessions.revoke(session, officer_id=officer_id, reason=f"revoked by {actor.label}")
        audit.record(session, audit.SYSTEM, actor.label, "officer.sessions_revoked",
                     {"officer": f"officer:{officer_id}", "sessions": count})
        return officer, count

    officer, count = await db.run(request, revoke, write=True)
    if officer is None:
        raise HTTPException(404)
    noun = "session" if count == 1 else "sessions"
    return see_other(request, url(request, "admin_officers"),
                     f"Ended {count} {noun} of {officer.email}. They must sign in again.")


async def set_disabled(request: Request) -> Response:
    """Disable (form field `disabled=1`) or re-enable (`disabled=0`) an officer's account."""
    actor = require(request, "officers.disable")
    officer_id = request.path_params["officer_id"]
    form = await request.form()
    choice = str(form.get("disabled", ""))
    if choice not in ("0", "1"):
        raise HTTPException(422, "Choose whether to disable or enable the account "
                                 "(the form sends disabled=1 or disabled=0).")
    disable = choice == "1"
    if disable and actor.officer is not None and actor.officer.id == officer_id:
        raise HTTPException(409, "You cannot disable your own account: ask another administrator, "
                                 "so that someone can always sign in.")

    def change(session: Session) -> Officer | None:
        officer = session.get(Officer, officer_id)
        if officer is None:
            return None
        if officer.disabled != disable:
            officer.disabled = disable
            session.add(officer)
            ended = sessions.revoke(session, officer_id=officer_id,
                                    reason=f"disabled by {actor.label}") if disable else 0
            audit.record(session, audit.SYSTEM, actor.label,
                         "officer.disabled" if disable else "officer.enabled",
                         {"officer": f"officer:{officer_id}", "sessions_ended": ended})
        return officer

    officer = await db.run(request, change, write=True)
    if officer is None:
        raise HTTPException(404)
    message = (f"Disabled {officer.email}. They are signed out and cannot sign in."
               if disable else f"Enabled {officer.email}. They can sign in again.")
    return see_other(request, url(request, "admin_officers"), message)
