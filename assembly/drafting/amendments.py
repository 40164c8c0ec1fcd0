"""Members' amendments to draft principles, and the officers who decide on them.

A member proposes new wording (and, if they like, a new title) with a reason, while the draft
round is open. An officer accepts it as it is, accepts it with changes (editing the proposed
wording first: the member is shown that it was changed, and how), or rejects it with a reason
the member reads. Every accepted amendment makes a new version of the principle
(change = "amendment", naming the amendment). An amendment written against an older version
than the principle now has is flagged to the officer with the difference, so nobody's newer
change is undone by accident.

Proposing is not written to the audit log (it ties a member to their views); deciding is.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assembly import audit, forms
from assembly.deliberation import rounds
from assembly.deliberation.models import Round
from assembly.drafting import principles
from assembly.drafting.models import (
    REASON_LIMIT,
    TEXT_LIMIT,
    TITLE_LIMIT,
    Amendment,
    AmendmentStatus,
    Principle,
)
from assembly.errors import ActionableError, Conflict
from assembly.tables import row_id


class AmendmentError(ActionableError):
    """An amendment, or a decision on one, cannot be saved as given."""


def check(principle: Principle, title: str, text: str, reason: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not text:
        errors["text"] = "Write the principle as you would like it to read."
    elif problem := forms.too_long(text, TEXT_LIMIT, "The new wording"):
        errors["text"] = problem
    elif text == principle.text and (not title or title == principle.title):
        errors["text"] = ("This is the wording it has now. Change the words you would like "
                          "changed.")
    if problem := forms.too_long(title, TITLE_LIMIT, "The new title"):
        errors["title"] = problem
    if not reason:
        errors["reason"] = "Say why, so the team and other members understand the change."
    elif problem := forms.too_long(reason, REASON_LIMIT, "Your reason"):
        errors["reason"] = problem
    return errors


def propose(session: Session, round_item: Round, principle: Principle, member_id: int,
            title: str, text: str, reason: str, base_version: int, now: datetime
            ) -> Amendment:
    """A member's amendment, waiting for an officer; refused unless the round is open now.
    `base_version` is the version the member was reading when they wrote it."""
    principles.require_draft(round_item)
    if principle.round_id != round_item.id:
        raise AmendmentError("That principle belongs to another round.")
    rounds.require_open(session, round_item, now)
    errors = check(principle, title, text, reason)
    if errors:
        field, message = next(iter(errors.items()))
        raise AmendmentError(message, field=field)
    if not 1 <= base_version <= principle.version:
        base_version = principle.version
    amendment = Amendment(principle_id=row_id(principle.id), member_id=member_id,
                          base_version=base_version,
                          title=title if title != principle.title else "", text=text,
                          reason=reason, created_at=now)
    session.add(amendment)
    session.flush()
    return amendment


def _decidable(round_item: Round, principle: Principle, amendment: Amendment) -> None:
    if amendment.principle_id != principle.id or principle.round_id != round_item.id:
        raise AmendmentError("That amendment belongs to another principle.")
    if amendment.status != AmendmentStatus.waiting.value:
        raise Conflict(f"This amendment was already {amendment.status}.")


def _claim(session: Session, amendment: Amendment, status: AmendmentStatus) -> None:
    """Move the amendment out of "waiting" in one conditional UPDATE, so two officers deciding
    at once cannot both act on it (the second is told it was already decided)."""
    claimed = session.execute(
        sa.update(Amendment).where(col(Amendment.id) == amendment.id,
                                   col(Amendment.status) == AmendmentStatus.waiting.value)
        .values(status=status.value).returning(col(Amendment.id))
        .execution_options(synchronize_session=False)).first()
    if claimed is None:
        session.refresh(amendment)
        raise Conflict(f"This amendment was already {amendment.status}.")
    amendment.status = status.value


def _event(round_item: Round, principle: Principle, amendment: Amendment) -> dict[str, object]:
    return {"round": round_item.public_id, "round_title": round_item.title,
            "principle": principle.public_id, "title": principle.title,
            "amendment": amendment.public_id}


def accept(session: Session, round_item: Round, principle: Principle, amendment: Amendment,
           now: datetime, *, actor: str, title: str | None = None, text: str | None = None
           ) -> int:
    """Accept the amendment, as proposed or (with `title`/`text`) with the officer's changes;
    the principle's new version number."""
    _decidable(round_item, principle, amendment)
    final_text = amendment.text if text is None else text
    final_title = (amendment.title or principle.title) if title is None else (
        title or principle.title)
    if not final_text:
        raise AmendmentError("Write the wording to accept.", field="text")
    if problem := forms.too_long(final_text, TEXT_LIMIT, "The wording"):
        raise AmendmentError(problem, field="text")
    if problem := forms.too_long(final_title, TITLE_LIMIT, "The title"):
        raise AmendmentError(problem, field="title")
    changed = final_text != amendment.text or final_title != (amendment.title or principle.title)
    _claim(session, amendment, AmendmentStatus.accepted)
    made = principles.new_version(session, principle, title=final_title, text=final_text,
                                  rationale=principle.rationale, theme=principle.theme,
                                  change="amendment", actor=actor, now=now,
                                  amendment_id=row_id(amendment.id))
    if not made:
        raise AmendmentError("The principle already reads like this, so accepting would change "
                             "nothing. Reject it, saying it is already in.", field="text")
    amendment.accepted_text = final_text
    amendment.accepted_title = final_title
    amendment.changed = changed
    amendment.made_version = principle.version
    amendment.decided_by = actor
    amendment.decided_at = now
    session.add(amendment)
    audit.record(session, round_item.assembly_id, actor, "amendment.accepted", {
        **_event(round_item, principle, amendment), "version": principle.version,
        "with_changes": changed})
    return principle.version


