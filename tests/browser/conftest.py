"""The real app in a real browser: `minipublic serve` as a subprocess, Debian's Chromium driven by
Playwright (never a downloaded browser), and axe-core for accessibility.

The server runs on SQLite in a temporary data directory on a free port of 127.0.0.1. Two kinds of
browser context: with JavaScript (htmx enhances the forms) and without (plain forms, redirects).
axe-core needs JavaScript to run, so a page seen without JavaScript is scanned by loading the very
HTML that browser received into a JavaScript-enabled page at the same address.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser.harness import (
    CHROMIUM,
    OFFICER_EMAIL,
    OFFICER_PASSWORD,
    Accessibility,
    Server,
    free_port,
    launch,
    new_context,
    wait_until_up,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("browser-data")
    port = free_port()
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
        wait_until_up(running)
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
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def js_page(chromium: Browser, server: Server) -> Iterator[Page]:
    """A fresh browser with JavaScript, as most people have."""
    context = new_context(chromium, server, javascript=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def nojs_page(chromium: Browser, server: Server) -> Iterator[Page]:
    """A fresh browser with JavaScript turned off."""
    context = new_context(chromium, server, javascript=False)
    yield context.new_page()
    context.close()


@pytest.fixture
def axe(chromium: Browser, server: Server) -> Iterator[Accessibility]:
    checker = Accessibility(chromium, server)
    yield checker
    checker.close()
