"""An officer's own account: change the password.

Changing it ends every other session of that officer (a lost laptop stays signed out) but keeps
the browser in use signed in.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from assembly import audit, auth, db
from assembly.authz import require
from assembly.models import Officer, UserSession, utcnow
from assembly.templating import render, see_other

FORM = "auth/password.html"


async def password_page(request: Request) -> Response:
    require(request, "account.change_password")
    return render(request, FORM, {"errors": {}}, block="password_form")


async def change_password(request: Request) -> Response:
    actor = require(request, "account.change_password")
    assert actor.officer is not None and actor.officer.id is not None
    officer_id, session_id = actor.officer.id, actor.session_id
    settings = request.app.state.settings
    form = await request.form()
    current = str(form.get("current", ""))
    new = str(form.get("new", ""))
    repeat = str(form.get("repeat", ""))
    errors: dict[str, str] = {}
    if not current:
        errors["current"] = "Enter your current password."
    problems = auth.password_problems(new)
    if problems:
        errors["new"] = " ".join(problems)
    elif new != repeat:
        errors["repeat"] = "The two new passwords differ. Type the same password twice."
    elif new == current:
        errors["new"] = "The new password is the same as the current one. Choose a different one."
    if errors:
        return render(request, FORM, {"errors": errors}, block="password_form", status_code=422)

    def change(session: Session) -> int | None:
        officer = session.get(Officer, officer_id)
        if officer is None or not auth.verify_password(settings, officer.password_hash, current):
            return None
        auth.set_password(session, settings, officer, new)
        ended = session.exec(  # type: ignore[call-overload]
            update(UserSession)
            .where(UserSession.officer_id == officer_id, UserSession.id != session_id,
                   UserSession.revoked_at.is_(None))  # type: ignore[union-attr]
            .values(revoked_at=utcnow(), revoked_reason="password changed")
        ).rowcount
        audit.record(session, audit.SYSTEM, actor.label, "officer.password_changed",
                     {"officer": actor.label, "other_sessions_ended": ended})
        return int(ended)

    ended = await db.run(request, change, write=True)
    if ended is None:
        return render(request, FORM, {"errors": {"current": "Your current password is not right."}},
                      block="password_form", status_code=422)
    others = (f" Your {ended} other session{'s' if ended != 1 else ''} "
              f"{'were' if ended != 1 else 'was'} signed out.") if ended else ""
    return see_other(request, "/account/password", "Your password has been changed." + others)
