"""Loading the respondent pool and the quotas into the database, and reading them back.

The uploaded files are parsed in memory by the engine's readers and never written to disk. What
is kept is split by purpose: contact details (`Contact`), demographic answers (`Profile`), and
a keyed hash of the address for the one-per-household rule (`Respondent.household_key`), so the
selection never needs to read an address. Columns that are none of these are not kept at all.

Every load is all or nothing: the caller's transaction either replaces the whole pool (or the
whole set of quotas) or changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlmodel import Session, col, select

from assembly import audit, journey
from assembly.assemblies.models import Assembly
from assembly.errors import Conflict
from assembly.forms import MAX_COUNT, whole_number
from assembly.recruitment.models import Contact, PoolCount, Profile, Quota, Respondent
from assembly.tables import row_id, utcnow
from sortition.io import read_people, read_quotas
from sortition.model import (
    Category,
    InfeasibleQuotas,
    InputError,
    Instance,
    Pool,
    Problem,
    Quotas,
    normalise,
)

# Column headings recognised as contact details (compared trimmed, any case, spaces or
# underscores alike). Anything else that is not the id or a feature is dropped on upload.
CONTACT_HEADINGS: dict[str, tuple[str, ...]] = {
    "name": ("name", "full_name", "fullname"),
    "first_name": ("first_name", "firstname", "given_name", "forename"),
    "last_name": ("last_name", "lastname", "surname", "family_name"),
    "email": ("email", "e_mail", "email_address", "e_mail_address"),
    "phone": ("phone", "telephone", "phone_number", "mobile", "mobile_number", "tel"),
    "address_line_1": ("address_line_1", "address1", "address_1", "address", "street",
                       "street_address"),
    "address_line_2": ("address_line_2", "address2", "address_2"),
    "address_line_3": ("address_line_3", "address3", "address_3"),
    "town": ("town", "city", "town_city"),
    "postcode": ("postcode", "post_code", "postal_code", "zip", "zip_code"),
}
# Per-respondent record of why we hold their data, when the file carries it.
CONSENT_HEADINGS = {
    "legal_basis": ("legal_basis", "lawful_basis"),
    "consent_version": ("consent_version", "consent", "privacy_notice_version"),
}
DEFAULT_ADDRESS_FIELDS = ("address_line_1", "postcode")
# Column lengths (see models.py), checked before anything is written so that PostgreSQL never
# has to refuse a value (SQLite would store it whatever its length).
QUOTA_FEATURE_LENGTH, QUOTA_VALUE_LENGTH = 100, 200
EXTERNAL_ID_LENGTH, LEGAL_BASIS_LENGTH, CONSENT_VERSION_LENGTH = 200, 2000, 100
_LIMITS = {"name": 200, "email": 320, "phone": 50, "address_line_1": 200, "address_line_2": 200,
           "address_line_3": 200, "town": 100, "postcode": 16}


def heading_key(text: str) -> str:
    return "_".join(text.replace("-", " ").replace("_", " ").split()).casefold()


class PoolLocked(Conflict):
    """The pool or quotas cannot change now; the message says why."""


@dataclass(frozen=True)
class PoolSummary:
    """What a load did, for the flash message and the audit log (counts only)."""

    respondents: int
    contact_columns: tuple[str, ...]
    dropped_columns: tuple[str, ...]
    households: int | None
    address_columns: tuple[str, ...] = field(default=())
    # The file had no id column: each respondent's id is their row number in the file.
    ids_from_rows: bool = False


# --- quotas --------------------------------------------------------------------------------------


def stored_quotas(session: Session, assembly_id: int) -> Quotas | None:
    rows = quota_rows(session, assembly_id)
    if not rows:
        return None
    return Quotas(tuple(
        Category(feature=q.feature, value=q.value, min=q.min_count, max=q.max_count,
                 min_flex=q.min_flex if q.min_flex is not None else 0, max_flex=q.max_flex,
                 share=q.target_share)
        for q in rows
    ))


def quota_count(session: Session, assembly_id: int) -> int:
    return int(session.exec(select(sa.func.count()).select_from(Quota)
                            .where(Quota.assembly_id == assembly_id)).one())


def quota_rows(session: Session, assembly_id: int) -> list[Quota]:
    return list(session.exec(
        select(Quota).where(Quota.assembly_id == assembly_id)
        .order_by(col(Quota.position), col(Quota.id))
    ).all())


def check_unlocked(session: Session, assembly: Assembly, what: str) -> None:
    """Refuse changes once the panel is drawn or while a selection is running."""
    reason = journey.selection_inputs_locked(session, assembly.id or 0, what)
    if reason is not None:
        raise PoolLocked(reason)


def replace_quotas(session: Session, assembly: Assembly, data: bytes, name: str, *,
                   new_pool_follows: bool = False) -> Quotas:
    """Replace the quotas from a CSV file, checking the stored pool still fits them, unless
    `new_pool_follows`: a people file uploaded with them replaces that pool in the same change
    (and is checked against these quotas instead).

    Raises InputError with every problem; the caller's transaction then rolls back.
    """
    check_unlocked(session, assembly, "quotas")
    assembly_id = row_id(assembly.id)
    quotas = read_quotas(data, name=name)
    problems = _quota_lengths(quotas, name)
    if not new_pool_follows and not problems:
        problems = _pool_against_quotas(session, assembly, quotas, name)
    if problems:
        raise InputError(problems)
    session.exec(sa.delete(Quota).where(col(Quota.assembly_id) == assembly_id))
    session.add_all([
        Quota(assembly_id=assembly_id, position=i, feature=c.feature, value=c.value,
              min_count=c.min, max_count=c.max, min_flex=c.min_flex,
              max_flex=c.max_flex, target_share=c.share)
        for i, c in enumerate(quotas.categories)
    ])
    session.flush()
    journey.discard_selections(session, assembly_id)
    refresh_pool_counts(session, assembly_id, quotas)
    return quotas


def _quota_lengths(quotas: Quotas, name: str) -> list[Problem]:
    """Features and values longer than the database keeps, named and located."""
    problems = []
    for category in quotas.categories:
        for column, content, limit in (("feature", category.feature, QUOTA_FEATURE_LENGTH),
                                       ("value", category.value, QUOTA_VALUE_LENGTH)):
            if len(content) > limit:
                problems.append(Problem(
                    f"The {column} '{content[:30]}…' is {len(content):,} characters long; the "
                    f"most kept is {limit}. Shorten it.", file=name, column=column))
    return problems


def _pool_against_quotas(session: Session, assembly: Assembly, quotas: Quotas,
                         name: str) -> list[Problem]:
    """Problems that would leave stored respondents without a category in the new quotas."""
    problems: list[Problem] = []
    respondents = _profiles(session, row_id(assembly.id))
    if not respondents:
        return problems
    features = {normalise(f): f for f in quotas.features}
    stored_features = {normalise(f) for _, values in respondents for f in values}
    for key, feature in features.items():
        if key not in stored_features:
            problems.append(Problem(
                f"The quotas have the feature '{feature}', but the pool already loaded has no "
                f"answers for it. Upload the people file again with a '{feature}' column, in "
                "the same step as these quotas.", file=name))
    unknown: Counter[tuple[str, str]] = Counter()
    for _, values in respondents:
        by_key = {normalise(f): v for f, v in values.items()}
        for key, feature in features.items():
            value = by_key.get(key)
            if value is None:
                continue
            try:
                quotas.index(feature, value)
            except KeyError:
                unknown[(feature, value)] += 1
    for (feature, value), number in sorted(unknown.items()):
        problems.append(Problem(
            f"{number} respondent{'s' if number != 1 else ''} in the pool already loaded "
            f"{'have' if number != 1 else 'has'} {feature} '{value}', which is not a value in "
            f"these quotas. Add a row for {feature} '{value}', or upload a corrected people "
            "file together with these quotas.", file=name))
    return problems


# The quota form's column headings, in the words its messages use.
QUOTA_LABELS = {"min": "minimum", "max": "maximum", "min_flex": "min flex",
                "max_flex": "max flex"}


def save_quota_table(session: Session, assembly: Assembly,
                     changes: dict[int, tuple[str, str, str, str]], *,
                     check_only: bool = False) -> list[Problem]:
    """Apply the edited table: {quota id: (min, max, min_flex, max_flex) as typed}.

    Returns every problem (row by row, named by category); writes nothing unless all are good,
    nor when `check_only`.
    """
    check_unlocked(session, assembly, "quotas")
    assembly_id = row_id(assembly.id)
    rows = {q.id: q for q in quota_rows(session, assembly_id)}
    problems: list[Problem] = []
    parsed: dict[int, tuple[int, int, int | None, int | None]] = {}
    for quota_id, (low, high, low_flex, high_flex) in changes.items():
        quota = rows.get(quota_id)
        if quota is None:
            problems.append(Problem("This quota no longer exists; reload the page.",
                                    row=quota_id))
            continue
        label = f"{quota.feature} {quota.value}"
        numbers: list[int | None] = []
        for text, column, optional in ((low, "min", False), (high, "max", False),
                                       (low_flex, "min_flex", True),
                                       (high_flex, "max_flex", True)):
            text = text.strip()
            if not text and optional:
                numbers.append(None)
                continue
            try:
                numbers.append(whole_number(text, 0, MAX_COUNT))
            except ValueError:
                shown = text if len(text) <= 20 else text[:20] + "…"
                problems.append(Problem(
                    f"{label}: the {QUOTA_LABELS[column]} must be a whole number from 0 to "
                    f"{MAX_COUNT:,}, not '{shown}'.", row=quota_id, column=column))
                numbers.append(None)
        mn, mx, mnf, mxf = numbers
        if mn is not None and mx is not None and mn > mx:
            problems.append(Problem(
                f"{label}: the minimum ({mn}) is more than the maximum ({mx}). Make the "
                "minimum at most the maximum.", row=quota_id, column="min"))
        if mn is not None and mnf is not None and mnf > mn:
            problems.append(Problem(
                f"{label}: the min flex ({mnf}) must not be more than the minimum ({mn}); it "
                "is how low the advice may move the minimum.", row=quota_id, column="min_flex"))
        if mx is not None and mxf is not None and mxf < mx:
            problems.append(Problem(
                f"{label}: the max flex ({mxf}) must not be less than the maximum ({mx}); it "
                "is how high the advice may move the maximum.", row=quota_id, column="max_flex"))
        if mn is not None and mx is not None:
            parsed[quota_id] = (mn, mx, mnf, mxf)
    if problems or check_only:
        return problems
    changed = False
    for quota_id, (mn, mx, mnf, mxf) in parsed.items():
        quota = rows[quota_id]
        if (quota.min_count, quota.max_count, quota.min_flex, quota.max_flex) != (mn, mx, mnf, mxf):
            quota.min_count, quota.max_count, quota.min_flex, quota.max_flex = mn, mx, mnf, mxf
            session.add(quota)
            changed = True
    session.flush()
    if changed:
        journey.discard_selections(session, assembly_id)
    return []


def edit_quotas(session: Session, assembly: Assembly,
                changes: dict[int, tuple[str, str, str, str]], panel_size: int | None, *,
                actor: str) -> list[Problem]:
    """Save the edited quota table with the panel size; every problem, or nothing written.
    The audit event says which quota changed from what to what."""
    before = _quota_values(session, assembly.id or 0)
    problems = save_quota_table(session, assembly, changes)
    if problems:
        return problems
    changed_size = panel_size != assembly.panel_size
    edits = [{"feature": feature, "value": value, "from": dict(zip(QUOTA_FIELDS, old)),
              "to": dict(zip(QUOTA_FIELDS, new))}
             for (feature, value), new in _quota_values(session, assembly.id or 0).items()
             if (old := before.get((feature, value), new)) != new]
    audit.record(session, assembly.id or 0, actor, "quotas.edited",
                 {"categories": len(changes), "panel_size": panel_size,
                  "panel_size_changed": changed_size,
                  "panel_size_from": assembly.panel_size, "changes": edits})
    assembly.panel_size = panel_size
    session.add(assembly)
    return []


QUOTA_FIELDS = ("min", "max", "min_flex", "max_flex")


def _quota_values(session: Session, assembly_id: int
                  ) -> dict[tuple[str, str], tuple[int, int, int | None, int | None]]:
    return {(q.feature, q.value): (q.min_count, q.max_count, q.min_flex, q.max_flex)
            for q in quota_rows(session, assembly_id)}


@dataclass(frozen=True)
class Upload:
    """What an upload loaded: the quotas, the pool, or both."""

    quotas: Quotas | None
    pool: PoolSummary | None


def upload(session: Session, assembly: Assembly, *, quotas_file: tuple[bytes, str] | None,
           people_file: tuple[bytes, str] | None, secret: str, address_columns: Sequence[str],
           legal_basis: str, consent_version: str, actor: str,
           source: str | None = None) -> Upload:
    """Load a quotas file, a people file or both, each as (bytes, file name), in one change.

    The people file is checked against the new quotas when both come together. Raises
    InputError with every problem in the files, and changes nothing then.
    """
    quotas = None
    if quotas_file is not None:
        try:
            quotas = replace_quotas(session, assembly, *quotas_file,
                                    new_pool_follows=people_file is not None)
        except InputError as error:
            if people_file is not None:
                error.problems.append(Problem(
                    "The people file was not checked yet: it is checked against the quotas, "
                    "so correct the quotas file first.", file=people_file[1]))
            raise
    summary = None
    if people_file is not None:
        summary = replace_pool(
            session, assembly, *people_file, secret=secret, address_columns=address_columns,
            legal_basis=legal_basis, consent_version=consent_version, quotas=quotas)
    details: dict[str, Any] = {}
    if quotas is not None:
        details["categories"] = len(quotas.categories)
        details["features"] = len(quotas.features)
    if summary is not None:
        details["respondents"] = summary.respondents
        details["households"] = summary.households
        details["columns_not_kept"] = len(summary.dropped_columns)
    if source is not None:
        details["source"] = source
    audit.record(session, assembly.id or 0, actor,
                 "pool.uploaded" if summary is not None else "quotas.uploaded", details)
    return Upload(quotas, summary)


# --- the pool ------------------------------------------------------------------------------------


def replace_pool(
    session: Session,
    assembly: Assembly,
    data: bytes,
    name: str,
    *,
    secret: str,
    address_columns: Sequence[str] = (),
    legal_basis: str = "",
    consent_version: str = "",
    quotas: Quotas | None = None,
) -> PoolSummary:
    """Replace the pool from a people CSV, checked against `quotas` (or the stored ones).

    Raises InputError with every problem in the file; nothing is written in that case.
    """
    check_unlocked(session, assembly, "pool")
    assembly_id = row_id(assembly.id)
    quotas = quotas or stored_quotas(session, assembly_id)
    if quotas is None:
        raise InputError([Problem("Upload the quotas file first (or together with the people "
                                  "file): the people file is checked against the quotas.")])
    pool = read_people(data, quotas, address_columns=address_columns, name=name)
    headings = [heading_key(h) for h in pool.columns]
    contact_at = {
        field_name: headings.index(alias)
        for field_name, aliases in CONTACT_HEADINGS.items()
        for alias in aliases if alias in headings
    }
    consent_at = {
        field_name: headings.index(alias)
        for field_name, aliases in CONSENT_HEADINGS.items()
        for alias in aliases if alias in headings
    }
    feature_keys = {heading_key(f) for f in quotas.features}
    id_key = _id_heading(pool)
    used = {id_key, *feature_keys, *(headings[i] for i in contact_at.values()),
            *(headings[i] for i in consent_at.values())}
    address_keys = [heading_key(c) for c in address_columns]
    dropped = tuple(h for h, k in zip(pool.columns, headings, strict=True)
                    if k not in used and k not in address_keys)

    problems = _contact_problems(pool, contact_at, name)
    problems += _record_problems(pool, consent_at, name)
    if not legal_basis.strip() and "legal_basis" not in consent_at:
        problems.append(Problem(
            "Say on what legal basis the council holds these respondents' data (for example "
            "'Public task, UK GDPR Article 6(1)(e); special category data: Article 9(2)(g)'), "
            "or add a 'legal_basis' column to the file."))
    if problems:
        raise InputError(problems)

    address_at = [headings.index(k) for k in address_keys]
    session.exec(sa.delete(Respondent).where(col(Respondent.assembly_id) == assembly_id))
    journey.discard_selections(session, assembly_id)
    respondents = []
    for i, external_id in enumerate(pool.ids):
        row = pool.rows[i]
        respondents.append(Respondent(
            assembly_id=assembly_id,
            external_id=external_id,
            id_source="row" if pool.ids_from_rows else "column",
            household_key=_household_key(secret, assembly.public_id,
                                         [row[j] for j in address_at]),
            legal_basis=(row[consent_at["legal_basis"]].strip() if "legal_basis" in consent_at
                         else "") or legal_basis.strip(),
            consent_version=(row[consent_at["consent_version"]].strip()
                             if "consent_version" in consent_at else "")
            or consent_version.strip(),
        ))
    session.add_all(respondents)
    session.flush()
    contacts, profiles = [], []
    for i, respondent in enumerate(respondents):
        row = pool.rows[i]
        contacts.append(Contact(respondent_id=respondent.id, **_contact(row, contact_at)))
        profiles.append(Profile(respondent_id=respondent.id, values={
            quotas.categories[int(c)].feature: quotas.categories[int(c)].value
            for c in pool.categories[i]
        }))
    session.add_all(contacts)
    session.add_all(profiles)
    assembly.address_columns = list(address_columns)
    assembly.pool_uploaded_at = utcnow()
    if legal_basis.strip():
        assembly.legal_basis = legal_basis.strip()
    if consent_version.strip():
        assembly.consent_version = consent_version.strip()
    session.add(assembly)
    session.flush()
    refresh_pool_counts(session, assembly_id, quotas)
    households = None
    if address_at:
        labels = pool.households
        households = len(np.unique(labels[labels >= 0])) + int(np.sum(labels < 0))
    return PoolSummary(
        respondents=len(pool),
        contact_columns=tuple(pool.columns[i] for i in sorted(contact_at.values())),
        dropped_columns=dropped,
        households=households,
        address_columns=tuple(address_columns),
        ids_from_rows=pool.ids_from_rows,
    )


def _id_heading(pool: Pool) -> str:
    """The heading of the column the reader took the ids from (or added: the row numbers)."""
    if pool.rows:
        first = pool.rows[0]
        for i, value in enumerate(first):
            if value == pool.ids[0] and all(r[i] == pool.ids[j] for j, r in enumerate(pool.rows)):
                return heading_key(pool.columns[i])
    return "id"


def _contact(row: tuple[str, ...], at: dict[str, int]) -> dict[str, str]:
    def cell(name: str) -> str:
        return row[at[name]].strip() if name in at else ""

    name = cell("name") or " ".join(p for p in (cell("first_name"), cell("last_name")) if p)
    values = {"name": name}
    for key in ("email", "phone", "address_line_1", "address_line_2", "address_line_3",
                "town", "postcode"):
        values[key] = cell(key)
    return values


def _contact_problems(pool: Pool, at: dict[str, int], name: str) -> list[Problem]:
    problems: list[Problem] = []
    for i, row in enumerate(pool.rows):
        values = _contact(row, at)
        for key, limit in _LIMITS.items():
            if len(values[key]) > limit:
                column = pool.columns[at[key]] if key in at else key
                problems.append(Problem(
                    f"Respondent '{pool.ids[i]}': the {key.replace('_', ' ')} is "
                    f"{len(values[key])} characters long; the most we keep is {limit}. "
                    "Shorten it.", file=name, column=column))
        email = values["email"]
        if email and ("@" not in email or " " in email or email.startswith("@")
                      or email.endswith("@")):
            problems.append(Problem(
                f"Respondent '{pool.ids[i]}': '{email}' is not an e-mail address. Correct it "
                "or leave the cell empty.", file=name, column=pool.columns[at["email"]]))
    return problems


def _record_problems(pool: Pool, consent_at: dict[str, int], name: str) -> list[Problem]:
    """Ids and consent records longer than the database keeps them."""
    problems: list[Problem] = []
    id_column = _id_heading(pool)
    for i, external_id in enumerate(pool.ids):
        if len(external_id) > EXTERNAL_ID_LENGTH:
            problems.append(Problem(
                f"Respondent {i + 1} (counting from the first row below the header): the id is {len(external_id):,} characters long; the most "
                f"kept is {EXTERNAL_ID_LENGTH}. Use shorter ids.", file=name, column=id_column))
        for key, limit in (("legal_basis", LEGAL_BASIS_LENGTH),
                           ("consent_version", CONSENT_VERSION_LENGTH)):
            if key in consent_at and len(pool.rows[i][consent_at[key]].strip()) > limit:
                problems.append(Problem(
                    f"Respondent {i + 1} (counting from the first row below the header): the "
                    f"{key.replace('_', ' ')} is "
                    f"{len(pool.rows[i][consent_at[key]].strip()):,} characters long; the most "
                    f"kept is {limit}. Shorten it.", file=name,
                    column=pool.columns[consent_at[key]]))
    return problems


def _household_key(secret: str, salt: str, parts: Sequence[str]) -> str | None:
    """A keyed hash of the address: equal for people at the same address, useless to anyone
    without the server's secret (an unkeyed hash of an address can be guessed)."""
    normalised = [normalise(p) for p in parts]
    if not any(normalised):
        return None
    message = "\x1f".join([salt, *normalised]).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def _profiles(session: Session, assembly_id: int) -> list[tuple[int, dict[str, str]]]:
    rows = session.exec(
        select(Respondent.id, Profile.values)
        .join(Profile, col(Profile.respondent_id) == Respondent.id)
        .where(Respondent.assembly_id == assembly_id, Respondent.erased == False)  # noqa: E712
        .order_by(col(Respondent.id))
    ).all()
    return [(row_id(r[0]), dict(r[1] or {})) for r in rows]


