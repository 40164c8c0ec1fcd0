"""The personal data of one assembly: when it will be purged, and erasing one person on request.

Finding a person is a POST, not a GET with a query string: an e-mail address in a URL would end up
in server and proxy logs.
"""

from __future__ import annotations

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from assembly import db, forms
from assembly.assemblies.access import assembly_or_404
from assembly.assemblies.models import Assembly
from assembly.authz import require
from assembly.privacy import personal_data
from assembly.privacy.personal_data import ErasureError, RetentionError
from assembly.tables import utcnow
from assembly.templating import navigate, render, see_other, url


def _context(session: Session, assembly: Assembly, **extra: object) -> dict[str, object]:
    item = personal_data.plan_for(session, assembly.id or 0)
    return {"assembly": assembly, "item": item, "now": utcnow(), "errors": {},
            "reference": "", "found": None, "retention_errors": {},
            "ASSUMED_DAYS": personal_data.ASSUMED_LENGTH.days,
            "retention": {"retention_days": str(assembly.retention_days),
                          "member_retention_days": str(assembly.member_retention_days)},
            **extra}


async def page(request: Request) -> Response:
    require(request, "personal_data.erase")
    assembly_id = request.path_params["assembly_id"]

    def load(session: Session) -> dict[str, object]:
        return _context(session, assembly_or_404(session, assembly_id))

    return render(request, "privacy/personal_data.html", await db.run(request, load),
                  block="erase_panel")


async def find(request: Request) -> Response:
    """Step one of erasure: show who would be erased, and ask to confirm."""
    require(request, "personal_data.erase")
    assembly_id = request.path_params["assembly_id"]
    reference = forms.text(await forms.read(request), "reference")

    def load(session: Session) -> tuple[dict[str, object], int]:
        assembly = assembly_or_404(session, assembly_id)
        try:
            found = personal_data.find(session, assembly_id, reference)
        except ErasureError as error:
            return _context(session, assembly, reference=reference,
                            errors={"reference": str(error)}), 422
        return _context(session, assembly, reference=reference, found=found), 200

    context, status = await db.run(request, load)
    return render(request, "privacy/personal_data.html", context, block="erase_panel",
                  status_code=status)


async def erase(request: Request) -> Response:
    """Step two: blank the details, keep the row."""
    actor = require(request, "personal_data.erase")
    assembly_id = request.path_params["assembly_id"]
    public_id = request.path_params["respondent_id"]

    def work(session: Session) -> bool:
        assembly_or_404(session, assembly_id)
        respondent = personal_data.by_public_id(session, public_id)
        if respondent.assembly_id != assembly_id:
            raise ErasureError("That respondent belongs to another assembly.")
        return personal_data.erase(session, respondent, actor.label)

    back = url(request, "personal_data", assembly_id=assembly_id)
    try:
        erased = await db.run(request, work, write=True)
    except ErasureError as error:
        return see_other(request, back, str(error), "error")
    if not erased:
        return see_other(request, back, "That person's details had already been erased.", "info")
    return see_other(request, back, "The person's contact details and profile have been erased. "
                                   "The audit log records that this happened, without the details.")


async def change_retention(request: Request) -> Response:
    """How long each group's details are kept: checked, saved and audited in one step."""
    actor = require(request, "retention.change")
    assembly_id = request.path_params["assembly_id"]
    form = await forms.read(request)
    values = {name: forms.text(form, name)[:100]
              for name in ("retention_days", "member_retention_days")}

    def work(session: Session) -> bool | dict[str, object]:
        assembly = assembly_or_404(session, assembly_id)
        try:
            periods = personal_data.check_retention(values)
        except RetentionError as error:
            return _context(session, assembly, retention=values, retention_errors=error.errors)
        return personal_data.set_retention(session, assembly, actor=actor.label, **periods)

    outcome = await db.run(request, work, write=True)
    if isinstance(outcome, dict):
        return render(request, "privacy/personal_data.html", outcome, block="retention_panel",
                      status_code=422)
    back = url(request, "personal_data", assembly_id=assembly_id)
    if not outcome:
        return navigate(request, back, "The retention periods are unchanged.", "info")
    return navigate(request, back, "Retention periods saved. The dates below show when each "
                                   "group's details will be deleted.")
