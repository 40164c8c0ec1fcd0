"""Signing in and out, an officer's own password, and the administration of officers."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from assembly import routing  # noqa: F401  (registers the `id` path parameter)
from assembly.accounts.views import admin, officer

routes: list[BaseRoute] = [
    Route("/login", officer.login_page, methods=["GET"], name="login_page"),
    Route("/login", officer.login, methods=["POST"], name="login"),
    Route("/logout", officer.logout, methods=["POST"], name="logout"),
    Route("/account/password", officer.password_page, methods=["GET"], name="account_password"),
    Route("/account/password", officer.change_password, methods=["POST"],
          name="account_password_change"),
    Route("/admin/officers", admin.officer_list, methods=["GET"], name="admin_officers"),
    Route("/admin/officers/{officer_id:id}/revoke-sessions", admin.revoke_sessions,
          methods=["POST"], name="admin_revoke_sessions"),
    Route("/admin/officers/{officer_id:id}/disabled", admin.set_disabled, methods=["POST"],
          name="admin_set_disabled"),
]
