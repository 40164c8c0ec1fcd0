"""Draft rounds: principles, comments, amendments and dissent notes."""

from __future__ import annotations

from starlette.routing import BaseRoute

from assembly import routing  # noqa: F401  (registers the `id` path parameter)

routes: list[BaseRoute] = []
