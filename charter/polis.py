"""Pol.is's open-data layout, read and written, so a round can be checked against Pol.is or
handed to other tools (issue 10, item 5).

An export is a folder of four CSV files, as the Computational Democracy Project publishes them:

- ``comments.csv``: ``timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,
  comment-body``, one row per statement; ``moderated`` is -1 (moderated out), 0 (not yet
  moderated) or 1 (accepted); ``agrees``/``disagrees`` count every vote cast, changed ones too.
- ``votes.csv``: ``timestamp,datetime,comment-id,voter-id,vote``, every vote cast (1 agree,
  -1 disagree, 0 pass), sorted by comment, then voter, then time. Older exports lack it.
- ``participants-votes.csv``: ``participant,group-id,n-comments,n-votes,n-agree,n-disagree``
  then one column per comment id in numeric order, holding the participant's latest vote (blank:
  none); ``group-id`` is Pol.is's own opinion group, blank for a participant it did not group.
  Rows come in the order of the first line each participant has in votes.csv, that is by the
  lowest comment id they voted on, then by participant id; only voters have a row.
- ``summary.csv``: key,value rows: topic, url, views, voters, voters-in-conv, commenters,
  comments, groups, conversation-description.

Timestamps are milliseconds since 1970 (UTC); ``datetime`` is the same instant as Java prints it
(``Mon Jul 17 02:17:32 WIB 2017``). It is ignored on reading; Minipublic writes it in UTC.

Choices, written down:

- Statements come back sorted by comment id (Pol.is's own file order carries no meaning) and
  votes in time order, ties in file order.
- Without votes.csv the latest votes are taken from participants-votes.csv; when they were cast
  is then unknown (``Vote.time`` is None) and their order is participants in file order, each
  participant's votes in column order. Such a conversation is written back without votes.csv.
- Every file is written through `sortition.csvsafe`, so a statement a spreadsheet would run as a
  formula (``=HYPERLINK(...)``) gets a leading apostrophe. Reading undoes exactly that escape (an
  apostrophe followed by a formula character or another apostrophe), so what Minipublic writes
  reads back unchanged; a Pol.is statement that really began with such a pair would lose its
  first apostrophe.
"""

from __future__ import annotations

import csv
import io
import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from sortition import csvsafe

if TYPE_CHECKING:
    from charter.opinions import Analysis, VoteMatrix

COMMENTS = "comments.csv"
VOTES = "votes.csv"
PARTICIPANTS_VOTES = "participants-votes.csv"
SUMMARY = "summary.csv"
FILES = (COMMENTS, VOTES, PARTICIPANTS_VOTES, SUMMARY)

COMMENTS_HEADER = ("timestamp", "datetime", "comment-id", "author-id", "agrees", "disagrees",
                   "moderated", "comment-body")
VOTES_HEADER = ("timestamp", "datetime", "comment-id", "voter-id", "vote")
PARTICIPANTS_HEADER = ("participant", "group-id", "n-comments", "n-votes", "n-agree",
                       "n-disagree")
SUMMARY_KEYS = ("topic", "url", "views", "voters", "voters-in-conv", "commenters", "comments",
                "groups", "conversation-description")

MODERATED_OUT, UNMODERATED, ACCEPTED = -1, 0, 1
AGREE, PASS, DISAGREE = 1, 0, -1
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class PolisFileError(ValueError):
    """A Pol.is export that cannot be read, naming the file, row and column to fix.

    Rows are counted as a spreadsheet shows them: the header is row 1."""

    def __init__(self, file: str, row: int | None, column: str | None, message: str) -> None:
        self.file, self.row, self.column, self.message = file, row, column, message
        where = ", ".join([file, *([f"row {row}"] if row is not None else []),
                           *([f"column {column}"] if column is not None else [])])
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Statement:
    """One statement (Pol.is: comment) as the export has it."""

    id: str
    author: str
    body: str
    moderated: int   # -1 moderated out, 0 not yet moderated, 1 accepted
    created: datetime


class Vote(NamedTuple):
    """One vote cast; `time` is None when the export did not say (older exports)."""

    time: datetime | None
    participant: str
    statement: str
    value: int       # 1 agree, -1 disagree, 0 pass


