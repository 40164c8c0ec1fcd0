"""No CSV the app hands out starts a cell with a spreadsheet formula (issue #7, item 9).

A pool whose ids, names, addresses and category values are formulas goes through the whole
journey (upload, selection, draw, letters). Then every GET route of the app is requested with
its parameters filled in, as is every download the journey produced, and every CSV among the
responses (served as text/csv, or inside a ZIP) is checked cell by cell. A new export is covered
without changing this test: a GET route is found by the crawl, and tests/structure checks that
every CSV is written by `sortition.csvsafe`.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from assembly.routes import routes
from assembly.selection.models import Member, SelectionRun
from assembly.selection.publication import PUBLIC_FILES
from tests.app.builders import synthetic
from tests.app.flows import create, create_letters, post_form, start, upload, wait_for

FORMULA = '=HYPERLINK("http://evil.example","x")'
# Each starts a cell as a spreadsheet would run it: OWASP's list and the full-width forms.
HOSTILE = {
    "Halton": FORMULA,
    "Knowsley": "@SUM(1+1)*cmd|' /C calc'!A0",
    "Wirral": "-2+3+cmd|' /C calc'!A0",
    "Sefton": "+Sefton",
    "St Helens": "\uff1dHYPERLINK(\"http://evil.example\")",
}
STARTS = tuple("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _hostile_files() -> tuple[bytes, bytes]:
    pool = synthetic()
    quotas = list(csv.reader(io.StringIO(pool.quotas_csv().decode())))
    for row in quotas[1:]:
        row[1] = HOSTILE.get(row[1], row[1])
    people = [list(pool.columns)]
    for i, row in enumerate(pool.rows):
        values = dict(zip(pool.columns, row))
        values["id"] = f'=HYPERLINK("http://evil.example","{values["id"]}")'
        values["first_name"] = FORMULA if i % 2 else "@" + values["first_name"]
        values["last_name"] = "+" + values["last_name"]
        values["address_line_1"] = "-" + values["address_line_1"]
        values["town"] = HOSTILE.get(values["town"], "=" + values["town"])
        values["Area"] = HOSTILE.get(values["Area"], values["Area"])
        people.append([values[c] for c in pool.columns])
    out = []
    for rows in (quotas, people):
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        out.append(buffer.getvalue().encode())
    return out[0], out[1]


def csv_files(response: Any) -> dict[str, str]:
    """The CSV files in a response: itself if text/csv, or each .csv inside a ZIP."""
    kind = response.headers.get("content-type", "")
    if kind.startswith("text/csv"):
        return {"": response.content.decode("utf-8-sig")}
    if kind.startswith("application/zip"):
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            return {name: archive.read(name).decode("utf-8-sig")
                    for name in archive.namelist() if name.endswith(".csv")}
    return {}


def unsafe_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row
            if cell.startswith(STARTS) and not NUMBER.fullmatch(cell)]


def _fill(path: str, world: dict[str, Any]) -> list[str]:
    """The route's path with every parameter filled in each way the world allows."""
    paths = [path]
    for name, choices in world.items():
        pattern = re.compile(r"\{" + name + r"(:[a-z]+)?\}")
        paths = [pattern.sub(str(choice), p) for p in paths for choice in
                 (choices if isinstance(choices, (list, tuple)) else [choices])] \
            if any(pattern.search(p) for p in paths) else paths
    return [p for p in paths if "{" not in p]


@pytest.mark.slow
def test_every_csv_export_neutralises_formulas(officer_client: TestClient, dbs: Callable) -> None:
    quotas, people = _hostile_files()
    assembly_id = create(officer_client)
    response = upload(officer_client, assembly_id, quotas=quotas, people=people)
    assert response.status_code == 303, response.text  # type: ignore[attr-defined]
    url = start(officer_client, assembly_id)
    wait_for(officer_client, url)
    drawn = post_form(officer_client, f"{url}/draw", {"seed": "1 2 3", "confirm": "yes"},
                      follow_redirects=False)
    assert drawn.status_code == 303
    downloads = {"letter_batch_download": create_letters(
        officer_client, f"/assemblies/{assembly_id}/invitations")}
    with dbs() as session:
        run = session.exec(select(SelectionRun).where(
            SelectionRun.assembly_id == assembly_id)).one()
        member = session.exec(select(Member).where(Member.assembly_id == assembly_id)).first()
    world = {"assembly_id": assembly_id, "run_id": run.id, "member_id": member.id,
             "name": list(PUBLIC_FILES)}
    for route in routes:
        if isinstance(route, Mount) or not isinstance(route, Route):
            continue
        if "GET" not in (route.methods or ()):
            continue
        for path in _fill(route.path, world):
            downloads[f"{route.name} {path}"] = officer_client.get(path)

    checked: dict[str, dict[str, str]] = {}
    for name, response in downloads.items():
        files = csv_files(response)
        if files:
            checked[name] = files
            for inner, text in files.items():
                assert not unsafe_cells(text), (name, inner, unsafe_cells(text)[:5])
    exports = {name.split(" ")[0] for name in checked}
    # The crawl found the exports there are today (a new one is checked all the same).
    assert {"letter_batch_download", "audit_csv", "selection_file",
            "selection_auditor_pack"} <= exports, exports

    # The hostile values did reach the files, shown as text: the test cannot pass vacuously.
    merge = csv.DictReader(io.StringIO(checked["letter_batch_download"]["mail-merge.csv"]))
    rows = list(merge)
    assert all(r["name"].startswith(("'" + FORMULA, "'@")) for r in rows)
    assert all(r["member_ref"].startswith("'=HYPERLINK(") for r in rows)
    assert all(r["address_1"].startswith("'-") for r in rows)
    quotas_file = next(files[""] for name, files in checked.items()
                       if name.endswith("/files/quotas.csv"))
    for value in HOSTILE.values():
        assert f"'{value}" in quotas_file or f"\"'{value.replace(chr(34), chr(34) * 2)}\"" \
            in quotas_file, value
    pack = next(files for name, files in checked.items()
                if name.startswith("selection_auditor_pack"))
    assert "'" + FORMULA.replace('"', '""') in pack["profiles.csv"]
