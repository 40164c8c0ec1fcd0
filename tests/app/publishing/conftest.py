"""Fixtures for publishing: a vote held, sealed and released on the `clock`, so the charter can
be published (or is refused for what the test leaves out)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from tests.app.builders import VoteWorld, hold_vote, vote_world
from tests.app.clocks import T0, Clock


@pytest.fixture
def world(engine: Engine, clock: Clock) -> VoteWorld:
    """A vote round opening an hour after T0 and closing two days later, six joined members."""
    return vote_world(engine, opens_at=T0 + timedelta(hours=1), closes_at=T0 + timedelta(days=2))


@pytest.fixture
def released(engine: Engine, clock: Clock, world: VoteWorld) -> VoteWorld:
    """The world's vote held and its results released: ready to publish."""
    hold_vote(engine, clock, world)
    return world
