"""Vote rounds: the ballot's settings, members' ballots and receipts, paper and phone entry,
paper packs, sealing at close and the results.

Importing this module also hands three things to the programme (deliberation comes earlier in the
journey and may not import this room): the member's progress in a vote ("3 of 11 principles
voted on", `progress.register`), sealing when a vote closes (`schedule.on_close`), and the refusal
to reopen a sealed vote (`rounds.refuse_reopening`).
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from assembly import routing  # noqa: F401  (registers the `id` path parameter)
from assembly.ballots import ballots, sealing
from assembly.ballots.views import member, officer, public
from assembly.deliberation import progress, rounds, schedule
from assembly.deliberation.models import RoundKind

progress.register(RoundKind.vote, ballots.progress_of)
schedule.on_close(sealing.on_close)
rounds.refuse_reopening(sealing.refuse_reopening)

R = "/assemblies/{assembly_id:id}/rounds/{round_id:id}/ballot"
H = "/home/rounds/{round:public_id}/ballot"

routes: list[BaseRoute] = [
    # officers
    Route(R, officer.page, methods=["GET"], name="ballots_round"),
    Route(R + "/settings", officer.configure, methods=["POST"], name="ballots_configure"),
    Route(R + "/enter", officer.entry_page, methods=["GET"], name="ballots_entry"),
    Route(R + "/enter", officer.enter, methods=["POST"], name="ballots_enter"),
    Route(R + "/paper-ballots.pdf", officer.packs_pdf, methods=["GET"], name="ballots_packs"),
    Route(R + "/results", officer.results_page, methods=["GET"], name="ballots_results"),
    # the member's side
    Route(H, member.page, methods=["GET"], name="member_ballot"),
    Route(H, member.vote, methods=["POST"], name="member_ballot_vote"),
    Route(H + "/receipt", member.new_receipt, methods=["POST"], name="member_ballot_receipt"),
    Route(H + "/results", member.results_page, methods=["GET"], name="member_ballot_results"),
    # anyone holding a receipt code
    Route("/receipts", public.page, methods=["GET"], name="receipt_page"),
    Route("/receipts", public.check, methods=["POST"], name="receipt_check"),
]