def refresh_pool_counts(session: Session, assembly_id: int, quotas: Quotas) -> None:
    """Count respondents per category; kept after purge for reports and the charter."""
    counts: Counter[tuple[str, str]] = Counter()
    for _, values in _profiles(session, assembly_id):
        by_key = {normalise(f): v for f, v in values.items()}
        for feature in quotas.features:
            value = by_key.get(normalise(feature))
            if value is not None:
                counts[(normalise(feature), normalise(value))] += 1
    session.exec(sa.delete(PoolCount).where(col(PoolCount.assembly_id) == assembly_id))
    session.add_all([
        PoolCount(assembly_id=assembly_id, feature=c.feature, value=c.value,
                  count=counts[c.key])
        for c in quotas.categories
    ] if _profiles_exist(session, assembly_id) else [])
    session.flush()


def _profiles_exist(session: Session, assembly_id: int) -> bool:
    return session.exec(select(Respondent.id).where(Respondent.assembly_id == assembly_id)
                        .limit(1)).first() is not None


def pool_counts(session: Session, assembly_id: int) -> dict[tuple[str, str], int]:
    """{(feature, value) normalised: respondents}, as counted at the last load."""
    rows = session.exec(select(PoolCount).where(PoolCount.assembly_id == assembly_id)).all()
    return {(normalise(r.feature), normalise(r.value)): r.count for r in rows}


