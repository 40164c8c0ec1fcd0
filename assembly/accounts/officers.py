"""Changes to officers' accounts, one function each, called alike by the admin pages, an
officer's own account page and the command line. Each writes its event to the system audit
chain (assembly 0), naming officers by id only.

Ending sessions takes effect on the officer's very next request, because sessions live in the
database.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from zxcvbn import zxcvbn
from sqlmodel import Session, col, select

from assembly import audit, sessions
from assembly.accounts.models import Officer, UserSession
from assembly.accounts.signin import hash_password, normalise_email, verify_password
from assembly.errors import ActionableError, Conflict
from assembly.settings import Settings
from assembly.tables import utcnow

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024


class AccountError(ActionableError):
    """An account cannot be created or changed as asked; the message says why."""


# zxcvbn's score 3 means "safely unguessable": about 10^8 guesses or more. Below that the
# password is in (or close to) a list of common passwords, a keyboard walk, a date or a word
# with digits added: what the NCSC says to block.
MIN_STRENGTH = 3
# zxcvbn's time grows with length; the start of a long password says enough about it.
STRENGTH_CHECKED_CHARACTERS = 72


def _personal_words(email: str, site_name: str) -> list[str]:
    """Words an attacker tries first against this account: the e-mail's local part (and its
    pieces) and the site's name (and its words)."""
    local = email.split("@", 1)[0].lower()
    words = {local, site_name.lower().strip(), "".join(site_name.lower().split())}
    words |= set(re.split(r"[^a-z0-9]+", local)) | set(re.split(r"[^a-z0-9]+", site_name.lower()))
    return sorted(word for word in words if len(word) >= 4)


