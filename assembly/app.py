"""The application factory: settings in, a Starlette app out.

Everything the app holds (settings, database engine, templates) hangs off `app.state`, so tests
and several apps in one process never share hidden globals.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
from collections.abc import AsyncIterator, Callable

from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from assembly import db, error_pages, lifeline, outbox, routes
from assembly import settings as settings_module
from assembly.compression import CompressionMiddleware
from assembly.deliberation import reminders
from assembly.security import SecurityMiddleware
from assembly.selection import worker
from assembly.sessions import SessionMiddleware
from assembly.settings import Settings
from assembly.tables import utcnow
from assembly.templating import make_templates

# Extra start-up/shut-down work, e.g. a pool of selection workers. Each entry is called with the
# app and returns an async context manager that is entered at start-up and left at shut-down.
LifespanPart = Callable[[Starlette], contextlib.AbstractAsyncContextManager[None]]
LIFESPAN_PARTS: list[LifespanPart] = [worker.lifespan, reminders.lifespan, outbox.lifespan]


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    engine: Engine = app.state.engine
    db.check_schema(engine)
    async with contextlib.AsyncExitStack() as stack:
        for part in LIFESPAN_PARTS:
            await stack.enter_async_context(part(app))
        try:
            yield
        finally:
            # An engine handed in by the caller (tests, several apps) is theirs to close; closing
            # it here would cut off everyone else using it.
            if app.state.owns_engine:
                engine.dispose()


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> Starlette:
    settings = settings if settings is not None else settings_module.from_env()
    settings.check()
    logging.getLogger("minipublic").setLevel(settings.log_level.upper())
    middleware = []
    if settings.allowed_hosts != ("*",):
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts)))
    middleware += [
        Middleware(CompressionMiddleware),
        Middleware(SecurityMiddleware, forgery_page=error_pages.forgery_page,
                   error_page=error_pages.server_error_page, https=settings.production,
                   max_body=settings.max_request_bytes),
        Middleware(SessionMiddleware),
    ]
    app = Starlette(
        routes=routes.routes,
        middleware=middleware,
        exception_handlers=error_pages.handlers,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.owns_engine = engine is None
    app.state.engine = engine if engine is not None else db.make_engine(settings.database_url)
    app.state.templates = make_templates(settings)
    app.state.clock = utcnow  # see `assembly.clock`; tests set another
    return app


def create_app_from_env() -> Starlette:
    """Entry point for `uvicorn --factory` (used by `minipublic serve`).

    With several workers uvicorn runs this in each worker process, started by a supervising
    parent: a worker must end when that parent dies, or it keeps the port (see `lifeline`)."""
    parent = multiprocessing.parent_process()
    if parent is not None and parent.pid is not None:
        lifeline.die_with_parent(parent.pid)
    return create_app(settings_module.from_env())


__all__ = ["create_app", "create_app_from_env", "LIFESPAN_PARTS"]
