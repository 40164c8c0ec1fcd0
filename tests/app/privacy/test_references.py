"""Ids that could be personal data, through the real app on both databases.

A people file without an id column is numbered by row: its e-mail column (or any contact
column) never becomes the id, which is kept after erasure and purge, printed on letters and
written to the mail-merge file. An id that did come from the file and looks like a contact
detail is replaced when the person's details go.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.testclient import TestClient

from assembly import db
from assembly.cli import main
from assembly.recruitment.models import Contact, Profile, Respondent
from assembly.selection.models import Draw, Member, SelectionRun
from assembly.settings import Settings
from tests.app.builders import days_ago, drawn_panel, synthetic
from tests.app.flows import (
    TEST_SECRET,
    create,
    create_letters,
    post_form,
    start,
    upload,
    wait_for,
)


@pytest.fixture
def environment(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The commands read settings from the environment, as they do under cron."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MINIPUBLIC_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("MINIPUBLIC_DATA_DIR", str(settings.data_dir))
    return settings


def people_without_ids() -> tuple[bytes, list[dict[str, str]]]:
    """The synthetic people file with its id column taken out (e-mail is then the first column
    that is not a feature)."""
    pool = synthetic()
    rows = list(csv.DictReader(io.StringIO(pool.people_csv().decode())))
    columns = [c for c in pool.columns if c != "id"]
    columns.remove("email")
    columns.insert(0, "email")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode(), rows


def what_is_kept(dbs: Callable, respondent_id: int) -> str:
    """Everything stored about one respondent, as text."""
    with dbs() as session:
        respondent = session.get(Respondent, respondent_id)
        contact = session.get(Contact, respondent_id)
        profile = session.get(Profile, respondent_id)
        return repr((respondent.model_dump() if respondent else None,
                     contact.model_dump() if contact else None,
                     profile.model_dump() if profile else None))


def test_without_an_id_column_ids_are_row_numbers_and_erasure_leaves_nothing_personal(
        officer_client: TestClient, engine: Engine, dbs: Callable) -> None:
    people, rows = people_without_ids()
    assembly_id = create(officer_client)
    response = upload(officer_client, assembly_id, quotas=synthetic().quotas_csv(),
                      people=people, follow=True)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "no id column, so each respondent" in response.text  # type: ignore[attr-defined]
    assert "row number" in officer_client.get(f"/assemblies/{assembly_id}/pool").text

    with dbs() as session:
        stored = session.exec(select(Respondent).where(Respondent.assembly_id == assembly_id)
                              .order_by(Respondent.id)).all()
        emails = {r.respondent_id: r.email for r in session.exec(select(Contact)).all()}
    assert [r.external_id for r in stored] == [str(n) for n in range(2, 2 + len(rows))]
    assert {r.id_source for r in stored} == {"row"}
    assert [emails[r.id] for r in stored] == [row["email"] for row in rows]

    # Selected, drawn and invited: the mail-merge reference is the row number, never the e-mail.
    wait_for(officer_client, start(officer_client, assembly_id, lottery_size="100"))
    with dbs() as session:
        run_id = session.exec(select(SelectionRun.id)).one()
    response = post_form(officer_client, f"/assemblies/{assembly_id}/runs/{run_id}/draw",
                         {"seed": "1 2 3", "confirm": "yes"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    response = create_letters(officer_client, f"/assemblies/{assembly_id}/invitations")
    assert response.status_code == 200, response.text
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        merge = list(csv.DictReader(io.StringIO(
            archive.read("mail-merge.csv").decode("utf-8-sig"))))
    assert len(merge) == 12
    assert all(re.fullmatch(r"\d+", row["member_ref"]) for row in merge), merge[0]
    assert {row["member_ref"] for row in merge} <= {r.external_id for r in stored}
    assert not {row["member_ref"] for row in merge} & set(emails.values())

    # Erased on request through the page: nothing that came from the person remains; the row
    # number (which the app made) stays as the reference.
    with dbs() as session:
        member = session.exec(select(Member).where(Member.assembly_id == assembly_id)
                              .order_by(Member.id)).first()
        assert member is not None
        person = session.get(Respondent, member.respondent_id)
        assert person is not None
    row = rows[int(person.external_id) - 2]
    found = post_form(officer_client, f"/assemblies/{assembly_id}/personal-data/find",
                      {"reference": row["email"]})
    assert found.status_code == 200
    done = post_form(officer_client, f"/assemblies/{assembly_id}/respondents/"
                                     f"{person.public_id}/erase")
    assert "have been erased" in done.text
    kept = what_is_kept(dbs, person.id or 0)
    for field in ("email", "first_name", "last_name", "address_line_1", "postcode"):
        assert row[field] not in kept, field
    for feature in ("Gender", "Ethnicity", "Age"):
        assert f"'{row[feature]}'" not in kept, feature
    with dbs() as session:
        assert session.get(Respondent, person.id).external_id == person.external_id  # type: ignore[union-attr]


def test_an_id_column_of_email_addresses_is_replaced_on_erasure(
        officer_client: TestClient, engine: Engine, dbs: Callable) -> None:
    pool = synthetic()
    rows = list(csv.DictReader(io.StringIO(pool.people_csv().decode())))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, list(pool.columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows({**row, "id": row["email"]} for row in rows)  # a council's "id" is e-mail
    assembly_id = create(officer_client)
    response = upload(officer_client, assembly_id, quotas=pool.quotas_csv(),
                      people=buffer.getvalue().encode())
    assert response.status_code == 303  # type: ignore[attr-defined]
    with dbs() as session:
        person = session.exec(select(Respondent).where(
            Respondent.assembly_id == assembly_id).order_by(Respondent.id)).first()
        other = session.exec(select(Respondent).where(
            Respondent.assembly_id == assembly_id).order_by(Respondent.id.desc())).first()  # type: ignore[union-attr]
    assert person is not None and other is not None
    assert person.id_source == "column" and person.external_id == rows[0]["email"]

    found = post_form(officer_client, f"/assemblies/{assembly_id}/personal-data/find",
                      {"reference": rows[0]["email"]})
    assert found.status_code == 200
    post_form(officer_client, f"/assemblies/{assembly_id}/respondents/{person.public_id}/erase")
    assert rows[0]["email"] not in what_is_kept(dbs, person.id or 0)
    with dbs() as session:
        erased = session.get(Respondent, person.id)
        assert erased is not None and erased.external_id == f"erased-{person.public_id}"
        assert session.get(Respondent, other.id).external_id == other.external_id  # type: ignore[union-attr]


def test_purge_replaces_personal_ids_and_keeps_plain_references(
        environment: Settings, engine: Engine, dbs: Callable) -> None:
    panel = drawn_panel(engine, drawn_at=days_ago(100), retention_days=90)
    gone = panel.not_drawn
    # Half of those purge will clear had a phone number as their id, or an id of unknown origin
    # (loaded before the source was recorded): those ids go; the plain references stay.
    with db.session(engine, write=True) as session:
        session.exec(sa.update(Respondent).where(Respondent.id == gone[0].respondent_id)
                     .values(external_id="+44 7700 900123"))
        session.exec(sa.update(Respondent).where(Respondent.id == gone[1].respondent_id)
                     .values(id_source=""))
        session.exec(sa.update(Respondent).where(Respondent.id == gone[2].respondent_id)
                     .values(id_source="row", external_id="5"))
    assert main(["purge"]) == 0
    with dbs() as session:
        after = {r.id: r.external_id for r in session.exec(select(Respondent)).all()}
        assert session.exec(select(Draw)).one() is not None
    assert after[gone[0].respondent_id] == f"erased-{gone[0].public_id}"
    assert after[gone[1].respondent_id] == f"erased-{gone[1].public_id}"
    assert after[gone[2].respondent_id] == "5"
    assert after[gone[3].respondent_id] == gone[3].external_id
    for person in panel.members:  # not due yet: untouched
        assert after[person.respondent_id] == person.external_id
