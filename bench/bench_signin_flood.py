"""Benchmark a flood of wrong sign-ins: does an ordinary page stay fast, and memory bounded?

    /work/main/.venv/bin/python bench/bench_signin_flood.py [--databases sqlite,postgresql]
        [--connections 60] [--seconds 15] [--scenarios one-address,many-addresses]

For each database it starts the real app (`minipublic serve`, a uvicorn subprocess on a free port
of 127.0.0.1, production-strength Argon2: 64 MiB, 3 iterations), signs an officer in, and then:

1. reference: an officer's page (`/assemblies`) fetched over and over for `--seconds`, nothing
   else happening;
2. for each scenario, the same measurement while `--connections` connections send `POST /login`
   with wrong passwords as fast as the server answers:
   - `one-address`: everything comes from 127.0.0.1, as from one attacker; the limits apply, so
     after 20 failures the address is paused and tries are refused before any hashing;
   - `many-addresses`: the limits raised out of reach, as if the flood came from thousands of
     addresses (a botnet): every try is checked, so this is the worst case for hashing.

It prints the page's latency (p50, p99, max) and the server's peak memory (RSS of the server
process and its children, sampled every 50 ms), each with its ratio to the reference measured in
the same run, and how the flood's requests were answered (401 checked, 429 paused, 503 no free
password check). The goal: p99 of the page <= 200 ms during the flood. Figures only; loopback
only; every flood is bounded by `--seconds` and `--max-requests`.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EMAIL = "bench.officer@example.org"
PASSWORD = "lantern orchard kettle bicycle"
PAGE = "/assemblies"
GOAL_P99_MS = 200.0


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the server ---------------------------------------------------------------------------------


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def tree_rss(self) -> int:
        """Resident memory of the server process and all its descendants, in bytes."""
        total = 0
        for pid in [self.process.pid, *descendants(self.process.pid)]:
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        return total


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def environment(data_dir: Path, port: int, database_url: str | None,
                extra: dict[str, str]) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("MINIPUBLIC_") and key != "DATABASE_URL"}
    env.update({
        "MINIPUBLIC_DATA_DIR": str(data_dir),
        "MINIPUBLIC_HOST": "127.0.0.1",
        "MINIPUBLIC_PORT": str(port),
        "MINIPUBLIC_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "MINIPUBLIC_SECRET_KEY": "bench-" + secrets.token_urlsafe(40),
        "MINIPUBLIC_LOG_LEVEL": "warning",
        "PYTHONPATH": str(ROOT),
        **extra,
    })
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


@contextlib.contextmanager
def running_server(data_dir: Path, database_url: str | None, extra: dict[str, str]
                   ) -> Iterator[Server]:
    port = free_port()
    env = environment(data_dir, port, database_url, extra)
    cli = [sys.executable, "-m", "assembly.cli"]
    subprocess.run([*cli, "migrate"], env=env, check=True, capture_output=True, timeout=300)
    subprocess.run([*cli, "create-officer", EMAIL, "--password-stdin"], env=env,
                   input=(PASSWORD + "\n").encode(), capture_output=True, timeout=300)
    log = data_dir / f"server-{port}.log"
    with open(log, "wb") as output:
        process = subprocess.Popen([*cli, "serve"], env=env, stdout=output,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   cwd=str(ROOT))
    server = Server(port, process, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited:\n{log.read_text()}")
            with contextlib.suppress(OSError):
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/")
                if connection.getresponse().status == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{log.read_text()}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


def sign_in(port: int) -> str:
    """The officer's session cookie (`name=value`)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = urllib.parse.urlencode({"email": EMAIL, "password": PASSWORD})
    connection.request("POST", "/login", body=body,
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    response.read()
    if response.status != 303:
        raise RuntimeError(f"the bench officer could not sign in: {response.status}")
    cookie = response.getheader("set-cookie", "")
    return cookie.split(";", 1)[0]


# --- measuring ----------------------------------------------------------------------------------


@dataclass
class Measurement:
    latencies_ms: list[float]
    peak_rss: int
    flood: Counter[int]

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(server: Server, cookie: str, seconds: float, connections: int,
            max_requests: int) -> Measurement:
    stop = threading.Event()
    latencies: list[float] = []
    peak = [server.tree_rss()]
    flood: Counter[int] = Counter()
    lock = threading.Lock()
    sent = [0]

    def page() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        while not stop.is_set():
            started = time.perf_counter()
            connection.request("GET", PAGE, headers={"Cookie": cookie})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{PAGE} answered {response.status}")
            latencies.append((time.perf_counter() - started) * 1000)
            stop.wait(0.05)

    def memory() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], server.tree_rss())
            stop.wait(0.05)

    def attacker(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        while not stop.is_set():
            with lock:
                if sent[0] >= max_requests:
                    return
                sent[0] += 1
            body = urllib.parse.urlencode({"email": f"guess{number}-{sent[0]}@example.org",
                                           "password": "wrong password " + secrets.token_hex(4)})
            try:
                connection.request("POST", "/login", body=body, headers={
                    "Content-Type": "application/x-www-form-urlencoded"})
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
                continue
            with lock:
                flood[response.status] += 1

    threads = [threading.Thread(target=attacker, args=(number,), daemon=True)
               for number in range(connections)]
    threads += [threading.Thread(target=page, daemon=True),
                threading.Thread(target=memory, daemon=True)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=130)
    return Measurement(latencies, peak[0], flood)


# --- the run ------------------------------------------------------------------------------------

SCENARIOS = {
    "one-address": {},
    "many-addresses": {"MINIPUBLIC_LOGIN_MAX_PER_ADDRESS": "1000000000",
                       "MINIPUBLIC_LOGIN_MAX_PER_ACCOUNT": "1000000000",
                       "MINIPUBLIC_LOGIN_MAX_PER_ACCOUNT_TOTAL": "1000000000"},
}


@contextlib.contextmanager
def postgres_database(url: str) -> Iterator[str]:
    import psycopg

    name = f"bench_signin_{os.getpid()}"
    admin = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                            autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        parsed = urllib.parse.urlsplit(url)
        yield urllib.parse.urlunsplit(parsed._replace(path="/" + name))
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def line(label: str, result: Measurement, reference: Measurement | None) -> str:
    p50, p99 = result.percentile(0.50), result.percentile(0.99)
    text = (f"  {label:<15} page p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  max "
            f"{max(result.latencies_ms):7.1f} ms  ({len(result.latencies_ms)} views)  "
            f"peak RSS {result.peak_rss / 2**20:7.1f} MiB")
    if reference is not None:
        text += (f"\n  {'':<15} vs reference: p50 x{p50 / reference.percentile(0.5):.2f}, "
                 f"p99 x{p99 / reference.percentile(0.99):.2f}, "
                 f"peak RSS x{result.peak_rss / reference.peak_rss:.2f};  "
                 f"p99 goal <= {GOAL_P99_MS:.0f} ms: {'met' if p99 <= GOAL_P99_MS else 'MISSED'}")
        answered = ", ".join(f"{status}: {count}" for status, count in sorted(result.flood.items()))
        total = sum(result.flood.values())
        text += f"\n  {'':<15} flood: {total} sign-ins answered ({answered})"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--scenarios", default="one-address,many-addresses")
    parser.add_argument("--connections", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--max-requests", type=int, default=50_000)
    parser.add_argument("--checks-at-once", type=int, default=None,
                        help="MINIPUBLIC_PASSWORD_CHECKS_AT_ONCE (default: the app's)")
    parser.add_argument("--postgres-url",
                        default=os.environ.get("MINIPUBLIC_TEST_POSTGRES_URL",
                                               "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    extra = {} if args.checks_at_once is None else {
        "MINIPUBLIC_PASSWORD_CHECKS_AT_ONCE": str(args.checks_at_once)}
    print(f"Sign-in flood: {args.connections} connections for {args.seconds:g} s per scenario, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    for database in args.databases.split(","):
        print(f"\n{database}")
        with contextlib.ExitStack() as stack:
            url = (stack.enter_context(postgres_database(args.postgres_url))
                   if database == "postgresql" else None)
            for scenario in ["reference", *args.scenarios.split(",")]:
                data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
                settings = {**extra, **SCENARIOS.get(scenario, {})}
                with running_server(data_dir, url, settings) as server:
                    cookie = sign_in(server.port)
                    if scenario == "reference":
                        reference = measure(server, cookie, args.seconds, 0, 0)
                        print(line("no flood", reference, None))
                    else:
                        result = measure(server, cookie, args.seconds, args.connections,
                                         args.max_requests)
                        print(line(scenario, result, reference))
                    sys.stdout.flush()


if __name__ == "__main__":
    main()
