"""How far a member has got in a round, for their home page ("3 of 5 briefings read").

One function per kind of round. Each returns None until its kind can measure anything (then the
home page shows nothing, never a placeholder); the issues that build each kind fill in its
function, which gets the round and the member and may query anything of that round.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from assembly.deliberation.models import Round, RoundKind
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
    """Briefings read (the evidence library comes with the learn round's briefings)."""
    return None


def discuss(session: Session, item: Round, member: Member) -> Progress | None:
    return None


def draft(session: Session, item: Round, member: Member) -> Progress | None:
    return None


def vote(session: Session, item: Round, member: Member) -> Progress | None:
    return None


HOOKS: dict[RoundKind, Hook] = {RoundKind.learn: learn, RoundKind.discuss: discuss,
                                RoundKind.draft: draft, RoundKind.vote: vote}


def of(session: Session, item: Round, member: Member) -> Progress | None:
    return HOOKS[RoundKind(item.kind)](session, item, member)
