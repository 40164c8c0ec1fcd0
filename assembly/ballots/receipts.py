"""Receipts: one code per member and vote round that shows their ballots were counted, never
what they chose.

The code is random (80 bits, in the invitation codes' alphabet and groups, so it reads aloud and
types from paper), shown once, and only its hash is stored. While the round is open the hash is
linked to the member (so a lost code can be replaced); at sealing the hashes of members who voted
move to `CountedReceipt`, which has no member and no choice, and the links are deleted. Anyone
holding a code can then check it on a public page without signing in.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assembly import db
from assembly.ballots.models import CountedReceipt, Receipt
from assembly.deliberation.models import Round
from assembly.errors import ActionableError
from assembly.invitations.credentials import format_code, new_code, normalise_code
from assembly.tables import row_id


class ReceiptError(ActionableError):
    """The code typed is not a receipt code."""


def code_hash(code: str) -> str:
    """In its own namespace, so a receipt never matches a sign-in code's hash."""
    return hashlib.sha256(b"receipt:" + code.encode()).hexdigest()


def issue(session: Session, round_item: Round, member_id: int) -> str | None:
    """A new receipt code for the member, formatted for reading, if they have none for this
    round yet; None if they have (a double submit gets one code, never two)."""
    code = new_code()
    inserted = session.execute(
        db.insert(session, Receipt).values(round_id=row_id(round_item.id), member_id=member_id,
                                           code_hash=code_hash(code))
        .on_conflict_do_nothing(index_elements=["round_id", "member_id"])
        .returning(col(Receipt.member_id))).first()
    return format_code(code) if inserted is not None else None


def replace(session: Session, round_item: Round, member_id: int) -> str:
    """A new code in place of a lost one (while the round is open); the old one stops working."""
    code = new_code()
    session.execute(sa.delete(Receipt).where(col(Receipt.round_id) == round_item.id,
                                             col(Receipt.member_id) == member_id))
    session.add(Receipt(round_id=row_id(round_item.id), member_id=member_id,
                        code_hash=code_hash(code)))
    session.flush()
    return format_code(code)


def holds(session: Session, round_id: int, member_id: int) -> bool:
    return session.get(Receipt, (round_id, member_id)) is not None


@dataclass(frozen=True)
class Finding:
    """What a receipt code says: in which round, and whether its ballots were counted yet."""

    round: Round
    counted: bool


def check(session: Session, text: str) -> Finding | None:
    """The round a receipt code belongs to, counted or still waiting for the close; None when no
    ballot has this code. A ReceiptError when the text cannot be a code at all."""
    code = normalise_code(text)
    if code is None:
        raise ReceiptError("A receipt code has 16 letters and digits, like K7QM-4XRT-9BNC-H2FD. "
                           "Check what you typed.", field="code")
    hashed = code_hash(code)
    counted = session.exec(select(CountedReceipt.round_id)
                           .where(CountedReceipt.code_hash == hashed)).first()
    if counted is not None:
        found = session.get(Round, counted)
        return Finding(found, True) if found is not None else None
    waiting = session.exec(select(Receipt.round_id).where(Receipt.code_hash == hashed)).first()
    if waiting is not None:
        found = session.get(Round, waiting)
        return Finding(found, False) if found is not None else None
    return None
