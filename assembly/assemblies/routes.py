"""The public home page and accessibility statement, the officers' list of assemblies, one assembly's overview and details, and its audit log."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from assembly import routing  # noqa: F401  (registers the `id` path parameter)
from assembly.assemblies.views import officer, public

routes: list[BaseRoute] = [
    Route("/", public.home, methods=["GET"], name="home"),
    Route("/accessibility", public.accessibility, methods=["GET"], name="accessibility"),
    Route("/assemblies", officer.index, methods=["GET"], name="officer_home"),
    Route("/assemblies", officer.create, methods=["POST"], name="assembly_create"),
    Route("/assemblies/new", officer.new, methods=["GET"], name="assembly_new"),
    Route("/assemblies/{assembly_id:id}", officer.show, methods=["GET"], name="assembly"),
    Route("/assemblies/{assembly_id:id}/edit", officer.edit, methods=["GET"],
          name="assembly_edit"),
    Route("/assemblies/{assembly_id:id}/edit", officer.update, methods=["POST"],
          name="assembly_update"),
    Route("/assemblies/{assembly_id:id}/audit", officer.audit_page, methods=["GET"],
          name="audit_log"),
    Route("/assemblies/{assembly_id:id}/audit.csv", officer.audit_csv, methods=["GET"],
          name="audit_csv"),
    Route("/assemblies/{assembly_id:id}/audit.jsonl", officer.audit_jsonl, methods=["GET"],
          name="audit_jsonl"),
]
