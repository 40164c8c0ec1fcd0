"""Discuss rounds: the member's statements and votes, the officers' moderation and results."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from assembly import routing  # noqa: F401  (registers the `id` path parameter)
from assembly.discussion.views import results

R = "/assemblies/{assembly_id:id}/rounds/{round_id:id}"
MR = "/home/rounds/{round:public_id}"

routes: list[BaseRoute] = [
    # results: officers live, members once released; the Pol.is export for officers
    Route(R + "/results", results.officer_page, methods=["GET"], name="discuss_results"),
    Route(R + "/results/polis.zip", results.polis_export, methods=["GET"],
          name="discuss_polis_export"),
    Route(MR + "/results", results.member_page, methods=["GET"],
          name="member_discuss_results"),
]
