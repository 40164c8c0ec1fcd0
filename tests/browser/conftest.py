"""The real app in a real browser: `minipublic serve` as a subprocess, Debian's Chromium driven by
Playwright (never a downloaded browser), and axe-core for accessibility.

The server runs on SQLite in a temporary data directory on a free port of 127.0.0.1. Two kinds of
browser context: with JavaScript (htmx enhances the forms) and without (plain forms, redirects).
axe-core needs JavaScript to run, so a page seen without JavaScript is scanned by loading the very
HTML that browser received into a JavaScript-enabled page at the same address.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

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

pytestmark = pytest.mark.browser


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
        return subprocess.run([sys.executable, "-m", "assembly.cli", *args], env=self.env,
                              input=stdin, capture_output=True, text=True, timeout=120)


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(server: Server, timeout: float = 60.0) -> None:
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


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("browser-data")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith("MINIPUBLIC_") and key != "DATABASE_URL"
    }
    env.update({
        "MINIPUBLIC_DATA_DIR": str(data_dir),
        "MINIPUBLIC_PORT": str(port),
        "MINIPUBLIC_HOST": "127.0.0.1",
        "MINIPUBLIC_PUBLIC_URL": url,
        "MINIPUBLIC_SECRET_KEY": "browser-tests-" + "s" * 40,
        "MINIPUBLIC_PASSWORD_MEMORY_KIB": "1024",
        "MINIPUBLIC_PASSWORD_TIME_COST": "1",
        "MINIPUBLIC_LOG_LEVEL": "info",
        "PYTHONUNBUFFERED": "1",
    })
    log_path = data_dir / "server.log"
    migrate = subprocess.run([sys.executable, "-m", "assembly.cli", "migrate"], env=env,
                             capture_output=True, text=True, timeout=120)
    assert migrate.returncode == 0, migrate.stderr
    created = subprocess.run(
        [sys.executable, "-m", "assembly.cli", "create-officer", OFFICER_EMAIL,
         "--name", "Browser Officer", "--password-stdin"],
        env=env, input=OFFICER_PASSWORD + "\n", capture_output=True, text=True, timeout=120)
    assert created.returncode == 0, created.stderr
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "assembly.cli", "serve"], env=env,
                                   stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    running = Server(url, data_dir, log_path, env, process)
    try:
        _wait_until_up(running)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


@pytest.fixture(scope="package")
def chromium() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install "
                    "chromium`, as .ci/run does). These tests never download a browser.")
    with sync_playwright() as playwright:
        browser = _launch(playwright)
        yield browser
        browser.close()


def _launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def _context(chromium: Browser, server: Server, *, javascript: bool) -> BrowserContext:
    context = chromium.new_context(base_url=server.url, java_script_enabled=javascript,
                                   accept_downloads=True, locale="en-GB",
                                   viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    return context


@pytest.fixture
def js_page(chromium: Browser, server: Server) -> Iterator[Page]:
    """A fresh browser with JavaScript, as most people have."""
    context = _context(chromium, server, javascript=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def nojs_page(chromium: Browser, server: Server) -> Iterator[Page]:
    """A fresh browser with JavaScript turned off."""
    context = _context(chromium, server, javascript=False)
    yield context.new_page()
    context.close()


class Accessibility:
    """Runs axe-core on pages and collects every serious or critical violation."""

    def __init__(self, chromium: Browser, server: Server) -> None:
        self.axe = Axe()
        self.chromium = chromium
        self.server = server
        self.scanned: list[str] = []
        self._scanner: BrowserContext | None = None

    def check(self, page: Page, *, javascript: bool = True) -> None:
        """Scan what `page` shows now; fail on any serious or critical violation.

        Pass `javascript=False` for a page of a context without JavaScript, where axe cannot run.
        """
        if not javascript:
            self._check_html(page.url, page.content())
            return
        self._assert(page.url, self.axe.run(page).response)

    def _check_html(self, url: str, html: str) -> None:
        if self._scanner is None:
            self._scanner = _context(self.chromium, self.server, javascript=True)
        scan = self._scanner.new_page()
        try:
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


@pytest.fixture
def axe(chromium: Browser, server: Server) -> Iterator[Accessibility]:
    checker = Accessibility(chromium, server)
    yield checker
    checker.close()
