"""The audit log: a hash chain per assembly that verifies, detects tampering and exports. The
officers' page of the log is tested in `tests/app/assemblies/test_audit_log.py`."""

from __future__ import annotations

import json
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from assembly import audit, db
from assembly.assemblies.models import Assembly
from assembly.audit import AuditEvent
from tests.app.builders import unprotect_audit_log


def make_assembly(engine: Engine) -> int:
    with db.session(engine, write=True) as session:
        assembly = Assembly(title="Audit test", question="Is it intact?")
        session.add(assembly)
        session.flush()
        assert assembly.id is not None
        return assembly.id


def test_chain_links_each_event_to_the_previous(engine: Engine) -> None:
    assembly_id = make_assembly(engine)
    with db.session(engine, write=True) as session:
        first = audit.record(session, assembly_id, "officer:1", "pool.uploaded", {"respondents": 300})
        second = audit.record(session, assembly_id, "officer:1", "quotas.edited",
                              {"panel_size": 30, "ratio": 0.1, "ids": ["a", "b"]})
        other = audit.record(session, assembly_id + 1000, "system", "x", {})
    assert (first.seq, second.seq, other.seq) == (1, 2, 1)
    assert first.prev_hash == audit.GENESIS
    assert second.prev_hash == first.hash
    body = audit.event_body(assembly_id, 2, second.at, "officer:1", "quotas.edited",
                            {"panel_size": 30, "ratio": 0.1, "ids": ["a", "b"]})
    assert second.hash == audit.chain_hash(first.hash, body)
    with db.session(engine) as session:
        check = audit.verify_chain(session, assembly_id)
    assert check.ok and check.events == 2
    assert str(check) == "All 2 events are intact: every hash matches."


def test_event_rolls_back_with_the_change_it_describes(engine: Engine) -> None:
    assembly_id = make_assembly(engine)
    with pytest.raises(RuntimeError):
        with db.session(engine, write=True) as session:
            audit.record(session, assembly_id, "officer:1", "assembly.edited", {"fields": ["title"]})
            raise RuntimeError("the edit failed")
    with db.session(engine) as session:
        assert audit.count(session, assembly_id) == 0


@pytest.mark.parametrize("details", [
    {"email": "x"}, {"name": "Ann"}, {"nested": {"postcode": "AB1 2CD"}},
    {"who": "ann@example.org"}, {"list": ["ok", "bob@example.com"]},
])
def test_personal_data_is_refused(engine: Engine, details: dict) -> None:
    assembly_id = make_assembly(engine)
    with db.session(engine, write=True) as session:
        with pytest.raises(audit.PersonalDataInAudit):
            audit.record(session, assembly_id, "officer:1", "x", details)


def test_concurrent_writers_get_distinct_positions(engine: Engine) -> None:
    assembly_id = make_assembly(engine)
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def write(number: int) -> None:
        try:
            barrier.wait()
            for _ in range(5):
                with db.session(engine, write=True) as session:
                    audit.record(session, assembly_id, f"officer:{number}", "test.race", {"n": number})
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with db.session(engine) as session:
        events = audit.events(session, assembly_id)
        assert [e.seq for e in events] == list(range(1, 41))
        assert audit.verify_chain(session, assembly_id).ok


def _three_events(engine: Engine) -> int:
    assembly_id = make_assembly(engine)
    with db.session(engine, write=True) as session:
        for i in range(3):
            audit.record(session, assembly_id, "officer:1", "step", {"n": i})
    return assembly_id


def test_database_refuses_changes_to_the_log(engine: Engine) -> None:
    assembly_id = _three_events(engine)
    with pytest.raises(sa.exc.DBAPIError):
        with engine.begin() as connection:
            connection.execute(sa.update(AuditEvent).where(AuditEvent.assembly_id == assembly_id)
                               .values(action="changed"))
    with pytest.raises(sa.exc.DBAPIError):
        with engine.begin() as connection:
            connection.execute(sa.delete(AuditEvent).where(AuditEvent.assembly_id == assembly_id))


def test_changed_event_is_detected(engine: Engine) -> None:
    assembly_id = _three_events(engine)
    unprotect_audit_log(engine)
    with engine.begin() as connection:
        connection.execute(sa.update(AuditEvent).where(
            AuditEvent.assembly_id == assembly_id, AuditEvent.seq == 2).values(details={"n": 7}))
    with db.session(engine) as session:
        check = audit.verify_chain(session, assembly_id)
    assert not check.ok and check.seq == 2
    assert "changed after it was written" in check.problem


def test_removed_event_is_detected(engine: Engine) -> None:
    assembly_id = _three_events(engine)
    unprotect_audit_log(engine)
    with engine.begin() as connection:
        connection.execute(sa.delete(AuditEvent).where(
            AuditEvent.assembly_id == assembly_id, AuditEvent.seq == 2))
    with db.session(engine) as session:
        check = audit.verify_chain(session, assembly_id)
    assert not check.ok and check.seq == 3
    assert "missing" in check.problem


def test_rewritten_event_with_fresh_hash_breaks_the_next_link(engine: Engine) -> None:
    assembly_id = _three_events(engine)
    unprotect_audit_log(engine)
    with db.session(engine) as session:
        first, second, _ = audit.events(session, assembly_id)
    body = audit.event_body(assembly_id, 2, second.at, "officer:1", "step", {"n": 99})
    with engine.begin() as connection:
        connection.execute(sa.update(AuditEvent).where(AuditEvent.id == second.id).values(
            details={"n": 99}, hash=audit.chain_hash(first.hash, body)))
    with db.session(engine) as session:
        check = audit.verify_chain(session, assembly_id)
    assert not check.ok and check.seq == 3
    assert "link to the previous event" in check.problem


def test_exports_verify_on_their_own(engine: Engine) -> None:
    assembly_id = _three_events(engine)
    with db.session(engine) as session:
        jsonl = audit.export_jsonl(session, assembly_id)
        text = audit.export_csv(session, assembly_id)
    rows = [json.loads(line) for line in jsonl.splitlines()]
    assert [r["seq"] for r in rows] == [1, 2, 3]
    assert audit.verify_events(rows).ok
    rows[1]["details"]["n"] = 5
    assert not audit.verify_events(rows).ok
    from_csv = audit.read_csv_export(text)
    assert text.splitlines()[0] == ",".join(audit.EXPORT_COLUMNS)
    assert audit.verify_events(from_csv).ok
