"""Benchmark ballots: many members voting at once through the real server, nothing lost or doubled.

    .venv/bin/python bench/bench_ballots.py [--databases postgresql,sqlite] [--members 300]
        [--principles 30] [--changes 10] [--threads 16] [--per-request 30] [--no-follow]
        [--pg-workers 4] [--rate BALLOTS_PER_SECOND]

For each database it makes a fresh database (PostgreSQL: a new database `bench_ballots`, dropped
afterwards, never the tests' `test`; SQLite: a file in a temporary folder) holding an assembly of
`--members` joined panel members (each with an age band and a gender, the selection features) and
a vote round open now on `--principles` principles, gives every member a real session
(`sessions.start`, as redeeming an invitation does), and starts the real app (`minipublic serve`:
uvicorn, 4 workers on PostgreSQL, 1 on SQLite, which allows no more). Then, from `--threads`
client threads with keep-alive connections, every member fills in their ballot paper through the
member's ballot form (`POST /home/rounds/<round>/ballot`, as a browser sends it, with or without
JavaScript) and, as the browser does after the 303, fetches the ballot page again (`--no-follow`
leaves that out); all members at once, in a shuffled order. Then every member changes
`--changes` of their choices and submits the paper again. `--per-request` is how many principles
a submit carries: 30 (the whole paper) is what the page sends; 1 is the hardest case, a member
saving one principle at a time.

It prints, per phase and database: ballots per second (one ballot = one member's choice on one
principle), submits per second, the latency of a submit (p50, p99, max), and CPU: the app's
processes per submit, this client's share, and how busy the whole machine was (other work
included: on a shared machine the app gets only part of the cores). Then it closes the round
(`rounds.close_early`, which seals it) and checks the sealed set against what the clients sent
last: for every principle, the count of each option among the sealed ballots equals the number of
members whose last choice was that option (so every member's last choice was counted exactly
once), there is one counted receipt per member, every receipt code a member was shown (read from the
flash message of their first ballot) is shown as counted on the public receipt page, and no
ballot or receipt is left linked to a member. Goals (issue 11): >= 500 ballots/s on PostgreSQL with p99 <= 100 ms, >= 200 ballots/s on
SQLite; nothing lost or doubled. Loopback only.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import col, select

from assembly import db, sessions
from assembly.assemblies.models import Assembly
from assembly.ballots.models import (
    Ballot,
    CountedReceipt,
    Receipt,
    SealedBallot,
    VoteRound,
)
from assembly.deliberation import rounds
from assembly.deliberation.models import Round, RoundKind
from assembly.drafting.models import Principle, PrincipleVersion
from assembly.recruitment.models import Profile, Quota, Respondent
from assembly.selection.models import Member, MemberRole, MemberStatus
from assembly.settings import Settings, from_env
from assembly.tables import row_id, utcnow
from assembly.templating import decode_flashes

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_NAME = "bench_ballots"
OPTIONS = ("strongly_agree", "agree", "unsure", "disagree", "strongly_disagree")
AGES = ("16-24", "25-34", "35-44", "45-54", "55-64", "65+")
GENDERS = ("Woman", "Man")
GOALS = {"postgresql": (500.0, 100.0), "sqlite": (200.0, None)}
SEED = 11
RECEIPT = re.compile(r"receipt code is ([0-9A-Z-]{19})")


def free_port() -> int:
    import socket
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def database(kind: str, folder: Path, name: str = PG_NAME) -> Iterator[str]:
    """A fresh, empty database of `kind`; PostgreSQL's (called `name`, one per benchmark) is
    dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        try:  # one left by a run that crashed goes; one in use by another run stays
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        except sa.exc.OperationalError:
            raise SystemExit(f"The database {name} is in use: another run of this benchmark "
                             "is going on. Wait for it to finish.") from None
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@dataclass(frozen=True)
class World:
    round_public_id: str
    round_id: int
    principle_ids: list[int]
    cookies: list[str]      # one member session cookie (name=value) per member


