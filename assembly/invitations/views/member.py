"""Where a selected resident lands from their letter: open the invitation, continue, welcome.

Opening a link (GET) never uses it up: e-mail security scanners fetch links before people do, so
only the Continue button (a POST) redeems it. These pages set no cookie until the member presses
Continue, and they are not linked from anywhere a search engine would find.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from assembly import db, forms, mail, sessions
from assembly.accounts import throttle
from assembly.accounts.models import SessionKind
from assembly.accounts.signin import LONGEST_PAUSE
from assembly.assemblies.models import Assembly
from assembly.authz import actor_of, require
from assembly.invitations import access, credentials, returning
from assembly.invitations.credentials import State
from assembly.selection.models import Member
from assembly.selection.panel import DECLINE_REASON_LIMIT
from assembly.settings import Settings
from assembly.tables import row_id
from assembly.templating import navigate, render, url

# uvicorn's access log (and anything logging a request path through it) never shows a token.
logging.getLogger("uvicorn.access").addFilter(credentials.HIDE_TOKENS)

# Status codes for pages about an invitation that cannot be used: 410 says "gone for good".
PROBLEM_STATUS = {State.used: 410, State.expired: 410, State.replaced: 410, State.declined: 410,
                  State.unknown: 404}
# Enough to catch a typo (no @, a space) without refusing any address a real server accepts.
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _problem(request: Request, state: State, assembly: Assembly | None = None) -> Response:
    return render(request, "invitations/invite_problem.html",
                  {"state": state.value, "assembly": assembly}, status_code=PROBLEM_STATUS[state])


@dataclass(frozen=True)
class Looked:
    state: State
    member: Member | None
    assembly: Assembly | None  # whose organisers the page names (None for an unknown link)


def _look(session: Session, secret_hash: str) -> Looked:
    state, member = credentials.look(session, secret_hash)
    assembly = session.get(Assembly, member.assembly_id) if member is not None else None
    return Looked(state, member, assembly)


def _is_signed_in_as(request: Request, member: Member | None) -> bool:
    """Is this browser signed in as `member` (who opened their own letter again)?"""
    actor = actor_of(request)
    return (member is not None and actor.kind == "member" and actor.member is not None
            and actor.member.id == member.id)


def _used_or_problem(request: Request, looked: Looked) -> Response:
    """A letter opened again on the device where its member is signed in goes home (its link
    or code was used, or stopped when the other one was); anyone else, including another member
    signed in here, learns why it does not work."""
    if _is_signed_in_as(request, looked.member):
        return navigate(request, url(request, "member_home"))
    return _problem(request, looked.state, looked.assembly)


async def invitation(request: Request) -> Response:
    """The page a link opens: what this is, a Continue button, and a way to say no."""
    token = request.path_params["token"]
    looked = await db.run(request, _look, credentials.link_hash(token))
    if looked.state is not State.valid:
        return _used_or_problem(request, looked)
    return render(request, "invitations/invite.html",
                  {"token": token, "assembly": looked.assembly})


async def redeem_link(request: Request) -> Response:
    token = request.path_params["token"]
    _, session_token = await _consume(request, credentials.link_hash(token), via="link")
    if session_token:
        return _signed_in(request, session_token)
    return _used_or_problem(request, await db.run(request, _look, credentials.link_hash(token)))


async def decline_page(request: Request) -> Response:
    """Saying no is confirmed on a page of its own, so nobody declines by a slip of the finger."""
    token = request.path_params["token"]
    looked = await db.run(request, _look, credentials.link_hash(token))
    if looked.state is not State.valid:
        return _used_or_problem(request, looked)
    return render(request, "invitations/decline.html",
                  {"token": token, "assembly": looked.assembly, "reason": "", "errors": {}},
                  block="decline_form")


async def decline(request: Request) -> Response:
    """The resident says no (with a reason if they give one): the link then shows that they did."""
    token = request.path_params["token"]
    secret_hash = credentials.link_hash(token)
    reason = forms.text(await forms.read(request), "reason", multiline=True)
    if len(reason) > DECLINE_REASON_LIMIT:
        looked = await db.run(request, _look, secret_hash)
        if looked.state is not State.valid:
            return _used_or_problem(request, looked)
        error = (f"Your reason is {len(reason):,} characters long; please shorten it to "
                 f"{DECLINE_REASON_LIMIT:,} or fewer. Nothing has been recorded yet.")
        return render(request, "invitations/decline.html",
                      {"token": token, "assembly": looked.assembly, "reason": reason,
                       "errors": {"reason": error}}, block="decline_form", status_code=422)
    state, _ = await db.run(request, credentials.decline, secret_hash, reason=reason, write=True)
    if state is not State.declined:
        return _used_or_problem(request, await db.run(request, _look, secret_hash))
    return navigate(request, url(request, "invitation", token=token))


async def code_page(request: Request) -> Response:
    return render(request, "invitations/invite_code.html", {"errors": {}, "code": ""},
                  block="code_form")


async def redeem_code(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    form = await forms.read(request)
    typed = forms.text(form, "code", strip=False)
    code = credentials.normalise_code(typed)
    address = request.client.host if request.client else "unknown"
    errors: dict[str, str] = {}
    if not typed.strip():
        errors["code"] = "Enter the code from your invitation letter."
        return render(request, "invitations/invite_code.html", {"errors": errors, "code": typed},
                      block="code_form", status_code=422)
    # Count the try before looking at it, so parallel guesses cannot slip past the limit.
    checks = [_code_check(settings, address)]
    # (A look at known pauses, then a read-only query, so a flood of paused tries takes no
    # write lock, and mostly no query at all.)
    memo = throttle.memo(request.app)
    wait = memo.wait([check.key for check in checks])
    if wait is None:
        wait = await db.run(request, throttle.paused, checks, remember=memo,
                            limiter=throttle.gate())
    if wait is None:
        wait = await db.run(request, throttle.reserve, checks, write=True,
                            limiter=throttle.gate())
    if wait is not None:
        await throttle.hold_back(settings)
        minutes = max(1, round(wait.total_seconds() / 60))
        errors["code"] = (f"Too many codes that did not work. Wait {minutes} minute"
                          f"{'s' if minutes != 1 else ''} and try again, or contact the "
                          "assembly team.")
        return render(request, "invitations/invite_code.html", {"errors": errors, "code": typed},
                      block="code_form", status_code=429,
                      headers={"Retry-After": str(int(wait.total_seconds()))})
    if code is None:
        errors["code"] = (f"The code has {credentials.CODE_LENGTH} letters and numbers, like "
                          "K7QM-4XRT-9BNC-H2FD. Check it and try again.")
        return render(request, "invitations/invite_code.html", {"errors": errors, "code": typed},
                      block="code_form", status_code=422)
    state, session_token = await _consume(request, credentials.code_hash(code), via="code")
    sign_in_code = False
    if state is State.unknown:
        # Not an invitation: perhaps a sign-in code an officer gave a member who has joined.
        state, session_token = await db.run(
            request, returning.admit, settings, credentials.code_hash(code), via="code",
            replacing=sessions.cookie_token(request), write=True)
        sign_in_code = True
    if state is State.unknown:
        errors["code"] = ("That code does not match an invitation or a sign-in code. Check it "
                          "against your letter, or the code the assembly team gave you, and try "
                          "again.")
        return render(request, "invitations/invite_code.html", {"errors": errors, "code": typed},
                      block="code_form", status_code=422)
    # A real code (used now, or already used, expired or replaced) was not a guess.
    await db.run(request, throttle.give_back, checks, write=True, limiter=throttle.gate())
    if session_token:
        return _signed_in(request, session_token)
    if sign_in_code:
        return _sign_in_problem(request, state)
    return _used_or_problem(request, await db.run(request, _look, credentials.code_hash(code)))


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
    """The address members were first sent to: moved for good to their home page (joined by
    route name, so this room needs nothing from the later room that draws it)."""
    return RedirectResponse(url(request, "member_home"), status_code=301)


# --- guessing codes: counted per client address, by the same mechanism as sign-ins --------------


def _code_check(settings: Settings, address: str) -> throttle.Check:
    """Codes have 80 bits, so this is not what keeps them safe; it keeps a script from filling
    the logs and the database with guesses."""
    first = timedelta(minutes=settings.login_window_minutes)
    return throttle.Check(throttle.key(settings, "invitation-code address", address),
                          throttle.Rule(settings.login_max_per_address, first, LONGEST_PAUSE))


# --- signing in again: a link by e-mail, or a code from an officer -----------------------------


async def sign_in_page(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    return render(request, "invitations/sign_in.html",
                  {"errors": {}, "email": "", "mail_works": mail.configured(settings)},
                  block="sign_in_form")


async def send_sign_in_link(request: Request) -> Response:
    """Send a link if the address is a member's; the answer is the same either way."""
    settings: Settings = request.app.state.settings
    form = await forms.read(request)
    email = forms.text(form, "email")
    context = {"errors": {}, "email": email, "mail_works": mail.configured(settings)}
    if not mail.configured(settings):
        # The page then says to ask the team for a code (the form is not shown either).
        return render(request, "invitations/sign_in.html", context, block="sign_in_form")
    if not EMAIL.fullmatch(email):
        context["errors"] = {"email": "Enter your e-mail address, like name@example.com."}
        return render(request, "invitations/sign_in.html", context, block="sign_in_form",
                      status_code=422)
    address = request.client.host if request.client else "unknown"
    checks = [_link_check(settings, address)]
    wait = await db.run(request, throttle.reserve, checks, write=True, limiter=throttle.gate())
    if wait is not None:
        await throttle.hold_back(settings)
        minutes = max(1, round(wait.total_seconds() / 60))
        context["errors"] = {"email": f"Too many requests from this connection. Wait {minutes} "
                                      f"minute{'s' if minutes != 1 else ''} and try again."}
        return render(request, "invitations/sign_in.html", context, block="sign_in_form",
                      status_code=429, headers={"Retry-After": str(int(wait.total_seconds()))})
    template = url(request, "member_sign_in_link", token="TOKEN")

    def link_for(token: str) -> str:
        return settings.public_url + template.replace("TOKEN", token)

    await db.run(request, returning.send_links, settings, email, link_for, write=True)
    return render(request, "invitations/sign_in.html", {**context, "sent": True},
                  block="sign_in_form")


