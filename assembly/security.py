"""Cross-site request forgery protection and security headers, for every response.

Forgery protection uses what browsers say about where a request came from, so it works for plain
HTML forms (no JavaScript, no token field) and for htmx alike:

1. `Sec-Fetch-Site` (all current browsers): allow `same-origin` and `none` (typed address,
   bookmark); refuse `same-site` and `cross-site`.
2. Older browsers without it: compare the `Origin` (scheme, host and port) with the request's own
   origin: the scheme it arrived with (behind a trusted reverse proxy, uvicorn's proxy-header
   handling has already set it from `X-Forwarded-Proto`; see MINIPUBLIC_FORWARDED_ALLOW_IPS) and
   the `Host` it was sent to.
3. Neither header: not a browser (curl, a script), so not a forgery vector; allow.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assembly import logs
from assembly.assets import CACHE_UNVERSIONED
from assembly.templating import STATIC_PATH

log = logging.getLogger("minipublic.security")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # same-origin, not no-referrer: no-referrer makes browsers send `Origin: null` on forms.
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
HSTS = "max-age=63072000; includeSubDomains"


# Path segments that look like secrets (invitation tokens, long random ids) are hidden in logs:
# a log file must never hold a working link to someone's account.
_SECRET_LOOKING = re.compile(r"[A-Za-z0-9_-]{20,}")


def loggable_path(path: str) -> str:
    return _SECRET_LOOKING.sub("[hidden]", path)


DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(scheme: str, netloc: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) with the scheme's default port filled in; None if malformed."""
    scheme = scheme.lower()
    if scheme not in DEFAULT_PORTS or not netloc or "@" in netloc:
        return None
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return scheme, parts.hostname, port if port is not None else DEFAULT_PORTS[scheme]


def forgery_reason(method: str, headers: Headers, scheme: str = "http") -> str | None:
    """Why this request looks forged, or None if it may proceed. `scheme` is the one the request
    arrived with (the ASGI scope's, which uvicorn sets from a trusted proxy's headers)."""
    if method in SAFE_METHODS:
        return None
    site = headers.get("sec-fetch-site")
    if site is not None:
        if site in ("same-origin", "none"):
            return None
        return f"it came from another site (Sec-Fetch-Site: {site})"
    origin = headers.get("origin")
    if origin is None:
        return None
    if origin == "null":
        return "its origin is hidden (Origin: null)"
    parts = urlsplit(origin)
    theirs = _origin(parts.scheme, parts.netloc) if not parts.path.strip("/") else None
    ours = _origin(scheme, headers.get("host", ""))
    if theirs is None or ours is None or theirs != ours:
        return "it came from another site (Origin does not match this site's scheme, host and port)"
    return None


class RequestTooLarge(HTTPException):
    """The body is bigger than MINIPUBLIC_MAX_REQUEST_MB; raised while the app reads it."""

    def __init__(self, limit: int) -> None:
        megabytes = round(limit / (1024 * 1024), 1)
        super().__init__(
            413,
            f"What you sent is larger than this site accepts ({megabytes:g} MB). If it is a "
            "spreadsheet, remove columns the selection does not need, or ask your administrator "
            "to raise MINIPUBLIC_MAX_REQUEST_MB.",
        )


def limit_body(receive: Receive, headers: Headers, limit: int) -> Receive:
    """A `receive` that refuses bodies over `limit` bytes, declared or actually sent, so a huge
    upload fails cleanly before it fills memory."""
    declared = headers.get("content-length", "")
    received = 0

    async def limited() -> Message:
        nonlocal received
        if declared.isdigit() and int(declared) > limit:
            raise RequestTooLarge(limit)
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise RequestTooLarge(limit)
        return message

    return limited


ForgeryPage = Callable[[Request, str], Awaitable[Response]]
ErrorPage = Callable[[Request], Awaitable[Response]]


class SecurityMiddleware:
    """Refuse forged unsafe requests; add security headers to every response.

    It also renders the 500 page itself, so that even an error page carries the headers.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        forgery_page: ForgeryPage,
        error_page: ErrorPage,
        https: bool,
        max_body: int,
    ) -> None:
        self.app = app
        self.forgery_page = forgery_page
        self.error_page = error_page
        self.https = https
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        static = scope["path"].startswith(STATIC_PATH + "/")

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if self.https:
                    headers.setdefault("Strict-Transport-Security", HSTS)
                # Pages can show personal data: never keep them in shared or browser caches.
                # Static files set their own (a year when the address carries their hash).
                headers.setdefault("Cache-Control", CACHE_UNVERSIONED if static else "no-store")
            await send(message)

        request = Request(scope, receive)
        reason = forgery_reason(scope["method"], request.headers, scope.get("scheme", "http"))
        if reason is not None:
            log.warning("refused %s %s: %s", scope["method"], loggable_path(scope["path"]), reason)
            response = await self.forgery_page(request, reason)
            await response(scope, receive, send_with_headers)
            return
        try:
            await self.app(scope, limit_body(receive, request.headers, self.max_body),
                           send_with_headers)
        except Exception as error:
            # Never the exception's own text (nor a traceback the server prints from it): a
            # database error can quote the row being written, a respondent's e-mail included.
            logs.log_error(log, "error while handling %s %s", error, scope["method"],
                           loggable_path(scope["path"]))
            if not started:
                response = await self.error_page(request)
                await response(scope, receive, send_with_headers)
            raise logs.LoggedError(error) from None
