"""Compressed responses: pages are 5-10 times smaller with gzip, which matters on a phone.

Why gzip and not brotli: Starlette ships a gzip middleware that handles streaming, `Vary` and
content types; brotli would need a third-party middleware and gains only ~15-20 % more on pages
this size, most of which gzip already brings down to a few kilobytes.

BREACH (compression as a side channel): an attacker who can watch the length of encrypted
responses, and make the victim's browser send many requests that reflect text the attacker
chooses next to a secret on the same page, can guess the secret a character at a time from how
well each response compresses. This app puts no anti-forgery token in pages (forgery protection
uses `Sec-Fetch-Site`/`Origin`, see `security.py`) and keeps session ids in cookies, never in a
body. What remains worth protecting is the personal data on officer pages next to text from the
address (a search box, `next`). Such requests carry the officer's session only when the browser
sends the `SameSite=Lax` cookie, that is on navigations, and then a browser says where the request
came from in `Sec-Fetch-Site`. So responses to requests another site started (`cross-site` or
`same-site`) are never compressed: the attacker's requests get answers whose length gives nothing
away, while the officer's own clicks (`same-origin`, or `none` for a typed address) are compressed.
Static files hold no secrets and are always compressed; so are the published charters
(`/charters...`): public pages with no personal data, no cookie and nothing from the request,
which most readers reach from another site (a council's page, a newspaper, a search).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from assembly.templating import STATIC_PATH

# Level 6 (zlib's default) gets within a few per cent of level 9 on HTML for about half the CPU.
LEVEL = 6
MINIMUM_BYTES = 500
# Already compressed: squeezing them again costs time and saves nothing.
NOT_COMPRESSED = (*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/pdf")
# Requests another site made the browser send.
STARTED_ELSEWHERE = frozenset({"cross-site", "same-site"})
# Public, and nothing secret or reflected: always compressed (the published charters).
PUBLIC_INDEX, PUBLIC_PREFIX = "/charters", "/charters/"


def may_compress(scope: Scope) -> bool:
    """Whether the answer to this request may be compressed (see the module's note on BREACH)."""
    path = scope["path"]
    if path.startswith((STATIC_PATH + "/", PUBLIC_PREFIX)) or path == PUBLIC_INDEX:
        return True
    return Headers(scope=scope).get("sec-fetch-site") not in STARTED_ELSEWHERE


class CompressionMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=MINIMUM_BYTES, compresslevel=LEVEL,
                                   exclude_content_types=NOT_COMPRESSED)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and may_compress(scope):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)
