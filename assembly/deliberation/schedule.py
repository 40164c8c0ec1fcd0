"""Rounds change state on their own, by the clock; this records when, exactly once.

Nothing runs at the opening time: the state is worked out from the clock whenever a round is
read (`rounds.state_of`), so a round is open at its opening time to the second even if no
process is awake. What still needs writing down is the moment it happened, for the audit log.
`record_due` does that lazily: every page that reads a programme calls it first (a cheap read
when nothing is due), and `minipublic tick` calls it for every assembly, so the log is complete
even when nobody visits (run it from cron every few minutes if you want the log's own times
close to the real moments; the event's details always carry the exact scheduled moment).

Exactly once, with any number of workers: each change is a row in `round_transition` with
UNIQUE(round, cycle, transition), inserted with ON CONFLICT DO NOTHING; only the insert that
actually adds the row writes the audit event, in the same transaction. On PostgreSQL the
transaction first takes the assembly's audit-chain advisory lock, so two workers recording
several transitions cannot deadlock on each other's rows; on SQLite the write transaction
(BEGIN IMMEDIATE) queues them.

A room later in the journey that must act when a round closes (ballots seal a vote round) hands
a function to `on_close` when its routes module is imported; `closed` calls each one in the
transaction that records the close, whether the clock or an officer closed the round.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assembly import audit, db
from assembly.deliberation.models import Round, RoundTransition, Transition
from assembly.tables import row_id, utcnow

SCHEDULE = "schedule"  # how the audit log names the clock

CloseHook = Callable[[Session, Round, datetime], None]
CLOSE_HOOKS: list[CloseHook] = []


def on_close(hook: CloseHook) -> None:
    """Call `hook(session, round, now)` whenever a round's close is recorded (once per close)."""
    if hook not in CLOSE_HOOKS:
        CLOSE_HOOKS.append(hook)


def closed(session: Session, item: Round, now: datetime) -> None:
    """A round's close was just recorded: let the rooms that registered act on it."""
    for hook in CLOSE_HOOKS:
        hook(session, item, now)


@dataclass(frozen=True)
class Due:
    round: Round
    transition: Transition
    at: datetime


def due(rounds: Sequence[Round], recorded: Iterable[tuple[int, int, str]], now: datetime
        ) -> list[Due]:
    """Transitions of the rounds' current cycles that have happened by `now` and are not in
    `recorded` ((round id, cycle, transition) triples), oldest first."""
    seen = set(recorded)
    found: list[Due] = []
    for item in rounds:
        key = (row_id(item.id), item.cycle)
        if item.opens_at <= now and (*key, Transition.opened.value) not in seen:
            found.append(Due(item, Transition.opened, item.opens_at))
        if item.closes_at <= now and (*key, Transition.closed.value) not in seen:
            found.append(Due(item, Transition.closed, item.closes_at))
    return sorted(found, key=lambda d: (d.at, d.transition is Transition.closed, d.round.position))


def recorded(session: Session, round_ids: Sequence[int]) -> set[tuple[int, int, str]]:
    if not round_ids:
        return set()
    rows = session.exec(select(RoundTransition.round_id, RoundTransition.cycle,
                               RoundTransition.transition)
                        .where(col(RoundTransition.round_id).in_(round_ids))).all()
    return {(r, c, t) for r, c, t in rows}


def pending(session: Session, assembly_id: int, now: datetime) -> list[Due]:
    """What `record_due` would record now (one or two cheap reads; no write)."""
    rounds = list(session.exec(select(Round).where(Round.assembly_id == assembly_id)).all())
    return due(rounds, recorded(session, [row_id(r.id) for r in rounds]), now)


def insert(session: Session, item: Round, transition: Transition, at: datetime, actor: str
           ) -> bool:
    """Add the row for this transition of the round's current cycle; False if it was there.

    Told by RETURNING, not `rowcount`: SQLAlchemy 2.1 on psycopg reports -1 rows for an INSERT."""
    statement = db.insert(session, RoundTransition).values(
        round_id=row_id(item.id), cycle=item.cycle, transition=transition.value, at=at,
        actor=actor, recorded_at=utcnow(),
    ).on_conflict_do_nothing(index_elements=["round_id", "cycle", "transition"]
                             ).returning(col(RoundTransition.id))
    return session.exec(statement).first() is not None


def lock(session: Session, assembly_id: int) -> None:
    """Queue writers of this assembly's transitions (PostgreSQL; SQLite's write transaction
    already does). The same lock `audit.record` takes, so it never waits on itself."""
    if db.dialect_name(session) == "postgresql":
        session.exec(select(sa.func.pg_advisory_xact_lock(audit.AUDIT_LOCK, assembly_id)))


def record_due(session: Session, assembly_id: int, now: datetime) -> int:
    """Record every transition of the assembly's rounds that has happened by `now` and is not
    recorded yet, each with its audit event (actor "schedule"); how many were recorded here.
    Call it in a write session."""
    lock(session, assembly_id)
    written = 0
    for item in pending(session, assembly_id, now):
        if insert(session, item.round, item.transition, item.at, SCHEDULE):
            # The clock only opens and closes rounds (officers release results).
            audit.record(session, assembly_id, SCHEDULE,
                         "round.opened" if item.transition is Transition.opened
                         else "round.closed", {
                "round": item.round.public_id, "title": item.round.title,
                "kind": item.round.kind, "cycle": item.round.cycle,
                "at": audit.timestamp(item.at)})
            if item.transition is Transition.closed:
                closed(session, item.round, now)
            written += 1
    return written


def assemblies_with_rounds(session: Session) -> list[int]:
    return list(session.exec(select(Round.assembly_id).distinct()).all())


def history(session: Session, round_id: int) -> list[RoundTransition]:
    """What happened to one round, oldest first."""
    return list(session.exec(select(RoundTransition).where(RoundTransition.round_id == round_id)
                             .order_by(col(RoundTransition.at), col(RoundTransition.id))).all())
