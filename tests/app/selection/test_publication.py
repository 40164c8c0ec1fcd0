"""What a run lets officers publish, and the auditor's pack, through the real app.

The public files name nobody and hold nobody's answers, yet `minipublic verify` checks the
commitment and the draw from them alone; with the auditor's pack it opens every hash and checks
every ticket; and the draw replays from the downloads.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from assembly.audit import AuditEvent
from assembly.privacy import personal_data
from assembly.recruitment.models import Contact, Profile, Respondent
from assembly.selection import panel
from assembly.selection.models import SelectionRun
from assembly.settings import Settings
from sortition import csvsafe
from sortition.cli import main
from tests.app.builders import synthetic
from tests.app.flows import loaded, make_client, post_form, start, wait_for

SEED = "07 19 23 31 42 48"
PUBLIC = ("pool.csv", "quotas.csv", "lottery.csv", "pool-summary.csv", "commitment.json")


def _download_public(client: TestClient, assembly_id: int, url: str, folder: Path) -> list[str]:
    """Every file the run page offers to publish, saved into `folder`; their names."""
    page = client.get(url).text
    names = re.findall(rf'href="{re.escape(url)}/files/([^"]+)"', page)
    folder.mkdir()
    for name in names:
        response = client.get(f"{url}/files/{name}")
        assert response.status_code == 200, name
        (folder / name).write_bytes(response.content)
    return names


@pytest.mark.slow
def test_public_files_reveal_no_answers_and_verify_with_and_without_the_auditors_pack(
        officer_client: TestClient, dbs: Callable, app, settings: Settings, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    assembly_id = loaded(officer_client, synthetic())
    url = start(officer_client, assembly_id)
    wait_for(officer_client, url)
    response = post_form(officer_client, f"{url}/draw", {"seed": SEED, "confirm": "yes"},
                         follow_redirects=False)
    assert response.status_code == 303

    public = tmp_path / "public"
    names = _download_public(officer_client, assembly_id, url, public)
    assert sorted(names) == sorted((*PUBLIC, "draw.json"))

    with dbs() as session:
        run = session.exec(select(SelectionRun).where(
            SelectionRun.assembly_id == assembly_id)).one()
        respondents = session.exec(select(Respondent).where(
            Respondent.assembly_id == assembly_id)).all()
        profiles = {r.id: dict(session.get(Profile, r.id).values) for r in respondents}
        contacts = [session.get(Contact, r.id) for r in respondents]
        members = panel.panel_members(session, assembly_id)
        panel_profiles = Counter(tuple(sorted(profiles[m.respondent_id].items()))
                                 for m in members)
    assert run.options["suppress_below"] == settings.suppress_below

    # No answer, id, name or e-mail address in what is published: pool.csv and lottery.csv are
    # numbers and salted hashes, draw.json person numbers; category names appear only in the
    # quotas and in pool-summary.csv, whose counts are never below the threshold.
    values = {v for p in profiles.values() for v in p.values()}
    identities = {r.public_id for r in respondents} | {
        c.email for c in contacts if c and c.email} | {c.name for c in contacts if c}
    for name in ("pool.csv", "lottery.csv"):
        rows = csvsafe.read_rows((public / name).read_text())
        assert all(re.fullmatch(r"\d+", row[0]) and re.fullmatch(r"[0-9a-f]{64}", row[1])
                   for row in rows[1:]), name
    record = json.loads((public / "draw.json").read_text())
    assert set(record) == {"scheme", "commitment", "seed", "ticket", "lottery_size", "panel",
                           "salt"}
    assert all(isinstance(p, int) for p in record["panel"]) and len(record["panel"]) == 12
    text = "".join((public / name).read_text() for name in names)
    assert not any(identity in text for identity in identities)
    summary = csvsafe.read_rows((public / "pool-summary.csv").read_text())[1:]
    assert all(c == "" or int(c) >= settings.suppress_below for _, _, c in summary)
    for name in ("pool.csv", "lottery.csv", "draw.json", "commitment.json"):
        cells = set(re.split(r'[,\s"\[\]{}:]+', (public / name).read_text()))
        assert not cells & values, name

    # Anyone: the public checks pass on the downloads alone.
    capsys.readouterr()
    assert main(["verify", str(public), "--commitment", run.commitment]) == 0
    out = capsys.readouterr().out
    assert "Verification passed" in out and "the auditor's files are not here" in out
    assert f"draw.json opens ticket {record['ticket']}" in out

    # The auditor's pack: officers only, recorded in the audit log.
    anonymous = make_client(app)
    assert anonymous.get(f"{url}/auditor-pack", follow_redirects=False).status_code in (303, 401)
    pack = officer_client.get(f"{url}/auditor-pack")
    assert pack.status_code == 200 and pack.headers["content-type"] == "application/zip"
    assert pack.headers["cache-control"] == "no-store"
    with dbs() as session:
        events = session.exec(select(AuditEvent).where(
            AuditEvent.assembly_id == assembly_id,
            AuditEvent.action == "selection.auditor_pack_downloaded")).all()
    assert len(events) == 1 and events[0].details["run"] == run.id
    assert events[0].actor.startswith("officer:")
    auditor = tmp_path / "auditor"
    auditor.mkdir()
    for name in PUBLIC + ("draw.json",):
        (auditor / name).write_bytes((public / name).read_bytes())
    with zipfile.ZipFile(io.BytesIO(pack.content)) as archive:
        assert sorted(archive.namelist()) == ["README.txt", "profiles.csv", "tickets.csv"]
        archive.extract("profiles.csv", auditor)
        archive.extract("tickets.csv", auditor)
    assert main(["verify", str(auditor)]) == 0
    out = capsys.readouterr().out
    assert "all 120 profiles and 1,000 tickets open to their committed hashes" in out
    assert "all 1,000 tickets hold panels that meet every quota" in out

    # The person numbers on draw.json are the panel the app recorded: same answers.
    rows = csvsafe.read_rows((auditor / "profiles.csv").read_text())
    header, by_person = rows[0], {int(row[0]): row for row in rows[1:]}
    features = header[2:]
    opened = Counter(tuple(sorted(zip(features, by_person[p][2:]))) for p in record["panel"])
    assert opened == panel_profiles

    # The draw replays from the downloads: same ticket, same draw.json.
    replay = tmp_path / "replay"
    replay.mkdir()
    for name in (*PUBLIC, "profiles.csv", "tickets.csv"):
        (replay / name).write_bytes((auditor / name).read_bytes())
    assert main(["draw", str(replay), "--seed", " 07 19  23 31 42 48"]) == 0
    assert json.loads((replay / "draw.json").read_text()) == record

    # A changed byte in any downloaded file is caught.
    for name in (*PUBLIC, "profiles.csv", "tickets.csv", "draw.json"):
        data = bytearray((auditor / name).read_bytes())
        original = bytes(data)
        position = len(data) // 2
        data[position] = ord("0") if data[position] != ord("0") else ord("1")
        (auditor / name).write_bytes(bytes(data))
        assert main(["verify", str(auditor)]) != 0, name
        (auditor / name).write_bytes(original)
    assert main(["verify", str(auditor)]) == 0

    # Erasure on request blanks the person's answers in the auditor's files too; the auditor
    # is told whose row was erased and which tickets could not be checked.
    with dbs() as session:
        on_panel = {m.respondent_id for m in members}
        leaving = next(r for r in respondents if r.id not in on_panel)
    with dbs(write=True) as session:
        assert personal_data.erase(session, session.get(Respondent, leaving.id), "officer:1")
    person = run.lottery["auditor_people"].index(leaving.public_id) + 1
    pack = officer_client.get(f"{url}/auditor-pack")
    with zipfile.ZipFile(io.BytesIO(pack.content)) as archive:
        archive.extract("profiles.csv", auditor)
    row = csvsafe.read_rows((auditor / "profiles.csv").read_text())[person]
    assert row[0] == str(person) and row[2:] == [""] * (len(row) - 2)
    assert profiles[leaving.id] and not set(profiles[leaving.id].values()) & set(row)
    capsys.readouterr()
    assert main(["verify", str(auditor)]) == 0
    out = capsys.readouterr().out
    assert f"1 person(s) had their answers erased at their request (person {person})" in out


def test_files_of_runs_made_before_the_salted_commitment_are_never_served(
        officer_client: TestClient, engine, dbs: Callable) -> None:
    """Runs from before commitment 2 kept a pool.csv with everyone's answers: not served."""
    from tests.app.builders import drawn_panel

    drawn = drawn_panel(engine)
    with dbs(write=True) as session:
        run = session.exec(select(SelectionRun).where(
            SelectionRun.assembly_id == drawn.assembly_id)).one()
        run.lottery = {**run.lottery, "files": {
            "pool.csv": "row,Age\n1,16-29\n",
            "commitment.json": json.dumps({"scheme": "minipublic lottery commitment 1"})}}
        session.add(run)
        run_id = run.id
    base = f"/assemblies/{drawn.assembly_id}/runs/{run_id}/files"
    assert officer_client.get(f"{base}/pool.csv").status_code == 404
    assert officer_client.get(f"{base}/commitment.json").status_code == 404
