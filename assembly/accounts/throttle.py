"""Growing pauses after failed tries, counted atomically in the database: one mechanism for
officers' sign-ins and for invitation codes.

Each thing that is limited (an account and address pair, an address, an account) has one row,
keyed by a keyed hash. A try is counted *before* it is checked (`reserve`), in a short write
transaction that holds the rows' locks (PostgreSQL: `SELECT ... FOR UPDATE` after an
`INSERT ... ON CONFLICT DO NOTHING`, keys locked in sorted order so two requests never deadlock;
SQLite: `BEGIN IMMEDIATE` serialises writers). So however many requests arrive at once, exactly
`limit` of them are let through before the pause: counting after the check, as before, let 36
parallel guesses through a limit of 20. A try that turns out right is given back (`give_back`) or
clears its counts (`succeeded`).

The pause after the limit is reached doubles with every further failure (`first_pause`, then two,
four... times it, up to `longest_pause`). A request made during a pause changes nothing, so an
attacker cannot make anyone's pause longer by hammering; counts are forgotten a day after the
last failure.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import anyio
import sqlalchemy as sa
from sqlmodel import Session, col, select

from assembly import db
from assembly.accounts.models import Throttle
from assembly.settings import Settings
from assembly.tables import utcnow

# Failures older than this (counted from the last one, or the end of its pause) are forgotten.
FORGET_AFTER = timedelta(days=1)
# An account and address pair that signed in successfully stays "known" this long.
KNOWN_FOR = timedelta(days=90)
# 2**20 times the first pause is far beyond any longest pause; it keeps the arithmetic small.
MAX_DOUBLINGS = 20


async def hold_back(settings: Settings) -> None:
    """Wait MINIPUBLIC_PAUSED_ANSWER_MS before answering a paused try. It costs the server only
    an idle connection, and slows a flood from each connection to one try per delay, so the
    flood's requests cannot crowd everyone else's out of the server's event loop (60 connections
    answered as fast as they ask made an officer's page wait for 60 other answers each time)."""
    await anyio.sleep(settings.paused_answer_ms / 1000)


# Worker threads (per server process) for the database work of tries that can come in floods.
FLOOD_THREADS = 4
_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = \
    weakref.WeakKeyDictionary()


def gate() -> anyio.CapacityLimiter:
    """The limiter to pass to `db.run` for counting tries (sign-ins, invitation codes): a flood
    of them then queues for FLOOD_THREADS threads without a thread each, and the other worker
    threads stay free for everyone else's pages (on SQLite, writers waiting for the lock held
    every thread, so an officer's page waited seconds). One per event loop."""
    loop = asyncio.get_running_loop()
    limiter = _gates.get(loop)
    if limiter is None:
        limiter = _gates[loop] = anyio.CapacityLimiter(FLOOD_THREADS)
    return limiter


@dataclass(frozen=True)
class Rule:
    """`limit` tries, then a pause of `first_pause` that doubles with each further failure."""

    limit: int
    first_pause: timedelta
    longest_pause: timedelta

    def pause(self, failures: int) -> timedelta | None:
        if failures < self.limit:
            return None
        doublings = min(failures - self.limit, MAX_DOUBLINGS)
        return min(self.first_pause * (2 ** doublings), self.longest_pause)


@dataclass(frozen=True)
class Check:
    key: str
    rule: Rule


def key(settings: Settings, kind: str, *parts: str) -> str:
    """A keyed hash of what is limited, so the table cannot be reversed by hashing every IPv4
    address or a list of e-mail addresses."""
    message = "\x1f".join((kind, *parts)).encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()