def build(url: str, members: int, principles: int) -> World:
    """The assembly, its members with sessions, a closed draft round and an open vote round."""
    settings = from_env()
    engine = db.make_engine(url)
    db.migrate(engine)
    now = utcnow()
    with db.session(engine, write=True) as session:
        assembly = Assembly(title="Bench assembly", question="How fast can we vote?")
        session.add(assembly)
        session.flush()
        assembly_id = row_id(assembly.id)
        for position, (feature, values) in enumerate((("Age", AGES), ("Gender", GENDERS))):
            for value in values:
                session.add(Quota(assembly_id=assembly_id, position=position, feature=feature,
                                  value=value, min_count=0, max_count=members))
        people = [Respondent(assembly_id=assembly_id, external_id=f"B{i:05d}")
                  for i in range(members)]
        session.add_all(people)
        session.flush()
        session.add_all([Profile(respondent_id=p.id, values={"Age": AGES[i % len(AGES)],
                                                             "Gender": GENDERS[i % 2]})
                         for i, p in enumerate(people)])
        panel = [Member(assembly_id=assembly_id, respondent_id=row_id(p.id),
                        role=MemberRole.panel.value, status=MemberStatus.joined.value,
                        joined_at=now - timedelta(days=30)) for p in people]
        session.add_all(panel)
        session.flush()
        draft = Round(assembly_id=assembly_id, position=0, kind=RoundKind.draft.value,
                      title="Drafting", opens_at=now - timedelta(days=20),
                      closes_at=now - timedelta(days=10))
        vote = Round(assembly_id=assembly_id, position=1, kind=RoundKind.vote.value,
                     title="Voting", opens_at=now - timedelta(minutes=5),
                     closes_at=now + timedelta(hours=6))
        session.add_all([draft, vote])
        session.flush()
        ids = []
        for number in range(principles):
            title, text = f"Principle {number + 1}", f"The council does thing {number + 1}."
            principle = Principle(round_id=row_id(draft.id), position=number + 1, title=title,
                                  text=text)
            session.add(principle)
            session.flush()
            session.add(PrincipleVersion(principle_id=row_id(principle.id), version=1,
                                         theme="other", title=title, text=text,
                                         saved_by="bench"))
            ids.append(row_id(principle.id))
        cookies = [f"{settings.session_cookie}="
                   + sessions.start(session, settings, member=member) for member in panel]
        result = World(vote.public_id, row_id(vote.id), ids, cookies)
    engine.dispose()
    return result


@contextlib.contextmanager
def server(url: str, workers: int, folder: Path) -> Iterator[tuple[int, int]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update({"DATABASE_URL": url, "MINIPUBLIC_PORT": str(port),
                "MINIPUBLIC_HOST": "127.0.0.1", "MINIPUBLIC_WORKERS": str(workers),
                "MINIPUBLIC_PUBLIC_URL": f"http://127.0.0.1:{port}",
                "MINIPUBLIC_LOG_LEVEL": "warning"})
    log = (folder / f"server-{workers}.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "assembly.cli", "serve"], env=env,
                               stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/")
                connection.getresponse().read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the server did not start; see "
                                       f"{folder / f'server-{workers}.log'}") from None
                time.sleep(0.3)
        time.sleep(1.0 if workers == 1 else 3.0)   # let every worker come up
        print(f"(server pid {process.pid} on port {port})", file=sys.stderr, flush=True)
        yield port, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
        log.close()


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by process `pid` and all its descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry.name)] = int(fields[1])
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, its_parent in parents.items():
            if its_parent == parent and child not in tree:
                tree.add(child)
                frontier.append(child)
    total = 0.0
    for member in tree:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of every CPU of the machine since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


