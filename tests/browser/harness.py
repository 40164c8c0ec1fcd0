"""What the browser tests drive: the `minipublic serve` subprocess, Debian's Chromium through
Playwright (never a downloaded browser), and axe-core for accessibility. `conftest.py` turns these
into fixtures; test modules import from here, never from `conftest.py`. Also what many browser
tests do the same way: reach the server's database, sign a member in with a one-time code or the
officer with a password, and check that a page fits a phone.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, ViewportSize
from sqlalchemy.engine import Engine

from assembly import db
from assembly.invitations import returning
from assembly.selection.models import Member
from assembly.settings import from_env

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying to reach Google's servers, which
# this machine's closed network refuses, many times a second.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OFFICER_EMAIL = "officer@example.org"
OFFICER_PASSWORD = "correct horse battery staple"
SERIOUS = ("serious", "critical")
# A common phone (iPhone 12-15: 390 x 844 CSS pixels) and a common laptop screen.
VIEWPORTS: dict[str, ViewportSize] = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1280, "height": 900},
}


@dataclass
class Server:
    url: str
    data_dir: Path
    log_path: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] = field(repr=False)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def command(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        """Run `minipublic ARGS` against this server's database."""
        return subprocess.run([sys.executable, "-m", "assembly.cli", *args], check=False,
                              env=self.env, input=stdin, capture_output=True, text=True, timeout=120)


@contextlib.contextmanager
def server_engine(server: Server) -> Iterator[Engine]:
    """The server's own database, for building what a test needs straight into it."""
    engine = db.make_engine(from_env(server.env, check=False).database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def sign_in_code(server: Server, member_id: int) -> str:
    """A one-time code, as an officer makes one to read out on the phone."""
    with server_engine(server) as engine, db.session(engine, write=True) as session:
        member = session.get(Member, member_id)
        assert member is not None
        return returning.make_code(session, member, officer_id=None).code


def sign_in_member(page: Page, server: Server, member_id: int, *,
                   small_letters: bool = False) -> None:
    """The member types a one-time code on /invite (in small letters if `small_letters`: codes
    ignore case) and lands on their home page."""
    code = sign_in_code(server, member_id)
    page.goto("/invite")
    page.get_by_label(re.compile("code", re.IGNORECASE)).first.fill(
        code.lower() if small_letters else code)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/home$"))


def sign_in_officer(page: Page) -> None:
    """The officer the server was made with signs in on /login and lands on the assemblies."""
    page.goto("/login")
    page.get_by_label("E-mail address").fill(OFFICER_EMAIL)
    page.get_by_label("Password").fill(OFFICER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/assemblies$"))


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(server: Server, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited with {server.process.returncode}:\n"
                               f"{server.log()}")
        try:
            with urllib.request.urlopen(server.url + "/", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer within {timeout:.0f} s:\n{server.log()}")


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def new_context(chromium: Browser, server: Server, *, javascript: bool,
                viewport: str = "desktop") -> BrowserContext:
    context = chromium.new_context(base_url=server.url, java_script_enabled=javascript,
                                   accept_downloads=True, locale="en-GB",
                                   viewport=VIEWPORTS[viewport])
    context.set_default_timeout(30_000)
    return context


def page_width(page: Page) -> tuple[int, int]:
    """How wide the page lays out, and how wide the screen is (CSS pixels)."""
    page.wait_for_load_state("domcontentloaded")
    return (int(page.evaluate("document.documentElement.scrollWidth")),
            int(page.evaluate("window.innerWidth")))


def assert_fits(page: Page) -> None:
    """Nothing makes the whole page scroll sideways (a wide table scrolls in its own box)."""
    width, screen = page_width(page)
    assert width <= screen, f"{page.url} lays out {width} px wide on a {screen} px screen"


def fits(page: Page, name: str, width: int = 390, *, laptop_too: bool = False) -> None:
    """Laid out `width` px wide (844 high), the page does not scroll sideways. With
    $MINIPUBLIC_TEST_SCREENSHOTS set, a full-page picture `{name}-{width}.png` goes there (to look
    at), and with `laptop_too` one at 1280 px as well, checked the same way, before the page is set
    back to `width`."""
    folder = os.environ.get("MINIPUBLIC_TEST_SCREENSHOTS")
    widths = (width, 1280) if folder and laptop_too else (width,)
    for each in widths:
        page.set_viewport_size({"width": each, "height": 844})
        overflow = page.evaluate("document.documentElement.scrollWidth - "
                                 "document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {each}px"
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name}-{each}.png"), full_page=True)
    if len(widths) > 1:
        page.set_viewport_size({"width": width, "height": 844})


class Accessibility:
    """Runs axe-core on pages and collects every serious or critical violation; also checks
    that each page it scans fits the width of the screen."""

    def __init__(self, chromium: Browser, server: Server, viewport: str = "desktop") -> None:
        self.axe = Axe()
        self.chromium = chromium
        self.server = server
        self.viewport = viewport
        self.scanned: list[str] = []
        self._scanner: BrowserContext | None = None

    def check(self, page: Page, *, javascript: bool = True) -> None:
        """Scan what `page` shows now; fail on any serious or critical violation, or if the page
        is wider than the screen.

        Pass `javascript=False` for a page of a context without JavaScript, where axe cannot run.
        """
        assert_fits(page)
        if not javascript:
            self._check_html(page.url, page.content())
            return
        self._assert(page.url, self.axe.run(page).response)

    def _check_html(self, url: str, html: str) -> None:
        if self._scanner is None:
            self._scanner = new_context(self.chromium, self.server, javascript=True,
                                        viewport=self.viewport)
        scan = self._scanner.new_page()
        try:
            # The copy has no session: a page that polls (letters being made) would be sent to
            # the sign-in page mid-scan. axe needs the markup and styles, not fresh data.
            scan.route("**/*", lambda route: route.abort()
                       if route.request.resource_type in ("xhr", "fetch") else route.fallback())
            scan.route(url, lambda route: route.fulfill(
                status=200, body=html, content_type="text/html; charset=utf-8"))
            scan.goto(url)
            self._assert(url + " (without JavaScript)", self.axe.run(scan).response)
        finally:
            scan.close()

    def _assert(self, url: str, response: dict) -> None:
        self.scanned.append(url)
        problems = [v for v in response["violations"] if v.get("impact") in SERIOUS]
        lines = [
            f"{v['impact']}: {v['id']} ({v['help']}) at "
            + ", ".join(str(node["target"]) for node in v["nodes"][:5])
            for v in problems
        ]
        assert not problems, f"axe-core found problems on {url}:\n" + "\n".join(lines)

    def close(self) -> None:
        if self._scanner is not None:
            self._scanner.close()
