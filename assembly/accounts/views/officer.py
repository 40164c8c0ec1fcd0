"""Signing in and out. Officers sign in with e-mail and password; members never do (they follow
their invitation link), but they sign out here too."""

from __future__ import annotations

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import NoMatchFound

from assembly import db, forms, sessions
from assembly.accounts import officers, signin, throttle
from assembly.accounts.models import SessionKind
from assembly.accounts.officers import AccountError
from assembly.authz import actor_of, require
from assembly.templating import navigate, render, safe_next, see_other, url


# How long a sign-in refused for want of a free password check is asked to wait.
BUSY_RETRY_SECONDS = 5


def _officer_home(request: Request) -> str:
    """The workspace's landing page if it is routed, else the home page."""
    try:
        return url(request, "officer_home")
    except NoMatchFound:
        return "/"


async def login_page(request: Request) -> Response:
    actor = actor_of(request)
    next_url = safe_next(request.query_params.get("next"), _officer_home(request))
    if actor.is_officer:
        return navigate(request, next_url)
    return render(request, "accounts/login.html", {"next": next_url, "errors": {}, "email": ""},
                  block="login_form")


async def login(request: Request) -> Response:
    settings = request.app.state.settings
    form = await forms.read(request)
    email = forms.text(form, "email")
    password = str(form.get("password", ""))
    next_url = safe_next(str(form.get("next", "")), _officer_home(request))
    errors: dict[str, str] = {}
    if not email:
        errors["email"] = "Enter your e-mail address."
    elif "@" not in email:
        errors["email"] = "Enter an e-mail address like name@council.gov.uk."
    if not password:
        errors["password"] = "Enter your password."
    context = {"next": next_url, "errors": errors, "email": email}
    if errors:
        return render(request, "accounts/login.html", context, block="login_form", status_code=422)

    address = request.client.host if request.client else "unknown"
    old_token = sessions.cookie_token(request)
    # 1. Count the try (or find it paused) and read the stored hash: one short transaction,
    # after a read-only look that refuses paused tries without taking a write lock.
    # Pauses this process has already seen need not even a query.
    memo = throttle.memo(request.app)
    wait = memo.wait(signin.quick_keys(settings, email, address))
    if wait is None:
        wait = await db.run(request, signin.paused, settings, email, address, remember=memo,
                            limiter=throttle.gate())
    attempt = signin.Attempt(retry_after=wait) if wait is not None else await db.run(
        request, signin.begin, settings, email, address, write=True, limiter=throttle.gate())
    if attempt.retry_after is not None:
        await throttle.hold_back(settings)
        minutes = max(1, round(attempt.retry_after.total_seconds() / 60))
        context["errors"] = {"form": (
            f"Too many unsuccessful attempts. Wait {minutes} minute{'s' if minutes != 1 else ''} "
            "and try again, or ask an administrator to check your account.")}
        return render(request, "accounts/login.html", context, block="login_form", status_code=429,
                      headers={"Retry-After": str(int(attempt.retry_after.total_seconds()))})
    # 2. The slow hash, outside any transaction, a few at a time, at low CPU priority.
    try:
        verified, rehashed = await signin.check_in_turn(settings, attempt, password)
    except signin.Busy:
        await db.run(request, signin.release, attempt, write=True, limiter=throttle.gate())
        context["errors"] = {"form": (
            "Many sign-ins are being checked at this moment, so yours was not. Wait a few "
            "seconds and try again.")}
        return render(request, "accounts/login.html", context, block="login_form", status_code=503,
                      headers={"Retry-After": str(BUSY_RETRY_SECONDS)})

    # 3. A success is recorded, and the session started, in another short transaction.
    def succeed(session: Session) -> str | None:
        officer = signin.finish(session, attempt, verified, rehashed)
        if officer is None:
            return None
        if old_token:
            sessions.end(session, old_token, reason="replaced at sign-in")
        return sessions.start(session, settings, officer=officer)

    token = await db.run(request, succeed, write=True, limiter=throttle.gate()) if verified \
        else None
    if token is None:
        context["errors"] = {"form": "The e-mail address or password is not right. Check both and "
                                     "try again."}
        return render(request, "accounts/login.html", context, block="login_form", status_code=401)
    response = navigate(request, next_url)
    sessions.set_cookie(response, settings, token, SessionKind.officer.value)
    return response


async def logout(request: Request) -> Response:
    settings = request.app.state.settings
    token = sessions.cookie_token(request)
    if token:
        await db.run(request, sessions.end, token, write=True)
    response = navigate(request, url(request, "login_page" if actor_of(request).kind != "member" else "home"),
                        "You have signed out.", "info")
    sessions.clear_cookie(response, settings)
    return response

# --- an officer's own password ---------------------------------------------------------------


FORM = "accounts/password.html"


async def password_page(request: Request) -> Response:
    require(request, "account.change_password")
    return render(request, FORM, {"errors": {}}, block="password_form")


async def change_password(request: Request) -> Response:
    actor = require(request, "account.change_password")
    assert actor.officer is not None and actor.officer.id is not None
    officer_id, session_id = actor.officer.id, actor.session_id
    settings = request.app.state.settings
    form = await forms.read(request)
    current = str(form.get("current", ""))
    new = str(form.get("new", ""))
    repeat = str(form.get("repeat", ""))
    errors: dict[str, str] = {}
    if not current:
        errors["current"] = "Enter your current password."
    problems = officers.password_problems(new, email=actor.officer.email,
                                          site_name=settings.site_name)
    if problems:
        errors["new"] = " ".join(problems)
    elif new != repeat:
        errors["repeat"] = "The two new passwords differ. Type the same password twice."
    elif new == current:
        errors["new"] = "The new password is the same as the current one. Choose a different one."
    if not errors:
        try:
            ended, token = await db.run(request, officers.change_own_password, settings,
                                        officer_id, session_id, current, new, write=True)
        except AccountError as error:
            errors[error.field] = error.message
    if errors:
        return render(request, FORM, {"errors": errors}, block="password_form", status_code=422)
    others = (f" Your {ended} other session{'s' if ended != 1 else ''} "
              f"{'were' if ended != 1 else 'was'} signed out.") if ended else ""
    response = see_other(request, url(request, "account_password"),
                         "Your password has been changed." + others)
    # The session in use continues under a new token: the old cookie value no longer works.
    sessions.set_cookie(response, settings, token, SessionKind.officer.value)
    return response
