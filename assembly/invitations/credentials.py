"""Single-use invitations for the drawn panel: issue, inspect, redeem.

Each issue gives a member two credentials that open the same door: a link with a 256-bit token
(for people who click or type it) and a 16-character code to type at /invite (for people who read a paper
letter). The database keeps only the sha256 of each, in two `Invitation` rows, so a copy of the
database lets nobody in. The raw values exist only in the letters (PDF and mail-merge CSV), which
are made in the background and handed over only once: see `assembly.invitations.batches`, which
makes letters all or nothing (new credentials work, and the earlier ones stop, only when the
officer downloads the letters that carry them).

Redemption is atomic on both databases without any check-then-write:

0. The member row is locked first (`SELECT ... FOR UPDATE`; SQLite's BEGIN IMMEDIATE already
   serialises writers). Everything that changes a member's invitations takes that lock before
   touching them, so transactions queue per member instead of deadlocking over the invitation
   rows of one letter (seen on PostgreSQL with eight concurrent redemptions).
1. `UPDATE invitation SET consumed_at = now WHERE token_hash = ? AND consumed_at IS NULL AND
   revoked_at IS NULL AND expires_at > now RETURNING ...` marks one credential used; of two
   concurrent requests with the same credential only one gets a row back.
2. `UPDATE member SET joined_at = now ... WHERE id = ? AND (joined_at IS NULL OR joined_at <
   issued) RETURNING id` makes the member the point of serialisation, so the link and the code of
   one issue (two rows) cannot both be redeemed, even at the same instant: PostgreSQL re-checks the
   condition after the first transaction commits, SQLite runs writers one at a time.
3. The member's other outstanding credentials are revoked.

If step 2 finds nothing the whole unit of work is rolled back, so nothing is half-consumed.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assembly import audit, sessions
from assembly.errors import Conflict
from assembly.invitations.models import Invitation
from assembly.selection import panel
from assembly.selection.models import SEATED, Decline, Member
from assembly.settings import Settings
from assembly.tables import utcnow

TOKEN_BYTES = 32
TOKEN_LENGTH = 52  # ceil(256 / 5)
# Crockford's base32: no I, L, O or U, so nothing is mistaken for 1, 0 or V when typed from paper.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16  # 80 bits: far beyond guessing within an invitation's lifetime
CODE_GROUP = 4


class InvitationError(Conflict):
    """Issuing is not possible; the message says why and what to do."""


def new_token() -> str:
    """256 random bits as 52 lower-case Crockford base32 characters.

    Not `token_urlsafe`: letters are printed, and people type links from paper. Its `-`, `_`, `l`,
    `I`, `O` and `0` get misread, and a `-` at the end of a printed line looks like hyphenation.
    """
    number = int.from_bytes(secrets.token_bytes(TOKEN_BYTES), "big")
    digits = []
    for _ in range(TOKEN_LENGTH):
        number, digit = divmod(number, 32)
        digits.append(CODE_ALPHABET[digit].lower())
    return "".join(reversed(digits))


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """'K7QM4XRT9BNCH2FD' -> 'K7QM-4XRT-9BNC-H2FD', easier to read aloud and type."""
    return "-".join(code[i:i + CODE_GROUP] for i in range(0, len(code), CODE_GROUP))


_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def normalise_code(text: str) -> str | None:
    """The code as typed (any case, spaces or dashes, O for 0, I or L for 1), or None."""
    cleaned = "".join(ch for ch in text.upper() if ch not in " -\t").translate(_CONFUSABLE)
    if len(cleaned) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in cleaned):
        return None
    return cleaned


def link_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def code_hash(code: str) -> str:
    """Hashed in their own namespace, so a code can never equal a link token's hash."""
    return hashlib.sha256(b"code:" + code.encode()).hexdigest()


@dataclass(frozen=True)
class Issued:
    """What one member's letter needs. Holds the raw secrets: never store or log it."""

    member_id: int
    member_public_id: str
    respondent_id: int
    token: str
    code: str
    expires_at: datetime

    @property
    def hashes(self) -> tuple[str, str]:
        """What the database keeps: the link's and the code's sha256."""
        return link_hash(self.token), code_hash(self.code.replace("-", ""))


