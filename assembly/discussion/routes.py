"""Discuss rounds: the member's statements and votes, the officers' moderation and results.

Importing this module also hands the member's progress in a discuss round ("12 of 40
statements voted on") to the programme (`deliberation.progress.register`): deliberation comes
earlier in the journey and may not import this room.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from assembly import routing  # noqa: F401  (registers the `id` path parameter)
from assembly.deliberation import progress
from assembly.deliberation.models import RoundKind
from assembly.discussion import votes
from assembly.discussion.views import member, officer, results

progress.register(RoundKind.discuss, votes.progress_of)

R = "/assemblies/{assembly_id:id}/rounds/{round_id:id}/discuss"
S = "/assemblies/{assembly_id:id}/statements/{statement_id:id}"
H = "/home/rounds/{round:public_id}/discuss"
RESULTS = "/assemblies/{assembly_id:id}/rounds/{round_id:id}/results"

routes: list[BaseRoute] = [
    # officers
    Route(R, officer.page, methods=["GET"], name="discuss_round"),
    Route(R + "/settings", officer.configure, methods=["POST"], name="discuss_configure"),
    Route(R + "/seed", officer.seed, methods=["POST"], name="discuss_seed"),
    Route(S + "/moderate", officer.moderate, methods=["POST"], name="statement_moderate"),
    Route(R + "/paper", officer.paper_page, methods=["GET"], name="discuss_paper"),
    Route(R + "/paper/statements", officer.paper_statement, methods=["POST"],
          name="discuss_paper_statement"),
    Route(R + "/paper/votes", officer.paper_votes, methods=["POST"], name="discuss_paper_votes"),
    # the member's side
    Route(H, member.page, methods=["GET"], name="member_discuss"),
    Route(H + "/statements", member.write, methods=["POST"], name="member_discuss_write"),
    Route(H + "/votes", member.vote, methods=["POST"], name="member_discuss_vote"),
    Route(H + "/statements/{statement:public_id}", member.statement_page, methods=["GET"],
          name="member_discuss_statement"),
    # results: officers live, members once released; the Pol.is export for officers
    Route(RESULTS, results.officer_page, methods=["GET"], name="discuss_results"),
    Route(RESULTS + "/polis.zip", results.polis_export, methods=["GET"],
          name="discuss_polis_export"),
    Route("/home/rounds/{round:public_id}/results", results.member_page, methods=["GET"],
          name="member_discuss_results"),
]
