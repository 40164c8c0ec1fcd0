"""Every URL of the app: each room's route list, joined in the order of the journey.

Add a route to its room's `routes.py`, with a name; then add a row for each method to the access
table in `tests/app/test_access_matrix.py` (a test fails until you do). Build URLs from the names
(`url()` in templates, `templating.url()` in code), never by hand.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Router

from assembly.accounts.routes import routes as accounts
from assembly.assemblies.routes import routes as assemblies
from assembly.assets import STATIC, VersionedStaticFiles
from assembly.ballots.routes import routes as ballots
from assembly.deliberation.routes import routes as deliberation
from assembly.discussion.routes import routes as discussion
from assembly.drafting.routes import routes as drafting
from assembly.invitations.routes import routes as invitations
from assembly.privacy.routes import routes as privacy
from assembly.publishing.routes import routes as publishing
from assembly.recruitment.routes import routes as recruitment
from assembly.selection.routes import routes as selection
from assembly.templating import STATIC_PATH

routes: list[BaseRoute] = [
    *accounts,
    *assemblies,
    *recruitment,
    *selection,
    *invitations,
    *deliberation,
    *discussion,
    *drafting,
    *ballots,
    *publishing,
    *privacy,
    Mount(STATIC_PATH, VersionedStaticFiles(directory=STATIC), name="static"),
]


def path_for(name: str, /, **params: str | int) -> str:
    """A route's path outside any request (command-line output); in views use `url()`."""
    return str(Router(routes).url_path_for(name, **params))
