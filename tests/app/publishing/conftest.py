"""Fixtures for publishing: a vote held, sealed and released on the `clock`, so the charter can
be published (or is refused for what the test leaves out)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from assembly import db
from assembly.ballots import ballots
from assembly.deliberation import rounds
from assembly.deliberation.models import Round
from tests.app.builders import VoteWorld, vote_world
from tests.app.clocks import T0, Clock

# Per member, a choice per principle: "Open by default" adopted by 5 of 6, "People check the
# machines" not adopted (2 of 6), the third adopted by all.
CHOICES = (("agree", "agree", "agree"), ("strongly_agree", "disagree", "agree"),
           ("agree", "disagree", "strongly_agree"), ("agree", "disagree", "agree"),
           ("agree", "agree", "agree"), ("disagree", "unsure", "agree"))


def hold_vote(engine: Engine, clock: Clock, world: VoteWorld,
              choices: Sequence[Sequence[str]] = CHOICES, *, release: bool = True) -> None:
    """Every member votes while the round is open; the clock then passes its close, which seals
    it, and (unless `release` is False) an officer releases the results."""
    clock.now = T0 + timedelta(hours=2)
    with db.session(engine, write=True) as session:
        item = session.get(Round, world.vote_round_id)
        assert item is not None
        for member_id, chosen in zip(world.member_ids, choices, strict=False):
            ballots.cast(session, item, member_id,
                         {f"choice-{p}": c for p, c in zip(world.principle_ids, chosen,
                                                           strict=True)}, clock.now)
    clock.now = T0 + timedelta(days=3)
    if release:
        with db.session(engine, write=True) as session:
            item = session.get(Round, world.vote_round_id)
            assert item is not None
            rounds.release_results(session, item, clock.now, actor="officer:1")


@pytest.fixture
def world(engine: Engine, clock: Clock) -> VoteWorld:
    """A vote round opening an hour after T0 and closing two days later, six joined members."""
    return vote_world(engine, opens_at=T0 + timedelta(hours=1), closes_at=T0 + timedelta(days=2))


@pytest.fixture
def released(engine: Engine, clock: Clock, world: VoteWorld) -> VoteWorld:
    """The world's vote held and its results released: ready to publish."""
    hold_vote(engine, clock, world)
    return world