def _locked(session: Session, keys: Sequence[str]) -> dict[str, Throttle]:
    """The rows for `keys`, created if missing, locked until the transaction ends."""
    ordered = sorted(set(keys))
    for one in ordered:
        session.exec(db.insert(session, Throttle).values(
            key=one, failures=0).on_conflict_do_nothing(index_elements=["key"]))
    rows = session.exec(
        select(Throttle).where(col(Throttle.key).in_(ordered)).order_by(col(Throttle.key))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {row.key: row for row in rows}


def _forget_old(row: Throttle, now: datetime) -> None:
    last = max(row.last_failure_at or now, row.blocked_until or now) if row.last_failure_at else None
    if last is not None and now - last >= FORGET_AFTER:
        row.failures = 0
        row.blocked_until = None


class PauseMemo:
    """Pauses one server process has already read from the database, so that during a flood
    the paused tries are refused without a database query at all. Only ever a copy of what the
    database said: a pause is never made longer or shorter here, and `reserve` always decides."""

    LIMIT = 10_000

    def __init__(self) -> None:
        self._until: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def wait(self, keys: Sequence[str], *, now: datetime | None = None) -> timedelta | None:
        now = now or utcnow()
        with self._lock:
            waits = [until - now for one in keys
                     if (until := self._until.get(one)) is not None and until > now]
        return max(max(waits), timedelta(seconds=1)) if waits else None

    def note(self, key: str, until: datetime, *, now: datetime | None = None) -> None:
        now = now or utcnow()
        with self._lock:
            if len(self._until) >= self.LIMIT:
                self._until = {one: at for one, at in self._until.items() if at > now}
                if len(self._until) >= self.LIMIT:
                    self._until.clear()
            self._until[key] = until


_memos: weakref.WeakKeyDictionary[object, PauseMemo] = weakref.WeakKeyDictionary()


def memo(owner: object) -> PauseMemo:
    """The pause memo of `owner` (the app: one per app, so separate apps never share one)."""
    found = _memos.get(owner)
    if found is None:
        found = _memos[owner] = PauseMemo()
    return found


def paused(session: Session, checks: Sequence[Check], *, now: datetime | None = None,
           remember: PauseMemo | None = None) -> timedelta | None:
    """How long any of `checks` is still paused, or None; only reads, so during a flood the
    paused tries take no write lock (`reserve` checks again, atomically). Pauses found are noted
    in `remember`."""
    now = now or utcnow()
    rows = session.exec(select(Throttle.key, Throttle.blocked_until).where(
        col(Throttle.key).in_([check.key for check in checks]),
        col(Throttle.blocked_until) > now)).all()
    waits = []
    for one, until in rows:
        if until is not None:
            waits.append(until - now)
            if remember is not None:
                remember.note(one, until, now=now)
    return max(max(waits), timedelta(seconds=1)) if waits else None


def reserve(session: Session, checks: Sequence[Check], *, now: datetime | None = None
            ) -> timedelta | None:
    """Count one more try against every check, or none if any is paused: then return how long
    to wait (at least a second). Run it in a `write=True` unit of work of its own, before the
    (possibly slow) check it guards, and commit at once."""
    now = now or utcnow()
    rows = _locked(session, [check.key for check in checks])
    waits = [row.blocked_until - now for row in rows.values()
             if row.blocked_until is not None and row.blocked_until > now]
    if waits:
        return max(max(waits), timedelta(seconds=1))
    for check in checks:
        row = rows[check.key]
        _forget_old(row, now)
        row.failures += 1
        row.last_failure_at = now
        pause = check.rule.pause(row.failures)
        row.blocked_until = now + pause if pause is not None else None
        session.add(row)
    session.flush()
    return None


def give_back(session: Session, checks: Sequence[Check]) -> None:
    """Undo one reserved try per check (it was not a failure: right, or never checked)."""
    rows = _locked(session, [check.key for check in checks])
    for check in checks:
        row = rows[check.key]
        row.failures = max(row.failures - 1, 0)
        if check.rule.pause(row.failures) is None:
            row.blocked_until = None
        session.add(row)
    session.flush()


def succeeded(session: Session, keys: Sequence[str], *, now: datetime | None = None) -> None:
    """Forget the failures counted against `keys` and remember the success."""
    now = now or utcnow()
    rows = _locked(session, keys)
    for row in rows.values():
        row.failures = 0
        row.blocked_until = None
        row.succeeded_at = now
        session.add(row)
    session.flush()


def known(session: Session, one_key: str, *, now: datetime | None = None) -> bool:
    """Whether `one_key` succeeded within KNOWN_FOR."""
    now = now or utcnow()
    at = session.exec(select(Throttle.succeeded_at).where(Throttle.key == one_key)).first()
    return at is not None and now - at < KNOWN_FOR


def prune(session: Session, *, now: datetime | None = None) -> int:
    """Delete rows that no longer affect anything; returns how many."""
    now = now or utcnow()
    result = session.exec(sa.delete(Throttle).where(
        sa.or_(col(Throttle.last_failure_at).is_(None),
               col(Throttle.last_failure_at) < now - FORGET_AFTER),
        sa.or_(col(Throttle.blocked_until).is_(None), col(Throttle.blocked_until) < now),
        sa.or_(col(Throttle.succeeded_at).is_(None), col(Throttle.succeeded_at) < now - KNOWN_FOR),
    ))
    return int(result.rowcount)