@dataclass
class Phase:
    name: str
    seconds: float
    latencies_ms: list[float]
    ballots: int
    failures: Counter[int]
    client_cpu: float   # seconds of CPU the benchmark's own client used (it shares the cores)
    server_cpu: float   # seconds of CPU the app's processes (uvicorn and its workers) used
    machine_busy: float  # share of the machine's CPU time busy (anyone's) during the phase

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def receipt_in(response: http.client.HTTPResponse, settings: Settings) -> str | None:
    """The receipt code in the flash message a member's first ballot sets, if this is it."""
    for header in response.msg.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        if name.strip() != settings.flash_cookie:
            continue
        value = urllib.parse.unquote(rest.split(";", 1)[0].strip('"'))
        for flash in decode_flashes(settings, value):
            if found := RECEIPT.search(flash.text):
                return found.group(1)
    return None


def run_phase(name: str, port: int, pid: int, world: World,
              jobs: list[tuple[int, dict[int, str]]], threads: int, follow: bool,
              receipts: dict[int, str], rate: float = 0.0) -> Phase:
    """Send every (member, {principle: option}) submit, from `threads` threads at once; with
    `follow`, each then fetches the page the 303 points to, as a browser does (the latency is
    the submit's; the fetch is load on the server). The receipt code a member's first ballot
    shows them goes into `receipts`.

    With `rate` (ballots a second) the submits are sent on a schedule, as members arriving at
    that pace would send them, instead of as fast as the threads can: each submit's latency is
    then counted from the moment it was due, so waiting for a free thread counts too."""
    settings = from_env()
    path = f"/home/rounds/{world.round_public_id}/ballot"
    local = threading.local()
    latencies: list[float] = []
    failures: Counter[int] = Counter()
    lock = threading.Lock()

    due: list[float] = []
    if rate > 0:
        sent = 0
        for _, choices in jobs:
            due.append(sent / rate)
            sent += len(choices)

    def send(numbered: tuple[int, tuple[int, dict[int, str]]]) -> None:
        index, (member, choices) = numbered
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = local.connection = http.client.HTTPConnection("127.0.0.1", port,
                                                                       timeout=120)
        body = urllib.parse.urlencode({f"choice-{p}": o for p, o in choices.items()})
        started = time.perf_counter()
        if due:
            wait = begun + due[index] - started
            if wait > 0:
                time.sleep(wait)
            started = begun + due[index]
        connection.request("POST", path, body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": world.cookies[member], "Sec-Fetch-Site": "same-origin"})
        response = connection.getresponse()
        response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if (code := receipt_in(response, settings)) is not None:
            with lock:
                receipts.setdefault(member, code)
        if follow and response.status == 303:
            target = urllib.parse.urlsplit(response.getheader("location", path))
            connection.request("GET", target.path + (f"?{target.query}" if target.query else ""),
                               headers={"Cookie": world.cookies[member]})
            page = connection.getresponse()
            page.read()
            if page.status != 200:
                with lock:
                    failures[page.status] += 1
        with lock:
            latencies.append(elapsed)
            if response.status != 303:
                failures[response.status] += 1

    started, cpu, server_cpu = time.perf_counter(), time.process_time(), tree_cpu(pid)
    begun = started
    busy, total = machine_busy()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(send, enumerate(jobs)))
    seconds = time.perf_counter() - started
    busy_after, total_after = machine_busy()
    return Phase(name, seconds, latencies, sum(len(c) for _, c in jobs), failures,
                 time.process_time() - cpu, tree_cpu(pid) - server_cpu,
                 (busy_after - busy) / max(total_after - total, 1))


def chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def counted_on_the_page(port: int, code: str) -> bool:
    """What the public receipt page says of a receipt code, as anyone holding it would ask."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("POST", "/receipts", body=urllib.parse.urlencode({"code": code}),
                       headers={"Content-Type": "application/x-www-form-urlencoded",
                                "Sec-Fetch-Site": "same-origin"})
    response = connection.getresponse()
    return response.status == 200 and "Counted." in response.read().decode()


def verify(url: str, world: World, last: dict[tuple[int, int], str], members: int) -> list[str]:
    """Close (and so seal) the round, then compare the sealed set with the clients' last
    choices; the problems found (none: every last choice counted exactly once)."""
    import assembly.routes  # noqa: F401  (registers the ballots room's hook that seals at close)
    from assembly.ballots import sealing

    engine = db.make_engine(url)
    problems: list[str] = []
    with db.session(engine, write=True) as session:
        item = session.get(Round, world.round_id)
        assert item is not None
        rounds.close_early(session, item, utcnow(), actor="bench")
        sealing.seal(session, item, utcnow())
    with db.session(engine) as session:
        setup = session.get(VoteRound, world.round_id)
        if setup is None or setup.sealed_at is None:
            problems.append("the round was not sealed")
        sealed: Counter[tuple[int, str]] = Counter(
            (p, c) for p, c in session.exec(select(SealedBallot.principle_id, SealedBallot.choice)
                                             .where(SealedBallot.round_id == world.round_id)))
        expected: Counter[tuple[int, str]] = Counter((p, o) for (_, p), o in last.items())
        if sealed != expected:
            wrong = sorted(set(sealed) ^ set(expected)
                           | {k for k in sealed if sealed[k] != expected[k]})
            problems.append(f"{len(wrong)} (principle, option) counts differ, e.g. "
                            f"{[(k, sealed[k], expected[k]) for k in wrong[:3]]}")
        total = sum(sealed.values())
        if total != members * len(world.principle_ids):
            problems.append(f"{total} sealed ballots, expected "
                            f"{members * len(world.principle_ids)}")
        receipts = session.exec(select(sa.func.count()).select_from(CountedReceipt).where(
            CountedReceipt.round_id == world.round_id)).one()
        if receipts != members:
            problems.append(f"{receipts} counted receipts for {members} members")
        linked = session.exec(select(sa.func.count()).select_from(Ballot).where(
            col(Ballot.round_id) == world.round_id)).one() + session.exec(
            select(sa.func.count()).select_from(Receipt).where(
                col(Receipt.round_id) == world.round_id)).one()
        if linked:
            problems.append(f"{linked} ballots or receipts still linked to members")
    engine.dispose()
    return problems


def warm_up(port: int, world: World, threads: int) -> None:
    """Every worker's first requests compile templates and SQL and open database connections:
    fetch the ballot page a few times per thread first (nothing is voted), so the figures are of
    a running server, as on polling day, not of one just started."""
    path = f"/home/rounds/{world.round_public_id}/ballot"

    def fetch(member: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for _ in range(4):
            connection.request("GET", path, headers={"Cookie": world.cookies[member]})
            connection.getresponse().read()
        connection.close()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(fetch, range(min(len(world.cookies), threads * 2))))


def bench(kind: str, args: argparse.Namespace) -> None:
    workers = args.pg_workers if kind == "postgresql" else 1
    with tempfile.TemporaryDirectory() as name, database(kind, Path(name)) as url:
        folder = Path(name)
        os.environ["DATABASE_URL"] = url
        world = build(url, args.members, args.principles)
        chooser = random.Random(SEED)
        last: dict[tuple[int, int], str] = {}
        casting: list[tuple[int, dict[int, str]]] = []
        for member in range(args.members):
            for group in chunks(world.principle_ids, args.per_request):
                choices = {p: chooser.choice(OPTIONS) for p in group}
                casting.append((member, choices))
                last.update({(member, p): o for p, o in choices.items()})
        chooser.shuffle(casting)   # members at once, each in their own order
        changing: list[tuple[int, dict[int, str]]] = []
        whole = args.per_request >= args.principles
        for member in range(args.members):
            picked = chooser.sample(world.principle_ids, args.changes)
            changed = {p: chooser.choice([o for o in OPTIONS if o != last[(member, p)]])
                       for p in picked}
            last.update({(member, p): o for p, o in changed.items()})
            if whole:   # the browser sends the whole paper again, with the changes
                changing.append((member, {p: last[(member, p)] for p in world.principle_ids}))
            else:
                changing.extend((member, {p: changed[p] for p in group})
                                for group in chunks(picked, args.per_request))
        chooser.shuffle(changing)
        receipts: dict[int, str] = {}
        with server(url, workers, folder) as (port, pid):
            warm_up(port, world, args.threads)
            phases = [run_phase("cast", port, pid, world, casting, args.threads, args.follow,
                                receipts, args.rate)]
            phases.append(run_phase("change", port, pid, world, changing, args.threads,
                                    args.follow, receipts, args.rate))
            problems = verify(url, world, last, args.members)
            counted = sum(counted_on_the_page(port, code) for code in receipts.values())
            if counted != args.members:
                problems.append(f"{counted} of {args.members} members' receipt codes are shown "
                                f"as counted ({len(receipts)} codes handed out)")
        load = os.getloadavg()
        print(f"\n{kind}: {workers} worker{'s' if workers > 1 else ''}, {args.members} members x "
              f"{args.principles} principles, {args.per_request} per submit, {args.threads} "
              "client threads"
              + (f", sent at {args.rate:,.0f} ballots/s" if args.rate else ", as fast as they can")
              + f"; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        goal_rate, goal_p99 = GOALS[kind]
        for phase in phases:
            rate = phase.ballots / phase.seconds
            print(f"  {phase.name:>6}: {phase.ballots:,} ballots in {len(phase.latencies_ms):,} "
                  f"submits, {phase.seconds:.1f} s: {rate:,.0f} ballots/s "
                  f"({len(phase.latencies_ms) / phase.seconds:,.0f} submits/s); latency p50 "
                  f"{phase.percentile(0.5):.0f} ms, p99 {phase.percentile(0.99):.0f} ms, max "
                  f"{max(phase.latencies_ms):.0f} ms; goal >= {goal_rate:.0f}/s"
                  + (f", p99 <= {goal_p99:.0f} ms" if goal_p99 else "")
                  + "\n          CPU: the app "
                  f"{phase.server_cpu * 1000 / len(phase.latencies_ms):.1f} ms per submit "
                  f"({phase.server_cpu / phase.seconds:.0%} of a core), this "
                  f"client {phase.client_cpu / phase.seconds:.0%} of a core, the machine "
                  f"{phase.machine_busy:.0%} busy ({os.cpu_count()} cores, anyone's work)"
                  + (f"; FAILED submits {dict(phase.failures)}" if phase.failures else ""))
        print("  counted: " + ("every member's last choice exactly once "
                               f"({args.members * args.principles:,} sealed ballots, "
                               f"{args.members} receipts, each shown as counted on the "
                               "public receipt page), nothing left linked"
                               if not problems else "PROBLEMS: " + "; ".join(problems)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--principles", type=int, default=30)
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--per-request", type=int, default=30)
    parser.add_argument("--rate", type=float, default=0.0,
                        help="send the submits on a schedule at this many ballots a second "
                             "(members arriving at that pace), latency counted from when each "
                             "was due; default: as fast as the threads can")
    parser.add_argument("--no-follow", dest="follow", action="store_false",
                        help="do not fetch the ballot page after each submit")
    parser.add_argument("--pg-workers", type=int, default=4)
    args = parser.parse_args()
    os.environ.setdefault("MINIPUBLIC_SECRET_KEY", "bench-" + secrets.token_urlsafe(40))
    os.environ.setdefault("MINIPUBLIC_DATA_DIR", tempfile.mkdtemp(prefix="bench-ballots-"))
    for kind in args.databases.split(","):
        bench(kind, args)


if __name__ == "__main__":
    main()
