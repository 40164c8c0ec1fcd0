"""`minipublic publish ASSEMBLY --out DIR` writes the published version byte for byte as the site
serves it, in a folder a council can upload, and the folder recounts."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.testclient import TestClient

from assembly import db
from assembly.publishing.models import PublishedFile
from assembly.settings import Settings
from charter import recount
from charter.cli import main as charter_main
from tests.app.builders import VoteWorld
from tests.app.flows import post_form, run_command


def test_the_folder_holds_the_published_files_and_recounts(
        released: VoteWorld, engine: Engine, settings: Settings, officer_client: TestClient,
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert post_form(officer_client, f"/assemblies/{released.assembly_id}/charter/publish",
                     {}).status_code == 200
    out = tmp_path / "site" / "charter"
    assert run_command(["publish", str(released.assembly_id), "--out", str(out)],
                       monkeypatch, settings) == 0
    printed = capsys.readouterr().out
    assert "Version 1 of the charter" in printed and "sha256sum -c SHA256SUMS" in printed
    with db.session(engine) as session:
        stored = {f.name: f.content for f in session.exec(select(PublishedFile))}
    written = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert written == stored
    for line in (out / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    html = (out / "charter.html").read_text()
    assert "<script" not in html and 'href="charter.pdf"' in html
    assert recount.recount(out / "open-data").matches
    assert charter_main(["recount", str(out / "open-data")]) == 0
    # a tampered file is named, and the recount fails
    votes = out / "open-data" / "votes.csv"
    rows = list(csv.reader(io.StringIO(votes.read_text())))
    rows[1][5] = str(int(rows[1][5]) + 1)      # one more ballot for principle 1's first option
    with votes.open("w", newline="") as file:
        csv.writer(file).writerows(rows)
    capsys.readouterr()
    assert charter_main(["recount", str(out / "open-data")]) == 1
    said = capsys.readouterr().out
    assert "principle 1" in said and "DIFFERS" in said and "votes.csv" in said


def test_a_version_that_does_not_exist_is_named(
        released: VoteWorld, settings: Settings, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_command(["publish", str(released.assembly_id), "--out", str(tmp_path / "x"),
                        "--version", "3"], monkeypatch, settings) == 1
    assert "has no version 3" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