@dataclass(frozen=True)
class PolisConversation:
    """A conversation in Pol.is's terms, filled from an export or from a round's own rows.

    `votes` are every vote cast, in time order (a later vote on the same statement by the same
    participant replaces the earlier one); `groups` is Pol.is's own group-id per participant it
    grouped, when the export carries one."""

    statements: tuple[Statement, ...]
    votes: tuple[Vote, ...]
    topic: str = ""
    description: str = ""
    url: str = ""
    views: int | None = None
    groups: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "statements", tuple(self.statements))
        object.__setattr__(self, "votes", tuple(Vote(*vote) for vote in self.votes))
        object.__setattr__(self, "groups", dict(self.groups))
        seen: set[str] = set()
        for statement in self.statements:
            if not statement.id or statement.id in seen:
                raise ValueError(f"statement ids must be unique and not empty: {statement.id!r}")
            if statement.moderated not in (MODERATED_OUT, UNMODERATED, ACCEPTED):
                raise ValueError(f"statement {statement.id}: moderated must be -1, 0 or 1, not "
                                 f"{statement.moderated!r}")
            _aware(statement.created, f"statement {statement.id}'s created time")
            seen.add(statement.id)
        timed = [vote.time is not None for vote in self.votes]
        if any(timed) and not all(timed):
            raise ValueError("either every vote has a time or none has")
        previous: datetime | None = None
        for vote in self.votes:
            if vote.statement not in seen:
                raise ValueError(f"a vote by {vote.participant} is on statement "
                                 f"{vote.statement}, which is not among the statements")
            if vote.value not in (AGREE, PASS, DISAGREE) or isinstance(vote.value, bool):
                raise ValueError(f"a vote by {vote.participant} on {vote.statement} is "
                                 f"{vote.value!r}, not 1, 0 or -1")
            if vote.time is not None:
                _aware(vote.time, "a vote's time")
                if previous is not None and vote.time < previous:
                    raise ValueError("votes must be in time order (earliest first)")
                previous = vote.time
        for participant, group in self.groups.items():
            if not isinstance(group, int) or group < 0:
                raise ValueError(f"participant {participant}'s group must be a whole number "
                                 f"from 0, not {group!r}")

    @property
    def timed(self) -> bool:
        """Whether the votes' times are known (not an older export without votes.csv)."""
        return all(vote.time is not None for vote in self.votes)

    @property
    def participants(self) -> tuple[str, ...]:
        """Everyone who voted, in order of their first vote."""
        return tuple(dict.fromkeys(vote.participant for vote in self.votes))

    @property
    def moderated_out(self) -> frozenset[str]:
        """The statements moderated out (Pol.is: moderated -1)."""
        return frozenset(s.id for s in self.statements if s.moderated == MODERATED_OUT)

    def latest(self) -> dict[tuple[str, str], int]:
        """Each participant's latest vote per statement, keyed (participant, statement)."""
        return {(vote.participant, vote.statement): vote.value for vote in self.votes}

    def matrix(self) -> VoteMatrix:
        """The latest votes as the opinion analysis takes them; moderated-out statements stay
        as columns and are zeroed in the maths, as Pol.is does."""
        from charter.opinions import VoteMatrix

        return VoteMatrix.from_votes(
            ((vote.participant, vote.statement, vote.value) for vote in self.votes),
            statements=[statement.id for statement in self.statements],
            moderated_out=self.moderated_out)

    def numbered(self) -> PolisConversation:
        """The same conversation with Pol.is's numbering: statements 0, 1, ... in their order and
        participants 0, 1, ... in order of their first vote (then authors who never voted), so
        that no member id leaves the app and other tools get the whole numbers they expect."""
        statements = {s.id: str(number) for number, s in enumerate(self.statements)}
        people = [*self.participants, *(s.author for s in self.statements)]
        participants = {person: str(n) for n, person in enumerate(dict.fromkeys(people))}
        return PolisConversation(
            statements=tuple(Statement(statements[s.id], participants[s.author], s.body,
                                       s.moderated, s.created) for s in self.statements),
            votes=tuple(Vote(v.time, participants[v.participant], statements[v.statement],
                             v.value) for v in self.votes),
            topic=self.topic, description=self.description, url=self.url, views=self.views,
            groups={participants[p]: g for p, g in self.groups.items() if p in participants})


def _aware(moment: datetime, what: str) -> None:
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, not {moment!r}")


def from_timestamp(milliseconds: int) -> datetime:
    """Pol.is's timestamp (milliseconds since 1970, UTC) as an aware datetime."""
    return EPOCH + timedelta(milliseconds=milliseconds)


def to_timestamp(moment: datetime) -> int:
    """An aware datetime as Pol.is's timestamp; finer than a millisecond is dropped."""
    return (moment - EPOCH) // timedelta(milliseconds=1)


