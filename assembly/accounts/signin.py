"""Officers signing in: password hashing and checking, with rate limits kept in the database.

Limits are counted in the database, not in process memory, so they hold across several worker
processes and restarts. Every attempt costs one Argon2 verification whether or not the account
exists, so response times do not reveal which e-mail addresses have accounts.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session, col, func, select

from assembly.accounts.models import LoginAttempt, Officer
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


def _key(settings: Settings, kind: str, value: str) -> str:
    # Keyed, so the table cannot be reversed by hashing every IPv4 address or a list of e-mails.
    return hmac.new(settings.secret_key.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


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


def _lock_account(session: Session, account_key: str) -> None:
    """Serialise attempts on one account, so concurrent guesses cannot all slip under the limit.

    SQLite already serialises writers (the caller opens the unit of work with BEGIN IMMEDIATE).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.exec(select(sa.func.pg_advisory_xact_lock(int(account_key[:15], 16))))


def _retry_after(session: Session, since: datetime, window: timedelta, limit: int,
                 condition: sa.ColumnElement[bool], now: datetime) -> timedelta | None:
    failures = session.exec(
        select(LoginAttempt.at)
        .where(condition, col(LoginAttempt.succeeded).is_(False), LoginAttempt.at > since)
        .order_by(col(LoginAttempt.at).desc())
        .limit(limit)
    ).all()
    if len(failures) < limit:
        return None
    # Allowed again once the oldest of the last `limit` failures leaves the window.
    return max(failures[-1] + window - now, timedelta(seconds=1))


def authenticate(
    session: Session, settings: Settings, email: str, password: str, address: str,
    *, now: datetime | None = None,
) -> SignIn:
    """Check a sign-in. Run it in a `db.session(engine, write=True)` unit of work."""
    now = now or utcnow()
    email = normalise_email(email)
    window = timedelta(minutes=settings.login_window_minutes)
    account_key = _key(settings, "account", email)
    address_key = _key(settings, "address", address)
    _lock_account(session, account_key)

    last_success = session.exec(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.account_key == account_key, col(LoginAttempt.succeeded).is_(True)
        )
    ).one()
    since = max(now - window, last_success) if last_success else now - window
    wait = _retry_after(session, since, window, settings.login_max_per_account,
                        col(LoginAttempt.account_key) == account_key, now)
    wait_address = _retry_after(session, now - window, window, settings.login_max_per_address,
                                col(LoginAttempt.address_key) == address_key, now)
    if wait is not None or wait_address is not None:
        # Still spend the verification time, so a throttled reply is not faster than a real one.
        _verify(settings, _dummy_hash(settings.password_memory_kib, settings.password_time_cost),
                password)
        return SignIn(retry_after=max(w for w in (wait, wait_address) if w is not None))

    officer = session.exec(select(Officer).where(Officer.email == email)).first()
    usable = officer is not None and not officer.disabled
    stored = officer.password_hash if usable and officer is not None else _dummy_hash(
        settings.password_memory_kib, settings.password_time_cost)
    verified = _verify(settings, stored, password) and usable
    session.add(LoginAttempt(at=now, account_key=account_key, address_key=address_key,
                             succeeded=verified))
    if not verified or officer is None:
        return SignIn()
    officer.last_login_at = now
    if hasher_for(settings).check_needs_rehash(officer.password_hash):
        officer.password_hash = hash_password(settings, password)
    session.add(officer)
    session.flush()
    return SignIn(officer=officer)


def verify_password(settings: Settings, stored: str, password: str) -> bool:
    """Check a password against a stored hash (for re-confirming, not for signing in)."""
    return _verify(settings, stored, password)


def _verify(settings: Settings, stored: str, password: str) -> bool:
    try:
        return hasher_for(settings).verify(stored, password[:MAX_PASSWORD_LENGTH])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def prune_attempts(session: Session, settings: Settings, *, older_than: timedelta | None = None) -> int:
    """Forget attempts older than a day (or `older_than`); they no longer affect any limit."""
    cutoff = utcnow() - (older_than or max(timedelta(days=1),
                                           timedelta(minutes=settings.login_window_minutes)))
    result = session.exec(sa.delete(LoginAttempt).where(col(LoginAttempt.at) < cutoff))
    return result.rowcount
