"""The public home page. Sets no cookie and shows nothing personal."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from assembly.templating import render


async def home(request: Request) -> Response:
    return render(request, "assemblies/home.html", block="content")
