"""Where a selected resident lands from their letter: open the invitation, continue, welcome.

Opening a link (GET) never uses it up: e-mail security scanners fetch links before people do, so
only the Continue button (a POST) redeems it. These pages set no cookie until the member presses
Continue, and they are not linked from anywhere a search engine would find.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response

from assembly import db, forms, sessions
from assembly.accounts.models import LoginAttempt, SessionKind
from assembly.authz import require
from assembly.invitations import access, credentials
from assembly.invitations.credentials import State
from assembly.settings import Settings
from assembly.tables import utcnow
from assembly.templating import navigate, render, url

# uvicorn's access log (and anything logging a request path through it) never shows a token.
logging.getLogger("uvicorn.access").addFilter(credentials.HIDE_TOKENS)

# Status codes for pages about an invitation that cannot be used: 410 says "gone for good".
PROBLEM_STATUS = {State.used: 410, State.expired: 410, State.replaced: 410, State.unknown: 404}


def _problem(request: Request, state: State) -> Response:
    return render(request, "invitations/invite_problem.html", {"state": state.value},
                  status_code=PROBLEM_STATUS[state])


async def invitation(request: Request) -> Response:
    """The page a link opens: what this is, and a Continue button."""
    token = request.path_params["token"]
    state = await db.run(request, credentials.inspect, credentials.link_hash(token))
    if state is not State.valid:
        return _problem(request, state)
    return render(request, "invitations/invite.html", {"token": token})


async def redeem_link(request: Request) -> Response:
    token = request.path_params["token"]
    state, session_token = await _consume(request, credentials.link_hash(token), via="link")
    return _signed_in(request, session_token) if session_token else _problem(request, state)


async def code_page(request: Request) -> Response:
    return render(request, "invitations/invite_code.html", {"errors": {}, "code": ""},
                  block="code_form")


async def redeem_code(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    form = await forms.read(request)
    typed = forms.text(form, "code", strip=False)
    code = credentials.normalise_code(typed)
    address = request.client.host if request.client else "unknown"
    wait = await db.run(request, _throttle, settings, address)
    errors: dict[str, str] = {}
    status = 422
    headers: dict[str, str] = {}
    if wait is not None:
        minutes = max(1, round(wait.total_seconds() / 60))
        errors["code"] = (f"Too many codes that did not work. Wait {minutes} minute"
                          f"{'s' if minutes != 1 else ''} and try again, or contact the "
                          "assembly team.")
        status = 429
        headers["Retry-After"] = str(int(wait.total_seconds()))
    elif not typed.strip():
        errors["code"] = "Enter the code from your invitation letter."
    elif code is None:
        errors["code"] = (f"The code has {credentials.CODE_LENGTH} letters and numbers, like "
                          "K7QM-4XRT-9BNC-H2FD. Check it and try again.")
    if errors:
        if wait is None and typed.strip():
            await db.run(request, _note_failure, settings, address, write=True)
        return render(request, "invitations/invite_code.html", {"errors": errors, "code": typed},
                      block="code_form", status_code=status, headers=headers)
    assert code is not None
    state, session_token = await _consume(request, credentials.code_hash(code), via="code")
    if session_token:
        return _signed_in(request, session_token)
    if state is State.unknown:
        await db.run(request, _note_failure, settings, address, write=True)
        errors["code"] = ("That code does not match an invitation. Check it against your letter "
                          "and try again.")
        return render(request, "invitations/invite_code.html", {"errors": errors, "code": typed},
                      block="code_form", status_code=422)
    return _problem(request, state)


async def _consume(request: Request, secret_hash: str, *, via: str) -> tuple[State, str | None]:
    """Redeem the invitation and start a member session; the session cookie value or None."""
    settings: Settings = request.app.state.settings
    old_token = sessions.cookie_token(request)

    return await db.run(request, credentials.admit, settings, secret_hash, via=via,
                        replacing=old_token, write=True)


def _signed_in(request: Request, token: str) -> Response:
    response = navigate(request, url(request, "member_home"))
    sessions.set_cookie(response, request.app.state.settings, token, SessionKind.member.value)
    return response


async def welcome(request: Request) -> Response:
    actor = require(request, "member.welcome")
    assembly = await db.run(request, access.members_assembly, actor, "member.view_assembly")
    return render(request, "invitations/welcome.html", {"assembly": assembly})


# --- guessing codes: count failures per client address, like sign-in attempts --------------------


def _address_key(settings: Settings, address: str) -> str:
    return hmac.new(settings.secret_key.encode(), f"invitation-code:{address}".encode(),
                    hashlib.sha256).hexdigest()


def _throttle(session: Session, settings: Settings, address: str) -> timedelta | None:
    """How long this address must wait, or None. Codes have 80 bits, so this is not what keeps
    them safe; it keeps a script from filling the logs and the database with guesses."""
    now = utcnow()
    window = timedelta(minutes=settings.login_window_minutes)
    key = _address_key(settings, address)
    failures = session.exec(
        select(LoginAttempt.at)
        .where(LoginAttempt.address_key == key, col(LoginAttempt.succeeded).is_(False),
               LoginAttempt.at > now - window)
        .order_by(col(LoginAttempt.at).desc())
        .limit(settings.login_max_per_address)
    ).all()
    if len(failures) < settings.login_max_per_address:
        return None
    return max(failures[-1] + window - now, timedelta(seconds=1))


def _note_failure(session: Session, settings: Settings, address: str) -> None:
    key = _address_key(settings, address)
    session.exec(sa.insert(LoginAttempt).values(
        at=utcnow(), account_key=key, address_key=key, succeeded=False))
