"""The published PDFs are rendered in a child process that cannot reach the network, and a child
that fails or hangs turns into a message, never into a stuck or crashed web worker."""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from assembly.publishing.rendering import (
    BLOCKED,
    CODE_ROOT,
    render_pdfs,
    render_pdfs_async,
)
from charter.pdf import RenderError, render
from tests.pdfcheck import check_pdf, headings_of


def document(title: str, body: str = "", head: str = "") -> str:
    return f"""<!doctype html><html lang="en-GB"><head><meta charset="utf-8">
<title>{title}</title>{head}<style>@page {{ size: A4; }}
html {{ font-family: "DejaVu Sans", sans-serif; }}</style></head>
<body><h1>{title}</h1><p>Published once.</p>{body}</body></html>"""


class Server:
    """A real HTTP server on a free local port that records every request it gets."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        seen = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append(self.path)
                body = b"html { font-size: 40pt; }"
                self.send_response(200)
                self.send_header("Content-Type", "text/css")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    thread = threading.Thread(target=running.http.serve_forever, daemon=True)
    thread.start()
    yield running
    running.http.shutdown()
    running.http.server_close()


def children() -> set[int]:
    """This process's child processes (Linux /proc). A thread may end between listing the
    tasks and reading one (another test's server thread, say): it has no children then."""
    found: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        try:
            found |= {int(pid) for pid in (task / "children").read_text().split()}
        except FileNotFoundError:
            continue
    return found


def test_each_document_is_rendered_in_a_child_and_comes_back_whole() -> None:
    charter, easy = document("The charter"), document("Easy read")
    pdfs = render_pdfs({"charter.pdf": charter, "easy-read.pdf": easy})
    assert set(pdfs) == {"charter.pdf", "easy-read.pdf"}
    check_pdf(pdfs["charter.pdf"], title="The charter", headings=headings_of(charter), pages=1)
    check_pdf(pdfs["easy-read.pdf"], title="Easy read", headings=headings_of(easy), pages=1)
    # The child's output is byte for byte what rendering here gives: deterministic, so the
    # published sha256 can be checked by rendering again.
    assert pdfs["charter.pdf"] == render(charter)


def test_a_document_referring_to_a_server_renders_and_the_server_hears_nothing(
        server: Server) -> None:
    head = f'<link rel="stylesheet" href="{server.url}/style.css">'
    body = (f'<img src="{server.url}/logo.png" alt="Logo">'
            f'<img src="http://localhost:{server.url.rsplit(":", 1)[1]}/by-name.png" alt="x">')
    html = document("The charter", body, head)
    pdf = render_pdfs({"charter.pdf": html})["charter.pdf"]
    report = check_pdf(pdf, title="The charter")
    assert "Published once." in report.flat_text
    assert max(w.size for w in report.words) < 40   # the server's stylesheet was not applied
    assert server.requests == []
    # The server was there all along and answers anyone else:
    with urllib.request.urlopen(f"{server.url}/style.css", timeout=5) as answer:
        assert answer.status == 200
    assert server.requests == ["/style.css"]


def test_the_child_cannot_open_a_socket_connect_or_look_up_a_name(server: Server) -> None:
    """block_network on its own, behind no URL fetcher: whatever in the child tried to reach
    the network would get PermissionError, and the server hears nothing."""
    port = server.url.rsplit(":", 1)[1]
    script = f"""
import socket, urllib.request
from assembly.publishing.rendering import block_network
block_network()
for attempt in (lambda: urllib.request.urlopen("{server.url}/x", timeout=5),
                lambda: socket.create_connection(("127.0.0.1", {port}), timeout=5),
                lambda: socket.socket(),
                lambda: socket.getaddrinfo("localhost", {port})):
    try:
        attempt()
        print("reached")
    except OSError as error:
        print(type(error.reason if hasattr(error, "reason") else error).__name__, error)
"""
    env = {**os.environ, "PYTHONPATH": str(CODE_ROOT)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, timeout=60, check=True)
    lines = done.stdout.splitlines()
    assert len(lines) == 4 and "reached" not in lines, done.stdout + done.stderr
    assert all(BLOCKED in line for line in lines), lines
    assert all("PermissionError" in line for line in lines[1:]), lines
    assert server.requests == []


def test_a_child_that_fails_raises_render_error_with_its_message() -> None:
    with pytest.raises(RenderError) as raised:
        render_pdfs({"charter.pdf": document("Fine"),
                     "easy-read.pdf": document("Broken", "<p>\ud800</p>")})
    assert str(raised.value).startswith("easy-read.pdf: The document could not be laid out")
    assert "UnicodeEncodeError" in str(raised.value)


def test_a_child_that_dies_raises_render_error_saying_how() -> None:
    """A child killed mid-render (as the kernel does when memory runs out) is reported, not
    waited for, and nothing half-written comes back."""
    before = children()
    failed: list[RenderError] = []

    def publish() -> None:
        try:
            render_pdfs({"charter.pdf": document("Long", "<p>Paragraph.</p>" * 30_000)})
        except RenderError as error:
            failed.append(error)

    thread = threading.Thread(target=publish)
    thread.start()
    deadline = time.monotonic() + 30
    while not (children() - before) and time.monotonic() < deadline:
        time.sleep(0.01)
    (child,) = children() - before
    time.sleep(0.5)   # well into its work
    os.kill(child, signal.SIGKILL)
    thread.join(30)
    assert len(failed) == 1
    assert "stopped unexpectedly (SIGKILL)" in str(failed[0])
    assert "short of memory" in str(failed[0])


def test_a_child_that_takes_too_long_is_killed_and_says_so() -> None:
    long = document("Long", "<p>Paragraph.</p>" * 30_000)
    before = children()
    started = time.monotonic()
    with pytest.raises(RenderError, match=r"took longer than 0\.5 seconds, so it was stopped"):
        render_pdfs({"charter.pdf": long}, timeout=0.5)
    assert time.monotonic() - started < 10
    assert children() <= before   # killed and reaped: no child left running


def test_the_async_wrapper_renders_off_the_event_loop() -> None:
    html = document("The charter")

    async def publish() -> tuple[dict[str, bytes], int]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await anyio.sleep(0.01)
                ticks += 1

        async with anyio.create_task_group() as group:
            group.start_soon(tick)
            pdfs = await render_pdfs_async({"charter.pdf": html})
            group.cancel_scope.cancel()
        return pdfs, ticks

    pdfs, ticks = anyio.run(publish)
    assert pdfs["charter.pdf"] == render(html)
    assert ticks > 5   # the loop kept running while the child worked


def test_nothing_to_render_starts_no_child() -> None:
    before = children()
    assert render_pdfs({}) == {}
    assert children() <= before
