"""The charter: officers record the council's responses and publish versions; anyone reads the
published versions, their PDFs and open data."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from assembly import routing  # noqa: F401  (registers the `id` path parameter)
from assembly.publishing.views import officer, public

O = "/assemblies/{assembly_id:id}/charter"
P = "/charters/{assembly_id:id}"

routes: list[BaseRoute] = [
    # officers
    Route(O, officer.page, methods=["GET"], name="charter_officer"),
    Route(O + "/preview", officer.preview, methods=["GET"], name="charter_preview"),
    Route(O + "/publish", officer.publish_version, methods=["POST"], name="charter_publish"),
    Route(O + "/responses/{principle_id:id}", officer.respond, methods=["POST"],
          name="charter_respond"),
    # anyone
    Route("/charters", public.index, methods=["GET"], name="charters"),
    Route(P + "/", public.latest, methods=["GET"], name="charter_latest"),
    Route(P + "/versions", public.versions, methods=["GET"], name="charter_versions"),
    Route(P + "/v{version:id}/", public.version_page, methods=["GET"], name="charter_version"),
    Route(P + "/v{version:id}/{name:path}", public.version_file, methods=["GET"],
          name="charter_file"),
]
