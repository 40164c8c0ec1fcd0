"""Pol.is's open-data layout read and written (issue 10, item 5): the two public exports in
tests/data/polis come back with the same numbers, a round trip changes nothing, older exports
without votes.csv still read, and bad files say which file, row and column to fix."""

from __future__ import annotations

import csv
import io
import shutil
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from charter.opinions import VoteMatrix, analyse
from charter.polis import (
    COMMENTS,
    PARTICIPANTS_VOTES,
    SUMMARY,
    VOTES,
    PolisConversation,
    PolisFileError,
    Statement,
    Vote,
    java_datetime,
    read_polis,
    to_timestamp,
    write_polis,
)
from sortition import csvsafe

DATA = Path(__file__).resolve().parents[1] / "data" / "polis"
EXPORTS = ("brexit-consensus", "15-per-hour-seattle")
START = datetime(2026, 3, 2, 18, 30, tzinfo=UTC)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


@pytest.fixture(scope="module", params=EXPORTS)
def export(request: pytest.FixtureRequest) -> tuple[Path, PolisConversation]:
    folder = DATA / request.param
    return folder, read_polis(folder)


def test_the_public_exports_read_with_their_own_counts() -> None:
    brexit = read_polis(DATA / "brexit-consensus")
    assert (len(brexit.statements), len(brexit.votes), len(brexit.participants)) == (50, 5312, 204)
    assert brexit.topic == "Can there be consensus on Brexit?" and brexit.views == 204
    assert brexit.description.startswith("An experimental Pol.Is question.")
    assert Counter(brexit.groups.values()) == {0: 106, 1: 91}
    seattle = read_polis(DATA / "15-per-hour-seattle")
    assert (len(seattle.statements), len(seattle.votes), len(seattle.participants)) == (54, 2995,
                                                                                         339)
    assert sum(s.moderated == -1 for s in seattle.statements) == 23
    assert seattle.topic == "$15/hour" and seattle.url == "https://pol.is/2demo"
    # Statements sorted by id; votes in time order, though votes.csv is sorted by comment.
    assert [s.id for s in seattle.statements] == [str(n) for n in range(54)]
    times = [vote.time for vote in seattle.votes if vote.time is not None]
    assert len(times) == 2995 and times == sorted(times)
    assert seattle.votes[0] == Vote(datetime(2014, 6, 18, 1, 16, 54, 196000, tzinfo=UTC), "0",
                                    "0", 0)
    # A statement that really starts with an apostrophe keeps it.
    assert brexit.statements[38].body == "'Lexit' is just the stupidest fucking thing imaginable"


def test_read_write_read_gives_the_same_conversation(
        export: tuple[Path, PolisConversation], tmp_path: Path) -> None:
    _, conversation = export
    write_polis(tmp_path, conversation)
    assert read_polis(tmp_path) == conversation


def test_writing_a_public_export_again_reproduces_its_numbers(
        export: tuple[Path, PolisConversation], tmp_path: Path) -> None:
    folder, conversation = export
    written = write_polis(tmp_path, conversation)
    assert sorted(path.name for path in written) == sorted((COMMENTS, VOTES, PARTICIPANTS_VOTES,
                                                            SUMMARY))
    # participants-votes.csv (groups, latest votes, n-* counts, row order) and summary.csv are
    # Pol.is's own files byte for byte.
    for name in (PARTICIPANTS_VOTES, SUMMARY):
        assert (tmp_path / name).read_bytes() == (folder / name).read_bytes(), name
    # Every vote, with its time; only the datetime text differs (Pol.is's is local time).
    def votes(path: Path) -> list[tuple[str, ...]]:
        return [(r["timestamp"], r["comment-id"], r["voter-id"], r["vote"]) for r in _rows(path)]

    assert votes(tmp_path / VOTES) == votes(folder / VOTES)
    ours = {r["comment-id"]: r for r in _rows(tmp_path / COMMENTS)}
    theirs = {r["comment-id"]: r for r in _rows(folder / COMMENTS)}
    assert ours.keys() == theirs.keys()
    for comment, row in theirs.items():
        for column in ("timestamp", "author-id", "agrees", "disagrees", "moderated"):
            assert ours[comment][column] == row[column], (comment, column)
    assert (tmp_path / COMMENTS).read_text().splitlines()[0] == \
        (folder / COMMENTS).read_text().splitlines()[0]


