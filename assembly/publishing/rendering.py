"""The published PDFs, rendered once at publish time in a child process with the network blocked.

WeasyPrint holds a CPU core and hundreds of megabytes for a second or more per document, and a
document it cannot lay out could hang or crash it. So the web worker never renders a published
PDF itself: `render_pdfs` starts one child (`python -m assembly.publishing.rendering`), hands it
every document at once as JSON on stdin, and reads the PDFs back from its stdout. A child that
fails says why; one that takes longer than `timeout` is killed. Either way the caller gets a
`RenderError` it can show, and the web worker is unharmed.

In the child, before WeasyPrint is even imported, `block_network` replaces the socket module's
ways of reaching anything (`socket.socket`, `create_connection`, `getaddrinfo`) with ones that
raise `PermissionError`, on top of `charter.pdf`'s URL fetcher that refuses all but `data:`
URIs. A published document is self-contained, so it needs nothing from outside, and text an
officer typed can never make the server fetch a URL.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import gc
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

from anyio import to_thread

from charter.pdf import RenderError

BLOCKED = "network access is blocked while rendering"
# The folder holding the `assembly` package, so the child runs this very code (a source checkout,
# a worktree on PYTHONPATH or an installed wheel alike).
CODE_ROOT = Path(__file__).resolve().parents[2]


def render_pdfs(documents: Mapping[str, str], *, timeout: float = 300.0) -> dict[str, bytes]:
    """Each named HTML document as PDF/UA-1 bytes, all rendered in one child process.

    Raises RenderError with the child's message if any document fails, or if the whole run takes
    longer than `timeout` seconds (the child is then killed)."""
    if not documents:
        return {}
    request = json.dumps({"documents": dict(documents)}).encode()
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(CODE_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    child = subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment)
    try:
        out, err = child.communicate(request, timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise RenderError(
            f"Making the PDFs took longer than {timeout:g} second{'' if timeout == 1 else 's'}, "
            "so it was stopped. The "
            "charter may be unusually long, or the server very busy: try publishing again "
            "later, and tell your administrator if it happens again.") from None
    except BaseException:
        child.kill()
        child.communicate()
        raise
    return _answer(child.returncode, out, err, set(documents))


def _answer(returncode: int, out: bytes, err: bytes, names: set[str]) -> dict[str, bytes]:
    """The PDFs the child wrote, or its reason for failing as a RenderError."""
    try:
        answer = json.loads(out) if out else {}
    except ValueError:
        answer = {}
    if returncode == 0 and isinstance(answer.get("pdfs"), dict) \
            and set(answer["pdfs"]) == names:
        return {name: base64.b64decode(data) for name, data in answer["pdfs"].items()}
    if isinstance(answer.get("error"), str):
        raise RenderError(answer["error"])
    if returncode < 0:
        name = signal.Signals(-returncode).name
        raise RenderError(
            f"The PDF renderer stopped unexpectedly ({name}); nothing was published. If it "
            "happens again, the server may be short of memory: tell your administrator.")
    tail = err.decode(errors="replace").strip().splitlines()[-5:]
    raise RenderError("The PDF renderer failed and nothing was published"
                      + (": " + " ".join(line.strip() for line in tail) if tail else "."))


async def render_pdfs_async(documents: Mapping[str, str], *,
                            timeout: float = 300.0) -> dict[str, bytes]:
    """`render_pdfs` for views: the event loop keeps serving while the child renders."""
    return await to_thread.run_sync(functools.partial(render_pdfs, documents, timeout=timeout))


# --- the child -----------------------------------------------------------------------------------


def _refuse(*args: Any, **kwargs: Any) -> NoReturn:
    raise PermissionError(BLOCKED)


class _BlockedSocket(socket.socket):
    """`socket.socket` that cannot be made. A subclass, so `isinstance` checks and modules that
    subclass `socket.socket` when imported later (ssl) still work."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise PermissionError(BLOCKED)


def block_network() -> None:
    """From now on, this process can neither open a socket, connect, nor look up a name."""
    socket.socket = _BlockedSocket  # type: ignore[misc]
    socket.create_connection = _refuse
    socket.getaddrinfo = _refuse


def quiet_collector() -> None:
    """Fewer, cheaper garbage collections while rendering: WeasyPrint makes many objects that
    live until the PDF is written, and each collection walks them all again. Everything imported
    so far (WeasyPrint included) is frozen out of collections, and the youngest generation is
    collected every 50,000 allocations instead of 700: about 5 % faster, and the same peak
    memory (bench/README.md). The child exits once its PDFs are written."""
    with contextlib.suppress(OSError):   # no Pango: render() says so in its own words
        import weasyprint  # noqa: F401  (imported now, so its modules are frozen too)
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def main() -> int:
    """Read {"documents": {name: html}} on stdin; write {"pdfs": {name: base64}} on stdout, or
    {"error": message} and exit 1."""
    block_network()
    # Anything a library prints goes to stderr; stdout carries only the answer.
    answer_to = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    from charter.pdf import render

    documents: dict[str, str] = json.loads(sys.stdin.buffer.read())["documents"]
    quiet_collector()
    pdfs = {}
    for name, html in documents.items():
        try:
            pdfs[name] = base64.b64encode(render(html)).decode()
        except RenderError as error:
            json.dump({"error": f"{name}: {error}"}, answer_to)
            answer_to.close()
            return 1
    json.dump({"pdfs": pdfs}, answer_to)
    answer_to.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
