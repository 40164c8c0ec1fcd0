"""An assembly's details: creating one and editing them. Each change writes its audit event."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from assembly import audit
from assembly.assemblies.models import Assembly
from assembly.forms import parse_date

FIELDS = ("title", "question", "remit", "commissioning_body", "starts_on", "ends_on")
LIMITS = {"title": 200, "question": 1000, "remit": 10000, "commissioning_body": 200}
MULTILINE = frozenset({"remit"})  # the fields typed in several lines; the rest are one line


def check(values: dict[str, str]) -> tuple[dict[str, str], dict[str, Any]]:
    """Every problem with the details as typed, keyed by field, and the cleaned values."""
    errors: dict[str, str] = {}
    if not values["title"]:
        errors["title"] = "Enter a title, for example 'Our council, data and AI'."
    if not values["question"]:
        errors["question"] = ("Enter the question the assembly will answer, for example 'How "
                              "should our council use data and AI?'.")
    for name, limit in LIMITS.items():
        if len(values[name]) > limit and name not in errors:
            errors[name] = f"Use at most {limit:,} characters (this has {len(values[name]):,})."
    cleaned: dict[str, Any] = {k: values[k] for k in LIMITS}
    for name, label in (("starts_on", "start"), ("ends_on", "end")):
        try:
            cleaned[name] = parse_date(values[name])
        except ValueError:
            errors[name] = f"Enter the {label} date as a real date, for example 2026-03-14."
    starts: date | None = cleaned.get("starts_on")
    ends: date | None = cleaned.get("ends_on")
    if starts and ends and ends < starts:
        errors["ends_on"] = "The end date must be on or after the start date."
    return errors, cleaned


def create(session: Session, details: dict[str, Any], *, actor: str, officer_id: int | None,
           retention_days: int, **extra: Any) -> Assembly:
    """A new assembly from checked details (see `check`); `extra` sets further columns."""
    assembly = Assembly(**details, **extra, created_by=officer_id, retention_days=retention_days)
    session.add(assembly)
    session.flush()
    assert assembly.id is not None
    audit.record(session, assembly.id, actor, "assembly.created",
                 {"assembly": assembly.public_id})
    return assembly


def update(session: Session, assembly: Assembly, details: dict[str, Any], *, actor: str
           ) -> list[str]:
    """Change the details; returns the names of the fields that changed."""
    changed = sorted(k for k, v in details.items() if getattr(assembly, k) != v)
    for key, value in details.items():
        setattr(assembly, key, value)
    session.add(assembly)
    if changed:
        audit.record(session, assembly.id or 0, actor, "assembly.edited", {"fields": changed})
    return changed
