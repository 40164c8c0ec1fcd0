"""The append-only, hash-chained audit log.

Each assembly has its own chain (assembly 0 is the system chain). An event's hash is
sha256(previous hash + canonical JSON of the event), so changing, removing or reordering any
past event breaks every hash after it, and anyone holding an exported copy can check it with a
few lines of code. The database refuses UPDATE and DELETE on the table (triggers in the initial
migration); the chain is what shows tampering by someone who can get round that.

Details refer to people by public id only: never names, e-mail addresses, addresses or
demographic values, because the log is kept longer than the personal data it describes.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from assembly.tables import json_field, utcnow, when
from sortition import csvsafe

GENESIS = "0" * 64
SYSTEM = 0  # assembly id of the system-wide chain
RETRIES = 20
AUDIT_LOCK = 0x61756474  # advisory lock class for audit chains ("audt")

# Keys that would put personal data in the log; refused outright so a careless caller fails in
# tests rather than leaking into a record that outlives the purge.
PERSONAL_KEYS = frozenset({
    "name", "first_name", "last_name", "full_name", "email", "e_mail", "phone", "telephone",
    "mobile", "address", "address_line_1", "address_line_2", "address_line_3", "town",
    "postcode", "post_code", "zip", "profile", "demographics", "contact", "password",
})
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class AuditEvent(SQLModel, table=True):
    """Append-only, hash-chained record of every step (per assembly; assembly 0 = system-wide).

    hash = sha256(prev_hash + canonical JSON of the event). UNIQUE(assembly_id, seq) makes two
    writers racing for the same position fail instead of forking the chain. Database triggers
    (see the initial migration) refuse UPDATE and DELETE. `details` never holds personal data:
    refer to respondents and members by public id.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        sa.UniqueConstraint("assembly_id", "seq", name="uq_audit_event_seq"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Not a foreign key: 0 is the system chain, and the log must outlive what it describes.
    assembly_id: int = Field(index=True)
    seq: int
    at: datetime = when()
    actor: str = Field(max_length=200)
    action: str = Field(max_length=100)
    details: dict[str, Any] = json_field()
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class PersonalDataInAudit(ValueError):
    """A caller tried to write personal data into the audit log."""


def canonical_json(value: Any) -> str:
    """One spelling per value: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def timestamp(at: datetime) -> str:
    """The event time as hashed: UTC, microseconds, so both databases give the same text."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_body(assembly_id: int, seq: int, at: datetime, actor: str, action: str,
               details: Mapping[str, Any]) -> dict[str, Any]:
    """The fields the hash covers (everything except the hashes themselves)."""
    return {
        "assembly": assembly_id,
        "seq": seq,
        "at": timestamp(at),
        "actor": actor,
        "action": action,
        "details": dict(details),
    }


def chain_hash(prev_hash: str, body: Mapping[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(body)).encode("utf-8")).hexdigest()


def check_details(details: Any, path: str = "details") -> None:
    """Refuse personal data and values JSON cannot carry exactly."""
    if isinstance(details, Mapping):
        for key, value in details.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: keys must be strings, not {key!r}")
            if key.casefold() in PERSONAL_KEYS:
                raise PersonalDataInAudit(
                    f"{path}.{key}: the audit log must not hold personal data; refer to people "
                    "by their public id")
            check_details(value, f"{path}.{key}")
    elif isinstance(details, list | tuple):
        for i, value in enumerate(details):
            check_details(value, f"{path}[{i}]")
    elif isinstance(details, str):
        if _EMAIL.search(details):
            raise PersonalDataInAudit(f"{path}: looks like an e-mail address")
    elif isinstance(details, float):
        if details != details or details in (float("inf"), float("-inf")):
            raise ValueError(f"{path}: not a finite number")
    elif details is not None and not isinstance(details, bool | int):
        raise TypeError(f"{path}: {type(details).__name__} cannot go in the audit log")


def record(session: Session, assembly_id: int, actor: str, action: str,
           details: Mapping[str, Any] | None = None) -> AuditEvent:
    """Append one event to the assembly's chain, inside the caller's transaction.

    The event commits or rolls back with the change it describes. Two writers racing for the
    same position: on PostgreSQL a transaction-level advisory lock per chain queues them; on
    SQLite `db.session(engine, write=True)` (BEGIN IMMEDIATE) does. Behind both,
    UNIQUE(assembly_id, seq) makes a second insert at the same position fail, and it retries on
    top of the winner (in a savepoint, so the caller's work is kept).
    """
    details = dict(details or {})
    check_details(details)
    check_details(actor, "actor")
    if session.get_bind().dialect.name == "postgresql":
        # Queue appenders to this chain until the end of their transactions: without it, many
        # writers racing for the same position starve one another through the retries below.
        session.exec(select(sa.func.pg_advisory_xact_lock(AUDIT_LOCK, assembly_id)))
    for _ in range(RETRIES):
        last = session.exec(
            select(AuditEvent.seq, AuditEvent.hash)
            .where(AuditEvent.assembly_id == assembly_id)
            .order_by(col(AuditEvent.seq).desc())
            .limit(1)
        ).first()
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
        at = utcnow()
        body = event_body(assembly_id, seq, at, actor, action, details)
        # Store what was hashed (the JSON round trip), so verification sees the same values.
        event = AuditEvent(
            assembly_id=assembly_id, seq=seq, at=at, actor=actor, action=action,
            details=json.loads(canonical_json(details)), prev_hash=prev_hash,
            hash=chain_hash(prev_hash, body),
        )
        try:
            with session.begin_nested():
                session.add(event)
        except IntegrityError:
            continue
        return event
    raise RuntimeError(f"could not append to the audit log of assembly {assembly_id} "
                       f"after {RETRIES} attempts")


