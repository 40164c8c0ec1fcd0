"""Logs never carry personal data, even when the database refuses a write (issue 7, item 2).

A database error's text can quote the row being written: SQLAlchemy adds the statement's
parameters unless the engine hides them, and PostgreSQL adds `DETAIL: Key (email)=(...)`. These
tests make the database really refuse an upload and a write inside a request, capture every log
record at every level, and look in them for every name, e-mail address, street, postcode and
answer in the file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route
from starlette.testclient import TestClient

from assembly import db, logs
from assembly.accounts.models import Officer
from assembly.audit import AuditEvent
from assembly.recruitment.models import Contact, Quota, Respondent
from tests.app.builders import synthetic
from tests.app.flows import BASE_URL, create, upload


def refuse_duplicate_emails(engine: Engine) -> None:
    """A rule the app does not have, so that the database itself refuses the upload: it is a
    real database error, raised where a value too long for its column would be."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # A constraint (not a bare index) changes the schema's shape, so the test database
            # is rebuilt for the next test.
            connection.exec_driver_sql(
                "ALTER TABLE contact ADD CONSTRAINT test_one_email UNIQUE (email)")
        else:
            connection.exec_driver_sql("CREATE UNIQUE INDEX test_one_email ON contact (email)")


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Everything the log handlers would write: messages, arguments and tracebacks."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) + repr(record.args) for record in caplog.records)


def personal_data(people: bytes) -> set[str]:
    """Every cell of the people file but the ids and the header: names, e-mail addresses,
    streets, towns, postcodes and demographic answers."""
    lines = people.decode().splitlines()
    return {cell for line in lines[1:] for cell in line.split(",")[1:] if cell}


def test_a_database_error_in_an_upload_logs_no_personal_data(
        officer_client: TestClient, engine: Engine, dbs: Callable,
        caplog: pytest.LogCaptureFixture) -> None:
    pool = synthetic()
    assembly_id = create(officer_client)
    refuse_duplicate_emails(engine)
    lines = pool.people_csv().decode().splitlines()
    second = lines[2].split(",")
    second[3] = lines[1].split(",")[3]  # the second respondent has the first one's e-mail
    lines[2] = ",".join(second)
    people = ("\n".join(lines) + "\n").encode()
    caplog.set_level(logging.DEBUG)

    response = upload(officer_client, assembly_id, quotas=pool.quotas_csv(), people=people)

    assert response.status_code == 500
    assert "The database refused to store these files, so nothing was loaded" in response.text
    assert "the pool and quotas are as they were" in response.text
    text = logged(caplog)
    leaked = sorted(value for value in personal_data(people) if value in text)
    assert not leaked, f"personal data in the log: {leaked[:5]}"
    assert "refused by the database" in text and "IntegrityError" in text, text
    assert "test_one_email" in text or "contact.email" in text, "the log must say what failed"
    with dbs() as session:  # nothing half-written: the quotas came in the same upload
        assert session.exec(select(Respondent)).all() == []
        assert session.exec(select(Contact)).all() == []
        assert session.exec(select(Quota)).all() == []
        assert [e.action for e in session.exec(select(AuditEvent)
                                               .where(AuditEvent.assembly_id == assembly_id))] \
            == ["assembly.created"]


def test_an_unexpected_database_error_is_logged_and_raised_without_its_values(
        app: Starlette, engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    email = "someone.private@example.org"
    with db.session(engine, write=True) as session:
        session.add(Officer(email=email, name="Private Person", password_hash="x"))

    async def duplicate(request: Request) -> None:
        def work(session: object) -> None:
            session.add(Officer(email=email, name="Private Person", password_hash="y"))  # type: ignore[attr-defined]
            session.flush()  # type: ignore[attr-defined]

        await db.run(request, work, write=True)

    app.router.routes.append(Route("/duplicate", duplicate, methods=["POST"]))
    caplog.set_level(logging.DEBUG)
    with TestClient(app, base_url=BASE_URL, headers={"Sec-Fetch-Site": "same-origin"}) as client:
        with pytest.raises(logs.LoggedError) as raised:
            client.post("/duplicate")
        assert raised.value.__cause__ is None and raised.value.__suppress_context__
    for text in (logged(caplog), str(raised.value)):
        assert email not in text and "Private Person" not in text
        assert "IntegrityError" in text and "duplicate" in text
    with db.session(engine) as session:
        assert len(session.exec(select(Officer)).all()) == 1


def test_engines_hide_parameters(engine: Engine) -> None:
    secret = "hidden.value@example.org"
    fresh = db.make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with pytest.raises(sa.exc.DBAPIError) as raised, fresh.connect() as connection:
            connection.execute(sa.text("SELECT * FROM no_such_table WHERE x = :x"), {"x": secret})
        assert secret not in str(raised.value)
        assert "parameters hidden" in str(raised.value)
    finally:
        fresh.dispose()


def test_a_database_message_that_quotes_a_value_is_not_logged(engine: Engine) -> None:
    """PostgreSQL puts some values in the error's one-line message itself (class 22P02,
    'invalid input syntax for type integer: "..."'); only the code and names are kept."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's messages name tables and columns, never values")
    secret = "quoted.value@example.org"
    with pytest.raises(sa.exc.DBAPIError) as raised, engine.connect() as connection:
        connection.execute(sa.text("SELECT CAST(:x AS integer)"), {"x": secret})
    assert secret in str(raised.value.orig)  # the database did quote it
    described = logs.describe(raised.value)
    assert secret not in described
    assert "DataError" in described and "22P02" in described
