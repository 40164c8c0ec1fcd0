"""Personal data: the public privacy notices, when data will be purged, and erasure on request."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from assembly import routing  # noqa: F401  (registers the `id` path parameter)
from assembly.privacy.views import officer, public

routes: list[BaseRoute] = [
    Route("/privacy", public.index, methods=["GET"], name="privacy_notices"),
    Route("/privacy/{assembly_id:id}", public.notice, methods=["GET"], name="privacy_notice"),
    Route("/assemblies/{assembly_id:id}/personal-data", officer.page,
          methods=["GET"], name="personal_data"),
    Route("/assemblies/{assembly_id:id}/personal-data/find", officer.find,
          methods=["POST"], name="personal_data_find"),
    Route("/assemblies/{assembly_id:id}/personal-data/retention", officer.change_retention,
          methods=["POST"], name="retention_change"),
    Route("/assemblies/{assembly_id:id}/respondents/{respondent_id:public_id}/erase",
          officer.erase, methods=["POST"], name="respondent_erase"),
]
