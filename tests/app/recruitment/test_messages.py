"""What the upload, quotas and selection pages say, on files as practitioners make them
(issue 8, items 9, 11 and 12): the older quotas layout, a people file without ids, many rows
with one mistake, the quota form's own words, and quotas that cannot be met."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from sqlmodel import select
from starlette.testclient import TestClient

from assembly.recruitment.models import Quota, Respondent
from sortition import csvsafe
from sortition.synthetic import quotas_to_csv
from tests.app.builders import synthetic
from tests.app.flows import create, loaded, post_form, upload


def _old_layout(quotas: bytes) -> bytes:
    """The quotas as the Nature 2021 replication code has them: category,feature,min,max."""
    rows = csvsafe.read_rows(quotas.decode())
    return csvsafe.encode([["category", "feature", "min", "max"],
                           *([row[0], row[1], row[2], row[3]] for row in rows[1:])])


def _without_ids(people: bytes, features: tuple[str, ...]) -> bytes:
    """The people file with no id column and a selection feature first."""
    rows = csvsafe.read_rows(people.decode())
    header = rows[0]
    order = [header.index(features[0])] + [i for i, h in enumerate(header)
                                            if h not in ("id", features[0])]
    return csvsafe.encode([[row[i] for i in order] for row in rows])


def _flashes(text: str) -> list[tuple[str, str]]:
    return [(level, html.unescape(message)) for level, message in
            re.findall(r'<p class="flash flash-(\w+)">(.*?)</p>', text, re.DOTALL)]


def test_old_quotas_layout_and_people_without_ids_load_with_one_notice(
        officer_client: TestClient, dbs: Callable) -> None:
    pool = synthetic()
    assembly_id = create(officer_client)
    people = _without_ids(pool.people_csv(), pool.quotas.features)
    response = upload(officer_client, assembly_id, quotas=_old_layout(pool.quotas_csv()),
                      people=people, follow=True)
    assert response.status_code == 200, response.text
    text = html.unescape(response.text)
    assert f"Loaded {len(pool.quotas.categories)} quota categories." in text
    assert f"Loaded {len(pool.rows):,} respondents." in text
    assert text.count("each respondent's id is their row number") == 1
    assert "also used on row" not in text
    with dbs() as session:
        quotas = session.exec(select(Quota).where(Quota.assembly_id == assembly_id)).all()
        ids = session.exec(select(Respondent.external_id).where(
            Respondent.assembly_id == assembly_id)).all()
    assert {(q.feature, q.value) for q in quotas} == {
        (c.feature, c.value) for c in pool.quotas.categories}
    assert sorted(ids, key=int) == [str(row) for row in range(2, len(pool.rows) + 2)]


def test_two_thousand_rows_with_one_mistake_give_one_line(
        officer_client: TestClient, dbs: Callable) -> None:
    pool = synthetic(n=2000, k=40)
    assembly_id = create(officer_client)
    rows = csvsafe.read_rows(pool.people_csv().decode())
    feature = pool.quotas.features[0]
    column = rows[0].index(feature)
    for row in rows[1:]:
        row[column] = row[column] + "?"  # every value misspelt
        row[0] = "same"                  # and every id the same
    response = upload(officer_client, assembly_id, quotas=pool.quotas_csv(),
                      people=csvsafe.encode(rows))
    assert response.status_code == 422
    text = html.unescape(response.text)
    table = text.split('class="table problems"', 1)[1].split("</table>", 1)[0]
    lines = re.findall(r"<tr><td>", table)
    assert 1 <= len(lines) <= 20
    assert "1,999 rows have this problem: rows 3, 4, 5, 6, 7 and 1,994 more." in table
    assert "2,000 rows have this problem" in table and f"values for {feature}" in table
    assert "Nothing was loaded: 3,999 problems to fix" in text
    with dbs() as session:
        assert not session.exec(select(Respondent).where(
            Respondent.assembly_id == assembly_id)).first()


def test_quota_errors_use_the_forms_words_and_impossible_quotas_say_so_once(
        officer_client: TestClient) -> None:
    pool = synthetic()
    assembly_id = create(officer_client)
    response = upload(officer_client, assembly_id, quotas=quotas_to_csv(pool.infeasible_quotas()),
                      people=pool.people_csv())
    assert response.status_code == 303
    page = officer_client.get(f"/assemblies/{assembly_id}/quotas").text
    form = dict(re.findall(r'name="((?:min|max|min_flex|max_flex)-\d+)" value="([^"]*)"', page))
    first = next(key for key in form if key.startswith("max-"))
    number = first.split("-")[1]

    bad = {**form, "panel_size": str(pool.panel_size), f"max_flex-{number}": "0",
           f"min_flex-{number}": "x"}
    text = html.unescape(post_form(officer_client, f"/assemblies/{assembly_id}/quotas",
                                   bad).text)
    assert "the max flex (0) must not be less than the maximum" in text
    assert "the min flex must be a whole number" in text
    assert "max_flex" not in re.sub(r'(name|id|for|href|aria-describedby)="[^"]*"', "", text)

    response = post_form(officer_client, f"/assemblies/{assembly_id}/quotas",
                         {**form, "panel_size": str(pool.panel_size)}, follow_redirects=True)
    text = html.unescape(response.text)
    assert _flashes(text) == [("warning", ("Quotas saved, but they cannot be met yet: the "
                                           "smallest change that makes them possible is shown "
                                           "below."))]
    assert "These quotas cannot be met yet" in text and "Quotas saved." not in text

    # The selection page warns before anyone runs it, with the same advice.
    text = html.unescape(officer_client.get(f"/assemblies/{assembly_id}/selection").text)
    assert "The saved quotas cannot be met" in text
    assert "The smallest change that makes them possible:" in text


def test_household_rule_is_on_by_default_when_addresses_were_given(
        officer_client: TestClient) -> None:
    assembly_id = loaded(officer_client)  # uploaded with address columns
    text = html.unescape(officer_client.get(f"/assemblies/{assembly_id}/selection").text)
    assert re.search(r'name="one_per_household" value="on" checked', text)
    assert "Ticked because the pool was uploaded with address columns" in text
    assert "The saved quotas cannot be met" not in text

    other = create(officer_client)
    pool = synthetic()
    response = upload(officer_client, other, quotas=pool.quotas_csv(), people=pool.people_csv(),
                      data={"legal_basis": "Public task", "consent_version": "v2",
                            "address_columns": ""})
    assert response.status_code == 303
    text = officer_client.get(f"/assemblies/{other}/selection").text
    assert not re.search(r'name="one_per_household" value="on" checked', text)
