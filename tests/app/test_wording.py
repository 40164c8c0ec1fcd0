"""The same number written the same way on every officer page, downloads named after their
assembly, and residents' pages without officers' sign-in (issue 8, item 9)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.testclient import TestClient

from assembly.selection.models import SelectionRun
from assembly.templating import attachment, chance, number, percent, points
from tests.app.builders import drawn_panel
from tests.app.flows import create, loaded


def test_number_filters() -> None:
    assert number(1234567) == "1,234,567" and number(12) == "12" and number(None) == "–"
    assert number(2.345, 1) == "2.3" and number(0.1234, 3) == "0.123"
    assert percent(0.123) == "12.3%" and percent(1) == "100.0%" and percent(0.5, 0) == "50%"
    assert chance(0.0263157) == "2.63%" and chance(0.025) == "2.50%"
    assert points(0.00012) == "0.012 percentage points"


def test_officer_pages_write_numbers_one_way(officer_client: TestClient) -> None:
    assembly_id = loaded(officer_client)
    quotas = officer_client.get(f"/assemblies/{assembly_id}/quotas").text
    shares = re.findall(r'<span class="muted">\(([^)]*)\)</span>', quotas)
    assert shares and all(re.fullmatch(r"\d+\.\d%", share) for share in shares)
    index = officer_client.get("/assemblies").text
    assert re.search(r'<td class="numeric">120</td>', index)


def test_download_names_follow_the_assembly(officer_client: TestClient) -> None:
    assembly_id = create(officer_client, title="Assemblée de Liège: données & IA")
    for extension in ("csv", "jsonl"):
        response = officer_client.get(f"/assemblies/{assembly_id}/audit.{extension}")
        disposition = response.headers["content-disposition"]
        disposition.encode("ascii")  # a header must be plain ASCII
        plain = re.search(r'filename="([^"]+)"', disposition)
        assert plain and plain.group(1) == f"assemblee-de-liege-donnees-ia-audit-log.{extension}"
        full = re.search(r"filename\*=UTF-8''(\S+)", disposition)
        assert full and unquote(full.group(1)) == f"assemblée-de-liège-données-ia-audit-log.{extension}"


def test_attachment_names_are_safe_whatever_the_title() -> None:
    for title in ('"; filename="evil.exe', "../../etc/passwd", "\r\nSet-Cookie: x=1", "日本の議会", ""):
        disposition = attachment(title, "run", 3, "panel", extension="csv")["Content-Disposition"]
        disposition.encode("ascii")
        plain = re.fullmatch(r'attachment; filename="([a-z0-9-]+\.csv)"; '
                             r"filename\*=UTF-8''([A-Za-z0-9%-]+\.csv)", disposition)
        assert plain, disposition
        assert plain.group(1).endswith("run-3-panel.csv")
    assert attachment("Liverpool Data Assembly", "run", 3, "panel", extension="csv") == {
        "Content-Disposition": "attachment; filename=\"liverpool-data-assembly-run-3-panel.csv\"; "
                               "filename*=UTF-8''liverpool-data-assembly-run-3-panel.csv"}


def test_auditor_pack_is_named_after_assembly_and_run(officer_client: TestClient, engine: Engine,
                                                      dbs: Callable[..., Any]) -> None:
    panel = drawn_panel(engine, title="Liverpool Data Assembly")
    with dbs() as session:
        run_id = session.exec(select(SelectionRun.id).where(
            SelectionRun.assembly_id == panel.assembly_id)).one()
    response = officer_client.get(f"/assemblies/{panel.assembly_id}/runs/{run_id}/auditor-pack")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith(
        f'attachment; filename="liverpool-data-assembly-run-{run_id}-auditor-pack.zip"; ')


def test_residents_pages_do_not_offer_officers_sign_in(client: TestClient) -> None:
    for address in ("/", "/invite", "/invite/" + "a" * 52):
        page = client.get(address)
        assert "Officer sign in" not in page.text, address
    login = client.get("/login").text
    assert "Officer sign in" in login and 'aria-current="page"' in login
