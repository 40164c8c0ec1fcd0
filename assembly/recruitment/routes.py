"""Uploading the pool and the quotas, and editing the quota table."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from assembly import routing  # noqa: F401  (registers the `id` path parameter)
from assembly.recruitment.views import officer

routes: list[BaseRoute] = [
    Route("/assemblies/{assembly_id:id}/pool", officer.pool_page, methods=["GET"],
          name="pool"),
    Route("/assemblies/{assembly_id:id}/pool", officer.upload, methods=["POST"],
          name="pool_upload"),
    Route("/assemblies/{assembly_id:id}/quotas", officer.quotas_page, methods=["GET"],
          name="quotas"),
    Route("/assemblies/{assembly_id:id}/quotas", officer.save_quotas, methods=["POST"],
          name="quotas_save"),
]
