"""Members' comments on draft principles, in threads, each with a stance.

A member comments (support, concern or question; up to 2,000 characters), or replies to a
comment, only while the draft round is open (`rounds.require_open`). Other members see the
comment, never who wrote it. Commenting is not written to the audit log (it would tie members
to their views in a log kept for years); an officer hiding a comment is, with the reason, and
so is an officer keying in a comment a member gave on paper or by phone (who keyed it in and
when, never who gave it or what it says).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assembly import audit, forms
from assembly.deliberation import rounds
from assembly.deliberation.models import Round
from assembly.drafting.models import (
    COMMENT_LIMIT,
    REASON_LIMIT,
    Channel,
    Comment,
    Principle,
    Stance,
)
from assembly.drafting.principles import require_draft
from assembly.errors import ActionableError
from assembly.tables import row_id

STANCE_LABELS = {Stance.support: "Support", Stance.concern: "Concern",
                 Stance.question: "Question"}


class CommentError(ActionableError):
    """A comment, or hiding one, cannot be done as asked."""


def check(stance: str, text: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if stance not in {s.value for s in Stance}:
        errors["stance"] = "Choose whether you support it, have a concern, or have a question."
    if not text:
        errors["text"] = ("Write your comment, for example “I support this, but it should say "
                          "who checks.”.")
    elif problem := forms.too_long(text, COMMENT_LIMIT, "Your comment"):
        errors["text"] = problem
    return errors


def post(session: Session, round_item: Round, principle: Principle, member_id: int,
         stance: str, text: str, parent: Comment | None, now: datetime, *,
         channel: Channel = Channel.online, entered_by: str = "") -> Comment:
    """A member's comment (or reply to `parent`); refused unless the round is open now.

    `channel` and `entered_by` say that an officer keyed in what the member gave on paper or
    by phone; then the audit log says who keyed it in and when."""
    require_draft(round_item)
    if principle.round_id != round_item.id:
        raise CommentError("That principle belongs to another round.")
    rounds.require_open(session, round_item, now)
    errors = check(stance, text)
    if errors:
        field, message = next(iter(errors.items()))
        raise CommentError(message, field=field)
    if parent is not None and parent.principle_id != principle.id:
        raise CommentError("You can only reply to a comment on the same principle.")
    if channel is not Channel.online and not entered_by:
        raise CommentError("Say which officer keyed in the comment.")
    comment = Comment(principle_id=row_id(principle.id),
                      parent_id=parent.id if parent is not None else None,
                      member_id=member_id, version=principle.version, stance=stance, text=text,
                      channel=channel.value, entered_by=entered_by, created_at=now)
    session.add(comment)
    session.flush()
    if channel is not Channel.online:
        audit.record(session, round_item.assembly_id, entered_by, "comment.keyed_in", {
            "round": round_item.public_id, "round_title": round_item.title,
            "principle": principle.public_id, "title": principle.title,
            "comment": comment.public_id, "channel": channel.value})
    return comment


def hide(session: Session, round_item: Round, principle: Principle, comment: Comment,
         reason: str, now: datetime, *, actor: str) -> bool:
    """Hide a comment from members, with a reason they read in its place; False if it already
    was hidden for that reason. Replies stay, so a thread keeps its sense."""
    if comment.principle_id != principle.id or principle.round_id != round_item.id:
        raise CommentError("That comment belongs to another principle.")
    if not reason:
        raise CommentError("Say why, in words members will read, for example “It names a "
                           "council officer”.", field="reason")
    if problem := forms.too_long(reason, REASON_LIMIT, "The reason"):
        raise CommentError(problem, field="reason")
    if comment.hidden and comment.hidden_reason == reason:
        return False
    comment.hidden = True
    comment.hidden_reason = reason
    comment.hidden_by = actor
    comment.hidden_at = now
    session.add(comment)
    audit.record(session, round_item.assembly_id, actor, "comment.hidden", {
        "round": round_item.public_id, "round_title": round_item.title,
        "principle": principle.public_id, "title": principle.title,
        "comment": comment.public_id, "reason": reason})
    return True


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A comment in its thread: `depth` 0 for a comment on the principle, 1 for a reply..."""

    comment: Comment
    depth: int
    replies: int


def thread(session: Session, principle_id: int) -> list[Entry]:
    """The comments on a principle in reading order: each comment followed by its replies
    (oldest first at every level)."""
    found = list(session.exec(select(Comment).where(Comment.principle_id == principle_id)
                              .order_by(col(Comment.created_at), col(Comment.id))).all())
    children: dict[int | None, list[Comment]] = {}
    for comment in found:
        children.setdefault(comment.parent_id, []).append(comment)
    out: list[Entry] = []

    def walk(parent: int | None, depth: int) -> None:
        for comment in children.get(parent, []):
            out.append(Entry(comment, depth, len(children.get(comment.id, []))))
            walk(comment.id, depth + 1)

    walk(None, 0)
    return out


def counts(session: Session, principle_ids: list[int]) -> dict[int, int]:
    """How many comments members can see on each principle."""
    if not principle_ids:
        return {}
    rows = session.exec(select(Comment.principle_id, sa.func.count())
                        .where(col(Comment.principle_id).in_(principle_ids),
                               col(Comment.hidden).is_(False))
                        .group_by(col(Comment.principle_id))).all()
    return {principle_id: int(n) for principle_id, n in rows}


def commented_on(session: Session, principle_ids: list[int], member_id: int) -> set[int]:
    """The principles the member has commented on."""
    if not principle_ids:
        return set()
    return set(session.exec(select(Comment.principle_id).distinct().where(
        col(Comment.principle_id).in_(principle_ids), Comment.member_id == member_id)).all())