def password_problems(password: str, *, email: str = "", site_name: str = "") -> list[str]:
    """What is wrong with a new password, in words an officer can act on. Following the NCSC's
    password guidance: no composition rules, but at least 12 characters, nothing common or
    easily guessed (zxcvbn, which bundles lists of the most common passwords, words and names),
    and nothing containing the officer's e-mail name or the site's name."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(
            f"The password has {len(password)} characters; use at least {MIN_PASSWORD_LENGTH} "
            "(a few unrelated words work well)."
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"The password is longer than {MAX_PASSWORD_LENGTH} characters.")
    if password and password.strip() != password:
        problems.append("The password starts or ends with a space; remove it.")
    if problems:
        return problems
    lowered = password.lower()
    personal = [word for word in _personal_words(email, site_name) if word in lowered]
    if personal:
        problems.append(
            f"The password contains {personal[0]!r}, from your e-mail address or this site's "
            "name, which is among the first things anyone guesses. Choose words unrelated to you "
            "and to this site."
        )
        return problems
    estimate = zxcvbn(password[:STRENGTH_CHECKED_CHARACTERS],
                      user_inputs=_personal_words(email, site_name))
    if estimate["score"] < MIN_STRENGTH:
        warning = estimate["feedback"].get("warning") or "It follows a pattern that is easy to guess."
        problems.append(
            f"This password is too easy to guess: {warning[0].lower()}{warning[1:].rstrip('.')}. "
            "Use three or more "
            "unrelated words (for example from a page of a book), not a common password with "
            "numbers or symbols added."
        )
    return problems


def by_email(session: Session, email: str) -> Officer | None:
    return session.exec(select(Officer).where(Officer.email == normalise_email(email))).first()


def create(session: Session, settings: Settings, email: str, password: str, *, actor: str,
           name: str = "", is_admin: bool = False) -> Officer:
    """Add an officer. AccountError lists every problem (address, weak password, taken)."""
    email = normalise_email(email)
    problems = []
    if "@" not in email or email.startswith("@") or email.endswith("@") or " " in email:
        problems.append(f"{email!r} is not an e-mail address.")
    problems += password_problems(password, email=email, site_name=settings.site_name)
    if problems:
        raise AccountError("\n".join(problems))
    officer = Officer(email=email, name=name.strip(),
                      password_hash=hash_password(settings, password), is_admin=is_admin)
    try:
        with session.begin_nested():
            session.add(officer)
    except sa.exc.IntegrityError:
        raise AccountError(f"An officer with the address {email} already exists.",
                           field="email") from None
    audit.record(session, audit.SYSTEM, actor, "officer.created",
                 {"officer": f"officer:{officer.id}", "admin": officer.is_admin})
    return officer


def _store_password(session: Session, settings: Settings, officer: Officer, password: str) -> None:
    problems = password_problems(password, email=officer.email, site_name=settings.site_name)
    if problems:
        raise AccountError(" ".join(problems), field="new")
    officer.password_hash = hash_password(settings, password)
    officer.password_changed_at = utcnow()
    session.add(officer)
    session.flush()


def reset_password(session: Session, settings: Settings, officer: Officer, password: str, *,
                   actor: str) -> int:
    """A new password for a forgotten one; every session of theirs ends. Returns how many."""
    _store_password(session, settings, officer, password)
    ended = sessions.revoke(session, officer_id=officer.id, reason="password changed")
    audit.record(session, audit.SYSTEM, actor, "officer.password_set",
                 {"officer": f"officer:{officer.id}", "sessions_ended": ended})
    return ended


def change_own_password(session: Session, settings: Settings, officer_id: int,
                        current_session_id: int | None, current: str, new: str) -> tuple[int, str]:
    """An officer changes their own password: their other sessions end (a lost laptop stays
    signed out), and the one in use is replaced by a new session with a new token, so a copy of
    the old cookie is worthless. Returns how many other sessions ended, and the new token."""
    officer = session.get(Officer, officer_id)
    if officer is None or not verify_password(settings, officer.password_hash, current):
        raise AccountError("Your current password is not right.", field="current")
    _store_password(session, settings, officer, new)
    now = utcnow()
    ended = session.exec(
        sa.update(UserSession)
        .where(col(UserSession.officer_id) == officer_id,
               col(UserSession.id) != current_session_id,
               col(UserSession.revoked_at).is_(None))
        .values(revoked_at=now, revoked_reason="password changed")
    ).rowcount
    session.exec(
        sa.update(UserSession)
        .where(col(UserSession.id) == current_session_id, col(UserSession.revoked_at).is_(None))
        .values(revoked_at=now, revoked_reason="replaced after password change")
    )
    token = sessions.start(session, settings, officer=officer)
    actor = f"officer:{officer_id}"
    audit.record(session, audit.SYSTEM, actor, "officer.password_changed",
                 {"officer": actor, "other_sessions_ended": ended})
    return int(ended), token


def end_sessions(session: Session, officer: Officer, *, actor: str) -> int:
    """Sign an officer out everywhere (a lost laptop). Returns how many sessions ended."""
    count = sessions.revoke(session, officer_id=officer.id, reason=f"revoked by {actor}")
    audit.record(session, audit.SYSTEM, actor, "officer.sessions_revoked",
                 {"officer": f"officer:{officer.id}", "sessions": count})
    return count


def end_every_session(session: Session, *, actor: str) -> int:
    """Sign every officer and member out (after a suspected breach)."""
    count = sessions.revoke(session, everyone=True, reason=f"revoked by {actor}")
    audit.record(session, audit.SYSTEM, actor, "sessions.revoked_all", {"sessions": count})
    return count


def set_disabled(session: Session, officer: Officer, disable: bool, *, actor: str,
                 actor_officer_id: int | None = None) -> int:
    """Disable an account (a colleague who leaves: signed out, cannot sign in) or enable it
    again. Returns how many sessions ended. Nobody disables their own account, so that someone
    can always sign in."""
    if disable and actor_officer_id is not None and actor_officer_id == officer.id:
        raise Conflict("You cannot disable your own account: ask another administrator, so that "
                       "someone can always sign in.")
    if officer.disabled == disable:
        return 0
    officer.disabled = disable
    session.add(officer)
    ended = sessions.revoke(session, officer_id=officer.id,
                            reason=f"disabled by {actor}") if disable else 0
    audit.record(session, audit.SYSTEM, actor, "officer.disabled" if disable else "officer.enabled",
                 {"officer": f"officer:{officer.id}", "sessions_ended": ended})
    return ended
