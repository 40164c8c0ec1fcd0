"""Selection runs, their commitment files, the public draw, the panel and drop-outs."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from assembly import routing  # noqa: F401  (registers the `id` path parameter)
from assembly.selection.views import officer

routes: list[BaseRoute] = [
    Route("/assemblies/{assembly_id:id}/selection", officer.selection_page, methods=["GET"],
          name="selection"),
    Route("/assemblies/{assembly_id:id}/selection", officer.start, methods=["POST"],
          name="selection_start"),
    Route("/assemblies/{assembly_id:id}/runs/{run_id:id}", officer.run_page,
          methods=["GET"], name="selection_run"),
    Route("/assemblies/{assembly_id:id}/runs/{run_id:id}/files/{name:str}",
          officer.commitment_file, methods=["GET"], name="selection_file"),
    Route("/assemblies/{assembly_id:id}/runs/{run_id:id}/public-files", officer.public_pack,
          methods=["GET"], name="selection_public_pack"),
    Route("/assemblies/{assembly_id:id}/runs/{run_id:id}/auditor-pack", officer.auditor_pack,
          methods=["GET"], name="selection_auditor_pack"),
    Route("/assemblies/{assembly_id:id}/runs/{run_id:id}/draw", officer.draw,
          methods=["POST"], name="draw"),
    Route("/assemblies/{assembly_id:id}/panel", officer.panel_page, methods=["GET"],
          name="panel"),
    Route("/assemblies/{assembly_id:id}/members/{member_id:id}/drop-out",
          officer.drop_out_page, methods=["GET"], name="member_drop_out_page"),
    Route("/assemblies/{assembly_id:id}/members/{member_id:id}/drop-out", officer.drop_out,
          methods=["POST"], name="member_drop_out"),
    Route("/assemblies/{assembly_id:id}/members/{member_id:id}/leave-seat-empty",
          officer.leave_seat_empty, methods=["POST"], name="member_leave_seat_empty"),
]
