"""A clock a test can set, for the app to read as "now" (`app.state.clock`, see `assembly.clock`).

`T0` is the moment the round tests start at; the `clock` fixture in `tests/app/conftest.py` puts
a `Clock(T0)` on the app. A test that wants another start sets `clock.now`, or builds its own
`Clock(when)` where it needs two apps or a moment known only inside the test.
"""

from __future__ import annotations

from datetime import UTC, datetime

T0 = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)   # Monday 8 March 2027, 9am in London (GMT, so UTC)


class Clock:
    """What the app takes as now; a test moves it by setting `now`."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now
