"""The privacy notices, public: anyone may read them (a resident before answering the recruitment
letter most of all), they set no cookie and show nothing personal."""

from __future__ import annotations

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from assembly import db, mail
from assembly.assemblies.access import assembly_or_404
from assembly.privacy import notice as notices
from assembly.templating import render


async def index(request: Request) -> Response:
    """Every assembly's notice: the site's pages that belong to no assembly link here."""

    def load(session: Session) -> dict[str, object]:
        return {"assemblies": notices.assemblies(session)}

    return render(request, "privacy/notices.html", await db.run(request, load))


async def notice(request: Request) -> Response:
    """What one assembly holds about respondents and members, why, for how long, and rights."""
    assembly_id = request.path_params["assembly_id"]
    settings = request.app.state.settings

    def load(session: Session) -> dict[str, object]:
        assembly = assembly_or_404(session, assembly_id)
        return {"notice": notices.notice(session, assembly, site_name=settings.site_name,
                                         email_works=mail.configured(settings),
                                         suppress_below=settings.suppress_below),
                "assembly": assembly}

    return render(request, "privacy/notice.html", await db.run(request, load))