def test_the_datetime_column_is_the_timestamp_as_java_prints_it() -> None:
    moment = datetime(2017, 7, 16, 19, 17, 32, 930000, tzinfo=UTC)
    assert to_timestamp(moment) == 1500232652930
    # Pol.is printed this instant as "Mon Jul 17 02:17:32 WIB 2017" (UTC+7).
    assert java_datetime(moment) == "Sun Jul 16 19:17:32 UTC 2017"


def test_an_older_export_without_votes_csv_takes_the_latest_votes(tmp_path: Path) -> None:
    full = read_polis(DATA / "brexit-consensus")
    for name in (COMMENTS, PARTICIPANTS_VOTES, SUMMARY):
        shutil.copy(DATA / "brexit-consensus" / name, tmp_path / name)
    older = read_polis(tmp_path)
    assert not older.timed and all(vote.time is None for vote in older.votes)
    # Five-thousand-odd votes less the nine that someone changed: the latest of each.
    assert older.latest() == full.latest() and len(older.votes) == len(full.latest()) == 5303
    # Order: participants in file order, each one's votes in column order.
    file_order = [row["participant"] for row in _rows(tmp_path / PARTICIPANTS_VOTES)]
    assert older.participants == tuple(file_order)
    first = [vote.statement for vote in older.votes if vote.participant == file_order[1]]
    assert first == sorted(first, key=int)
    assert older.groups == full.groups
    # Written back the same way: without votes.csv (an old one there is removed).
    out = tmp_path / "out"
    write_polis(out, full)
    write_polis(out, older)
    assert not (out / VOTES).exists()
    assert read_polis(out) == older


def _small(**changes: object) -> PolisConversation:
    """A round as the app holds it: member ids are not Pol.is's numbers."""
    statements = (
        Statement("s-a", "member-7", "More buses after 10 pm.", 1, START),
        Statement("s-b", "member-3", "=HYPERLINK(\"http://evil\",\"x\")", 1, START),
        Statement("s-c", "member-7", "'Quoted' and\nover two lines", -1, START),
    )
    votes = tuple(Vote(START + timedelta(minutes=n), person, statement, value)
                  for n, (person, statement, value) in enumerate([
                      ("member-3", "s-a", 1), ("member-7", "s-a", 1), ("member-3", "s-b", -1),
                      ("member-9", "s-b", 0), ("member-9", "s-a", -1), ("member-3", "s-b", 1),
                      ("member-9", "s-c", 1)]))
    fields: dict[str, object] = {"statements": statements, "votes": votes, "topic": "Buses",
                                 "description": "What should change?"}
    fields.update(changes)
    return PolisConversation(**fields)  # type: ignore[arg-type]


def test_a_round_from_the_app_is_numbered_then_written_and_read_back(tmp_path: Path) -> None:
    conversation = _small()
    with pytest.raises(ValueError, match=r"statement 's-a' is not such a number; write "
                       r"conversation.numbered\(\)"):
        write_polis(tmp_path, conversation)
    numbered = conversation.numbered()
    assert [s.id for s in numbered.statements] == ["0", "1", "2"]
    assert numbered.participants == ("0", "1", "2")          # member-3, member-7, member-9
    assert [s.author for s in numbered.statements] == ["1", "0", "1"]
    write_polis(tmp_path, numbered)
    assert read_polis(tmp_path) == numbered
    text = (tmp_path / COMMENTS).read_text(encoding="utf-8")
    assert "member" not in text + (tmp_path / VOTES).read_text()
    # The formula is written as text a spreadsheet will not run, and reads back unchanged.
    bodies = [row["comment-body"] for row in _rows(tmp_path / COMMENTS)]
    assert bodies[1] == "'=HYPERLINK(\"http://evil\",\"x\")" and csvsafe.is_safe(bodies[1])
    counts = [(r["agrees"], r["disagrees"]) for r in _rows(tmp_path / COMMENTS)]
    assert counts == [("2", "1"), ("1", "1"), ("1", "0")]   # every vote cast, changed ones too
    people = _rows(tmp_path / PARTICIPANTS_VOTES)
    assert [(r["participant"], r["n-comments"], r["n-votes"], r["n-agree"], r["n-disagree"],
             r["0"], r["1"], r["2"]) for r in people] == [
        ("0", "1", "2", "2", "0", "1", "1", ""), ("1", "2", "1", "1", "0", "1", "", ""),
        ("2", "0", "3", "1", "1", "-1", "0", "1")]
    summary = dict(csv.reader(io.StringIO((tmp_path / SUMMARY).read_text())))
    assert summary == {"topic": "Buses", "url": "", "views": "", "voters": "3",
                       "voters-in-conv": "3", "commenters": "2", "comments": "3", "groups": "0",
                       "conversation-description": "What should change?"}


