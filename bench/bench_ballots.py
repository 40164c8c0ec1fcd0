"""Benchmark a vote round under load: ballots per second, latency, and nothing lost or doubled.

    .venv/bin/python bench/bench_ballots.py [--databases sqlite,postgresql] [--members 300]
        [--principles 30] [--changes 10] [--modes paper,principle]

For each database it starts the real app (`minipublic serve`, uvicorn on a free port of
127.0.0.1; 4 workers on PostgreSQL, 1 on SQLite), builds an assembly straight in the database
(members who have joined, a draft round with `--principles` principles, a vote round open now) and
gives every member a session, as redeeming an invitation does. Then every member, each on their
own connection and all at once, casts a ballot on each principle and then changes `--changes` of
them, in two ways (`--modes`), each on a fresh vote round:

- `paper`: as the ballot page does, one form post with the member's whole ballot paper, then one
  with the changed ones;
- `principle`: the hardest way, one form post per ballot.

It prints ballots per second, requests per second and p50/p99 latency of the posts, per phase.

Then it closes the round (an officer's "Close now", through the service), which seals it, and
checks: the sealed ballots per principle and option equal what the members last chose (every
last choice counted exactly once, nothing lost or doubled), no ballot is left linked to a member,
and every member's receipt code (read from the flash message of their first ballot) is counted
on the public receipt page. Goals (issue 11): >= 500 ballots/s with p99 <= 100 ms on PostgreSQL,
>= 200 ballots/s on SQLite. Figures only; loopback only.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import random
import re
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assembly.settings import from_env
from bench.bench_signin_flood import postgres_database, running_server

OPTIONS = ("strongly_agree", "agree", "unsure", "disagree", "strongly_disagree")
GOALS = {"postgresql": (500.0, 100.0), "sqlite": (200.0, None)}


def build(database_url: str, members: int, principles: int) -> tuple[str, list[str], list[int]]:
    """The vote round's public id, each member's session cookie value, the principle ids."""
    from assembly import db, sessions
    from assembly.assemblies.models import Assembly
    from assembly.deliberation.models import Round, RoundKind
    from assembly.drafting.models import Principle, PrincipleVersion
    from assembly.recruitment.models import Profile, Quota, Respondent
    from assembly.selection.models import Member, MemberStatus
    from assembly.settings import from_env
    from assembly.tables import utcnow

    settings = from_env({**os.environ, "DATABASE_URL": database_url,
                         "MINIPUBLIC_SECRET_KEY": "x" * 48}, check=False)
    engine = db.make_engine(database_url)
    now = utcnow()
    ages = ("16-29", "30-44", "45-64", "65+")
    try:
        with db.session(engine, write=True) as session:
            assembly = Assembly(title="Bench assembly", question="How?")
            session.add(assembly)
            session.flush()
            for position, age in enumerate(ages):
                session.add(Quota(assembly_id=assembly.id, position=position, feature="Age",
                                  value=age, min_count=0, max_count=members))
            people = []
            for i in range(members):
                respondent = Respondent(assembly_id=assembly.id, external_id=f"B{i:04d}")
                session.add(respondent)
                session.flush()
                session.add(Profile(respondent_id=respondent.id, values={"Age": ages[i % 4]}))
                member = Member(assembly_id=assembly.id or 0, respondent_id=respondent.id or 0,
                                status=MemberStatus.joined.value, joined_at=now)
                session.add(member)
                people.append(member)
            draft = Round(assembly_id=assembly.id, position=0, kind=RoundKind.draft.value,
                          title="Drafting", opens_at=now - timedelta(days=9),
                          closes_at=now - timedelta(days=2))
            vote = Round(assembly_id=assembly.id, position=1, kind=RoundKind.vote.value,
                         title="Voting", opens_at=now - timedelta(minutes=1),
                         closes_at=now + timedelta(hours=2))
            session.add_all([draft, vote])
            session.flush()
            ids = []
            for n in range(principles):
                principle = Principle(round_id=draft.id, position=n, title=f"Principle {n + 1}",
                                      text=f"The text of principle {n + 1}.")
                session.add(principle)
                session.flush()
                session.add(PrincipleVersion(principle_id=principle.id, version=1,
                                             theme="other", title=principle.title,
                                             text=principle.text, saved_by="bench"))
                ids.append(principle.id or 0)
            session.flush()
            tokens = [sessions.start(session, settings, member=m) for m in people]
            return vote.public_id, tokens, ids
    finally:
        engine.dispose()


def close_round(database_url: str, public_id: str) -> None:
    from sqlmodel import select

    import assembly.routes  # noqa: F401  (as in the app: the ballots room seals at close)
    from assembly import db
    from assembly.deliberation import rounds
    from assembly.deliberation.models import Round
    from assembly.tables import utcnow

    engine = db.make_engine(database_url)
    try:
        with db.session(engine, write=True) as session:
            item = session.exec(select(Round).where(Round.public_id == public_id)).one()
            rounds.close_early(session, item, utcnow(), actor="bench")
    finally:
        engine.dispose()


def sealed_counts(database_url: str, public_id: str) -> tuple[Counter[tuple[int, str]], int]:
    """Sealed ballots per (principle, option), and ballots still linked to a member."""
    import sqlalchemy as sa
    from sqlmodel import col, select

    from assembly import db
    from assembly.ballots.models import Ballot, SealedBallot
    from assembly.deliberation.models import Round

    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            round_id = session.exec(select(Round.id).where(Round.public_id == public_id)).one()
            rows = session.exec(select(SealedBallot.principle_id, SealedBallot.choice,
                                       sa.func.count())
                                .where(SealedBallot.round_id == round_id)
                                .group_by(col(SealedBallot.principle_id),
                                          col(SealedBallot.choice))).all()
            linked = session.exec(select(sa.func.count()).select_from(Ballot)
                                  .where(Ballot.round_id == round_id)).one()
            return Counter({(p, c): int(n) for p, c, n in rows}), int(linked)
    finally:
        engine.dispose()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def vote_phase(port: int, cookie_name: str, public_id: str, tokens: list[str],
               plan: list[list[tuple[int, str]]], receipts: list[str | None], *,
               together: bool) -> tuple[float, list[float], Counter[int]]:
    """Every member posts their ballots in `plan`, all members at once: all in one form post
    (`together`, as the ballot page sends them) or one post per ballot."""
    path = f"/home/rounds/{public_id}/ballot"
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(len(tokens) + 1)

    def member(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Sec-Fetch-Site": "same-origin", "Cookie": f"{cookie_name}={tokens[index]}"}
        mine, statuses_here = [], Counter[int]()
        barrier.wait()
        posts = [plan[index]] if together else [[ballot] for ballot in plan[index]]
        for post in posts:
            body = urllib.parse.urlencode({f"choice-{p}": option for p, option in post})
            started = time.perf_counter()
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            mine.append((time.perf_counter() - started) * 1000)
            statuses_here[response.status] += 1
            flash = response.getheader("set-cookie", "") or ""
            if receipts[index] is None and "flash" in flash:
                receipts[index] = flash
        with lock:
            latencies.extend(mine)
            statuses.update(statuses_here)

    threads = [threading.Thread(target=member, args=(i,)) for i in range(len(tokens))]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, statuses


def receipt_code(settings_secret: str, cookie_header: str | None) -> str | None:
    """The receipt code in the flash message of a member's first ballot."""
    from assembly.settings import Settings
    from assembly.templating import decode_flashes

    if not cookie_header:
        return None
    value = cookie_header.split(";", 1)[0].split("=", 1)[1].strip('"')
    settings = Settings(secret_key=settings_secret)
    for flash in decode_flashes(settings, urllib.parse.unquote(value)):
        found = re.search(r"receipt code is ([0-9A-Z-]{19})", flash.text)
        if found:
            return found.group(1)
    return None


