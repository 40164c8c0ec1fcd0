"""Signing in and out. Officers sign in with e-mail and password; members never do (they follow
their invitation link), but they sign out here too."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import NoMatchFound
from sqlmodel import Session

from assembly import auth, db, sessions
from assembly.authz import actor_of
from assembly.models import SessionKind
from assembly.templating import navigate, render, safe_next

def _officer_home(request: Request) -> str:
    """The workspace's landing page if it is routed, else the home page."""
    try:
        return str(request.url_for("officer_home").path)
    except NoMatchFound:
        return "/"


async def login_page(request: Request) -> Response:
    actor = actor_of(request)
    next_url = safe_next(request.query_params.get("next"), _officer_home(request))
    if actor.is_officer:
        return navigate(request, next_url)
    return render(request, "auth/login.html", {"next": next_url, "errors": {}, "email": ""},
                  block="login_form")


async def login(request: Request) -> Response:
    settings = request.app.state.settings
    form = await request.form()
    email = str(form.get("email", "")).strip()
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
        return render(request, "auth/login.html", context, block="login_form", status_code=422)

    address = request.client.host if request.client else "unknown"
    old_token = sessions.cookie_token(request)

    def attempt(session: Session) -> tuple[auth.SignIn, str | None]:
        result = auth.authenticate(session, settings, email, password, address)
        if not result.ok:
            return result, None
        if old_token:
            sessions.end(session, old_token, reason="replaced at sign-in")
        return result, sessions.start(session, settings, officer=result.officer)

    result, token = await db.run(request, attempt, write=True)
    if result.throttled and result.retry_after is not None:
        minutes = max(1, round(result.retry_after.total_seconds() / 60))
        context["errors"] = {"form": (
            f"Too many unsuccessful attempts. Wait {minutes} minute{'s' if minutes != 1 else ''} "
            "and try again, or ask an administrator to check your account.")}
        return render(request, "auth/login.html", context, block="login_form", status_code=429,
                      headers={"Retry-After": str(int(result.retry_after.total_seconds()))})
    if token is None:
        context["errors"] = {"form": "The e-mail address or password is not right. Check both and "
                                     "try again."}
        return render(request, "auth/login.html", context, block="login_form", status_code=401)
    response = navigate(request, next_url)
    sessions.set_cookie(response, settings, token, SessionKind.officer.value)
    return response


async def logout(request: Request) -> Response:
    settings = request.app.state.settings
    token = sessions.cookie_token(request)
    if token:
        await db.run(request, sessions.end, token, write=True)
    response = navigate(request, "/login" if actor_of(request).kind != "member" else "/",
                        "You have signed out.", "info")
    sessions.clear_cookie(response, settings)
    return response
