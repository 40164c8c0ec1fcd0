"""How far a member has got in a round, for their home page ("3 of 5 briefings read").

One function per kind of round. Each returns None until its kind can measure anything (then the
home page shows nothing, never a placeholder); the issues that build each kind fill in its
function, which gets the round and the member and may query anything of that round.

A room later in the journey (discussion, ballots) may not be imported from here, so it hands its
function over with `register` when its routes module is imported (which the app always does).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assembly.deliberation.models import Briefing, BriefingRead, Round, RoundKind
from assembly.selection.models import Member


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    noun: str       # what is counted, plural: "briefings"
    verb: str       # what doing one is called: "read"

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done >= self.total

    def __str__(self) -> str:
        return f"{self.done} of {self.total} {self.noun} {self.verb}"


Hook = Callable[[Session, Round, Member], "Progress | None"]


def learn(session: Session, item: Round, member: Member) -> Progress | None:
    """Briefings read, of those in the round's evidence library (nothing while it is empty)."""
    total = int(session.exec(select(sa.func.count()).select_from(Briefing)
                             .where(Briefing.round_id == item.id)).one())
    if not total:
        return None
    done = int(session.exec(select(sa.func.count()).select_from(BriefingRead)
                            .join(Briefing, col(Briefing.id) == col(BriefingRead.briefing_id))
                            .where(Briefing.round_id == item.id,
                                   BriefingRead.member_id == member.id)).one())
    return Progress(done, total, "briefing" if total == 1 else "briefings", "read")


def discuss(session: Session, item: Round, member: Member) -> Progress | None:
    """Filled in by the discussion room (`register`): statements voted on."""
    return None


def draft(session: Session, item: Round, member: Member) -> Progress | None:
    return None


def vote(session: Session, item: Round, member: Member) -> Progress | None:
    return None


HOOKS: dict[RoundKind, Hook] = {RoundKind.learn: learn, RoundKind.discuss: discuss,
                                RoundKind.draft: draft, RoundKind.vote: vote}


def register(kind: RoundKind, hook: Hook) -> None:
    """Let a later room measure its own kind of round. Deliberation may not import the rooms
    after it, so they call this when their routes module is imported (discussion,
    drafting and ballots: their `routes.py`)."""
    HOOKS[kind] = hook


def of(session: Session, item: Round, member: Member) -> Progress | None:
    return HOOKS[RoundKind(item.kind)](session, item, member)
