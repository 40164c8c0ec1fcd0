"""Which principles a charter holds: every principle on the ballot paper of a vote round whose
results are released, in the order of the paper. A principle voted on twice (a second round
after a revision) is decided by the later round, and keeps its first place."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from assembly.assemblies.models import Assembly
from assembly.ballots import papers
from assembly.deliberation import rounds
from assembly.deliberation.models import Round, RoundKind
from assembly.drafting.models import Principle, PrincipleVersion
from assembly.tables import row_id


@dataclass(frozen=True)
class InCharter:
    number: int                       # 1, 2, ... in the charter's order
    principle: Principle
    version: PrincipleVersion | None  # the wording voted on (None: the paper never froze)
    round: Round                      # the released vote round that decided it


def released_votes(session: Session, assembly: Assembly) -> list[Round]:
    """The assembly's vote rounds whose results are released, in programme order."""
    return [r for r in rounds.programme(session, row_id(assembly.id))
            if RoundKind(r.kind) is RoundKind.vote and r.results_released_at is not None]


def in_charter(session: Session, assembly: Assembly) -> list[InCharter]:
    order: list[int] = []
    decided: dict[int, tuple[papers.Item, Round]] = {}
    for item in released_votes(session, assembly):
        for entry in papers.paper(session, item):
            principle_id = row_id(entry.principle.id)
            if principle_id not in decided:
                order.append(principle_id)
            decided[principle_id] = (entry, item)
    return [InCharter(number, decided[pid][0].principle, decided[pid][0].version, decided[pid][1])
            for number, pid in enumerate(order, start=1)]
