"""Dissent notes: a minority view on a principle, written by a member and co-signed by others.

A note becomes part of the record once the draft round's number of members have signed it
(`DraftRound.cosigners`, 3 unless officers change it); the author counts as the first signer.
Notes on the record are shown with the principle and its results and printed in the charter
(`recorded()` is the one list to print). Writing and signing need the round to be open.

One signature per member and note: the primary key (note, member) with an insert-or-nothing,
and the count kept on the note is raised in the same statement that decides whether the note
is now on the record, so two members signing at once can neither be counted twice nor leave
a note with enough signatures off the record.

Names are never shown with a note, to members or officers: it reads "signed by 4 members".
A minority view is exactly what people may hesitate to put their name to in a small local
panel, and the charter speaks for the assembly, not for individuals. For the same reason
writing and signing are not written to the audit log; a note going on the record is (with its
number of signatures only). A signature cannot be withdrawn once the note is on the record.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assembly import audit, db, forms
from assembly.deliberation import rounds
from assembly.deliberation.models import Round
from assembly.drafting import principles
from assembly.drafting.models import (
    NOTE_LIMIT,
    DissentNote,
    DissentSignature,
    Principle,
)
from assembly.errors import ActionableError
from assembly.tables import row_id

RECORDER = "system:dissent note signatures"


class DissentError(ActionableError):
    """A dissent note cannot be written or signed as asked."""


def check_text(text: str) -> str | None:
    if not text:
        return ("Write the note, for example “We think this principle lets the council keep "
                "data for too long, because…”.")
    return forms.too_long(text, NOTE_LIMIT, "The note")


def _recorded(session: Session, round_item: Round, principle: Principle, note: DissentNote
              ) -> None:
    audit.record(session, round_item.assembly_id, RECORDER, "dissent.recorded", {
        "round": round_item.public_id, "round_title": round_item.title,
        "principle": principle.public_id, "title": principle.title,
        "note": note.public_id, "signatures": note.signatures})


def write(session: Session, round_item: Round, principle: Principle, member_id: int,
          text: str, now: datetime) -> DissentNote:
    """A member's dissent note, signed by them; refused unless the round is open now."""
    principles.require_draft(round_item)
    if principle.round_id != round_item.id:
        raise DissentError("That principle belongs to another round.")
    rounds.require_open(session, round_item, now)
    if problem := check_text(text):
        raise DissentError(problem, field="note")
    needed = principles.settings_of(session, round_item).cosigners
    note = DissentNote(principle_id=row_id(principle.id), member_id=member_id, text=text,
                       signatures=1, recorded_at=now if needed <= 1 else None, created_at=now)
    session.add(note)
    session.flush()
    session.add(DissentSignature(note_id=row_id(note.id), member_id=member_id, signed_at=now))
    if note.recorded_at is not None:
        _recorded(session, round_item, principle, note)
    return note


def sign(session: Session, round_item: Round, principle: Principle, note: DissentNote,
         member_id: int, now: datetime) -> bool:
    """The member co-signs the note; False if they had already signed it. Refused unless the
    round is open now."""
    if note.principle_id != principle.id or principle.round_id != round_item.id:
        raise DissentError("That note belongs to another principle.")
    rounds.require_open(session, round_item, now)
    added = session.execute(
        db.insert(session, DissentSignature).values(note_id=note.id, member_id=member_id,
                                                    signed_at=now)
        .on_conflict_do_nothing(index_elements=["note_id", "member_id"])
        .returning(col(DissentSignature.note_id))).first()
    if added is None:
        return False
    needed = principles.settings_of(session, round_item).cosigners
    was_recorded = note.recorded_at is not None
    # One statement raises the count and decides whether the note is now on the record, so
    # exactly one of several members signing at once sees the count reach the number needed.
    count, recorded_at = session.execute(
        sa.update(DissentNote).where(col(DissentNote.id) == note.id)
        .values(signatures=col(DissentNote.signatures) + 1,
                recorded_at=sa.case((sa.and_(col(DissentNote.recorded_at).is_(None),
                                             col(DissentNote.signatures) + 1 >= needed), now),
                                    else_=col(DissentNote.recorded_at)))
        .returning(col(DissentNote.signatures), col(DissentNote.recorded_at))
        .execution_options(synchronize_session=False)).one()
    session.refresh(note)
    if recorded_at is not None and not was_recorded and count == needed:
        _recorded(session, round_item, principle, note)
    return True


# --- reading ---------------------------------------------------------------------------------


def of_principles(session: Session, principle_ids: list[int]) -> dict[int, list[DissentNote]]:
    """Every note on each principle, on the record or still gathering signatures, oldest first."""
    found: dict[int, list[DissentNote]] = {pid: [] for pid in principle_ids}
    if not principle_ids:
        return found
    for note in session.exec(select(DissentNote).where(
            col(DissentNote.principle_id).in_(principle_ids))
            .order_by(col(DissentNote.created_at), col(DissentNote.id))):
        found[note.principle_id].append(note)
    return found


def recorded(session: Session, principle_ids: list[int]) -> dict[int, list[DissentNote]]:
    """The notes on the record for each principle, in the order they went on it: what results
    pages show and the charter prints (text and number of signatures, never names)."""
    found: dict[int, list[DissentNote]] = {pid: [] for pid in principle_ids}
    if not principle_ids:
        return found
    for note in session.exec(select(DissentNote).where(
            col(DissentNote.principle_id).in_(principle_ids),
            col(DissentNote.recorded_at).is_not(None))
            .order_by(col(DissentNote.recorded_at), col(DissentNote.id))):
        found[note.principle_id].append(note)
    return found


def signed_by(session: Session, member_id: int, note_ids: list[int]) -> set[int]:
    """Which of these notes the member has signed."""
    if not note_ids:
        return set()
    return set(session.exec(select(DissentSignature.note_id).where(
        DissentSignature.member_id == member_id,
        col(DissentSignature.note_id).in_(note_ids))).all())
