"""Discuss rounds: the member's statements and votes, the officers' moderation and results."""

from __future__ import annotations

from starlette.routing import BaseRoute

from assembly import routing  # noqa: F401  (registers the `id` path parameter)

routes: list[BaseRoute] = []
