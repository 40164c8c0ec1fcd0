"""Latency of the officer pages of a drawn assembly, alone and under concurrent officers.

Builds a throw-away SQLite (or, with --database-url, PostgreSQL) database holding one drawn
assembly with a panel of --members (60 by default), as many reserves, and respondents not drawn;
serves the real app with uvicorn on a free local port; then, for each page, times one request
alone and --requests requests sent by --concurrency (20) threads at once, and prints the median
and 95th percentile. Run it before and after a change to compare; figures depend on the machine.

    /work/main/.venv/bin/python bench/bench_pages.py
    /work/main/.venv/bin/python bench/bench_pages.py --members 60 --concurrency 20 --requests 200
"""

from __future__ import annotations

import argparse
import http.client
import socket
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import uvicorn

from assembly import db, sessions
from assembly.accounts.models import Officer
from assembly.app import create_app
from assembly.assemblies.models import Assembly, AssemblyStatus
from assembly.recruitment.models import Contact, Profile, Respondent
from assembly.selection.models import Draw, Member, MemberRole, RunStatus, SelectionRun
from assembly.settings import Settings

AGES = ("16-29", "30-44", "45-64", "65+")


def build(settings: Settings, members: int) -> tuple[int, int, str]:
    """A drawn assembly with `members` on the panel, as many reserves and as many not drawn."""
    engine = db.make_engine(settings.database_url)
    db.migrate(engine)
    with db.session(engine, write=True) as session:
        officer = Officer(email="bench@example.org", name="Bench", password_hash="x")
        session.add(officer)
        assembly = Assembly(title="Bench assembly", question="How fast are the pages?",
                            status=AssemblyStatus.drawn.value, panel_size=members)
        session.add(assembly)
        session.flush()
        run = SelectionRun(assembly_id=assembly.id, algorithm="leximin", panel_size=members,
                           status=RunStatus.failed.value, error="bench", commitment="0" * 64,
                           lottery={"size": 1000, "tickets": [], "files": {}})
        session.add(run)
        session.flush()
        respondents = []
        for i in range(3 * members):
            respondent = Respondent(assembly_id=assembly.id, external_id=f"R{i:05d}")
            session.add(respondent)
            respondents.append(respondent)
        session.flush()
        for i, respondent in enumerate(respondents):
            session.add(Contact(respondent_id=respondent.id, name=f"Person {i}",
                                email=f"person{i}@example.org", postcode=f"L{i % 30} 1AA"))
            session.add(Profile(respondent_id=respondent.id, values={"Age": AGES[i % 4]}))
        draw = Draw(run_id=run.id, assembly_id=assembly.id, seed="1", ticket=1,
                    panel=[r.external_id for r in respondents[:members]],
                    reserves=[r.external_id for r in respondents[members:2 * members]])
        session.add(draw)
        session.flush()
        for i, respondent in enumerate(respondents[:2 * members]):
            session.add(Member(assembly_id=assembly.id, respondent_id=respondent.id,
                               draw_id=draw.id, role=(MemberRole.panel if i < members
                                                      else MemberRole.reserve).value))
        session.flush()
        token = sessions.start(session, settings, officer=officer)
        assert assembly.id is not None and run.id is not None
        result = assembly.id, run.id, token
    engine.dispose()
    return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(port: int, path: str, cookie: str) -> float:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"{path} answered {response.status}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="minipublic-bench-") as directory:
        settings = Settings(data_dir=Path(directory), database_url=args.database_url,
                            secret_key="bench-" + "x" * 40)
        assembly_id, run_id, token = build(settings, args.members)
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1",
                                               port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        cookie = f"{settings.session_cookie}={token}"
        base = f"/assemblies/{assembly_id}"
        pages = {"panel": f"{base}/panel", "invitations": f"{base}/invitations",
                 "overview": base, "personal data": f"{base}/personal-data",
                 "selection": f"{base}/selection", "run": f"{base}/runs/{run_id}",
                 "audit log": f"{base}/audit"}
        print(f"{args.members} members, {args.members} reserves, {args.members} not drawn; "
              f"{args.requests} requests per page from {args.concurrency} threads; "
              f"{settings.database_url.split(':', 1)[0]}")
        print(f"{'page':<14} {'alone ms':>9} {'median ms':>10} {'p95 ms':>8} {'req/s':>7}")
        for name, path in pages.items():
            for _ in range(3):
                fetch(port, path, cookie)
            alone = statistics.median(fetch(port, path, cookie) for _ in range(10))
            started = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                times = sorted(pool.map(lambda _: fetch(port, path, cookie),
                                        range(args.requests)))
            elapsed = time.perf_counter() - started
            p95 = times[int(0.95 * (len(times) - 1))]
            print(f"{name:<14} {alone * 1000:>9.1f} {statistics.median(times) * 1000:>10.1f} "
                  f"{p95 * 1000:>8.1f} {args.requests / elapsed:>7.1f}")
        server.should_exit = True
        thread.join(timeout=10)


if __name__ == "__main__":
    main()