def events(session: Session, assembly_id: int, *, newest_first: bool = False,
           limit: int | None = None, offset: int = 0) -> list[AuditEvent]:
    order = col(AuditEvent.seq).desc() if newest_first else col(AuditEvent.seq).asc()
    query = (select(AuditEvent).where(AuditEvent.assembly_id == assembly_id)
             .order_by(order).offset(offset))
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query).all())


def count(session: Session, assembly_id: int) -> int:
    return int(session.exec(
        select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.assembly_id == assembly_id)
    ).one())


@dataclass(frozen=True)
class ChainCheck:
    """The result of checking a chain: `ok`, or the first event that does not fit and why."""

    ok: bool
    events: int
    seq: int | None = None
    problem: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"All {self.events} events are intact: every hash matches."
        return f"Event {self.seq}: {self.problem}"


def verify_events(rows: Iterable[Mapping[str, Any] | AuditEvent]) -> ChainCheck:
    """Check a chain given as model rows or exported dictionaries, in sequence order."""
    prev_hash, expected_seq, seen = GENESIS, 1, 0
    for row in rows:
        item = _as_dict(row)
        seen += 1
        seq = item["seq"]
        if seq != expected_seq:
            return ChainCheck(False, seen, seq, f"expected event number {expected_seq}; an "
                              "event is missing or out of order")
        if item["prev_hash"] != prev_hash:
            return ChainCheck(False, seen, seq, "its link to the previous event is wrong; an "
                              "earlier event was changed, removed or inserted")
        at = item["at"]
        body = {
            "assembly": item["assembly"], "seq": seq,
            "at": at if isinstance(at, str) else timestamp(at),
            "actor": item["actor"], "action": item["action"], "details": item["details"],
        }
        if chain_hash(prev_hash, body) != item["hash"]:
            return ChainCheck(False, seen, seq, "its contents do not match its hash; the event "
                              "was changed after it was written")
        prev_hash, expected_seq = item["hash"], seq + 1
    return ChainCheck(True, seen)


def verify_chain(session: Session, assembly_id: int) -> ChainCheck:
    """Recompute every hash of the assembly's chain from the stored events."""
    return verify_events(events(session, assembly_id))


def _as_dict(row: Mapping[str, Any] | AuditEvent) -> dict[str, Any]:
    if isinstance(row, AuditEvent):
        return {
            "assembly": row.assembly_id, "seq": row.seq, "at": row.at, "actor": row.actor,
            "action": row.action, "details": row.details, "prev_hash": row.prev_hash,
            "hash": row.hash,
        }
    return dict(row)


def exported(event: AuditEvent) -> dict[str, Any]:
    """An event as published: exactly the hashed fields plus the two hashes."""
    item = _as_dict(event)
    item["at"] = timestamp(event.at)
    return item


EXPORT_COLUMNS = ("assembly", "seq", "at", "actor", "action", "details", "prev_hash", "hash")


def export_jsonl(session: Session, assembly_id: int) -> str:
    """One JSON object per line; `verify_events(json.loads(line) for line in ...)` checks it."""
    return "".join(canonical_json(exported(e)) + "\n" for e in events(session, assembly_id))


def export_csv(session: Session, assembly_id: int) -> str:
    """The same as CSV for spreadsheets; `details` is its canonical JSON text."""
    rows: list[list[Any]] = [list(EXPORT_COLUMNS)]
    for event in events(session, assembly_id):
        item = exported(event)
        item["details"] = canonical_json(item["details"])
        rows.append([item[c] for c in EXPORT_COLUMNS])
    return csvsafe.text(rows, lineterminator="\r\n")


def read_csv_export(text: str) -> list[dict[str, Any]]:
    """Rows of a CSV export, typed back, ready for `verify_events`."""
    rows = []
    records = csvsafe.read_rows(text)
    header = records[0] if records else []
    for values in records[1:]:
        item = dict(zip(header, values))
        rows.append({
            **item,
            "assembly": int(item["assembly"]),
            "seq": int(item["seq"]),
            "details": json.loads(item["details"]),
        })
    return rows
