"""Sealing a vote round when it closes: the link between members and their choices is cut.

What remains: each ballot's choice and reason (`SealedBallot`, in a random order, with no member
and no time), the counts per option for each value of each selection feature (`StratumCount`,
from the members' profiles and the features the quotas name), the hashes of the receipts of
members who voted (`CountedReceipt`), how many could vote, and a tally per principle. Then the
ballots and the member-to-receipt links are deleted, and the sha256 of the sealed set (canonical
JSON) goes into the audit chain ("ballots.sealed"), so anyone holding the sealed rows can check
nothing was changed after.

Who counts: the panel members who have joined and still hold their seat at the close (the
turnout's denominator). A ballot of a member who left the panel before the close is not counted,
and its receipt is not either.

Exactly once, with any number of workers: an UPDATE ... SET sealed_at WHERE sealed_at IS NULL
RETURNING claims the round inside the sealing transaction; whoever does not get the row does
nothing. The close of a round (the schedule, or an officer closing early) calls `seal`, and so
does every read of the round after its closing time, so a round is sealed even if nothing ran
at the moment it closed.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assembly import audit
from assembly.ballots import ballots, papers, results
from assembly.ballots.models import (
    Ballot,
    CountedReceipt,
    Receipt,
    SealedBallot,
    StratumCount,
    VoteRound,
)
from assembly.deliberation import rounds
from assembly.deliberation.models import Round, RoundKind, RoundState
from assembly.drafting.models import Principle
from assembly.recruitment.models import Profile, Quota
from assembly.selection.models import Member
from assembly.tables import row_id

SEALER = "schedule"  # how the audit log names the seal: it follows the clock, not a person


def canonical(value: Any) -> bytes:
    """JSON with sorted keys, no spaces, UTF-8: the same bytes for the same content anywhere."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
                      ).encode("utf-8")


def features(session: Session, assembly_id: int) -> list[tuple[str, list[str]]]:
    """The selection features and their values, in the quotas' order."""
    found: dict[str, list[str]] = {}
    for feature, value in session.exec(
            select(Quota.feature, Quota.value).where(Quota.assembly_id == assembly_id)
            .order_by(col(Quota.position), col(Quota.id))).all():
        found.setdefault(feature, []).append(value)
    return list(found.items())


def _profiles(session: Session, member_ids: list[int]) -> dict[int, dict[str, str]]:
    if not member_ids:
        return {}
    rows = session.exec(select(Member.id, Profile.values)
                        .join(Profile, col(Profile.respondent_id) == col(Member.respondent_id))
                        .where(col(Member.id).in_(member_ids))).all()
    return {row_id(member_id): dict(values or {}) for member_id, values in rows}


def sealed_set(session: Session, round_item: Round) -> dict[str, Any]:
    """The sealed rows of a round as the canonical structure its digest is taken of."""
    round_id = row_id(round_item.id)
    names = dict(session.exec(select(Principle.id, Principle.public_id)
                              .join(SealedBallot, col(SealedBallot.principle_id) == Principle.id)
                              .where(SealedBallot.round_id == round_id)).all())
    names.update(session.exec(select(Principle.id, Principle.public_id)
                              .join(StratumCount, col(StratumCount.principle_id) == Principle.id)
                              .where(StratumCount.round_id == round_id)).all())
    setup = session.get(VoteRound, round_id)
    versions = {i.principle_id: i.version for i in papers.items(session, round_id)}
    return {
        "round": round_item.public_id,
        "eligible": setup.eligible if setup is not None else 0,
        "ballots": sorted([names[p], versions.get(p), c, r] for p, c, r in session.exec(
            select(SealedBallot.principle_id, SealedBallot.choice, SealedBallot.reason)
            .where(SealedBallot.round_id == round_id)).all()),
        "strata": sorted([names[p], f, v, o, n] for p, f, v, o, n in session.execute(
            sa.select(col(StratumCount.principle_id), col(StratumCount.feature),
                      col(StratumCount.value), col(StratumCount.option), col(StratumCount.count))
            .where(col(StratumCount.round_id) == round_id)).all()),
        "receipts": sorted(session.exec(select(CountedReceipt.code_hash)
                                        .where(CountedReceipt.round_id == round_id)).all()),
    }


