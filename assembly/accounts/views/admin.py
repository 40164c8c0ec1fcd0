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

from assembly import db, forms, sessions
from assembly.accounts import officers
from assembly.accounts.models import Officer
from assembly.authz import require
from assembly.templating import render, see_other, url


async def officer_list(request: Request) -> Response:
    require(request, "officers.list")
    settings = request.app.state.settings

    def load(session: Session) -> list[tuple[Officer, int]]:
        rows = session.exec(select(Officer).order_by(Officer.email)).all()
        return [(officer, sessions.active_count(session, settings, officer.id or 0))
                for officer in rows]

    rows = await db.run(request, load)
    return render(request, "accounts/officers.html", {"rows": rows}, block="officers")


def _officer_or_404(session: Session, officer_id: int) -> Officer:
    officer = session.get(Officer, officer_id)
    if officer is None:
        raise HTTPException(404, "There is no such officer.")
    return officer


async def revoke_sessions(request: Request) -> Response:
    actor = require(request, "officers.revoke_sessions")
    officer_id = request.path_params["officer_id"]

    def work(session: Session) -> tuple[str, int]:
        officer = _officer_or_404(session, officer_id)
        return officer.email, officers.end_sessions(session, officer, actor=actor.label)

    email, count = await db.run(request, work, write=True)
    noun = "session" if count == 1 else "sessions"
    return see_other(request, url(request, "admin_officers"),
                     f"Ended {count} {noun} of {email}. They must sign in again.")


async def set_disabled(request: Request) -> Response:
    """Disable (form field `disabled=1`) or re-enable (`disabled=0`) an officer's account."""
    actor = require(request, "officers.disable")
    officer_id = request.path_params["officer_id"]
    form = await forms.read(request)
    choice = str(form.get("disabled", ""))
    if choice not in ("0", "1"):
        raise HTTPException(422, "Choose whether to disable or enable the account "
                                 "(the form sends disabled=1 or disabled=0).")
    disable = choice == "1"

    def work(session: Session) -> str:
        officer = _officer_or_404(session, officer_id)
        officers.set_disabled(session, officer, disable, actor=actor.label,
                              actor_officer_id=actor.officer.id if actor.officer else None)
        return officer.email

    email = await db.run(request, work, write=True)
    message = (f"Disabled {email}. They are signed out and cannot sign in."
               if disable else f"Enabled {email}. They can sign in again.")
    return see_other(request, url(request, "admin_officers"), message)