def pool_size(session: Session, assembly_id: int) -> int:
    return int(session.exec(
        select(sa.func.count()).select_from(Respondent)
        .where(Respondent.assembly_id == assembly_id, Respondent.erased == False)  # noqa: E712
    ).one())


def ids_from_rows(session: Session, assembly_id: int) -> bool:
    """Are the pool's ids row numbers, because the people file had no id column?"""
    return session.exec(select(Respondent.id_source).where(
        Respondent.assembly_id == assembly_id).limit(1)).first() == "row"


def household_count(session: Session, assembly_id: int) -> int | None:
    """Distinct households, or None when no address columns were given."""
    keys = session.exec(select(Respondent.household_key).where(
        Respondent.assembly_id == assembly_id, Respondent.erased == False)).all()  # noqa: E712
    if not any(k is not None for k in keys):
        return None
    known = {k for k in keys if k is not None}
    return len(known) + sum(1 for k in keys if k is None)


def instance_from_db(session: Session, assembly_id: int, panel_size: int,
                     one_per_household: bool = False) -> Instance:
    """The selection problem from the stored pool and quotas; person i is the i-th respondent
    by id, named by public id (never the external id from the council's spreadsheet)."""
    quotas = stored_quotas(session, assembly_id)
    if quotas is None:
        raise InputError([Problem("There are no quotas yet. Upload a quotas file.")])
    rows = session.exec(
        select(Respondent.public_id, Respondent.household_key, Profile.values)
        .join(Profile, col(Profile.respondent_id) == Respondent.id)
        .where(Respondent.assembly_id == assembly_id, Respondent.erased == False)  # noqa: E712
        .order_by(col(Respondent.id))
    ).all()
    if not rows:
        raise InputError([Problem("There is no pool yet. Upload the people file.")])
    features = quotas.features
    categories = np.zeros((len(rows), len(features)), dtype=np.int64)
    problems: list[Problem] = []
    numbers: dict[str, int] = {}
    households = np.full(len(rows), -1, dtype=np.int64)
    for i, (public, household, values) in enumerate(rows):
        by_key = {normalise(f): v for f, v in (values or {}).items()}
        for f, feature in enumerate(features):
            try:
                categories[i, f] = quotas.index(feature, by_key[normalise(feature)])
            except KeyError:
                problems.append(Problem(
                    f"Respondent {public} has no value in the quotas for {feature}. Upload the "
                    "people file again."))
        if household is not None:
            households[i] = numbers.setdefault(household, len(numbers))
    if problems:
        raise InputError(problems)
    pool = Pool(ids=tuple(r[0] for r in rows), categories=categories, households=households)
    return Instance(pool=pool, quotas=quotas, panel_size=panel_size,
                    one_per_household=one_per_household)


def feasibility(session: Session, assembly: Assembly) -> dict[str, Any] | None:
    """Can a panel meet the saved quotas? The engine's checks and, if not, its smallest fix:
    {"ok", "problems", "advice"}; None while the panel size, quotas or pool are missing."""
    from sortition.io import check_instance
    from sortition.relax import check_feasible

    if not assembly.panel_size or stored_quotas(session, assembly.id or 0) is None \
            or not pool_size(session, assembly.id or 0):
        return None
    try:
        instance = instance_from_db(session, assembly.id or 0, assembly.panel_size)
        check_instance(instance)
        check_feasible(instance)
    except InputError as error:
        return {"ok": False, "problems": [p.message for p in error.summary], "advice": []}
    except InfeasibleQuotas as error:
        headline = str(error).split(" Smallest change")[0]
        return {"ok": False, "problems": [headline], "advice": [str(a) for a in error.advice]}
    return {"ok": True, "problems": [], "advice": []}
