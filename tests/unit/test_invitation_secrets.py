"""The pure parts of invitations and letters: secrets people type, and the mail-merge file."""

from __future__ import annotations

import csv
import io
import logging
from datetime import datetime, timezone

from assembly.invitations import credentials
from assembly.invitations.letters import MAIL_MERGE_COLUMNS, Letter, mail_merge_csv


def test_link_tokens_carry_256_random_bits_in_an_unambiguous_alphabet() -> None:
    tokens = {credentials.new_token() for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        assert len(token) == 52
        assert set(token) <= set(credentials.CODE_ALPHABET.lower())
        assert not set(token) & set("ilou-_")
    # The leading character carries only one bit (52 x 5 = 260 > 256): 0 or 1.
    assert {token[0] for token in tokens} <= {"0", "1"}
    assert len({token[1] for token in tokens}) > 20


def test_codes_read_back_however_they_are_typed() -> None:
    code = credentials.new_code()
    assert len(code) == 16
    shown = credentials.format_code(code)
    assert shown.count("-") == 3 and shown.replace("-", "") == code
    assert credentials.normalise_code(shown) == code
    assert credentials.normalise_code(" " + shown.lower().replace("-", " ") + " ") == code
    assert credentials.normalise_code("O1L0-IIII-0000-1111") == "0110111100001111"
    assert credentials.normalise_code("ABC") is None
    assert credentials.normalise_code("U" * 16) is None  # U is not in the alphabet
    assert credentials.normalise_code(shown + "X") is None


def test_code_and_link_hashes_live_in_separate_namespaces() -> None:
    secret = "0123456789ABCDEF"
    assert credentials.code_hash(secret) != credentials.link_hash(secret)
    assert len(credentials.code_hash(secret)) == 64


def test_access_logs_show_no_invitation_token() -> None:
    token = credentials.new_token()
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:50000", "POST", f"/invite/{token}", "1.1", 303), None)
    assert credentials.HIDE_TOKENS.filter(record)
    message = record.getMessage()
    assert token not in message and "/invite/[hidden]" in message
    plain = logging.LogRecord("x", logging.INFO, __file__, 1, f"GET /invite/{token}", None, None)
    credentials.HIDE_TOKENS.filter(plain)
    assert token not in plain.getMessage()


def test_mail_merge_csv_opens_cleanly_in_spreadsheets() -> None:
    letter = Letter(
        member_ref="R0007", name="=HYPERLINK(\"http://evil.example\")", address=(
            "Flat 2", "10 Rodney Street", "Georgian Quarter", "Liverpool", "Merseyside"),
        postcode="L1 9ED", email="niamh@example.org", link="https://a.example/invite/abc",
        code="K7QM-4XRT-9BNC-H2FD", code_page="a.example/invite",
        expires=datetime(2027, 2, 1, 17, 0, tzinfo=timezone.utc))
    data = mail_merge_csv([letter])
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == list(MAIL_MERGE_COLUMNS)
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["name"].startswith("'=")  # a formula is shown as text, never run
    assert [row[f"address_{i}"] for i in range(1, 5)] == [
        "Flat 2", "10 Rodney Street", "Georgian Quarter", "Liverpool, Merseyside"]
    assert row["invitation_link"] == "https://a.example/invite/abc"
    assert row["expires"] == "2027-02-01T17:00+00:00"
