"""Child processes that end when the process that started them dies.

A server started with several workers (`uvicorn --workers N`, `MINIPUBLIC_WORKERS`) is a parent
process that forks nothing itself but starts the worker processes, which hold the listening
socket. Each worker in turn starts a process per selection run. If the parent is killed with
SIGKILL (an out-of-memory kill, `kill -9`, a container runtime giving up), nothing tells the
children: before this module they kept the port (so a restart failed with "address in use") and
the selection kept computing for nobody.

`die_with_parent` is called first thing in each child. On Linux it asks the kernel to send the
child a signal when its parent dies (`prctl(PR_SET_PDEATHSIG)`), which costs nothing while the
parent lives. Everywhere (Linux included, as a second line) a daemon thread compares `os.getppid()`
with the parent's pid once a second: a child whose parent has died is re-parented, so the pid
changes. Either way the child gets SIGTERM, the signal a clean shutdown uses: a uvicorn worker
closes its socket and runs the app's shut-down (which stops its selection processes and marks
their runs failed); a selection process has no handler and simply ends. If a worker is still
alive `GRACE_SECONDS` after that (a request that will not finish), the watchdog ends it outright.

One subtlety of PR_SET_PDEATHSIG: "parent" is the *thread* that started the child. Uvicorn starts
its workers from the main thread; selection processes are started by the worker's monitor thread,
which lives as long as the server does (and stops its processes itself when it ends).
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import threading
import time

log = logging.getLogger("minipublic.lifeline")

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
POLL_SECONDS = 1.0
GRACE_SECONDS = 10.0


def die_with_parent(parent_pid: int, sig: signal.Signals = signal.SIGTERM) -> None:
    """Make this process receive `sig` when the process `parent_pid` (its parent) dies."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
                log.warning("prctl(PR_SET_PDEATHSIG) failed: errno %s", ctypes.get_errno())
        except (OSError, AttributeError):  # no libc with prctl: the watchdog still works
            log.warning("prctl is not available; watching the parent process instead")
    # The parent may have died before the request above took effect: check once now.
    if os.getppid() != parent_pid:
        os.kill(os.getpid(), sig)
    threading.Thread(target=_watch, args=(parent_pid, sig), name="parent-watchdog",
                     daemon=True).start()


def _watch(parent_pid: int, sig: signal.Signals) -> None:
    while os.getppid() == parent_pid:
        time.sleep(POLL_SECONDS)
    log.warning("the server's parent process %s has gone; stopping", parent_pid)
    os.kill(os.getpid(), sig)
    time.sleep(GRACE_SECONDS)
    os._exit(1)  # still here: a clean stop did not happen, so stop without one
