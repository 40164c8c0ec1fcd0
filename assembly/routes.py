"""Every URL of the app, in one list. Add your routes here, each with a name; then add a row for
each method to the access table in `tests/app/test_access_matrix.py` (a test fails until you do).
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from assembly.templating import STATIC
from assembly.views import account, admin, auth, home
from assembly.views.officer import assemblies, audit_log
from assembly.views.officer import pool as pool_views
from assembly.views import invitations as invitation_views
from assembly.views.officer import invitations as officer_invitations
from assembly.views.officer import personal_data as personal_data_views
from assembly.views.officer import panel, selection

routes: list[BaseRoute] = [
    Route("/", home.home, methods=["GET"], name="home"),
    Route("/login", auth.login_page, methods=["GET"], name="login_page"),
    Route("/login", auth.login, methods=["POST"], name="login"),
    Route("/logout", auth.logout, methods=["POST"], name="logout"),
    Route("/account/password", account.password_page, methods=["GET"], name="account_password"),
    Route("/account/password", account.change_password, methods=["POST"],
          name="account_password_change"),
    Route("/admin/officers", admin.officers, methods=["GET"], name="admin_officers"),
    Route("/admin/officers/{officer_id:int}/revoke-sessions", admin.revoke_sessions,
          methods=["POST"], name="admin_revoke_sessions"),
    Route("/admin/officers/{officer_id:int}/disabled", admin.set_disabled, methods=["POST"],
          name="admin_set_disabled"),
    # officer workspace: assemblies, pool and quotas, audit log
    Route("/assemblies", assemblies.index, methods=["GET"], name="officer_home"),
    Route("/assemblies", assemblies.create, methods=["POST"], name="assembly_create"),
    Route("/assemblies/new", assemblies.new, methods=["GET"], name="assembly_new"),
    Route("/assemblies/{assembly_id:int}", assemblies.show, methods=["GET"], name="assembly"),
    Route("/assemblies/{assembly_id:int}/edit", assemblies.edit, methods=["GET"],
          name="assembly_edit"),
    Route("/assemblies/{assembly_id:int}/edit", assemblies.update, methods=["POST"],
          name="assembly_update"),
    Route("/assemblies/{assembly_id:int}/pool", pool_views.pool_page, methods=["GET"],
          name="pool"),
    Route("/assemblies/{assembly_id:int}/pool", pool_views.upload, methods=["POST"],
          name="pool_upload"),
    Route("/assemblies/{assembly_id:int}/quotas", pool_views.quotas_page, methods=["GET"],
          name="quotas"),
    Route("/assemblies/{assembly_id:int}/quotas", pool_views.save_quotas, methods=["POST"],
          name="quotas_save"),
    Route("/assemblies/{assembly_id:int}/selection", selection.selection_page, methods=["GET"],
          name="selection"),
    Route("/assemblies/{assembly_id:int}/selection", selection.start, methods=["POST"],
          name="selection_start"),
    Route("/assemblies/{assembly_id:int}/runs/{run_id:int}", selection.run_page,
          methods=["GET"], name="selection_run"),
    Route("/assemblies/{assembly_id:int}/runs/{run_id:int}/files/{name:str}",
          panel.commitment_file, methods=["GET"], name="selection_file"),
    Route("/assemblies/{assembly_id:int}/runs/{run_id:int}/draw", panel.draw, methods=["POST"],
          name="draw"),
    Route("/assemblies/{assembly_id:int}/panel", panel.panel_page, methods=["GET"],
          name="panel"),
    Route("/assemblies/{assembly_id:int}/members/{member_id:int}/drop-out", panel.drop_out_page,
          methods=["GET"], name="member_drop_out_page"),
    Route("/assemblies/{assembly_id:int}/members/{member_id:int}/drop-out", panel.drop_out,
          methods=["POST"], name="member_drop_out"),
    Route("/assemblies/{assembly_id:int}/audit", audit_log.page, methods=["GET"],
          name="audit_log"),
    Route("/assemblies/{assembly_id:int}/audit.csv", audit_log.export_csv, methods=["GET"],
          name="audit_csv"),
    Route("/assemblies/{assembly_id:int}/audit.jsonl", audit_log.export_jsonl, methods=["GET"],
          name="audit_jsonl"),
    # invitations: the officers' side, then the residents' side (public until redeemed)
    Route("/assemblies/{assembly_id:int}/invitations", officer_invitations.page,
          methods=["GET"], name="invitations"),
    Route("/assemblies/{assembly_id:int}/invitations", officer_invitations.issue_all,
          methods=["POST"], name="invitations_issue"),
    Route("/assemblies/{assembly_id:int}/members/{member_id:int}/invitation",
          officer_invitations.reissue, methods=["POST"], name="invitation_reissue"),
    Route("/invite", invitation_views.code_page, methods=["GET"], name="invite_code_page"),
    Route("/invite", invitation_views.redeem_code, methods=["POST"], name="invite_code"),
    Route("/invite/{token}", invitation_views.invitation, methods=["GET"], name="invitation"),
    Route("/invite/{token}", invitation_views.redeem_link, methods=["POST"],
          name="invitation_redeem"),
    Route("/welcome", invitation_views.welcome, methods=["GET"], name="member_home"),
    # personal data: retention and erasure on request
    Route("/assemblies/{assembly_id:int}/personal-data", personal_data_views.page,
          methods=["GET"], name="personal_data"),
    Route("/assemblies/{assembly_id:int}/personal-data/find", personal_data_views.find,
          methods=["POST"], name="personal_data_find"),
    Route("/assemblies/{assembly_id:int}/respondents/{respondent_id}/erase",
          personal_data_views.erase, methods=["POST"], name="respondent_erase"),
    Mount("/static", StaticFiles(directory=STATIC), name="static"),
]
