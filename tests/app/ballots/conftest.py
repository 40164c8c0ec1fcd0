"""Fixtures for vote rounds: a panel with a vote on three principles, at the `clock` fixture's T0."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from tests.app.builders import VoteWorld, vote_world
from tests.app.clocks import T0, Clock


@pytest.fixture
def world(engine: Engine, clock: Clock) -> VoteWorld:
    """A vote round opening an hour from now and closing in two days, six joined members."""
    return vote_world(engine, opens_at=T0 + timedelta(hours=1), closes_at=T0 + timedelta(days=2))
