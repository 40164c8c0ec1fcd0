"""The public home page and the accessibility statement. They set no cookie and show nothing
personal."""

from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.responses import Response

from assembly.templating import render

# When the statement was written, and when the site was last tested as it describes (the
# browser tests run axe-core on every page at each change, so this moves with a review of the
# statement, not with every test run). Change both when the statement is reviewed.
STATEMENT_PREPARED = date(2026, 12, 4)
LAST_REVIEWED = date(2026, 12, 4)


async def home(request: Request) -> Response:
    return render(request, "assemblies/home.html", block="content")


async def accessibility(request: Request) -> Response:
    """The accessibility statement, in the structure of the UK government's model statement."""
    settings = request.app.state.settings
    return render(request, "assemblies/accessibility.html", {
        "contact": settings.accessibility_contact,
        "prepared": STATEMENT_PREPARED,
        "reviewed": LAST_REVIEWED,
        "officer_idle_minutes": settings.officer_idle_minutes,
    })
