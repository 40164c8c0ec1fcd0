"""Every URL of the app, in one list. Add your routes here, each with a name; then add a row for
each method to the access table in `tests/app/test_access_matrix.py` (a test fails until you do).
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from assembly.templating import STATIC
from assembly.views import admin, auth, home

routes: list[BaseRoute] = [
    Route("/", home.home, methods=["GET"], name="home"),
    Route("/login", auth.login_page, methods=["GET"], name="login_page"),
    Route("/login", auth.login, methods=["POST"], name="login"),
    Route("/logout", auth.logout, methods=["POST"], name="logout"),
    Route("/admin/officers", admin.officers, methods=["GET"], name="admin_officers"),
    Route("/admin/officers/{officer_id:int}/revoke-sessions", admin.revoke_sessions,
          methods=["POST"], name="admin_revoke_sessions"),
    Mount("/static", StaticFiles(directory=STATIC), name="static"),
]
