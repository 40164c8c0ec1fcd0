"""Rendering pages and the htmx fragments cut from them, plus one-shot flash messages.

A page and its fragments come from one template: `render(request, "x.html", ctx, block="panel")`
returns the whole page for ordinary requests and only the `panel` block when htmx asks for a
partial (`HX-Request-Type: partial`). Partial responses also carry the flash messages out of band
into the page's persistent status region, so screen readers announce them.

Flash messages survive one redirect in a short-lived signed cookie (post/redirect/get without
JavaScript). They are only ever set in answer to a POST, so public pages stay cookie-free.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlencode, urljoin, urlsplit

import jinja2
from jinja2_fragments import render_block
from jinja2_fragments.starlette import Jinja2Blocks
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import NoMatchFound

from assembly import authz
from assembly.assets import digest
from assembly.settings import Settings

PACKAGE = Path(__file__).resolve().parent


def templates_dir(package: Path = PACKAGE) -> Path:
    """The page templates: `assembly/templates` in an installed wheel, else the repository's
    top-level `templates/` (a source checkout or an editable install)."""
    installed = package / "templates"
    return installed if installed.is_dir() else package.parent / "templates"


TEMPLATES = templates_dir()
# Where the static files are mounted; the middlewares recognise static requests by it.
STATIC_PATH = "/static"
FLASH_SECONDS = 300
# Browsers drop a cookie over 4,096 bytes (name and attributes included), and proxies with
# default buffers (nginx: 4 KB or 8 KB for all response headers) answer 502. The flash cookie's
# value stays under this; longer messages are shortened (see `flash`).
FLASH_COOKIE_BYTES = 2_500
VARY = "HX-Request, HX-Request-Type"

Level = Literal["success", "info", "warning", "error"]


@dataclass(frozen=True)
class Flash:
    level: Level
    text: str


def make_templates(settings: Settings, directory: Path = TEMPLATES) -> Jinja2Blocks:
    templates = Jinja2Blocks(directory=str(directory))
    env = templates.env
    env.globals["site_name"] = settings.site_name
    env.globals["can"] = authz.can
    env.globals["static"] = _static_url
    env.globals["url"] = _template_url
    env.filters.update(FILTERS)
    env.trim_blocks = True
    env.lstrip_blocks = True
    # Form macros as a global (`forms.field(...)`): a template-level `{% from ... import %}` is
    # not visible when jinja2-fragments renders a single block.
    env.globals["forms"] = env.get_template("_partials/forms.html").module
    return templates


# --- numbers -------------------------------------------------------------------------------------
# One way to write each kind of number on every page, so the same figure never appears as 1000 on
# one page and 1,000 on the next, or as 2.5% here and 2.50% there. The command line writes chances
# the same way (two decimals).


def number(value: float | None, decimals: int = 0) -> str:
    """`{{ 1234|number }}` -> "1,234"; `{{ 2.345|number(1) }}` -> "2.3"; None -> "–"."""
    if value is None:
        return "–"
    return f"{value:,.{decimals}f}"


def percent(share: float | None, decimals: int = 1) -> str:
    """A share of a whole (0.123 -> "12.3%"): of the pool, of the panel, of a group."""
    if share is None:
        return "–"
    return f"{share * 100:,.{decimals}f}%"


CHANCE_DECIMALS = 2


def chance(probability: float | None) -> str:
    """A chance of selection (0.0263 -> "2.63%"): always two decimals, as on the command line."""
    return percent(probability, CHANCE_DECIMALS)


def points(difference: float | None) -> str:
    """A difference between two chances, in percentage points (0.00012 -> "0.012 percentage
    points"): three decimals, because these differences are small."""
    if difference is None:
        return "–"
    return f"{difference * 100:,.3f} percentage points"


FILTERS: dict[str, Any] = {"number": number, "percent": percent, "chance": chance,
                           "points": points}


# --- downloads -----------------------------------------------------------------------------------

SLUG_CHARACTERS = 60


def _slug(text: str, *, ascii_only: bool) -> str:
    if ascii_only:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[^\W_]+", text.lower())
    slug = "-".join(words)
    return slug[:SLUG_CHARACTERS].rstrip("-")


def attachment(title: str, *parts: str | int, extension: str) -> dict[str, str]:
    """A `Content-Disposition` header naming a download after its assembly (and run), e.g.
    `liverpool-data-assembly-run-3-auditor-pack.zip`, so files from several assemblies or runs
    never end up as `pool (3).csv` in the same folder.

    `filename` is a plain ASCII slug every browser accepts; `filename*` (RFC 5987/6266) keeps the
    title's own letters ("assemblée") for browsers that read it, which all current ones do.
    """
    rest = [_slug(str(part), ascii_only=True) for part in parts]
    plain = "-".join(filter(None, [_slug(title, ascii_only=True) or "assembly", *rest]))
    full = "-".join(filter(None, [_slug(title, ascii_only=False) or "assembly", *rest]))
    return {"Content-Disposition": f'attachment; filename="{plain}.{extension}"; '
                                   f"filename*=UTF-8''{quote(full, safe='')}.{extension}"}


def url(request: Request, name: str, /, query: Mapping[str, str] | None = None,
        **params: Any) -> str:
    """The path of the route called `name`, e.g. `url(request, "panel", assembly_id=3)`.

    Every link, form action and redirect is built here from the route names in the rooms'
    `routes.py`, so moving a URL means changing one line. `query` adds a query string.
    """
    path = str(request.app.url_path_for(name, **params))
    return f"{path}?{urlencode(query, safe='/', quote_via=quote)}" if query else path


@jinja2.pass_context
def _template_url(context: jinja2.runtime.Context, name: str, /,
                  query: Mapping[str, str] | None = None, **params: Any) -> str:
    """`url('panel', assembly_id=assembly.id)` in templates."""
    return url(context["request"], name, query, **params)


@jinja2.pass_context
def _static_url(context: jinja2.runtime.Context, name: str) -> str:
    """Static file URL with a content hash, so browsers never use a stale script or stylesheet."""
    return url(context["request"], "static", {"v": digest(name) or "missing"}, path=name)


def is_partial(request: Request) -> bool:
    return request.headers.get("hx-request-type") == "partial"


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
    messages: list[Flash] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The page, or just `block` of it for an htmx partial request."""
    templates: Jinja2Blocks = request.app.state.templates
    flashes = read_flashes(request) + list(messages or [])
    actor = authz.actor_of(request)
    ctx: dict[str, Any] = {
        "actor": actor,
        "nav": nav_links(request, actor),
        "flashes": flashes,
        "current_path": request.url.path,
        **(context or {}),
    }
    if block is not None and is_partial(request):
        html = render_block(templates.env, name, block, {"request": request, **ctx})
        html += _status_oob(templates, flashes)
        response: Response = HTMLResponse(html, status_code=status_code, headers=headers)
    else:
        response = templates.TemplateResponse(request, name, ctx, status_code=status_code,
                                              headers=headers)
    response.headers["Vary"] = VARY
    if request.cookies.get(_settings(request).flash_cookie):
        clear_flash_cookie(response, _settings(request))
    return response


# (route name, label, action): shown when the route exists and the actor may use it. The officer
# workspace's landing route is named "officer_home" and the members' one "member_home".
NAV: tuple[tuple[str, str, str], ...] = (
    ("officer_home", "Assemblies", "workspace.view"),
    ("admin_officers", "Officers", "officers.list"),
    ("account_password", "Change password", "account.change_password"),
    ("member_home", "Your assembly", "member.welcome"),
)


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    current: bool


def nav_links(request: Request, actor: authz.Actor) -> list[NavLink]:
    links = []
    for route_name, label, action in NAV:
        if not authz.can(actor, action):
            continue
        try:
            url = str(request.app.router.url_path_for(route_name))
        except NoMatchFound:
            continue
        links.append(NavLink(label, url, request.url.path == url))
    return links


def _status_oob(templates: Jinja2Blocks, flashes: list[Flash]) -> str:
    inner = templates.env.get_template("_partials/status.html").render(flashes=flashes)
    return f'\n<div id="status" hx-swap-oob="innerHTML">{inner}</div>'


def _settings(request: Request) -> Settings:
    return request.app.state.settings


# --- flash messages ------------------------------------------------------------------------------


def _sign(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), b"flash:" + payload, hashlib.sha256).hexdigest()


def encode_flashes(settings: Settings, flashes: list[Flash], *, now: float | None = None) -> str:
    data = {"at": int(now if now is not None else time.time()),
            "m": [[f.level, f.text] for f in flashes]}
    payload = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode())
    return f"{payload.decode()}.{_sign(settings.secret_key, payload)}"


def decode_flashes(settings: Settings, value: str, *, now: float | None = None) -> list[Flash]:
    payload, _, signature = value.rpartition(".")
    if not payload or not hmac.compare_digest(signature, _sign(settings.secret_key, payload.encode())):
        return []
    try:
        data = json.loads(base64.urlsafe_b64decode(payload.encode()))
        fresh = (now if now is not None else time.time()) - int(data["at"]) <= FLASH_SECONDS
        return [Flash(level, str(text)) for level, text in data["m"]] if fresh else []
    except (ValueError, KeyError, TypeError):
        return []


def read_flashes(request: Request) -> list[Flash]:
    settings = _settings(request)
    value = request.cookies.get(settings.flash_cookie)
    return decode_flashes(settings, value) if value else []


def flash(response: Response, request: Request, text: str, level: Level = "success") -> Response:
    """Show `text` on the next page this browser renders (after a redirect).

    The cookie stays under FLASH_COOKIE_BYTES whatever the text: the newest message is kept and
    shortened if it must be (summarise long lists with `listing` so that rarely happens), and
    older messages not yet shown are dropped first.
    """
    settings = _settings(request)
    pending = read_flashes(request) + [Flash(level, text)]
    value = encode_flashes(settings, pending)
    while len(value) > FLASH_COOKIE_BYTES and len(pending) > 1:
        pending = pending[1:]
        value = encode_flashes(settings, pending)
    if len(value) > FLASH_COOKIE_BYTES:
        # JSON escapes and base64 make the cookie up to 6 bytes per character of text
        # (non-ASCII), 4/3 for plain ASCII; cut until it fits.
        keep = len(text)
        while len(value) > FLASH_COOKIE_BYTES and keep > 0:
            keep = keep * FLASH_COOKIE_BYTES // len(value) - 1
            value = encode_flashes(settings, [Flash(level, _shortened(text, max(keep, 0)))])
    response.set_cookie(settings.flash_cookie, value,
                        max_age=FLASH_SECONDS, path="/", secure=settings.production,
                        httponly=True, samesite="lax")
    return response


def _shortened(text: str, length: int) -> str:
    if len(text) <= length:
        return text
    return text[:max(0, length - 1)].rstrip() + "…"


def listing(items: Sequence[str], *, show: int = 5, width: int = 40) -> str:
    """The first few of `items` for a message: "a, b, c, d, e and 55 more". Each is cut to
    `width` characters, so the message stays short whatever the items are (a flash message
    travels in a cookie of at most 4 KB)."""
    names = [_shortened(str(item), width) for item in items]
    shown = names[:show]
    rest = len(names) - len(shown)
    if rest:
        return f"{', '.join(shown)} and {rest:,} more"
    if len(shown) <= 1:
        return "".join(shown)
    return f"{', '.join(shown[:-1])} and {shown[-1]}"


def clear_flash_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(settings.flash_cookie, path="/", secure=settings.production,
                           httponly=True, samesite="lax")


# --- redirects -----------------------------------------------------------------------------------


def see_other(request: Request, url: str, message: str | None = None,
              level: Level = "success") -> Response:
    """Post/redirect/get. htmx follows the 303 itself and asks the new page for its partial."""
    response = RedirectResponse(url, status_code=303)
    if message:
        flash(response, request, message, level)
    return response


def navigate(request: Request, url: str, message: str | None = None,
             level: Level = "success") -> Response:
    """Go to a different page entirely (e.g. after signing in): a 303 without JavaScript, a full
    page load with htmx (`HX-Redirect`), because a fragment of another page fits no target."""
    if is_htmx(request):
        response: Response = Response(status_code=204, headers={"HX-Redirect": url})
        if message:
            flash(response, request, message, level)
        return response
    return see_other(request, url, message, level)


# How a browser reads a URL before anything else (WHATWG URL standard, "basic URL parser"): it
# strips leading and trailing C0 controls and spaces, removes every tab and newline anywhere, and,
# for http(s), reads a backslash as a slash. `next` is checked after the same steps, so that
# `/\t/evil.example` cannot become `//evil.example` in the browser after we approved it.
_C0_OR_SPACE = "".join(chr(code) for code in range(0x21))
_TAB_OR_NEWLINE = re.compile("[\t\n\r]")
# Characters a browser leaves as they are in a path or query; everything else (controls, spaces,
# non-ASCII, quotes) is percent-encoded, so the header we send is plain ASCII.
_URL_SAFE = "!#$%&'()*+,-./:;=?@[]_~"
_THIS_SITE = "https://this-site.invalid"


def safe_next(url: str | None, default: str = "/") -> str:
    """Only follow `next` to a path on this site (never `//evil.example`, `https://...`, or
    anything a browser would turn into one). Returns the normalised path, or `default`."""
    if not url:
        return default
    value = _TAB_OR_NEWLINE.sub("", url.strip(_C0_OR_SPACE)).replace("\\", "/")
    if not value.startswith("/") or value.startswith("//"):
        return default
    value = quote(value, safe=_URL_SAFE)
    parsed = urlsplit(urljoin(_THIS_SITE + "/", value))
    if f"{parsed.scheme}://{parsed.netloc}" != _THIS_SITE:
        return default
    return value
