"""Running `minipublic serve` as an operator does: a real process on a free local port, and
looking at the processes it starts (Linux /proc). For tests about processes, ports and crashes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Can a new server listen on `port`? With SO_REUSEADDR, as uvicorn binds: connections of
    the killed server still in TIME_WAIT do not count, only a process still listening does."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def serve(tmp_path: Path, port: int, **extra: str) -> subprocess.Popen[str]:
    """`minipublic serve` in a clean environment (no MINIPUBLIC_* of the developer's own)."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("MINIPUBLIC_") and name != "DATABASE_URL"}
    env.update({"MINIPUBLIC_DATA_DIR": str(tmp_path / "data"), **extra})
    return subprocess.Popen([sys.executable, "-m", "assembly.cli", "serve", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_until_up(server: subprocess.Popen[str], port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                assert response.status == 200
                return
        except (urllib.error.URLError, ConnectionError):
            assert server.poll() is None, server.communicate()[0]
            assert time.monotonic() < deadline, f"server did not answer within {seconds} s"
            time.sleep(0.2)


def children(pid: int) -> list[int]:
    """Processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name (2nd field) is in parentheses and may contain spaces.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def command_line(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie waiting for its reaper counts as ended)."""
    try:
        stat = (Path("/proc") / str(pid) / "stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_for(condition: Callable[[], object], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {seconds} s"
        time.sleep(0.1)


def kill_hard(server: subprocess.Popen[str]) -> None:
    """SIGKILL, as the out-of-memory killer or `kill -9` does: no clean-up runs."""
    os.kill(server.pid, signal.SIGKILL)
    server.wait(timeout=10)


def stop(server: subprocess.Popen[str], pids: Mapping[int, str] | None = None) -> None:
    """Tidy up after a test, whatever happened: the server and any process it left."""
    if server.poll() is None:
        server.kill()
    server.communicate(timeout=30)
    for pid in pids or {}:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
