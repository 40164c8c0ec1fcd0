"""Uploading the pool and the quotas, and editing the quotas in a table.

Files are read into memory, parsed by the engine's readers and dropped; only what the readers
accept is stored, in one transaction, so a bad file changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from assembly import db, forms, journey, logs
from assembly.assemblies.access import assembly_or_404
from assembly.assemblies.models import Assembly
from assembly.authz import require
from assembly.forms import (
    FORM_ALLOWANCE,
    MAX_UPLOAD_BYTES,
    megabytes,
    problem_rows,
    too_long,
    whole_number,
)
from assembly.recruitment import pool, respondents
from assembly.recruitment.models import Contact, Quota, Respondent
from assembly.recruitment.pool import (
    DEFAULT_ADDRESS_FIELDS,
    PoolLocked,
    household_count,
    pool_counts,
    pool_size,
    quota_count,
    quota_rows,
)
from assembly.security import RequestTooLarge
from assembly.templating import listing, navigate, render, see_other, url
from sortition.model import (
    InputError,
    Problem,
    clean_text,
    normalise,
    summarise,
)

log = logging.getLogger("minipublic.recruitment")

ROW_IDS = ("The people file has no id column, so each respondent's id is their row number in "
           "the file (2 for the first respondent); letters and the mail-merge file use it as the "
           "reference. Contact details are never used as ids.")

# --- upload --------------------------------------------------------------------------------------


@dataclass
class UploadState:
    assembly: Assembly
    respondents: int
    households: int | None
    quotas: int
    locked: str | None
    ids_from_rows: bool = False
    values: dict[str, str] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)
    problem_count: int = 0  # every problem found; `problems` groups rows that share one
    errors: dict[str, str] = field(default_factory=dict)
    max_file: str = ""  # the largest file the form takes, as the page says it
    search: Search | None = None


@dataclass(frozen=True)
class Search:
    """Respondents found by their reference (case ignored), with their names."""

    reference: str
    found: list[tuple[Respondent, str]]
    drawn: bool


def search(session: Session, assembly_id: int, reference: str) -> Search:
    found = respondents.find_by_reference(session, assembly_id, reference)
    names = {c.respondent_id: c.name for c in session.exec(
        select(Contact).where(col(Contact.respondent_id).in_([r.id for r in found])))}
    return Search(reference, [(r, names.get(r.id, "")) for r in found],
                  journey.is_drawn(session, assembly_id))


def _upload_state(session: Session, assembly_id: int) -> UploadState:
    assembly = assembly_or_404(session, assembly_id)
    locked = None
    if journey.is_drawn(session, assembly_id):
        locked = "The panel has been drawn, so the pool and quotas can no longer change."
    return UploadState(
        assembly=assembly,
        respondents=pool_size(session, assembly_id),
        households=household_count(session, assembly_id),
        quotas=len(quota_rows(session, assembly_id)),
        locked=locked,
        ids_from_rows=pool.ids_from_rows(session, assembly_id),
        values={
            "address_columns": ", ".join(assembly.address_columns or DEFAULT_ADDRESS_FIELDS),
            "legal_basis": assembly.legal_basis,
            "consent_version": assembly.consent_version,
        },
    )


async def pool_page(request: Request) -> Response:
    require(request, "assembly.view")
    assembly_id = request.path_params["assembly_id"]
    state = await db.run(request, _upload_state, assembly_id)
    state.max_file = megabytes(file_limit(request))
    reference = clean_text(request.query_params.get("reference", "")).strip()
    if reference:
        state.search = await db.run(request, search, assembly_id, reference)
    return render(request, "recruitment/pool.html", {"s": state, "assembly": state.assembly},
                  block="upload")


async def _read(upload: Any, limit: int) -> tuple[bytes | None, str]:
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None, ""
    data = await upload.read(limit + 1)
    return data, clean_text(upload.filename)[:200] or "file"


# The text fields of the upload form: (label, column length, several lines?).
UPLOAD_FIELDS = {"address_columns": ("Address columns", 1000, False),
                 "legal_basis": ("The legal basis", 2000, True),
                 "consent_version": ("The privacy notice or consent version", 100, False)}


def file_limit(request: Request) -> int:
    """The largest file the upload form takes: 20 MB, or less when the administrator set a
    smaller request limit (MINIPUBLIC_MAX_REQUEST_MB), so the message names the real limit."""
    limit: int = request.app.state.settings.max_request_bytes
    return min(MAX_UPLOAD_BYTES, max(limit - FORM_ALLOWANCE, limit // 2))


async def upload(request: Request) -> Response:
    assembly_id = request.path_params["assembly_id"]
    actor = require(request, "pool.upload")
    settings = request.app.state.settings
    limit = file_limit(request)
    errors: dict[str, str] = {}
    problems: list[Problem] = []
    status = 422
    values = dict.fromkeys(UPLOAD_FIELDS, "")
    quotas_data = people_data = None
    quotas_name = people_name = ""
    try:
        # Read into memory and close at once: the spooled temporary files must not outlive this.
        async with request.form(max_files=2, max_fields=10) as form:
            quotas_data, quotas_name = await _read(form.get("quotas"), limit)
            people_data, people_name = await _read(form.get("people"), limit)
            values = {name: forms.text(form, name, multiline=multiline)
                      for name, (_, _, multiline) in UPLOAD_FIELDS.items()}
    except RequestTooLarge:
        together = max(settings.max_request_bytes - FORM_ALLOWANCE, limit)
        errors["form"] = (f"What you sent is larger than this site accepts: each file can be at "
                          f"most {megabytes(limit)}, and both together {megabytes(together)}. "
                          "Nothing was loaded. Remove columns the selection does not need (or "
                          "upload the files one at a time) and try again.")
    address_columns = [c.strip() for c in values["address_columns"].split(",") if c.strip()]

    for key, data, name in (("quotas", quotas_data, quotas_name),
                            ("people", people_data, people_name)):
        if data is not None and len(data) > limit:
            errors[key] = (f"{name} is larger than {megabytes(limit)}, the most this site "
                           "accepts for one file. Remove columns the selection does not need "
                           "and upload it again.")
    for name, (label, length, _) in UPLOAD_FIELDS.items():
        message = too_long(values[name], length, label)
        if message:
            errors[name] = message
    if quotas_data is None and people_data is None and not errors:
        errors["form"] = "Choose a quotas file, a people file, or both, then upload."

    def work(session: Session) -> pool.Upload:
        return pool.upload(
            session, assembly_or_404(session, assembly_id),
            quotas_file=(quotas_data, quotas_name) if quotas_data is not None else None,
            people_file=(people_data, people_name) if people_data is not None else None,
            secret=settings.secret_key, address_columns=address_columns,
            legal_basis=values["legal_basis"], consent_version=values["consent_version"],
            actor=actor.label)

    if not errors:
        try:
            uploaded = await db.run(request, work, write=True)
        except InputError as error:
            problems = error.problems
            for key, name in (("quotas", quotas_name), ("people", people_name)):
                number = sum(1 for p in problems if name and p.file == name)
                if number:
                    errors[key] = (f"{name} has {number:,} problem{'s' if number != 1 else ''}, "
                                   "listed in the table at the top of the form.")
            for p in problems:
                if not p.file or p.file not in (quotas_name, people_name):
                    errors.setdefault("form", p.message)
        except PoolLocked as error:
            errors["form"] = str(error)
        except sa.exc.DBAPIError as error:
            # Checks at the edge should leave nothing for the database to refuse; if it still
            # does, say so plainly. The unit of work rolled back, so nothing was loaded.
            logs.log_error(log, "upload to assembly %s refused by the database", error,
                           assembly_id)
            errors["form"] = ("The database refused to store these files, so nothing was loaded: "
                              "the pool and quotas are as they were. This is a fault in the "
                              "program, not in your files; it has been logged. Try again later, "
                              "or report it with the time it happened.")
            status = 500
        else:
            parts = []
            summary = uploaded.pool
            if uploaded.quotas is not None:
                parts.append(f"Loaded {len(uploaded.quotas.categories)} quota categories.")
            if summary is not None:
                parts.append(f"Loaded {summary.respondents:,} respondents.")
                if summary.households is not None:
                    parts.append(f"They live in {summary.households:,} households.")
                if summary.ids_from_rows:
                    parts.append(ROW_IDS)
                dropped = summary.dropped_columns
                if dropped:
                    parts.append(f"{len(dropped):,} column{'s' if len(dropped) != 1 else ''} "
                                 "not kept (not needed for the selection or invitations): "
                                 f"{listing(dropped)}.")
            return navigate(request, url(request, "quotas", assembly_id=assembly_id), " ".join(parts))

    state = await db.run(request, _upload_state, assembly_id)
    state.values, state.errors = values, errors
    state.problems, state.problem_count = problem_rows(summarise(problems)), len(problems)
    state.max_file = megabytes(limit)
    return render(request, "recruitment/pool.html", {"s": state, "assembly": state.assembly},
                  block="upload", status_code=status)


# --- quotas --------------------------------------------------------------------------------------


@dataclass
class QuotaLine:
    quota: Quota
    in_pool: int | None
    share: float | None
    values: dict[str, str]
    errors: dict[str, str]


@dataclass
class QuotaState:
    assembly: Assembly
    features: list[tuple[str, list[QuotaLine], int, int]]
    respondents: int
    panel_size: str
    locked: str | None
    errors: dict[str, str] = field(default_factory=dict)
    check: dict[str, Any] | None = None


def _quota_state(session: Session, assembly_id: int, typed: dict[int, dict[str, str]] | None,
                 cell_errors: dict[str, str] | None = None,
                 panel_size: str | None = None) -> QuotaState:
    assembly = assembly_or_404(session, assembly_id)
    counts = pool_counts(session, assembly_id)
    respondents = pool_size(session, assembly_id)
    cell_errors = cell_errors or {}
    grouped: dict[str, list[QuotaLine]] = {}
    for quota in quota_rows(session, assembly_id):
        assert quota.id is not None
        count = counts.get((normalise(quota.feature), normalise(quota.value)))
        values = (typed or {}).get(quota.id) or {
            "min": str(quota.min_count), "max": str(quota.max_count),
            "min_flex": "" if quota.min_flex is None else str(quota.min_flex),
            "max_flex": "" if quota.max_flex is None else str(quota.max_flex),
        }
        errors = {c: cell_errors[f"{c}-{quota.id}"] for c in ("min", "max", "min_flex", "max_flex")
                  if f"{c}-{quota.id}" in cell_errors}
        grouped.setdefault(quota.feature, []).append(QuotaLine(
            quota, count if respondents else None,
            (count / respondents) if respondents and count is not None else None,
            values, errors))
    features = [(name, lines, sum(l.quota.min_count for l in lines),
                 sum(l.quota.max_count for l in lines)) for name, lines in grouped.items()]
    locked = None
    if journey.is_drawn(session, assembly_id):
        locked = "The panel has been drawn, so the quotas can no longer change."
    return QuotaState(assembly, features, respondents,
                      panel_size if panel_size is not None else str(assembly.panel_size or ""),
                      locked)


async def quotas_page(request: Request) -> Response:
    require(request, "assembly.view")
    assembly_id = request.path_params["assembly_id"]

    def load(session: Session) -> QuotaState:
        state = _quota_state(session, assembly_id, None)
        state.check = pool.feasibility(session, state.assembly)
        return state

    state = await db.run(request, load)
    return render(request, "recruitment/quotas.html", {"s": state, "assembly": state.assembly},
                  block="quotas")


async def save_quotas(request: Request) -> Response:
    assembly_id = request.path_params["assembly_id"]
    actor = require(request, "quotas.edit")
    # Four cells per category, the panel size, and room for a few more: a table of any size the
    # officer can have uploaded can be saved, and a form can still not be made of endless fields.
    categories = await db.run(request, quota_count, assembly_id)
    form = await forms.read(request, max_fields=4 * categories + 20)
    typed: dict[int, dict[str, str]] = {}
    for key in form:
        column, _, number = key.rpartition("-")
        if column in ("min", "max", "min_flex", "max_flex") and number.isascii() \
                and number.isdigit() and len(number) <= 18:
            typed.setdefault(int(number), {})[column] = forms.text(form, key)
    panel_text = forms.text(form, "panel_size")
    form_errors: dict[str, str] = {}
    panel_size: int | None = None
    if panel_text:
        try:
            panel_size = whole_number(panel_text, 1, 10_000)
        except ValueError:
            form_errors["panel_size"] = "Enter the panel size as a whole number, for example 40."

    def work(session: Session) -> list[Problem]:
        assembly = assembly_or_404(session, assembly_id)
        cells = {quota_id: (v.get("min", ""), v.get("max", ""), v.get("min_flex", ""),
                            v.get("max_flex", "")) for quota_id, v in typed.items()}
        if form_errors:  # still check the cells, so every problem shows at once
            return pool.save_quota_table(session, assembly, cells, check_only=True)
        return pool.edit_quotas(session, assembly, cells, panel_size, actor=actor.label)

    try:
        problems = await db.run(request, work, write=True)
    except PoolLocked as error:
        problems, form_errors["form"] = [], str(error)
    if not problems and not form_errors:
        check = await db.run(request, lambda session: pool.feasibility(
            session, assembly_or_404(session, assembly_id)))
        if check is not None and not check["ok"]:
            # One message, not a green "saved" beside a yellow "cannot be met".
            return see_other(request, url(request, "quotas", assembly_id=assembly_id),
                             "Quotas saved, but they cannot be met yet: the smallest change "
                             "that makes them possible is shown below.", level="warning")
        return see_other(request, url(request, "quotas", assembly_id=assembly_id), "Quotas saved.")

    cell_errors = {f"{p.column}-{p.row}": p.message for p in problems}

    def load(session: Session) -> QuotaState:
        state = _quota_state(session, assembly_id, typed, cell_errors, panel_text)
        state.errors = {**form_errors, **{k: v for k, v in cell_errors.items()}}
        return state

    state = await db.run(request, load)
    return render(request, "recruitment/quotas.html", {"s": state, "assembly": state.assembly},
                  block="quotas", status_code=422)