async def sign_in_link(request: Request) -> Response:
    """The page a sign-in link opens: a Continue button (scanners that fetch links use nothing)."""
    token = request.path_params["token"]
    state = await db.run(request, returning.inspect, credentials.link_hash(token))
    if state is not State.valid:
        return _sign_in_problem(request, state)
    return render(request, "invitations/sign_in_link.html", {"token": token})


async def use_sign_in_link(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    token = request.path_params["token"]
    state, session_token = await db.run(
        request, returning.admit, settings, credentials.link_hash(token), via="link",
        replacing=sessions.cookie_token(request), write=True)
    if session_token is None:
        return _sign_in_problem(request, state)
    return _signed_in(request, session_token)


def _sign_in_problem(request: Request, state: State) -> Response:
    return render(request, "invitations/sign_in_problem.html", {"state": state.value},
                  status_code=PROBLEM_STATUS[state])


async def account(request: Request) -> Response:
    """Where a member sees how many devices they are signed in on, and can sign out of all."""
    actor = require(request, "member.account")
    assembly = await db.run(request, access.members_assembly, actor, "member.view_assembly")
    assert actor.member is not None
    count = await db.run(request, returning.devices, row_id(actor.member.id))
    return render(request, "invitations/account.html", {"assembly": assembly, "devices": count})


async def sign_out_everywhere(request: Request) -> Response:
    actor = require(request, "member.account")
    assert actor.member is not None
    await db.run(request, returning.sign_out_everywhere, actor.member, write=True)
    response = navigate(request, url(request, "home"),
                        "You have signed out on every device.", "info")
    sessions.clear_cookie(response, request.app.state.settings)
    return response


def _link_check(settings: Settings, address: str) -> throttle.Check:
    """Requests for links, per client address: each one may send an e-mail, so a script must
    not be able to send thousands (each member also gets at most a few links an hour)."""
    first = timedelta(minutes=settings.login_window_minutes)
    return throttle.Check(throttle.key(settings, "sign-in-link address", address),
                          throttle.Rule(settings.login_max_per_address, first, LONGEST_PAUSE))
