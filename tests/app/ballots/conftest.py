"""Fixtures for vote rounds: a clock the app reads, and a panel with a vote on three principles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from starlette.applications import Starlette

from tests.app.builders import VoteWorld, vote_world

T0 = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)   # Monday 8 March 2027, 9am in London


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(app: Starlette) -> Clock:
    app.state.clock = Clock(T0)
    return app.state.clock


@pytest.fixture
def world(engine: Engine, clock: Clock) -> VoteWorld:
    """A vote round opening an hour from now and closing in two days, six joined members."""
    return vote_world(engine, opens_at=T0 + timedelta(hours=1), closes_at=T0 + timedelta(days=2))
