"""Control characters are taken out of what people type, and never reach a terminal raw
(issue 7, item 16).

An escape sequence in an assembly's title (ESC ] 0 ; ... BEL sets the terminal's title; ESC [ 2 J
clears the screen; CR returns to the start of the line to overwrite it) was printed as it was by
`minipublic purge --dry-run`. Forms now drop control characters at input, keeping line breaks
only in fields of several lines, and commands write any that are already stored visibly.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.testclient import TestClient

from assembly import db
from assembly.assemblies.models import Assembly
from assembly.cli import main
from assembly.recruitment.models import Quota, Respondent
from assembly.settings import Settings
from sortition.model import clean_text, terminal_safe
from tests.app.builders import synthetic
from tests.app.flows import DETAILS, LEGAL, TEST_SECRET, create, post_form, upload

ATTACK = "\x1b]0;owned\x07\x1b[2J\r\x00\x7f\x9b\u202e\x0b"


def test_details_lose_control_characters_and_keep_line_breaks_only_in_the_remit(
        officer_client: TestClient, dbs: Callable) -> None:
    assembly_id = create(officer_client, title=f"Data{ATTACK} and AI\tnow",
                         question="Line one\r\nline two?",
                         remit=f"First paragraph.\r\n\r\nSecond{ATTACK}.\rThird\u2028fourth",
                         commissioning_body="Cabinet\x1b[31m")
    with dbs() as session:
        assembly = session.get(Assembly, assembly_id)
        assert assembly is not None
        assert assembly.title == "Data]0;owned[2J  and AI now"
        assert assembly.question == "Line one line two?"
        assert assembly.remit == "First paragraph.\n\nSecond]0;owned[2J\n.\nThird\nfourth"
        assert assembly.commissioning_body == "Cabinet[31m"
    response = post_form(officer_client, f"/assemblies/{assembly_id}/edit",
                         {**DETAILS, "title": "\x1b\x1b\x1b"}, follow_redirects=False)
    assert response.status_code == 422  # nothing left: as good as empty
    assert "Enter a title" in response.text


def test_upload_fields_and_file_cells_lose_control_characters(
        officer_client: TestClient, dbs: Callable) -> None:
    pool = synthetic()
    assembly_id = create(officer_client)
    quotas = pool.quotas_csv().replace(b"\nGender,Woman,", "\nGender,Wo\x1b[8mman,".encode(), 1)
    people = pool.people_csv().replace(b"\nR00001,", b"\nR00\x1b[2J001,", 1).replace(
        b",Woman,", ",Wo\x1b[8mman,".encode())
    response = upload(officer_client, assembly_id, quotas=quotas, people=people, data={
        **LEGAL, "legal_basis": "Public task\r\nArticle 6(1)(e)\x1b[2J",
        "consent_version": "v2\r\n\x07"})
    assert response.status_code == 303, response.text
    with dbs() as session:
        assembly = session.get(Assembly, assembly_id)
        assert assembly is not None
        assert assembly.legal_basis == "Public task\nArticle 6(1)(e)[2J"
        assert assembly.consent_version == "v2"
        values = {q.value for q in session.exec(select(Quota))}
        assert "Wo[8mman" in values and not any("\x1b" in v for v in values)
        ids = {r.external_id for r in session.exec(select(Respondent))}
        assert "R00[2J001" in ids and not any("\x1b" in i for i in ids)


def test_purge_prints_stored_control_characters_visibly(
        settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A title stored before this fix (or written by another tool) is printed escaped."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MINIPUBLIC_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("MINIPUBLIC_DATA_DIR", str(settings.data_dir))
    with db.session(engine, write=True) as session:
        # PostgreSQL keeps no NUL in text; every other control character it stores.
        session.add(Assembly(title=f"Old{ATTACK.replace(chr(0), '')}title", question="?"))
    assert main(["purge", "--dry-run"]) == 0
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert "Old\\x1b]0;owned\\x07\\x1b[2J\\x0d\\x7f\\x9b\\u202e\\x0btitle" in out
    assert not any(c in out for c in "\x1b\x07\r\x00\x7f\x9b\u202e\x0b")
    assert "Dry run: nothing was changed" in out and out.endswith("\n")


@pytest.mark.parametrize(("text", "one_line", "lines"), [
    ("plain text, accents é and 漢字 😀", "plain text, accents é and 漢字 😀",
     "plain text, accents é and 漢字 😀"),
    ("a\r\nb\rc\nd\u2028e\u2029f\x85g", "a b c d e f g", "a\nb\nc\nd\ne\nf\ng"),
    ("tab\there", "tab here", "tab here"),
    ("\x00\x01\x1b\x7f\x80\x9f\ud800\udfff\u202a\u202e\u2066\u2069", "", ""),
    ("zero\u200dwidth joiner and soft\u00adhyphen stay", "zero\u200dwidth joiner and "
     "soft\u00adhyphen stay", "zero\u200dwidth joiner and soft\u00adhyphen stay"),
])
def test_clean_text(text: str, one_line: str, lines: str) -> None:
    assert clean_text(text) == one_line
    assert clean_text(text, multiline=True) == lines


def test_terminal_safe_keeps_newlines_and_tabs_and_shows_the_rest() -> None:
    assert terminal_safe("a\tb\nc") == "a\tb\nc"
    assert terminal_safe("x\x1b[2Jy\rz\u202e") == "x\\x1b[2Jy\\x0dz\\u202e"
