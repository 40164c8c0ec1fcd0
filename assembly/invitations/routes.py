"""Invitations: the officers' side, then the residents' side (public until redeemed)."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from assembly import routing  # noqa: F401  (registers the `id` path parameter)
from assembly.invitations.views import member, officer

routes: list[BaseRoute] = [
    Route("/assemblies/{assembly_id:id}/invitations", officer.page,
          methods=["GET"], name="invitations"),
    Route("/assemblies/{assembly_id:id}/invitations", officer.issue_all,
          methods=["POST"], name="invitations_issue"),
    Route("/assemblies/{assembly_id:id}/letters/{batch_id:public_id}", officer.batch_page,
          methods=["GET"], name="letter_batch"),
    Route("/assemblies/{assembly_id:id}/letters/{batch_id:public_id}", officer.download,
          methods=["POST"], name="letter_batch_download"),
    Route("/assemblies/{assembly_id:id}/members/{member_id:id}/invitation",
          officer.reissue, methods=["POST"], name="invitation_reissue"),
    Route("/assemblies/{assembly_id:id}/members/{member_id:id}/sign-in-code",
          officer.sign_in_code_page, methods=["GET"], name="member_sign_in_code_page"),
    Route("/assemblies/{assembly_id:id}/members/{member_id:id}/sign-in-code",
          officer.make_sign_in_code, methods=["POST"], name="member_sign_in_code"),
    Route("/invite", member.code_page, methods=["GET"], name="invite_code_page"),
    Route("/invite", member.redeem_code, methods=["POST"], name="invite_code"),
    Route("/invite/{token}", member.invitation, methods=["GET"], name="invitation"),
    Route("/invite/{token}", member.redeem_link, methods=["POST"], name="invitation_redeem"),
    Route("/invite/{token}/decline", member.decline_page, methods=["GET"],
          name="invitation_decline_page"),
    Route("/invite/{token}/decline", member.decline, methods=["POST"], name="invitation_decline"),
    # The first home of members, now the deliberation room's `member_home`.
    Route("/welcome", member.welcome, methods=["GET"], name="welcome"),
    Route("/sign-in", member.sign_in_page, methods=["GET"], name="member_sign_in_page"),
    Route("/sign-in", member.send_sign_in_link, methods=["POST"], name="member_sign_in"),
    Route("/sign-in/{token}", member.sign_in_link, methods=["GET"], name="member_sign_in_link"),
    Route("/sign-in/{token}", member.use_sign_in_link, methods=["POST"],
          name="member_sign_in_link_use"),
    Route("/account", member.account, methods=["GET"], name="member_account"),
    Route("/account/sign-out-everywhere", member.sign_out_everywhere, methods=["POST"],
          name="member_sign_out_everywhere"),
]
