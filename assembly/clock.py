"""The app's clock: `now(request)` is what every view takes as "now".

It reads `app.state.clock` (set to `tables.utcnow` by `create_app`), so a test can set the time
of one app to just before or after a round opens without touching `datetime` itself. Services
never read the clock: they take `now` as a parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from starlette.requests import Request

Clock = Callable[[], datetime]


def now(request: Request) -> datetime:
    clock: Clock = request.app.state.clock
    return clock()
