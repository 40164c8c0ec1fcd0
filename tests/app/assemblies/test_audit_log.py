"""An assembly's audit log as officers see it: the page, the JSON Lines and CSV exports, and a
broken chain shown as broken. The chain itself is tested in `tests/app/test_audit.py`."""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from assembly import audit
from assembly.audit import AuditEvent
from tests.app.builders import unprotect_audit_log
from tests.app.flows import post_form


def test_officer_reads_and_exports_the_log(officer_client: TestClient, engine: Engine) -> None:
    response = post_form(officer_client, "/assemblies", {
        "title": "Data and AI", "question": "How should our council use data and AI?"},
        follow_redirects=False)
    assert response.status_code == 303
    assembly_id = int(response.headers["location"].rsplit("/", 1)[1])
    page = officer_client.get(f"/assemblies/{assembly_id}/audit")
    assert page.status_code == 200
    assert "Chain intact." in page.text
    assert "Assembly created" in page.text and "assembly.created" not in page.text
    jsonl = officer_client.get(f"/assemblies/{assembly_id}/audit.jsonl")
    assert jsonl.headers["content-type"].startswith("application/x-ndjson")
    assert "attachment" in jsonl.headers["content-disposition"]
    rows = [json.loads(line) for line in jsonl.text.splitlines()]
    assert [r["action"] for r in rows] == ["assembly.created"]
    assert rows[0]["actor"].startswith("officer:")
    assert audit.verify_events(rows).ok
    csv_text = officer_client.get(f"/assemblies/{assembly_id}/audit.csv").text
    assert audit.verify_events(audit.read_csv_export(csv_text)).ok

    unprotect_audit_log(engine)
    with engine.begin() as connection:
        connection.execute(sa.update(AuditEvent).where(AuditEvent.assembly_id == assembly_id)
                           .values(actor="officer:999"))
    page = officer_client.get(f"/assemblies/{assembly_id}/audit")
    assert "The chain is broken." in page.text
    assert "Event 1:" in page.text