def test_a_conversation_refuses_what_pol_is_cannot_hold() -> None:
    votes = _small().votes
    with pytest.raises(ValueError, match="time order"):
        _small(votes=(votes[1], votes[0]))
    with pytest.raises(ValueError, match="s-z, which is not among the statements"):
        _small(votes=(Vote(START, "member-1", "s-z", 1),))
    with pytest.raises(ValueError, match="not 1, 0 or -1"):
        _small(votes=(Vote(START, "member-1", "s-a", 2),))
    with pytest.raises(ValueError, match="either every vote has a time or none"):
        _small(votes=(votes[0], Vote(None, "member-1", "s-a", 1)))
    with pytest.raises(ValueError, match="timezone-aware"):
        _small(votes=(Vote(datetime(2026, 3, 2), "member-1", "s-a", 1),))


def test_the_matrix_holds_the_latest_votes_and_marks_moderated_statements() -> None:
    conversation = read_polis(DATA / "15-per-hour-seattle")
    matrix = conversation.matrix()
    assert isinstance(matrix, VoteMatrix)
    assert matrix.statements == tuple(str(n) for n in range(54))
    assert matrix.moderated_out == {s.id for s in conversation.statements if s.moderated == -1}
    assert matrix.participants == conversation.participants
    cells = {(matrix.participants[r], matrix.statements[c]): int(v)
             for r, c, v in zip(matrix.rows, matrix.cols, matrix.values, strict=True)}
    assert cells == conversation.latest() and len(cells) == 2872


def test_group_ids_written_come_from_the_analysis_when_given(tmp_path: Path) -> None:
    conversation = read_polis(DATA / "brexit-consensus")
    analysis = analyse(conversation.matrix(), seed=0)
    write_polis(tmp_path, conversation, analysis)
    again = read_polis(tmp_path)
    assert again.groups == dict(zip(analysis.participants, analysis.groups, strict=True))
    summary = dict(csv.reader(io.StringIO((tmp_path / SUMMARY).read_text())))
    assert summary["groups"] == str(len(analysis.group_sizes))
    ungrouped = [r["group-id"] for r in _rows(tmp_path / PARTICIPANTS_VOTES)
                 if r["participant"] not in analysis.participants]
    assert ungrouped and set(ungrouped) == {""}
    stranger = replace(analysis, participants=("9999", *analysis.participants[1:]))
    with pytest.raises(ValueError, match="did not vote in this conversation: 9999"):
        write_polis(tmp_path / "other", conversation, stranger)
    assert not (tmp_path / "other").exists()


# --- bad files ---------------------------------------------------------------------------------

def _good(folder: Path) -> Path:
    write_polis(folder, _small().numbered())
    return folder


def _edit(folder: Path, name: str, old: str, new: str) -> None:
    text = (folder / name).read_text(encoding="utf-8")
    assert old in text, (name, old)
    (folder / name).write_text(text.replace(old, new, 1), encoding="utf-8")


