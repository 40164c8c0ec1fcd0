"""Publishing the charter through the real app on both databases: refused with what is missing,
then published once with every file and its sha256; versions that never change (the database
refuses it), the council's response in a new version, and the public pages that serve them with
no cookie."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col, func, select
from starlette.testclient import TestClient

from assembly import audit, db
from assembly.deliberation.models import Round
from assembly.publishing.models import CouncilResponse, PublishedCharter, PublishedFile
from charter import recount, tallies
from tests.app.builders import VoteWorld, hold_vote
from tests.app.clocks import T0, Clock
from tests.app.flows import post_form


def charter_url(world: VoteWorld, tail: str = "") -> str:
    return f"/assemblies/{world.assembly_id}/charter{tail}"


def published(engine: Engine, assembly_id: int) -> int:
    with db.session(engine) as session:
        return int(session.exec(select(func.count()).select_from(PublishedCharter)
                                .where(PublishedCharter.assembly_id == assembly_id)).one())


def publish_now(client: TestClient, world: VoteWorld, changes: str = "") -> str:
    response = post_form(client, charter_url(world, "/publish"), {"publish-changes": changes})
    assert response.status_code == 200, response.text
    return response.text


def test_publishing_is_refused_until_the_results_are_released(
        world: VoteWorld, engine: Engine, clock: Clock, officer_client: TestClient) -> None:
    clock.now = T0 + timedelta(hours=2)   # the vote is open
    page = unescape(officer_client.get(charter_url(world)).text)
    assert "Not yet." in page and "“Voting on the charter” is still open" in page
    refused = post_form(officer_client, charter_url(world, "/publish"), {})
    assert refused.status_code == 409 and "cannot be published yet" in refused.text
    hold_vote(engine, clock, world, release=False)   # closed and sealed, not released
    refused = post_form(officer_client, charter_url(world, "/publish"), {})
    assert refused.status_code == 409 and "are not released: release them" in unescape(refused.text)
    assert published(engine, world.assembly_id) == 0
    with db.session(engine) as session:
        assert not [e for e in audit.events(session, world.assembly_id)
                    if e.action == "charter.published"]


def test_a_vote_that_adopted_nothing_is_not_a_charter(
        world: VoteWorld, engine: Engine, clock: Clock, officer_client: TestClient) -> None:
    hold_vote(engine, clock, world, [("disagree",) * 3] * 6)
    refused = post_form(officer_client, charter_url(world, "/publish"), {})
    assert refused.status_code == 409 and "adopted" in refused.text
    assert published(engine, world.assembly_id) == 0


def test_a_published_version_holds_every_file_with_its_sha256(
        released: VoteWorld, engine: Engine, officer_client: TestClient,
        client: TestClient) -> None:
    world = released
    shown = publish_now(officer_client, world)
    assert "Version 1 of the charter is published." in shown
    with db.session(engine) as session:
        charter = session.exec(select(PublishedCharter)).one()
        files = {f.name: f for f in session.exec(select(PublishedFile)
                                                 .where(PublishedFile.charter_id == charter.id))}
    assert {"charter.html", "charter.pdf", "easy-read.pdf", "open-data.zip", "SHA256SUMS",
            "open-data/datapackage.json", "open-data/tallies.json",
            "open-data/responses.csv"} <= set(files)
    sums = files["SHA256SUMS"].content.decode().splitlines()
    assert len(sums) == len(files) - 1
    for line in sums:
        digest, name = line.split("  ", 1)
        assert hashlib.sha256(files[name].content).hexdigest() == digest == files[name].sha256
    assert charter.digest == hashlib.sha256(files["SHA256SUMS"].content).hexdigest()
    with zipfile.ZipFile(io.BytesIO(files["open-data.zip"].content)) as archive:
        for name in archive.namelist():
            assert archive.read(name) == files["open-data/" + name].content
    assert files["charter.pdf"].content.startswith(b"%PDF-")
    # served to anyone, byte for byte, with no cookie and no script allowed
    latest = client.get(f"/charters/{world.assembly_id}/", follow_redirects=False)
    assert latest.status_code == 302
    assert latest.headers["location"].endswith(f"/charters/{world.assembly_id}/v1/")
    page = client.get(latest.headers["location"])
    assert page.status_code == 200 and page.content == files["charter.html"].content
    assert "set-cookie" not in page.headers
    assert "script-src" not in page.headers["content-security-policy"]
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "'sha256-" in page.headers["content-security-policy"]
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    # compressed once for everyone, readers coming from another site included
    linked = client.get(latest.headers["location"], headers={"Sec-Fetch-Site": "cross-site"})
    assert linked.headers["content-encoding"] == "gzip"
    assert linked.content == files["charter.html"].content
    pdf = client.get(f"/charters/{world.assembly_id}/v1/charter.pdf")
    assert pdf.content == files["charter.pdf"].content
    assert pdf.headers["content-type"] == "application/pdf"
    assert "immutable" in pdf.headers["cache-control"]
    csv = client.get(f"/charters/{world.assembly_id}/v1/open-data/votes.csv")
    assert csv.content == files["open-data/votes.csv"].content
    again = client.get(f"/charters/{world.assembly_id}/v1/charter.pdf",
                       headers={"If-None-Match": pdf.headers["etag"]})
    assert again.status_code == 304
    assert client.get(f"/charters/{world.assembly_id}/v1/nothing.txt").status_code == 404
    assert client.get(f"/charters/{world.assembly_id}/v2/").status_code == 404
    # the figures of the page are those of the sealed tallies
    figures = json.loads(files["open-data/tallies.json"].content)["principles"]
    text = files["charter.html"].content.decode()
    for entry in figures:
        assert tallies.percent(entry["figures"]["share_agree"]) in text
    with db.session(engine) as session:
        events = [e for e in audit.events(session, world.assembly_id)
                  if e.action == "charter.published"]
    assert len(events) == 1 and events[0].details["digest"] == charter.digest


def test_the_open_data_recounts(released: VoteWorld, engine: Engine,
                                officer_client: TestClient, tmp_path: Path) -> None:
    publish_now(officer_client, released)
    with db.session(engine) as session:
        rows = session.exec(select(PublishedFile).where(
            col(PublishedFile.name).startswith("open-data/"))).all()
        folder = tmp_path / "open-data"
        for row in rows:
            path = folder / row.name.removeprefix("open-data/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(row.content)
    report = recount.recount(folder)
    assert report.matches, report.differences
    assert len(report.principles) == 3


def test_published_versions_cannot_be_changed_or_deleted(
        released: VoteWorld, engine: Engine, officer_client: TestClient) -> None:
    publish_now(officer_client, released)
    for statement in ("UPDATE published_charter SET changes = 'rewritten'",
                      "DELETE FROM published_charter",
                      "UPDATE published_file SET content = :data",
                      "DELETE FROM published_file"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), \
                engine.begin() as connection:
            connection.execute(sa.text(statement), {"data": b"forged"})
    with db.session(engine) as session:
        charter = session.exec(select(PublishedCharter)).one()
        assert charter.changes == ""
        assert all(f.content != b"forged" for f in session.exec(select(PublishedFile)))


def test_the_council_responds_and_a_new_version_says_what_changed(
        released: VoteWorld, engine: Engine, clock: Clock, officer_client: TestClient,
        client: TestClient) -> None:
    world = released
    publish_now(officer_client, world)
    first = world.principle_ids[0]
    respond = charter_url(world, f"/responses/{first}")
    bad = post_form(officer_client, respond, {f"{first}-status": "maybe",
                                              f"{first}-reasons": "", f"{first}-responded_on": ""})
    assert bad.status_code == 422 and "Choose the council's answer" in unescape(bad.text)
    future = (clock.now + timedelta(days=3)).date().isoformat()
    bad = post_form(officer_client, respond, {f"{first}-status": "accepted",
                                              f"{first}-reasons": "We will.",
                                              f"{first}-responded_on": future})
    assert bad.status_code == 422 and "in the future" in bad.text
    with db.session(engine) as session:
        assert session.exec(select(CouncilResponse)).all() == []
    saved = post_form(officer_client, respond, {
        f"{first}-status": "accepted_in_part",
        f"{first}-reasons": "We will publish the register, but not the source code.",
        f"{first}-responded_on": clock.now.date().isoformat()})
    assert saved.status_code == 200 and "Response to principle 1 saved" in saved.text
    refused = post_form(officer_client, charter_url(world, "/publish"), {"publish-changes": ""})
    assert refused.status_code == 409 and "Say what changed since version 1" in unescape(refused.text)
    publish_now(officer_client, world, "Adds the council's response to principle 1.")
    newest = client.get(f"/charters/{world.assembly_id}/", follow_redirects=True)
    assert newest.url.path == f"/charters/{world.assembly_id}/v2/"
    assert "We will publish the register, but not the source code." in unescape(newest.text)
    assert "Accepted in part" in newest.text
    older = client.get(f"/charters/{world.assembly_id}/v1/").text
    assert "a newer version (2) has been published" in older
    assert "We will publish the register" not in older
    versions = unescape(client.get(f"/charters/{world.assembly_id}/versions").text)
    assert "Adds the council's response to principle 1." in versions
    assert versions.index("Version 2") < versions.index("Version 1")
    index = client.get("/charters")
    assert index.status_code == 200 and "set-cookie" not in index.headers
    assert f"/charters/{world.assembly_id}/" in index.text


def test_an_open_round_stops_publishing_a_correction(
        released: VoteWorld, engine: Engine, clock: Clock, officer_client: TestClient) -> None:
    publish_now(officer_client, released)
    with db.session(engine, write=True) as session:
        session.add(Round(assembly_id=released.assembly_id, position=5, kind="learn",
                          title="Follow-up evidence", opens_at=clock.now - timedelta(hours=1),
                          closes_at=clock.now + timedelta(days=7)))
    refused = post_form(officer_client, charter_url(released, "/publish"),
                        {"publish-changes": "A correction."})
    assert refused.status_code == 409 and "Follow-up evidence" in refused.text
    assert published(engine, released.assembly_id) == 1


def test_the_preview_is_for_officers_and_says_it_is_not_published(
        released: VoteWorld, officer_client: TestClient, client: TestClient) -> None:
    preview = officer_client.get(charter_url(released, "/preview"))
    assert preview.status_code == 200 and "Preview." in preview.text
    assert re.search(r"Open by default", preview.text)
    assert client.get(charter_url(released, "/preview"), follow_redirects=False
                      ).status_code in (302, 303, 401)
