"""Uploading the pool and quotas, and editing the quotas, through the real app and databases."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import sqlalchemy as sa
from sqlmodel import select
from starlette.testclient import TestClient

from assembly.assemblies.models import Assembly
from assembly.audit import AuditEvent
from assembly.demo import quotas_with_census
from assembly.recruitment.models import Contact, PoolCount, Profile, Quota, Respondent
from sortition.synthetic import quotas_to_csv
from tests.app.builders import synthetic
from tests.app.flows import LEGAL, create, loaded, post_form, upload


def problem_cells(text: str) -> list[tuple[str, str, str, str]]:
    """(file, row, column, message) of every row of the problems table."""
    body = text.split('class="table problems"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", body, re.S)
    return [tuple(html.unescape(cell) for cell in row) for row in rows]


def test_good_files_are_split_into_contact_profile_and_counts(officer_client: TestClient,
                                                               dbs: Callable) -> None:
    pool = synthetic()
    assembly_id = create(officer_client)
    people = pool.people_csv().replace(b"id,first_name", b"id,favourite_colour,first_name", 1)
    people = b"\n".join(
        line if i == 0 else line.replace(b",", b",blue,", 1)
        for i, line in enumerate(people.split(b"\n")) if line) + b"\n"
    response = upload(officer_client, assembly_id, quotas=pool.quotas_csv(), people=people,
                      follow=True)
    assert response.status_code == 200
    assert str(response.url).endswith(f"/assemblies/{assembly_id}/quotas")
    assert f"Loaded {len(pool.quotas.categories)} quota categories." in response.text
    assert f"Loaded {len(pool):,} respondents." in response.text
    assert "1 column not kept (not needed for the selection or invitations): favourite_colour." \
        in response.text
    with dbs() as session:
        respondents = session.exec(select(Respondent).where(Respondent.assembly_id == assembly_id)
                                   .order_by(Respondent.id)).all()
        assert [r.external_id for r in respondents] == list(pool.ids)
        assert {r.legal_basis for r in respondents} == {LEGAL["legal_basis"]}
        assert {r.consent_version for r in respondents} == {"v2"}
        first = respondents[0]
        contact = session.get(Contact, first.id)
        given, family, email, street, town, postcode = pool.details[0]
        assert (contact.name, contact.email, contact.address_line_1, contact.postcode) == (
            f"{given} {family}", email, street, postcode)
        profile = session.get(Profile, first.id)
        assert profile.values == {
            feature: pool.values[f][pool.attributes[0, f]] for f, feature in enumerate(pool.features)}
        assert "blue" not in str(profile.values) and "favourite" not in contact.model_dump_json()
        # A keyed hash of the address, never the address itself.
        assert first.household_key and street not in first.household_key
        counts = {(c.feature, c.value): c.count for c in session.exec(
            select(PoolCount).where(PoolCount.assembly_id == assembly_id)).all()}
        for f, feature in enumerate(pool.features):
            for v, value in enumerate(pool.values[f]):
                assert counts[(feature, value)] == int((pool.attributes[:, f] == v).sum())
        event = session.exec(select(AuditEvent).where(AuditEvent.assembly_id == assembly_id,
                                                      AuditEvent.action == "pool.uploaded")).one()
    assert event.details["respondents"] == len(pool)
    assert "email" not in str(event.details) and pool.ids[0] not in str(event.details)
    # Pool counts are shown next to the quotas.
    page = officer_client.get(f"/assemblies/{assembly_id}/quotas").text
    feature, value = pool.features[0], pool.values[0][0]
    count = int((pool.attributes[:, 0] == 0).sum())
    assert re.search(rf">{re.escape(value)}</th>\s*<td class=\"numeric\">{count} ", page)


def test_population_shares_from_the_census_are_kept_and_shown(officer_client: TestClient,
                                                             dbs: Callable) -> None:
    pool = synthetic()
    assembly_id = create(officer_client)
    response = upload(officer_client, assembly_id, quotas=quotas_with_census(pool),
                      people=pool.people_csv(), follow=True)
    assert response.status_code == 200
    with dbs() as session:
        shares = {(q.feature, q.value): q.target_share for q in session.exec(
            select(Quota).where(Quota.assembly_id == assembly_id)).all()}
    for f, feature in enumerate(pool.features):
        census = pool.census_shares(feature)
        for v, value in enumerate(pool.values[f]):
            assert shares[(feature, value)] == round(float(census[v]) * 100, 1) / 100
    page = officer_client.get(f"/assemblies/{assembly_id}/quotas").text
    assert page.count('<th scope="col" class="numeric">In the population</th>') == \
        len(pool.features)
    first = pool.values[0][0]
    assert re.search(rf">{re.escape(first)}</th>\s*<td class=\"numeric\">[^<]*<span[^>]*>[^<]*"
                     rf"</span></td>\s*<td class=\"numeric\">{shares[(pool.features[0], first)] * 100:.1f}"
                     r"\s*%</td>", page)
    # A share that is not a number is refused where it is, and nothing is loaded.
    other = create(officer_client)
    bad = quotas_with_census(pool).replace(b",13.6\r\n", b",about 14\r\n", 1)
    assert bad != quotas_with_census(pool)
    refused = upload(officer_client, other, quotas=bad, people=pool.people_csv())
    assert refused.status_code == 422
    assert any(column == "share" and "percentage from 0 to 100" in message
               for _, _, column, message in problem_cells(refused.text))
    with dbs() as session:
        assert session.exec(select(Quota).where(Quota.assembly_id == other)).all() == []


def test_every_quotas_problem_is_shown_with_its_row(officer_client: TestClient,
                                                    dbs: Callable) -> None:
    assembly_id = create(officer_client)
    bad = (b"feature,value,min,max\n"
           b"Gender,Woman,4,6\n"
           b"Gender,Man,seven,6\n"
           b"Age,16-29,5,2\n"
           b"Age,30+,,3\n")
    response = upload(officer_client, assembly_id, quotas=bad, people=synthetic().people_csv())
    assert response.status_code == 422
    text = response.text
    assert "Nothing was loaded" in text
    cells = problem_cells(text)
    rows = {(file, row, column) for file, row, column, _ in cells}
    assert ("quotas.csv", "3", "min") in rows  # 'seven'
    assert ("quotas.csv", "4", "min") in rows  # min > max
    assert ("quotas.csv", "5", "min") in rows  # empty
    assert any(file == "people.csv" and "not checked yet" in message
               for file, _, _, message in cells)
    # The file field is marked invalid and described by its error.
    assert re.search(r'<input type="file" id="field-quotas" name="quotas"[^>]*'
                     r'aria-describedby="hint-quotas error-quotas" aria-invalid="true"', text)
    assert 'href="#field-quotas"' in text
    with dbs() as session:
        assert session.exec(select(Quota)).all() == []
        assert session.exec(select(Respondent)).all() == []


def test_people_errors_leave_the_previous_pool_untouched(officer_client: TestClient,
                                                         dbs: Callable) -> None:
    pool = synthetic()
    assembly_id = loaded(officer_client, pool)
    with dbs() as session:
        before = session.exec(select(Respondent.id, Respondent.external_id)
                              .where(Respondent.assembly_id == assembly_id)).all()
    lines = pool.people_csv().decode().splitlines()
    header = lines[0].split(",")
    gender = header.index(pool.features[0])
    row5 = lines[4].split(",")
    row5[gender] = "Martian"
    lines[4] = ",".join(row5)
    row8 = lines[7].split(",")
    row8[0] = lines[2].split(",")[0]  # the id of row 3 again
    lines[7] = ",".join(row8)
    response = upload(officer_client, assembly_id, people=("\n".join(lines) + "\n").encode(),
                      htmx=True)
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<div id="upload">')
    cells = problem_cells(response.text)
    assert any(row == "5" and column == pool.features[0] and "'Martian'" in message
               for _, row, column, message in cells)
    assert any(row == "8" and column == "id" and "also used on row 3" in message
               for _, row, column, message in cells)
    with dbs() as session:
        after = session.exec(select(Respondent.id, Respondent.external_id)
                             .where(Respondent.assembly_id == assembly_id)
                             .order_by(Respondent.id)).all()
        events = session.exec(select(AuditEvent.action).where(
            AuditEvent.assembly_id == assembly_id).order_by(AuditEvent.seq)).all()
    assert sorted(after) == sorted(before)
    assert events == ["assembly.created", "pool.uploaded"]


def test_new_quotas_must_fit_the_loaded_pool(officer_client: TestClient, dbs: Callable) -> None:
    pool = synthetic()
    assembly_id = loaded(officer_client, pool)
    counts = [int((pool.attributes[:, 0] == v).sum()) for v in range(len(pool.values[0]))]
    biggest = counts.index(max(counts))
    feature, dropped = pool.features[0], pool.values[0][biggest]
    from sortition.model import Quotas

    fewer = Quotas(tuple(c for c in pool.quotas.categories
                         if not (c.feature == feature and c.value == dropped)))
    response = upload(officer_client, assembly_id, quotas=quotas_to_csv(fewer))
    assert response.status_code == 422
    number = counts[biggest]
    assert (f"{number} respondents in the pool already loaded have {feature} '{dropped}'"
            in html.unescape(response.text))
    with dbs() as session:
        assert len(session.exec(select(Quota).where(Quota.assembly_id == assembly_id)).all()) \
            == len(pool.quotas.categories)


def test_no_files_and_locked_messages(officer_client: TestClient) -> None:
    assembly_id = create(officer_client)
    response = upload(officer_client, assembly_id)
    assert response.status_code == 422
    assert "Choose a quotas file, a people file, or both" in response.text
    response = upload(officer_client, assembly_id, people=synthetic().people_csv())
    assert response.status_code == 422
    assert "Upload the quotas file first" in response.text


def test_legal_basis_is_required_for_people(officer_client: TestClient, dbs: Callable) -> None:
    pool = synthetic()
    assembly_id = create(officer_client)
    response = upload(officer_client, assembly_id, quotas=pool.quotas_csv(),
                      people=pool.people_csv(), data={"address_columns": ""})
    assert response.status_code == 422
    assert "Say on what legal basis" in response.text
    with dbs() as session:
        assert session.exec(select(Quota)).all() == []  # the quotas were not kept either


def quota_form(page: str) -> dict[str, str]:
    return dict(re.findall(r'name="((?:min|max|min_flex|max_flex)-\d+)" value="([^"]*)"', page))


def test_quota_table_saves_and_reports_every_bad_cell(officer_client: TestClient,
                                                      dbs: Callable) -> None:
    pool = synthetic()
    assembly_id = loaded(officer_client, pool)
    form = quota_form(officer_client.get(f"/assemblies/{assembly_id}/quotas").text)
    assert len(form) == 4 * len(pool.quotas.categories)
    with dbs() as session:
        quotas = session.exec(select(Quota).where(Quota.assembly_id == assembly_id)
                              .order_by(Quota.position)).all()
    first, second = quotas[0], quotas[1]

    bad = {**form, "panel_size": "12", f"min-{first.id}": "9", f"max-{first.id}": "3",
           f"max-{second.id}": "lots"}
    response = post_form(officer_client, f"/assemblies/{assembly_id}/quotas", bad)
    assert response.status_code == 422
    text = response.text
    assert "Nothing was saved: 2 problems" in text
    assert f'href="#field-min-{first.id}"' in text and f'href="#field-max-{second.id}"' in text
    assert re.search(rf'id="field-max-{second.id}" name="max-{second.id}" value="lots"\s*'
                     rf'aria-invalid="true" aria-describedby="error-max-{second.id}"', text)
    with dbs() as session:
        assert session.get(Quota, first.id).min_count == first.min_count
        assert session.get(Assembly, assembly_id).panel_size is None

    good = {**form, "panel_size": "12", f"max-{first.id}": str(first.max_count + 1)}
    response = post_form(officer_client, f"/assemblies/{assembly_id}/quotas", good,
                         follow_redirects=True)
    assert response.status_code == 200
    assert "Quotas saved." in response.text
    assert "These quotas can be met." in response.text
    with dbs() as session:
        assert session.get(Quota, first.id).max_count == first.max_count + 1
        assert session.get(Assembly, assembly_id).panel_size == 12
        event = session.exec(select(AuditEvent).where(AuditEvent.assembly_id == assembly_id)
                             .order_by(AuditEvent.seq.desc())).first()
    assert event.action == "quotas.edited" and event.details["panel_size"] == 12


def test_infeasible_quotas_show_the_smallest_change(officer_client: TestClient) -> None:
    pool = synthetic()
    assembly_id = create(officer_client)
    impossible = pool.infeasible_quotas()
    response = upload(officer_client, assembly_id, quotas=quotas_to_csv(impossible),
                      people=pool.people_csv())
    assert response.status_code == 303
    form = quota_form(officer_client.get(f"/assemblies/{assembly_id}/quotas").text)
    response = post_form(officer_client, f"/assemblies/{assembly_id}/quotas",
                         {**form, "panel_size": str(pool.panel_size)}, follow_redirects=True)
    text = html.unescape(response.text)
    assert "These quotas cannot be met yet" in text
    assert "The smallest change that makes them possible:" in text
    from sortition.model import InfeasibleQuotas
    from sortition.relax import check_feasible

    try:
        check_feasible(pool.instance(impossible))
    except InfeasibleQuotas as error:
        advice = [str(a) for a in error.advice]
    assert advice
    for line in advice:
        assert line[0].upper() + line[1:] in text


def test_totals_that_cannot_reach_the_panel_size_are_explained(officer_client: TestClient) -> None:
    pool = synthetic()
    assembly_id = loaded(officer_client, pool)
    form = quota_form(officer_client.get(f"/assemblies/{assembly_id}/quotas").text)
    response = post_form(officer_client, f"/assemblies/{assembly_id}/quotas",
                         {**form, "panel_size": "100"}, follow_redirects=True)
    text = html.unescape(response.text)
    assert "These quotas cannot be met yet" in text
    assert "cannot give a panel of 100" in text


def test_upload_counts_are_in_one_transaction(officer_client: TestClient, dbs: Callable) -> None:
    """A second good upload replaces the pool entirely: no respondent of the first remains."""
    first = synthetic()
    assembly_id = loaded(officer_client, first)
    second = synthetic(seed=4)
    response = upload(officer_client, assembly_id, people=second.people_csv())
    assert response.status_code == 303
    with dbs() as session:
        count = session.exec(select(sa.func.count()).select_from(Respondent)
                             .where(Respondent.assembly_id == assembly_id)).one()
        contacts = session.exec(select(sa.func.count()).select_from(Contact)).one()
    assert count == len(second) and contacts == len(second)


def test_saving_unchanged_quotas_keeps_selections_changing_them_discards(
        officer_client: TestClient, dbs: Callable) -> None:
    from assembly.selection.models import SelectionRun

    assembly_id = loaded(officer_client)
    with dbs(write=True) as session:
        session.add(SelectionRun(assembly_id=assembly_id, number=1, algorithm="leximin",
                                 panel_size=12, status="done"))
    page = officer_client.get(f"/assemblies/{assembly_id}/quotas").text
    form = {**quota_form(page), "panel_size": "12"}
    assert post_form(officer_client, f"/assemblies/{assembly_id}/quotas", form,
                     follow_redirects=False).status_code == 303
    with dbs() as session:
        assert len(session.exec(select(SelectionRun)).all()) == 1
    key = next(k for k in form if k.startswith("max-"))
    form[key] = str(int(form[key]) + 1)
    assert post_form(officer_client, f"/assemblies/{assembly_id}/quotas", form,
                     follow_redirects=False).status_code == 303
    with dbs() as session:
        assert session.exec(select(SelectionRun)).all() == []
