"""An assembly's details: creating one and editing them. Each change writes its audit event."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlmodel import Session

from assembly import audit
from assembly.assemblies.models import Assembly
from assembly.forms import parse_date

FIELDS = ("title", "question", "remit", "commissioning_body", "starts_on", "ends_on",
          "contact_phone", "contact_email", "contact_address", "support_offer")
LIMITS = {"title": 200, "question": 1000, "remit": 10000, "commissioning_body": 200,
          "contact_phone": 40, "contact_email": 254, "contact_address": 500,
          "support_offer": 250}  # printed on every one-page letter: three lines at most
# The fields typed in several lines; the rest are one line.
MULTILINE = frozenset({"remit", "contact_address", "support_offer"})
# The organisers' contact details, as every letter and member page shows them.
CONTACT_FIELDS = ("contact_phone", "contact_email", "contact_address", "support_offer")
ADDRESS_LINES = 6  # what fits in the letter's sender block

# One @, no spaces, and a domain with a dot: enough to catch a typo, without refusing real
# addresses (the only real test of an address is writing to it).
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
PHONE = re.compile(r"\+?[0-9 ()\-.]+(?: ?(?:ext|x)\.? ?[0-9]{1,6})?", re.IGNORECASE)
PHONE_DIGITS = (7, 15)  # a UK number has 10 or 11 digits; international ones up to 15


def check_contact(values: dict[str, str]) -> dict[str, str]:
    """Problems with the organisers' contact details as typed, keyed by field."""
    errors: dict[str, str] = {}
    email = values["contact_email"]
    if email and not EMAIL.fullmatch(email):
        errors["contact_email"] = ("Enter the e-mail address in the right format, for example "
                                   "assembly@council.gov.uk.")
    phone = values["contact_phone"]
    digits = sum(ch.isdigit() for ch in re.split(r"(?i)ext|x", phone)[0])  # before any extension
    if phone and (not PHONE.fullmatch(phone) or not PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]):
        errors["contact_phone"] = ("Enter the phone number with digits and spaces only, for "
                                   "example 0151 555 0123 or +44 151 555 0123.")
    lines = [line for line in values["contact_address"].split("\n") if line.strip()]
    if len(lines) > ADDRESS_LINES:
        errors["contact_address"] = (f"Use at most {ADDRESS_LINES} lines for the postal address "
                                     f"(this has {len(lines)}), so it fits on the letters.")
    return errors


def check(values: dict[str, str]) -> tuple[dict[str, str], dict[str, Any]]:
    """Every problem with the details as typed, keyed by field, and the cleaned values."""
    errors: dict[str, str] = {}
    if not values["title"]:
        errors["title"] = "Enter a title, for example 'Our council, data and AI'."
    if not values["question"]:
        errors["question"] = ("Enter the question the assembly will answer, for example 'How "
                              "should our council use data and AI?'.")
    errors.update(check_contact(values))
    for name, limit in LIMITS.items():
        if len(values[name]) > limit and name not in errors:
            errors[name] = f"Use at most {limit:,} characters (this has {len(values[name]):,})."
    cleaned: dict[str, Any] = {k: values[k] for k in LIMITS}
    cleaned["contact_address"] = "\n".join(
        line.strip() for line in values["contact_address"].split("\n") if line.strip())
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
