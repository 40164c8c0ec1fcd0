"""Draft rounds: principles, comments, amendments, versions and dissent notes; officers' pages
under the assembly, members' under /home."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from assembly import routing  # noqa: F401  (registers the `id` path parameter)
from assembly.deliberation import progress
from assembly.deliberation.models import RoundKind
from assembly.drafting import measures
from assembly.drafting.views import member, officer

A = "/assemblies/{assembly_id:id}"
R = A + "/rounds/{round_id:id}"
P = A + "/principles/{principle_id:id}"
MP = "/home/principles/{principle:public_id}"

# The member's home shows how far they have got in a draft round ("read 8 of 11 principles").
progress.register(RoundKind.draft, measures.progress)

routes: list[BaseRoute] = [
    Route(R + "/principles", officer.round_page, methods=["GET"], name="draft_round"),
    Route(R + "/principles", officer.principle_create, methods=["POST"],
          name="principle_create"),
    Route(R + "/principles/settings", officer.configure, methods=["POST"],
          name="draft_configure"),
    Route(P, officer.principle_page, methods=["GET"], name="principle"),
    Route(P + "/edit", officer.principle_update, methods=["POST"], name="principle_update"),
    Route(P + "/move", officer.principle_move, methods=["POST"], name="principle_move"),
    Route(P + "/statements", officer.principle_link, methods=["POST"], name="principle_link"),
    Route(P + "/comments", officer.comment_key_in, methods=["POST"],
          name="principle_comment_key_in"),
    Route(P + "/history", officer.history_page, methods=["GET"], name="principle_history"),
    Route(A + "/comments/{comment_id:id}/hide", officer.comment_hide, methods=["POST"],
          name="comment_hide"),
    Route(A + "/amendments/{amendment_id:id}/decide", officer.amendment_decide,
          methods=["POST"], name="amendment_decide"),
    # the member's side
    Route("/home/rounds/{round:public_id}/principles", member.principles_page, methods=["GET"],
          name="member_principles"),
    Route(MP, member.principle_page, methods=["GET"], name="member_principle"),
    Route(MP + "/comments", member.comment, methods=["POST"], name="member_comment"),
    Route(MP + "/amendments", member.amend, methods=["POST"], name="member_amendment"),
    Route(MP + "/dissent", member.write_note, methods=["POST"], name="member_dissent"),
    Route(MP + "/history", member.history_page, methods=["GET"],
          name="member_principle_history"),
    Route("/home/dissent/{note:public_id}/sign", member.sign_note, methods=["POST"],
          name="member_dissent_sign"),
]