def java_datetime(moment: datetime) -> str:
    """The `datetime` column's text, as Java's Date prints it, in UTC."""
    utc = moment.astimezone(UTC)
    return (f"{_DAYS[utc.weekday()]} {_MONTHS[utc.month - 1]} {utc.day:02d} "
            f"{utc:%H:%M:%S} UTC {utc.year}")


# --- reading -----------------------------------------------------------------------------------

@dataclass
class _Table:
    """One CSV file's rows under its header, with row numbers as a spreadsheet shows them."""

    name: str
    header: list[str]
    rows: list[tuple[int, list[str]]]

    def column(self, name: str) -> int:
        try:
            return self.header.index(name)
        except ValueError:
            raise PolisFileError(
                self.name, 1, name, f"the header has no '{name}' column (it has "
                f"{', '.join(self.header[:10])}{', ...' if len(self.header) > 10 else ''}); "
                "is this a Pol.is export?") from None


def _read_table(directory: Path, name: str, *, header: bool = True) -> _Table:
    path = directory / name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PolisFileError(name, None, None, f"there is no {name} in {directory}") from None
    except OSError as error:
        raise PolisFileError(name, None, None, f"cannot be read: {error.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row = data[: error.start].count(b"\n") + 1
        raise PolisFileError(name, row, None, f"is not UTF-8 text (byte 0x{data[error.start]:02x}"
                             "); save it as UTF-8 CSV and try again") from None
    if "\x00" in text:
        raise PolisFileError(name, text[: text.index("\x00")].count("\n") + 1, None,
                             "holds a NUL byte, so it is not a CSV text file")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            if cells and any(cell.strip() for cell in cells):
                rows.append((number, cells))
    except csv.Error as error:
        problem = ("a quote opened on this row is never closed" if "end of data" in str(error)
                   else f"{error}; put a cell that holds quotes or commas in double quotes and "
                   "double the quotes inside it")
        raise PolisFileError(name, number + 1, None, f"is not valid CSV: {problem}") from None
    if not rows:
        raise PolisFileError(name, None, None, "is empty; a Pol.is export has a header row "
                             "and one row per " + ("statement" if name == COMMENTS else "entry"))
    if not header:
        return _Table(name, [], rows)
    head = rows[0][1]
    head = [cell.strip() for cell in head]
    table = _Table(name, head, [])
    for number, cells in rows[1:]:
        if len(cells) != len(head):
            raise PolisFileError(name, number, None,
                                 f"has {len(cells)} cells but the header has {len(head)} "
                                 "columns; check for a stray comma or an unclosed quote")
        table.rows.append((number, cells))
    return table


def _whole(table: _Table, row: int, column: str, text: str, *, minimum: int | None = 0) -> int:
    value = text.strip()
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or not (value.isascii() and value.lstrip("-").isdigit()) or (
            minimum is not None and number < minimum):
        raise PolisFileError(table.name, row, column, f"'{text}' is not a whole number"
                             + (" (0 or more)" if minimum == 0 else ""))
    return number


def _vote(table: _Table, row: int, column: str, text: str) -> int:
    value = text.strip()
    if value not in ("-1", "0", "1"):
        raise PolisFileError(table.name, row, column,
                             f"'{text}' is not -1, 0 or 1 (1 agree, -1 disagree, 0 pass)")
    return int(value)


def _unescape(text: str) -> str:
    """Undo `csvsafe.escape`, and only it (see the module docstring)."""
    if len(text) > 1 and text[0] == csvsafe.ESCAPE and (
            text[1] == csvsafe.ESCAPE or text[1] in csvsafe.FORMULA_START):
        return text[1:]
    return text


def _read_comments(directory: Path) -> tuple[Statement, ...]:
    table = _read_table(directory, COMMENTS)
    at = {name: table.column(name) for name in
          ("timestamp", "comment-id", "author-id", "moderated", "comment-body")}
    found: dict[int, tuple[int, Statement]] = {}
    for row, cells in table.rows:
        number = _whole(table, row, "comment-id", cells[at["comment-id"]])
        if number in found:
            raise PolisFileError(COMMENTS, row, "comment-id", f"comment {number} is already on "
                                 f"row {found[number][0]}; each comment id must appear once")
        author = _whole(table, row, "author-id", cells[at["author-id"]])
        moderated = cells[at["moderated"]].strip()
        if moderated not in ("-1", "0", "1"):
            raise PolisFileError(COMMENTS, row, "moderated", f"'{moderated}' is not -1 "
                                 "(moderated out), 0 (not yet moderated) or 1 (accepted)")
        created = from_timestamp(_whole(table, row, "timestamp", cells[at["timestamp"]]))
        found[number] = (row, Statement(str(number), str(author),
                                        _unescape(cells[at["comment-body"]]), int(moderated),
                                        created))
    return tuple(found[number][1] for number in sorted(found))


def _read_votes(directory: Path, known: Mapping[str, Statement]) -> tuple[Vote, ...]:
    table = _read_table(directory, VOTES)
    at = {name: table.column(name) for name in ("timestamp", "comment-id", "voter-id", "vote")}
    votes: list[tuple[int, Vote]] = []
    for row, cells in table.rows:
        comment = str(_whole(table, row, "comment-id", cells[at["comment-id"]]))
        if comment not in known:
            raise PolisFileError(VOTES, row, "comment-id",
                                 f"comment {comment} is not in {COMMENTS}")
        voter = str(_whole(table, row, "voter-id", cells[at["voter-id"]]))
        value = _vote(table, row, "vote", cells[at["vote"]])
        milliseconds = _whole(table, row, "timestamp", cells[at["timestamp"]])
        votes.append((milliseconds, Vote(from_timestamp(milliseconds), voter, comment, value)))
    votes.sort(key=lambda entry: entry[0])  # stable: ties keep the file's order
    return tuple(vote for _, vote in votes)


def _read_participants(directory: Path, known: Mapping[str, Statement],
                       ) -> tuple[dict[str, int], tuple[Vote, ...]]:
    """Pol.is's groups, and the latest votes (for exports without votes.csv)."""
    table = _read_table(directory, PARTICIPANTS_VOTES)
    participant_at, group_at = table.column("participant"), table.column("group-id")
    columns: list[tuple[int, str]] = []
    for position, name in enumerate(table.header):
        if name.isascii() and name.isdigit():
            if str(int(name)) not in known:
                raise PolisFileError(PARTICIPANTS_VOTES, 1, name,
                                     f"comment {int(name)} is not in {COMMENTS}")
            columns.append((position, str(int(name))))
    groups: dict[str, int] = {}
    votes: list[Vote] = []
    seen: dict[str, int] = {}
    for row, cells in table.rows:
        participant = str(_whole(table, row, "participant", cells[participant_at]))
        if participant in seen:
            raise PolisFileError(PARTICIPANTS_VOTES, row, "participant",
                                 f"participant {participant} is already on row "
                                 f"{seen[participant]}; each participant has one row")
        seen[participant] = row
        if cells[group_at].strip():
            groups[participant] = _whole(table, row, "group-id", cells[group_at])
        for position, comment in columns:
            if cells[position].strip():
                votes.append(Vote(None, participant, comment,
                                  _vote(table, row, comment, cells[position])))
    return groups, tuple(votes)


def _read_summary(directory: Path) -> dict[str, str]:
    table = _read_table(directory, SUMMARY, header=False)
    values: dict[str, str] = {}
    for row, cells in table.rows:
        if len(cells) != 2:
            raise PolisFileError(SUMMARY, row, None, f"has {len(cells)} cells; each row of "
                                 f"{SUMMARY} is a key and its value")
        values.setdefault(cells[0].strip(), _unescape(cells[1]))
    views = values.get("views", "").strip()
    if views and not (views.isascii() and views.isdigit()):
        row = next(number for number, cells in table.rows if cells[0].strip() == "views")
        raise PolisFileError(SUMMARY, row, "2", f"views is '{values['views']}', not a whole "
                             "number (0 or more); leave it empty if unknown")
    return values


def read_polis(directory: str | os.PathLike[str]) -> PolisConversation:
    """Read a Pol.is export folder; PolisFileError names the file, row and column of the first
    problem. comments.csv is required, and votes.csv or participants-votes.csv."""
    folder = Path(directory)
    if not folder.is_dir():
        raise PolisFileError(str(folder), None, None,
                             "is not a folder; give the folder holding the export's "
                             f"{COMMENTS}, {VOTES} and {PARTICIPANTS_VOTES}")
    statements = _read_comments(folder)
    known = {statement.id: statement for statement in statements}
    groups: dict[str, int] = {}
    votes: tuple[Vote, ...] = ()
    has_votes = (folder / VOTES).exists()
    if not has_votes and not (folder / PARTICIPANTS_VOTES).exists():
        raise PolisFileError(VOTES, None, None, f"there is neither {VOTES} nor "
                             f"{PARTICIPANTS_VOTES} in {folder}, so there are no votes to read")
    if has_votes:
        votes = _read_votes(folder, known)
    if (folder / PARTICIPANTS_VOTES).exists():
        groups, latest = _read_participants(folder, known)
        if not has_votes:
            votes = latest
    summary = _read_summary(folder) if (folder / SUMMARY).exists() else {}
    views = summary.get("views", "").strip()
    return PolisConversation(
        statements=statements, votes=votes, topic=summary.get("topic", ""),
        description=summary.get("conversation-description", ""), url=summary.get("url", ""),
        views=int(views) if views else None, groups=groups)


# --- writing -----------------------------------------------------------------------------------

def _numbered(kind: str, values: Iterable[str]) -> None:
    for value in values:
        if not (value.isascii() and value.isdigit() and str(int(value)) == value):
            raise ValueError(f"Pol.is's layout numbers {kind}s 0, 1, 2, ...: {kind} {value!r} is "
                             "not such a number; write conversation.numbered() instead")


def _groups_of(conversation: PolisConversation, analysis: Analysis | None) -> dict[str, int]:
    if analysis is None:
        return dict(conversation.groups)
    voters = set(conversation.participants)
    strangers = [p for p in analysis.participants if p not in voters]
    if strangers:
        raise ValueError(f"the analysis groups participants who did not vote in this "
                         f"conversation: {', '.join(strangers[:5])}")
    return dict(zip(analysis.participants, analysis.groups, strict=True))


def polis_files(conversation: PolisConversation, analysis: Analysis | None = None,
                ) -> dict[str, bytes]:
    """The export's files as bytes (see `write_polis`)."""
    _numbered("statement", (s.id for s in conversation.statements))
    _numbered("participant", (s.author for s in conversation.statements))
    _numbered("participant", conversation.participants)
    groups = _groups_of(conversation, analysis)
    counted: dict[str, Counter[int]] = defaultdict(Counter)
    for vote in conversation.votes:
        counted[vote.statement][vote.value] += 1
    files = {COMMENTS: csvsafe.encode([COMMENTS_HEADER, *(
        (to_timestamp(s.created), java_datetime(s.created), s.id, s.author,
         counted[s.id][AGREE], counted[s.id][DISAGREE], s.moderated, s.body)
        for s in conversation.statements)])}
    if conversation.timed:
        ordered = sorted(conversation.votes, key=lambda v: (int(v.statement), int(v.participant)))
        files[VOTES] = csvsafe.encode([VOTES_HEADER, *(
            (to_timestamp(v.time), java_datetime(v.time), v.statement, v.participant, v.value)
            for v in ordered if v.time is not None)])
    latest = conversation.latest()
    columns = sorted((s.id for s in conversation.statements), key=int)
    lowest: dict[str, int] = {}
    for participant, statement in latest:
        lowest[participant] = min(lowest.get(participant, int(statement)), int(statement))
    authored = Counter(s.author for s in conversation.statements)
    rows: list[list[object]] = [[*PARTICIPANTS_HEADER, *columns]]
    for participant in sorted(lowest, key=lambda p: (lowest[p], int(p))):
        cells = [latest.get((participant, statement)) for statement in columns]
        values = [value for value in cells if value is not None]
        rows.append([participant, groups.get(participant, ""), authored[participant],
                     len(values), values.count(AGREE), values.count(DISAGREE),
                     *("" if value is None else value for value in cells)])
    files[PARTICIPANTS_VOTES] = csvsafe.encode(rows)
    group_count = len(analysis.group_sizes) if analysis is not None else len(set(groups.values()))
    voters = len(lowest)
    files[SUMMARY] = csvsafe.encode([
        ("topic", conversation.topic), ("url", conversation.url),
        ("views", "" if conversation.views is None else conversation.views),
        ("voters", voters), ("voters-in-conv", voters), ("commenters", len(authored)),
        ("comments", len(conversation.statements)), ("groups", group_count),
        ("conversation-description", conversation.description)])
    return files


def write_polis(directory: str | os.PathLike[str], conversation: PolisConversation,
                analysis: Analysis | None = None) -> list[Path]:
    """Write the conversation in Pol.is's layout into `directory` (made if missing) and return
    the files written. Ids must be Pol.is's whole numbers (see `PolisConversation.numbered`).
    `group-id` comes from `analysis` when given, else from the conversation's Pol.is groups.
    Votes without times are written without votes.csv (any old one there is removed), as older
    exports were, so that they read back the same."""
    files = polis_files(conversation, analysis)
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in files.items():
        path = folder / name
        temporary = folder / f".{name}.partial"
        temporary.write_bytes(data)
        temporary.replace(path)
        written.append(path)
    if VOTES not in files and (folder / VOTES).exists():
        (folder / VOTES).unlink()
    return written

