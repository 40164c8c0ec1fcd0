"""The draw anyone can replay, from what the web app offers for download (issue 8, item 7).

Every file is fetched through the real app, written to a folder and given to the real command
line: before the draw `verify` says what it checked and that no draw has been made yet, and
`draw` names the ticket the seed will pick; after the draw the published files (one by one or
as the one ZIP) replay to the same ticket, with and without the auditor's pack.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from sortition.cli import main
from tests.app.flows import loaded, post_form, start, wait_for

SEED = "07 19 23 31 42 48"


def _offered(client: TestClient, url: str) -> list[str]:
    """The names of the files the run page offers, one link each."""
    return re.findall(rf'href="{re.escape(url)}/files/([^"]+)"', client.get(url).text)


def _download(client: TestClient, url: str, folder: Path) -> list[str]:
    """Every file the run page offers, fetched one by one into `folder`; their names."""
    folder.mkdir()
    names = _offered(client, url)
    for name in names:
        response = client.get(f"{url}/files/{name}")
        assert response.status_code == 200, name
        (folder / name).write_bytes(response.content)
    return names


def _unzip(data: bytes, folder: Path, names: tuple[str, ...] | None = None) -> list[str]:
    folder.mkdir(exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.namelist()
        for name in names or members:
            archive.extract(name, folder)
    return members


@pytest.mark.slow
def test_the_draw_replays_from_the_web_apps_downloads(
        officer_client: TestClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assembly_id = loaded(officer_client)
    url = start(officer_client, assembly_id)
    wait_for(officer_client, url)

    # Before the draw: verify says what it checked and that there is no draw yet.
    before = tmp_path / "before"
    names = _download(officer_client, url, before)
    assert "draw.json" not in names and "commitment.json" in names
    capsys.readouterr()
    assert main(["verify", str(before)]) == 0
    out = capsys.readouterr().out
    assert "No draw has been made yet" in out
    assert "the draw and the panel all match" not in out
    assert re.search(r"commitment [0-9a-f]{64} recomputed", out)

    # Anyone with the public files can say which ticket a seed picks, without a crash.
    assert main(["draw", str(before), "--seed", SEED]) == 0
    out = capsys.readouterr().out
    picked = int(re.search(r"picks ticket (\d+) of", out).group(1))
    assert not (before / "draw.json").exists()

    # With the auditor's pack the officer's draw replays from the downloads before the draw.
    pack = officer_client.get(f"{url}/auditor-pack")
    assert pack.status_code == 200
    replay = tmp_path / "replay"
    replay.mkdir()
    for name in names:
        (replay / name).write_bytes((before / name).read_bytes())
    _unzip(pack.content, replay, ("profiles.csv", "tickets.csv"))
    assert main(["draw", str(replay), "--seed", SEED]) == 0
    out = capsys.readouterr().out
    assert f"drew ticket {picked} of" in out

    # The public draw in the web app picks the same ticket.
    response = post_form(officer_client, f"{url}/draw", {"seed": SEED, "confirm": "yes"},
                         follow_redirects=False)
    assert response.status_code == 303
    assert f"ticket number {picked}" in officer_client.get(url).text

    # After the draw the run page offers every file needed, one by one and as one ZIP.
    after = tmp_path / "after"
    names = _download(officer_client, url, after)
    assert "draw.json" in names
    record = json.loads((after / "draw.json").read_text())
    assert record["ticket"] == picked
    assert main(["verify", str(after)]) == 0
    out = capsys.readouterr().out
    assert f"draw.json opens ticket {picked}" in out and "Verification passed" in out

    # Drawing again from them is refused plainly: a draw is never repeated.
    assert main(["draw", str(after), "--seed", SEED]) == 2
    assert "has already been drawn" in capsys.readouterr().err

    page = officer_client.get(url).text
    zipped = re.search(r'href="([^"]+/public-files)"', page)
    assert zipped, "the run page offers the public files as one ZIP"
    archive = officer_client.get(zipped.group(1))
    assert archive.status_code == 200 and archive.headers["content-type"] == "application/zip"
    members = _unzip(archive.content, tmp_path / "zip")
    assert set(names) <= set(members)
    assert not {"profiles.csv", "tickets.csv"} & set(members)
    assert main(["verify", str(tmp_path / "zip")]) == 0
    out = capsys.readouterr().out
    assert f"draw.json opens ticket {picked}" in out

    # The officer's replay folder drawn above holds the same draw record as the web app's.
    assert json.loads((replay / "draw.json").read_text()) == record
    _unzip(pack.content, after, ("profiles.csv", "tickets.csv"))
    assert main(["verify", str(after)]) == 0
    out = capsys.readouterr().out
    assert "all 1,000 tickets hold panels that meet every quota" in out