def digest_of(session: Session, round_item: Round) -> str:
    return hashlib.sha256(canonical(sealed_set(session, round_item))).hexdigest()


def seal(session: Session, round_item: Round, now: datetime) -> bool:
    """Seal the vote round if it has closed and nobody has sealed it; True if this call did."""
    if RoundKind(round_item.kind) is not RoundKind.vote \
            or rounds.state_of(round_item, now) in (RoundState.scheduled, RoundState.open):
        return False
    existing = session.get(VoteRound, round_item.id)
    if existing is not None and existing.sealed_at is not None:
        return False
    papers.freeze(session, round_item, now)   # a round nobody looked at while it was open
    papers.ensure(session, round_item)
    claimed = session.execute(
        sa.update(VoteRound).where(col(VoteRound.round_id) == round_item.id,
                                   col(VoteRound.sealed_at).is_(None))
        .values(sealed_at=now).returning(col(VoteRound.round_id))).first()
    if claimed is None:
        return False
    round_id = row_id(round_item.id)
    eligible = ballots.eligible_ids(session, round_item.assembly_id)
    counted = set(eligible)
    rows = [(p, m, c, r) for p, m, c, r in session.exec(
        select(Ballot.principle_id, Ballot.member_id, Ballot.choice, Ballot.reason)
        .where(Ballot.round_id == round_id)).all() if m in counted]
    on_paper = {i.principle_id for i in papers.items(session, round_id)}
    rows = [row for row in rows if row[0] in on_paper]
    shuffled = [(p, c, r) for p, _, c, r in rows]
    random.SystemRandom().shuffle(shuffled)
    session.add_all([SealedBallot(round_id=round_id, principle_id=p, choice=c, reason=r)
                     for p, c, r in shuffled])
    profiles = _profiles(session, sorted({m for _, m, _, _ in rows}))
    strata: Counter[tuple[int, str, str, str]] = Counter()
    for feature, values in features(session, round_item.assembly_id):
        known = set(values)
        for principle_id, member_id, choice, _ in rows:
            value = profiles.get(member_id, {}).get(feature)
            if value in known:
                strata[(principle_id, feature, str(value), choice)] += 1
    session.add_all([StratumCount(round_id=round_id, principle_id=p, feature=f, value=v,
                                  option=o, count=n) for (p, f, v, o), n in strata.items()])
    voters = {m for _, m, _, _ in rows}
    hashes = session.exec(select(Receipt.member_id, Receipt.code_hash)
                          .where(Receipt.round_id == round_id)).all()
    session.add_all([CountedReceipt(round_id=round_id, code_hash=h)
                     for m, h in hashes if m in voters])
    session.execute(sa.delete(Ballot).where(col(Ballot.round_id) == round_id))
    session.execute(sa.delete(Receipt).where(col(Receipt.round_id) == round_id))
    setup = session.get(VoteRound, round_id)
    assert setup is not None
    session.refresh(setup)
    setup.eligible = len(eligible)
    session.add(setup)
    session.flush()
    digest = digest_of(session, round_item)
    setup.sealed_digest = digest
    session.add(setup)
    tallied = results.compute(session, round_item, setup, now)
    audit.record(session, round_item.assembly_id, SEALER, "ballots.sealed", {
        "round": round_item.public_id, "round_title": round_item.title,
        "at": audit.timestamp(now), "ballots": len(rows), "voters": len(voters),
        "eligible": len(eligible), "principles": tallied, "digest": digest})
    return True


def sealed(session: Session, round_id: int) -> bool:
    setup = session.get(VoteRound, round_id)
    return setup is not None and setup.sealed_at is not None


def refuse_reopening(session: Session, round_item: Round) -> str | None:
    """Why a vote round cannot reopen once sealed (registered with `rounds`)."""
    if RoundKind(round_item.kind) is RoundKind.vote and sealed(session, row_id(round_item.id)):
        return ("This vote's ballots were sealed when it closed: who voted how can no longer "
                "be linked, so members could not change their ballots. Add a new vote round "
                "instead.")
    return None


def on_close(session: Session, round_item: Round, now: datetime) -> None:
    """The close of any round (registered with `schedule`): seal it if it is a vote."""
    seal(session, round_item, now)