def lock_members(session: Session, member_ids: Sequence[int]) -> None:
    """Take the per-member lock (in id order, so two lockers never wait on each other)."""
    if member_ids:
        session.exec(
            select(col(Member.id)).where(col(Member.id).in_(sorted(member_ids)))
            .order_by(col(Member.id)).with_for_update()
        ).all()


def make(members: Sequence[Member], *, days: int, now: datetime) -> list[Issued]:
    """A new link and code for each member, not yet stored anywhere (so not yet working)."""
    if not members:
        raise InvitationError(
            "There is nobody to invite: the panel has no members waiting for an invitation. "
            "Perform the public draw first, or check the panel page.")
    expires = now + timedelta(days=days)
    issued = []
    for member in members:
        assert member.id is not None
        issued.append(Issued(member.id, member.public_id, member.respondent_id, new_token(),
                             format_code(new_code()), expires))
    return issued


def install(session: Session, hashes: Sequence[tuple[int, str, str]], *, expires_at: datetime,
            officer_id: int | None, now: datetime) -> None:
    """Make these (member id, link hash, code hash) work and every earlier unused credential of
    those members stop, in the caller's unit of work. Members still `selected` become `invited`."""
    ids = sorted({member_id for member_id, _, _ in hashes})
    lock_members(session, ids)
    revoke_outstanding(session, ids, now=now)
    for member_id, *secret_hashes in hashes:
        for secret_hash in secret_hashes:
            session.add(Invitation(member_id=member_id, token_hash=secret_hash, created_at=now,
                                   created_by=officer_id, expires_at=expires_at))
    panel.mark_invited(session, ids, now)
    session.flush()


def issue(session: Session, members: Sequence[Member], *, days: int, officer_id: int | None,
          now: datetime | None = None) -> list[Issued]:
    """New link and code for each member, working at once; every earlier unused one stops.

    For commands and tests that hand the secrets over in the same step. Officers get letters
    through `batches`, which installs the credentials only when the letters are downloaded.
    """
    now = now or utcnow()
    issued = make(members, days=days, now=now)
    install(session, [(item.member_id, *item.hashes) for item in issued],
            expires_at=issued[0].expires_at, officer_id=officer_id, now=now)
    return issued


def revoke_outstanding(session: Session, member_ids: Sequence[int], *,
                       now: datetime | None = None) -> int:
    """Stop every unused invitation of these members from working; return how many."""
    if not member_ids:
        return 0
    result = session.exec(
        sa.update(Invitation)
        .where(col(Invitation.member_id).in_(member_ids),
               col(Invitation.consumed_at).is_(None), col(Invitation.revoked_at).is_(None))
        .values(revoked_at=now or utcnow())
    )
    return int(result.rowcount)


class State(enum.Enum):
    valid = "valid"
    used = "used"
    expired = "expired"
    replaced = "replaced"
    declined = "declined"  # the member said no from their invitation page
    unknown = "unknown"


def state_of(invitation: Invitation | None, now: datetime) -> State:
    if invitation is None:
        return State.unknown
    if invitation.consumed_at is not None:
        return State.used
    if invitation.revoked_at is not None:
        return State.replaced
    if invitation.expires_at <= now:
        return State.expired
    return State.valid


def inspect(session: Session, secret_hash: str, *, now: datetime | None = None) -> State:
    """What opening this link would do, without using it up (GET must never consume)."""
    return look(session, secret_hash, now=now)[0]


def look(session: Session, secret_hash: str, *, now: datetime | None = None
         ) -> tuple[State, Member | None]:
    """What opening this link would do, and whose invitation it is (None if nobody's)."""
    invitation = session.exec(
        select(Invitation).where(Invitation.token_hash == secret_hash)
    ).first()
    state = state_of(invitation, now or utcnow())
    if invitation is None:
        return state, None
    member = session.get(Member, invitation.member_id)
    if state is State.used:
        return state, member
    if member is not None and session.get(Decline, member.id) is not None:
        return State.declined, member  # they said no: this letter, and any other, is finished
    if state is State.valid and (member is None or member.status not in SEATED):
        return State.replaced, member  # they have left the panel since the letter was sent
    return state, member


