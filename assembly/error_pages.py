"""Error pages that are also valid htmx fragments, and the handlers that choose them.

htmx 4 swaps 4xx and 5xx bodies into the target, so a partial request gets the `error` block
(a self-contained message) rather than a whole page inside, say, a table cell.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from assembly.authz import SignInRequired
from assembly.errors import ActionableError
from assembly.templating import is_htmx, render, url

log = logging.getLogger("minipublic.errors")

TITLES: Mapping[int, str] = {
    400: "Something was wrong with the request",
    401: "Please sign in",
    403: "You cannot do this",
    404: "Page not found",
    405: "This page does not accept that kind of request",
    409: "This has changed since you loaded the page",
    413: "That is too large",
    422: "Please check what you entered",
    429: "Too many attempts",
    500: "Something went wrong on our side",
}

MESSAGES: Mapping[int, str] = {
    404: "Check the address, or go back to the previous page.",
    405: "Go back to the previous page and use its buttons and links.",
    500: "The problem has been logged. Please try again in a few minutes; if it keeps happening, "
         "contact the engagement team.",
}


def error_page(
    request: Request, status: int, message: str | None = None, *,
    headers: Mapping[str, str] | None = None, extra: Mapping[str, Any] | None = None,
) -> Response:
    context = {
        "status": status,
        "title": TITLES.get(status, "Something went wrong"),
        "message": message or MESSAGES.get(status, ""),
        **(extra or {}),
    }
    return render(request, "errors/error.html", context, block="error", status_code=status,
                  headers=headers)


async def http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if isinstance(exc, SignInRequired):
        return sign_in_required(request, exc)
    detail = exc.detail if exc.status_code not in (404, 405, 500) else None
    return error_page(request, exc.status_code, detail, headers=exc.headers)


def sign_in_required(request: Request, exc: SignInRequired) -> Response:
    if exc.audience == "member":
        # Members have no password: the way back in is a sign-in link or code, from one page.
        sign_in = url(request, "member_sign_in_page")
        if request.method in ("GET", "HEAD") and not is_htmx(request):
            return Response(status_code=303, headers={"Location": sign_in})
        return error_page(
            request, 401,
            "This page is for members of the assembly, and you are not signed in on this device, "
            "so nothing was changed. Open the link in your invitation, or get a sign-in link "
            f"at {sign_in}, then try again.",
        )
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    login = url(request, "login_page", {"next": target})
    if request.method in ("GET", "HEAD"):
        if is_htmx(request):
            # A fragment of the sign-in page fits no target: send the whole browser there.
            return Response(status_code=401, headers={"HX-Redirect": login})
        return Response(status_code=303, headers={"Location": login})
    return error_page(
        request, 401, "Your session has ended, so nothing was changed. Sign in again and repeat "
                      "the last step.",
        extra={"login_url": login},
    )


async def forgery_page(request: Request, reason: str) -> Response:
    return error_page(
        request, 403,
        f"This form was refused because {reason}. Nothing was changed. If you were using this "
        "site, go back, reload the page and try again.",
    )


async def server_error_page(request: Request) -> Response:
    return error_page(request, 500)


async def actionable_error(request: Request, exc: Exception) -> Response:
    """A refusal a view did not show beside its form: the page says why and what to do."""
    assert isinstance(exc, ActionableError)
    return error_page(request, exc.status_code, exc.message)


handlers = {HTTPException: http_exception, ActionableError: actionable_error}