def reject(session: Session, round_item: Round, principle: Principle, amendment: Amendment,
           reason: str, now: datetime, *, actor: str) -> None:
    """Reject the amendment with a reason its author reads."""
    _decidable(round_item, principle, amendment)
    if not reason:
        raise AmendmentError("Say why, in words the member will read, for example “Principle 4 "
                             "already covers this”.", field="decision_reason")
    if problem := forms.too_long(reason, REASON_LIMIT, "The reason"):
        raise AmendmentError(problem, field="decision_reason")
    _claim(session, amendment, AmendmentStatus.rejected)
    amendment.decision_reason = reason
    amendment.decided_by = actor
    amendment.decided_at = now
    session.add(amendment)
    audit.record(session, round_item.assembly_id, actor, "amendment.rejected", {
        **_event(round_item, principle, amendment), "reason": reason})


# --- reading ---------------------------------------------------------------------------------


def of_principle(session: Session, principle_id: int) -> list[Amendment]:
    return list(session.exec(select(Amendment).where(Amendment.principle_id == principle_id)
                             .order_by(col(Amendment.created_at), col(Amendment.id))).all())


def waiting(session: Session, principle_ids: list[int]) -> list[Amendment]:
    """The amendments no officer has decided on yet, oldest first (the queue)."""
    if not principle_ids:
        return []
    return list(session.exec(select(Amendment).where(
        col(Amendment.principle_id).in_(principle_ids),
        Amendment.status == AmendmentStatus.waiting.value)
        .order_by(col(Amendment.created_at), col(Amendment.id))).all())


def by_member(session: Session, principle_id: int, member_id: int) -> list[Amendment]:
    """A member's own amendments to a principle, with their outcome (theirs only)."""
    return list(session.exec(select(Amendment).where(Amendment.principle_id == principle_id,
                                                     Amendment.member_id == member_id)
                             .order_by(col(Amendment.created_at), col(Amendment.id))).all())