BAD = [
    # (what, file, old text, new text, the message)
    ("vote out of range", VOTES, ",1,2,0\n", ",1,2,yes\n",
     "votes.csv, row 7, column vote: 'yes' is not -1, 0 or 1"),
    ("unknown comment in votes", VOTES, "UTC 2026,2,2,1", "UTC 2026,9,2,1",
     "votes.csv, row 8, column comment-id: comment 9 is not in comments.csv"),
    ("non-integer voter", VOTES, "UTC 2026,0,1,1", "UTC 2026,0,abc,1",
     "votes.csv, row 3, column voter-id: 'abc' is not a whole number"),
    ("full-width digit", VOTES, "UTC 2026,0,1,1", "UTC 2026,0,\uff11,1",
     "votes.csv, row 3, column voter-id: '\uff11' is not a whole number"),
    ("negative comment id", COMMENTS, "UTC 2026,1,0", "UTC 2026,-1,0",
     "comments.csv, row 3, column comment-id: '-1' is not a whole number (0 or more)"),
    ("duplicated comment", COMMENTS, "UTC 2026,1,0", "UTC 2026,0,0",
     "comments.csv, row 3, column comment-id: comment 0 is already on row 2"),
    ("missing column", VOTES, "voter-id", "voter",
     "votes.csv, row 1, column voter-id: the header has no 'voter-id' column"),
    ("moderated", COMMENTS, ",1,2,1,1,More", ",1,2,1,5,More",
     "comments.csv, row 2, column moderated: '5' is not -1 (moderated out), 0"),
    ("wrong number of cells", VOTES, ",1,2,0\n", ",1,2,0,7\n",
     "votes.csv, row 7: has 6 cells but the header has 5 columns"),
    ("unclosed quote", VOTES, "UTC 2026,2,2,1", "UTC 2026,2,2,\"1",
     "votes.csv, row 8: is not valid CSV: a quote opened on this row is never closed"),
    ("stray quote", COMMENTS, "More buses", "\"More\" buses",
     "comments.csv, row 2: is not valid CSV: ',' expected after '\"'; put a cell"),
    ("unknown comment column", PARTICIPANTS_VOTES, "n-disagree,0,1,2", "n-disagree,0,1,7",
     "participants-votes.csv, row 1, column 7: comment 7 is not in comments.csv"),
    ("vote in participants-votes", PARTICIPANTS_VOTES, "2,,0,3,1,1,-1,0,1", "2,,0,3,1,1,-1,0,x",
     "participants-votes.csv, row 4, column 2: 'x' is not -1, 0 or 1"),
    ("duplicated participant", PARTICIPANTS_VOTES, "\n1,,2", "\n0,,2",
     "participants-votes.csv, row 3, column participant: participant 0 is already on row 2"),
    ("views", SUMMARY, "views,", "views,many",
     "summary.csv, row 3, column 2: views is 'many', not a whole number"),
]


@pytest.mark.parametrize(("file", "old", "new", "message"), [case[1:] for case in BAD],
                         ids=[case[0] for case in BAD])
def test_a_bad_file_names_its_file_row_and_column(tmp_path: Path, file: str, old: str,
                                                  new: str, message: str) -> None:
    folder = _good(tmp_path)
    _edit(folder, file, old, new)
    with pytest.raises(PolisFileError) as raised:
        read_polis(folder)
    assert str(raised.value).startswith(message), str(raised.value)
    assert raised.value.file == file


def test_files_that_are_missing_empty_or_not_text_say_so(tmp_path: Path) -> None:
    with pytest.raises(PolisFileError, match=r"is not a folder; give the folder"):
        read_polis(tmp_path / "nowhere")
    folder = _good(tmp_path / "export")
    (folder / VOTES).unlink()
    (folder / PARTICIPANTS_VOTES).unlink()
    with pytest.raises(PolisFileError, match="there is neither votes.csv nor "
                       "participants-votes.csv in .*, so there are no votes"):
        read_polis(folder)
    folder = _good(tmp_path / "again")
    (folder / COMMENTS).unlink()
    with pytest.raises(PolisFileError, match=r"^comments.csv: there is no comments.csv in"):
        read_polis(folder)
    folder = _good(tmp_path / "empty")
    (folder / VOTES).write_bytes(b"")
    with pytest.raises(PolisFileError, match=r"^votes.csv: is empty; a Pol.is export has a "
                       "header row"):
        read_polis(folder)
    folder = _good(tmp_path / "latin")
    data = (folder / COMMENTS).read_bytes().replace(b"More buses", b"Mehr Bus\xfcsse")
    (folder / COMMENTS).write_bytes(data)
    with pytest.raises(PolisFileError, match=r"^comments.csv, row 2: is not UTF-8 text "
                       r"\(byte 0xfc\); save it as UTF-8"):
        read_polis(folder)
    (folder / COMMENTS).write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(PolisFileError, match=r"^comments.csv, row 1: is not UTF-8 text"):
        read_polis(folder)
    (folder / COMMENTS).write_bytes(b"timestamp,comment-id\x00\n")
    with pytest.raises(PolisFileError, match=r"^comments.csv, row 1: holds a NUL byte"):
        read_polis(folder)


def test_a_byte_order_mark_and_windows_line_ends_are_fine(tmp_path: Path) -> None:
    folder = _good(tmp_path)
    expected = read_polis(folder)
    for name in (COMMENTS, VOTES, PARTICIPANTS_VOTES, SUMMARY):
        text = (folder / name).read_text(encoding="utf-8")
        (folder / name).write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    conversation = read_polis(folder)
    # Only the statement with a line break inside its cell changes: it has "\r\n" now.
    assert conversation.statements[2].body == "'Quoted' and\r\nover two lines"
    assert conversation.votes == expected.votes and conversation.groups == expected.groups
    assert conversation.statements[:2] == expected.statements[:2]