def check_receipt(port: int, code: str) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("POST", "/receipts", body=urllib.parse.urlencode({"code": code}),
                       headers={"Content-Type": "application/x-www-form-urlencoded",
                                "Sec-Fetch-Site": "same-origin"})
    response = connection.getresponse()
    return "Counted." in response.read().decode()


def run(database: str, url: str, data_dir: Path, args: argparse.Namespace) -> None:
    workers = "4" if database == "postgresql" else "1"
    secret = "bench-ballots-" + "k" * 40
    extra = {"MINIPUBLIC_WORKERS": workers, "MINIPUBLIC_SECRET_KEY": secret}
    with running_server(data_dir, url if database == "postgresql" else None, extra) as server:
        database_url = url if database == "postgresql" else \
            f"sqlite:///{data_dir / 'minipublic.sqlite3'}"
        cookie_name = from_env(server_env(data_dir, server.port, url, database, extra),
                               check=False).session_cookie
        for mode in args.modes.split(","):
            measure(database, database_url, server.port, cookie_name, secret, workers, mode,
                    args)


def measure(database: str, database_url: str, port: int, cookie_name: str, secret: str,
            workers: str, mode: str, args: argparse.Namespace) -> None:
    """One vote round through the server: cast, change, close, and check the count."""
    together = mode == "paper"
    public_id, tokens, principle_ids = build(database_url, args.members, args.principles)
    chooser = random.Random(20261204)
    first = [[(p, chooser.choice(OPTIONS)) for p in principle_ids] for _ in tokens]
    changes = [[(p, chooser.choice(OPTIONS)) for p in chooser.sample(principle_ids,
                                                                     args.changes)]
               for _ in tokens]
    last = [dict(plan) | dict(change) for plan, change in zip(first, changes, strict=True)]
    receipts: list[str | None] = [None] * len(tokens)
    print(f"\n{database}: {len(tokens)} members x {len(principle_ids)} principles, "
          f"{workers} worker{'s' if workers != '1' else ''}, "
          + ("one post per ballot paper" if together else "one post per ballot"))
    goal_rate, goal_p99 = GOALS[database]
    for label, plan in (("cast", first), ("change", changes)):
        seconds, latencies, statuses = vote_phase(port, cookie_name, public_id,
                                                  tokens, plan, receipts, together=together)
        ballots = sum(len(member_plan) for member_plan in plan)
        rate = ballots / seconds
        p99 = percentile(latencies, 0.99)
        verdict = "met" if rate >= goal_rate and (goal_p99 is None or p99 <= goal_p99) \
            else "MISSED"
        print(f"  {label:<7} {ballots:6d} ballots in {len(latencies):6d} posts, "
              f"{seconds:6.1f} s: {rate:7.1f} ballots/s ({len(latencies) / seconds:6.1f} "
              f"posts/s)  p50 {percentile(latencies, 0.5):6.1f} ms  "
              f"p99 {p99:6.1f} ms  answers {dict(statuses)}  goal "
              f">= {goal_rate:.0f}/s" + (f", p99 <= {goal_p99:.0f} ms" if goal_p99 else "")
              + f": {verdict}")
        sys.stdout.flush()
    started = time.perf_counter()
    close_round(database_url, public_id)
    sealing = time.perf_counter() - started
    counts, linked = sealed_counts(database_url, public_id)
    expected: Counter[tuple[int, str]] = Counter()
    for choices in last:
        expected.update(choices.items())
    codes = [receipt_code(secret, r) for r in receipts]
    counted = sum(1 for code in codes if code and check_receipt(port, code))
    print(f"  sealed in {sealing:.2f} s: {sum(counts.values())} ballots; every last choice "
          f"counted exactly once: {'yes' if counts == expected else 'NO'}; linked ballots "
          f"left: {linked}; receipts counted: {counted} of {len(tokens)}")


def server_env(data_dir: Path, port: int, url: str, database: str, extra: dict[str, str]
               ) -> dict[str, str]:
    from bench.bench_signin_flood import environment

    return environment(data_dir, port, url if database == "postgresql" else None, extra)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--principles", type=int, default=30)
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--modes", default="paper,principle",
                        help="paper: one post per ballot paper (as the page); principle: one "
                             "post per ballot")
    parser.add_argument("--postgres-url",
                        default=os.environ.get("MINIPUBLIC_TEST_POSTGRES_URL",
                                               "postgresql+psycopg://postgres@127.0.0.1:5432/"
                                               "postgres"))
    args = parser.parse_args()
    print(f"Ballots under load: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    for database in args.databases.split(","):
        with contextlib.ExitStack() as stack:
            url = (stack.enter_context(postgres_database(args.postgres_url))
                   if database == "postgresql" else "")
            data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            run(database, url, data_dir, args)


if __name__ == "__main__":
    main()
