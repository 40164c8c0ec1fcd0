"""Officers signing in: password hashing and checking, with limits kept in the database.

A sign-in is three steps, so that a flood of wrong passwords cannot stall the app: `begin`
counts the try against the limits (`assembly.accounts.throttle`: per account and address, per
address, and per account over addresses it has never signed in from) and reads the stored hash in
one short transaction; `check` runs Argon2 outside any transaction, with at most
MINIPUBLIC_PASSWORD_CHECKS_AT_ONCE checks at a time per process (`checking_slot`); `finish`
records a success in another short transaction. A paused try is refused before any hashing.

Limits are counted in the database, not in process memory, so they hold across several worker
processes and restarts. Every checked attempt costs one Argon2 verification whether or not the
account exists, so response times do not reveal which e-mail addresses have accounts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import weakref
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from assembly import db
from assembly.accounts import throttle
from assembly.accounts.models import Officer
from assembly.settings import Settings
from assembly.tables import utcnow

# Longer input is cut before hashing, so a megabyte "password" costs no more to check.
MAX_PASSWORD_LENGTH = 1024


@lru_cache(maxsize=8)
def hasher(memory_kib: int, time_cost: int) -> PasswordHasher:
    return PasswordHasher(memory_cost=memory_kib, time_cost=time_cost)


@lru_cache(maxsize=8)
def _dummy_hash(memory_kib: int, time_cost: int) -> str:
    return hasher(memory_kib, time_cost).hash("not a real password; used for unknown accounts")


def hasher_for(settings: Settings) -> PasswordHasher:
    return hasher(settings.password_memory_kib, settings.password_time_cost)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(settings: Settings, password: str) -> str:
    return hasher_for(settings).hash(password)


# The longest pauses. An account's own limit (counted over every address it has not signed in
# from) pauses for at most an hour, so failures from elsewhere never keep its officer out long,
# and never from an address they have signed in from before.
LONGEST_PAUSE = timedelta(days=1)
LONGEST_ACCOUNT_PAUSE = timedelta(hours=1)


def rules(settings: Settings) -> tuple[throttle.Rule, throttle.Rule, throttle.Rule]:
    """(per account and address, per address, per account over unknown addresses)."""
    first = timedelta(minutes=settings.login_window_minutes)
    return (throttle.Rule(settings.login_max_per_account, first, LONGEST_PAUSE),
            throttle.Rule(settings.login_max_per_address, first, LONGEST_PAUSE),
            throttle.Rule(settings.login_max_per_account_total, first,
                          max(first, LONGEST_ACCOUNT_PAUSE)))


@dataclass(frozen=True)
class SignIn:
    officer: Officer | None = None
    retry_after: timedelta | None = None

    @property
    def ok(self) -> bool:
        return self.officer is not None

    @property
    def throttled(self) -> bool:
        return self.retry_after is not None


@dataclass(frozen=True)
class Attempt:
    """What the first short transaction of a sign-in found: the tries it counted, and the hash
    to check against (a dummy one for unknown or disabled accounts), or how long to wait."""

    checks: tuple[throttle.Check, ...] = ()
    pair_key: str = ""
    account_key: str = ""
    officer_id: int | None = None
    stored_hash: str = ""
    retry_after: timedelta | None = None


def quick_keys(settings: Settings, email: str, address: str) -> tuple[str, str]:
    """The keys of the account-and-address and the address limits (no database needed)."""
    email = normalise_email(email)
    return (throttle.key(settings, "sign-in pair", email, address),
            throttle.key(settings, "sign-in address", address))


def _checks(session: Session, settings: Settings, email: str, address: str,
            now: datetime | None) -> tuple[list[throttle.Check], str, str]:
    pair_rule, address_rule, account_rule = rules(settings)
    pair_key, address_key = quick_keys(settings, email, address)
    account_key = throttle.key(settings, "sign-in account", email)
    checks = [throttle.Check(pair_key, pair_rule), throttle.Check(address_key, address_rule)]
    if not throttle.known(session, pair_key, now=now):
        checks.append(throttle.Check(account_key, account_rule))
    return checks, pair_key, account_key


def paused(session: Session, settings: Settings, email: str, address: str, *,
           now: datetime | None = None, remember: throttle.PauseMemo | None = None
           ) -> timedelta | None:
    """How long this sign-in must wait, found by reading only (run it before `begin`, in a
    read-only unit of work: a flood of paused tries then takes no write lock at all)."""
    checks, _, _ = _checks(session, settings, normalise_email(email), address, now)
    return throttle.paused(session, checks, now=now, remember=remember)


def begin(session: Session, settings: Settings, email: str, address: str, *,
          now: datetime | None = None) -> Attempt:
    """Count the try against the limits (or find it paused), and read the officer's hash.
    Run it in a `write=True` unit of work of its own: the slow hash is checked afterwards,
    outside any transaction."""
    email = normalise_email(email)
    checks, pair_key, account_key = _checks(session, settings, email, address, now)
    wait = throttle.reserve(session, checks, now=now)
    if wait is not None:
        return Attempt(retry_after=wait)
    officer = session.exec(select(Officer).where(Officer.email == email)).first()
    usable = officer is not None and not officer.disabled
    stored = officer.password_hash if usable and officer is not None else _dummy_hash(
        settings.password_memory_kib, settings.password_time_cost)
    return Attempt(tuple(checks), pair_key, account_key,
                   officer.id if usable and officer is not None else None, stored)


def check(settings: Settings, attempt: Attempt, password: str) -> tuple[bool, str | None]:
    """The slow part, outside any transaction: whether the password is right (always one Argon2
    verification, known account or not), and a new hash if the cost settings have risen."""
    verified = _verify(settings, attempt.stored_hash, password) and attempt.officer_id is not None
    rehashed = None
    if verified and hasher_for(settings).check_needs_rehash(attempt.stored_hash):
        rehashed = hash_password(settings, password[:MAX_PASSWORD_LENGTH])
    return verified, rehashed


def finish(session: Session, attempt: Attempt, verified: bool, rehashed: str | None = None, *,
           now: datetime | None = None) -> Officer | None:
    """Record the outcome; the officer if they are in. A failure was already counted by `begin`,
    so only a success writes: the count for this account from this address is cleared (and the
    address becomes known for it), and the other limits get their try back. The account's overall
    count is not cleared, so guessing from elsewhere stays paused."""
    if not verified or attempt.officer_id is None:
        return None
    officer = session.get(Officer, attempt.officer_id)
    if officer is None or officer.disabled or officer.password_hash != attempt.stored_hash:
        return None  # disabled, or the password changed, while the hash was being checked
    now = now or utcnow()
    throttle.succeeded(session, [attempt.pair_key], now=now)
    throttle.give_back(session, [one for one in attempt.checks if one.key != attempt.pair_key])
    officer.last_login_at = now
    if rehashed is not None:
        officer.password_hash = rehashed
    session.add(officer)
    session.flush()
    return officer


def release(session: Session, attempt: Attempt) -> None:
    """Give back the tries `begin` counted, for an attempt that was never checked."""
    throttle.give_back(session, attempt.checks)


def authenticate(engine: Engine, settings: Settings, email: str, password: str, address: str,
                 *, now: datetime | None = None) -> SignIn:
    """A whole sign-in check, for commands and tests: `begin`, `check` and `finish`, each
    transaction short and the hash outside them. The web view does the same with a bound on
    concurrent hashes (`checking_slot`)."""
    with db.session(engine, write=True) as session:
        attempt = begin(session, settings, email, address, now=now)
    if attempt.retry_after is not None:
        return SignIn(retry_after=attempt.retry_after)
    verified, rehashed = check(settings, attempt, password)
    if not verified:
        return SignIn()
    with db.session(engine, write=True) as session:
        return SignIn(officer=finish(session, attempt, verified, rehashed, now=now))


# --- at most a few password checks at once ---------------------------------------------------

# Password checks run on their own threads at this niceness: pages (niceness 0) get about
# nine tenths of the processor against a password check, yet a check still gets a tenth against
# other busy work (a selection run), so officers can sign in while one runs. 19 starved them.
HASHING_NICENESS = 10
# A turn to check a password is waited for this long; after that the sign-in is refused with a
# 503 and Retry-After, rather than piling up requests (each check holds 64 MiB).
SLOT_WAIT_SECONDS = 5.0


class Busy(Exception):
    """No turn to check a password came free in time."""


_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.Semaphore] = \
    weakref.WeakKeyDictionary()


@contextlib.asynccontextmanager
async def checking_slot(settings: Settings, wait: float | None = None) -> AsyncIterator[None]:
    """Hold one of MINIPUBLIC_PASSWORD_CHECKS_AT_ONCE turns (per server process) while checking a
    password; raise Busy if none comes free within `wait` seconds (SLOT_WAIT_SECONDS)."""
    loop = asyncio.get_running_loop()
    limiter = _slots.get(loop)
    if limiter is None:
        limiter = _slots[loop] = anyio.Semaphore(settings.password_checks_at_once)
    with anyio.move_on_after(SLOT_WAIT_SECONDS if wait is None else wait) as waiting:
        await limiter.acquire()
    if waiting.cancelled_caught:
        raise Busy
    try:
        yield
    finally:
        limiter.release()


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _lower_priority() -> None:
    # Linux: a thread is a task with its own nice value, and the threads Argon2 starts for its
    # lanes inherit it. Elsewhere this may fail; the checks then run at normal priority.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)


def _hashing_pool(size: int) -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="password-check",
                                       initializer=_lower_priority)
        return _pool


async def check_in_turn(settings: Settings, attempt: Attempt, password: str
                        ) -> tuple[bool, str | None]:
    """`check`, for the web: in one of the few turns (`checking_slot`, Busy if none comes free),
    on a thread of its own at a low CPU priority, so that while a flood of sign-ins keeps
    the turns busy, everyone else's pages still get the processor first."""
    async with checking_slot(settings):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(_hashing_pool(settings.password_checks_at_once),
                                          check, settings, attempt, password)


def verify_password(settings: Settings, stored: str, password: str) -> bool:
    """Check a password against a stored hash (for re-confirming, not for signing in)."""
    return _verify(settings, stored, password)


def _verify(settings: Settings, stored: str, password: str) -> bool:
    try:
        return hasher_for(settings).verify(stored, password[:MAX_PASSWORD_LENGTH])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def prune_attempts(session: Session, settings: Settings) -> int:
    """Forget counts of failed tries that no longer affect any limit; returns how many."""
    return throttle.prune(session)