@dataclass(frozen=True)
class Redemption:
    state: State
    member: Member | None = None


def redeem(session: Session, secret_hash: str, *, now: datetime | None = None) -> Redemption:
    """Use the credential once and return the member it admits (see the module docstring).

    Call inside a write unit of work. Anything but `State.valid` leaves the database as it was.
    """
    now = now or utcnow()
    owner = session.exec(
        select(Invitation.member_id).where(Invitation.token_hash == secret_hash)
    ).first()
    if owner is None:
        return Redemption(State.unknown)
    lock_members(session, [owner])
    savepoint = session.begin_nested()
    consumed = session.exec(
        sa.update(Invitation)
        .where(col(Invitation.token_hash) == secret_hash,
               col(Invitation.consumed_at).is_(None),
               col(Invitation.revoked_at).is_(None),
               col(Invitation.expires_at) > now)
        .values(consumed_at=now)
        .returning(col(Invitation.member_id), col(Invitation.created_at))
    ).first()
    if consumed is None:
        savepoint.rollback()
        return Redemption(inspect(session, secret_hash, now=now))
    member_id, issued_at = consumed
    joined = panel.mark_joined(session, member_id, issued_at, now)
    if not joined:
        # The other credential of the same issue won, or the member has left the panel.
        savepoint.rollback()
        member = session.get(Member, member_id)
        gone = member is None or member.status not in SEATED
        return Redemption(State.replaced if gone else State.used)
    savepoint.commit()
    revoke_outstanding(session, [member_id], now=now)
    member = session.exec(
        select(Member).where(Member.id == member_id).execution_options(populate_existing=True)
    ).one()
    return Redemption(State.valid, member)


_INVITE_PATH = re.compile(r"/(invite|sign-in)/[^/?#\s\"']+")


class HideInvitationTokens(logging.Filter):
    """Access logs write every path, and an unused invitation or sign-in link in a log file is a
    key to a member's account: replace the token with [hidden] before the record is formatted."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _INVITE_PATH.sub(r"/\1/[hidden]", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        elif isinstance(record.msg, str):
            record.msg = _INVITE_PATH.sub(r"/\1/[hidden]", record.msg)
        return True


HIDE_TOKENS = HideInvitationTokens()


# --- the changes officers and members make ------------------------------------------------------


def decline(session: Session, secret_hash: str, *, reason: str,
            now: datetime | None = None) -> tuple[State, Member | None]:
    """The holder of a working link says no: the member leaves the panel (see `panel.decline`)
    and every invitation of theirs stops. Anything but a working link changes nothing and
    returns its state; success returns `State.declined`."""
    now = now or utcnow()
    owner = session.exec(
        select(Invitation.member_id).where(Invitation.token_hash == secret_hash)
    ).first()
    if owner is None:
        return State.unknown, None
    lock_members(session, [owner])  # as redeeming does, so a click on Continue cannot interleave
    state, member = look(session, secret_hash, now=now)
    if state is not State.valid or member is None:
        return state, member
    if not panel.decline(session, member, reason=reason, via="invitation",
                         actor=f"member:{member.public_id}", now=now):
        return State.replaced, member
    revoke_outstanding(session, [owner], now=now)
    return State.declined, member


def admit(session: Session, settings: Settings, secret_hash: str, *, via: str,
          replacing: str | None = None) -> tuple[State, str | None]:
    """Redeem a link or code and sign the member in: the state, and the new session's cookie
    value (None unless valid). `replacing` is the browser's earlier session, which ends."""
    outcome = redeem(session, secret_hash)
    if outcome.state is not State.valid or outcome.member is None:
        return outcome.state, None
    member = outcome.member
    if replacing:
        sessions.end(session, replacing, reason="replaced by an invitation")
    token = sessions.start(session, settings, member=member)
    audit.record(session, member.assembly_id, f"member:{member.public_id}",
                 "invitation.redeemed", {"member": member.public_id, "via": via})
    return State.valid, token
