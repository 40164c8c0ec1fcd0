"""Nothing a user sends gives a server error, and a refused request changes nothing (issue 7,
item 11).

Every route and method comes from the app's route table, so a new route is covered without
editing this file. For each, the test signs in as an actor the route lets in (an administrator,
else a panel member, else nobody), and sends a fixed set of cases:

- path parameters out of range (ids beyond 32 and 64 bits, over-long strings, control
  characters, text that is not UTF-8) and a method the route does not take;
- for pages, query strings with huge numbers and control characters;
- for forms, the fields found by reading every page's forms (or, for a form no page shows in
  this world, every field name seen anywhere): each field in turn and then all at once set to
  over-long text, control characters, huge and negative numbers, blanks; fields missing,
  repeated, sent as files, or percent-encoded as lone surrogates and invalid UTF-8; and, where a
  form takes files, files that are empty, binary, with a first line beyond the CSV reader's
  limit, with quota numbers beyond 2^63 and with values longer than their columns.

Every answer must be below 500, and whenever a request is refused (4xx) the database must be as
it was before (sign-in bookkeeping aside). The cases are fixed, so the test is deterministic.
"""

from __future__ import annotations

import html.parser
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, select
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from assembly import db, sessions
from assembly.accounts.models import Officer
from assembly.deliberation.models import (
    Attachment,
    Briefing,
    Meeting,
    Question,
    Round,
    RoundKind,
)
from assembly.discussion.models import Statement, StatementStatus
from assembly.routes import routes
from assembly.selection.models import Member, SelectionRun
from assembly.settings import Settings
from assembly.tables import utcnow
from tests.app.builders import drawn_panel, make_officer, open_draft, synthetic
from tests.app.flows import SAME_ORIGIN, create, make_client, upload

ADMIN, MEMBER, ANONYMOUS = "admin", "member", "anonymous"
ROLES = (ADMIN, MEMBER, ANONYMOUS)
# Written by requests that are refused on purpose (throttling counts failures) or by every
# request (a session's last use): not "partial data".
BOOKKEEPING = frozenset({"throttle", "user_session"})

LONG = "x" * 10_001            # longer than any text column (the remit takes 10,000)
WIDE = "ü" * 2_001             # longer than 2,000 characters, twice as many bytes
VALUES: dict[str, str] = {
    "long": LONG,
    "wide": WIDE,
    "controls": "\x00\n\t\x7f\x1b[2J\r\u202e\x0b",
    "beyond 64 bits": "99999999999999999999999",
    "beyond 63 bits": "9223372036854775808",
    "beyond 32 bits": "2147483648",
    "negative": "-1",
    "float": "1e309",
    "not a number": "NaN",
    "blank": "   ",
}
PATH_IDS = ("99999999999999999999", "9223372036854775808", "2147483648", "1000000000", "0")
PATH_TEXTS = ("x" * 5_000, "%00", "%0A%0D", "%1B%5B2J", "%ED%A0%80", "%FF%FE", "..%2F..%2Fetc")
QUERIES = ("?page=99999999999999999999&next=%0A&x=%00",
           "?page=-1&next=/%09/evil.example&q=" + "y" * 5_000,
           "?page=%ED%A0%80&next=%FF",
           "?next=/%0D%0ASet-Cookie:%20x=1&page=1%00")
FILES: dict[str, bytes] = {
    "empty": b"",
    "binary": bytes(range(256)) * 40,
    "first line beyond 128 KiB": b"x" * 140_000 + b",value,min,max\n",
    "cell beyond 128 KiB": b"feature,value,min,max\nAge,\"" + b"y" * 140_000 + b"\",1,2\n",
    "quota beyond 2^63": b"feature,value,min,max\nAge,Young,99999999999999999999,2\n"
                         b"Age,Old,1,99999999999999999999\n",
    "quota value too long": b"feature,value,min,max\nAge," + b"v" * 300 + b",1,2\n"
                            + b"F" * 150 + b",x,0,1\n",
    "control characters": "feature,value,min,max\nAge\x1b[2J,You\x00ng,1,2\n".encode(),
    "utf-16 junk": b"\xff\xfe" + "Age,\ud800".encode("utf-16-le", "surrogatepass"),
}


# --- the world: one assembly with its pool and quotas, one with a drawn panel --------------------


@dataclass
class World:
    params: dict[str, dict[str, str]]       # per kind of route: path parameter -> value
    clients: dict[str, TestClient]
    tokens: dict[str, Any]                  # how to sign each role in again
    forms: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # action -> fields
    files: dict[str, set[str]] = field(default_factory=dict)              # action -> file fields


class FormReader(html.parser.HTMLParser):
    """The POST forms of a page: their action and every named field with its value (a
    checkbox as if ticked, a select's first option), and which fields take files."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, list[str]], set[str]]] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            if a.get("method", "get").lower() == "post":
                self.forms.append((a.get("action", ""), {}, set()))
            return
        if not self.forms or "name" not in a:
            if tag == "select":
                self._select = None
            return
        _, fields, files = self.forms[-1]
        name = a["name"]
        if tag in ("input", "button"):
            fields.setdefault(name, []).append(a.get("value", ""))
            if a.get("type") == "file":
                files.add(name)
        elif tag == "textarea":
            fields.setdefault(name, []).append("")
        elif tag == "select":
            self._select = name
            fields.setdefault(name, [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def page_forms(text: str) -> list[tuple[str, dict[str, list[str]], set[str]]]:
    reader = FormReader()
    reader.feed(text)
    return reader.forms


def all_routes() -> Iterator[tuple[Route, str]]:
    for route in routes:
        if isinstance(route, Mount):
            continue
        assert isinstance(route, Route), route
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                yield route, method


def param_names(route: Route) -> list[str]:
    return list(route.param_convertors)


def is_id(route: Route, name: str) -> bool:
    return type(route.param_convertors[name]).__name__ in ("IdConvertor", "IntegerConvertor")


def fill(route: Route, values: dict[str, str]) -> str:
    path = route.path
    for name in param_names(route):
        path = re.sub(r"\{" + name + r"(:[^}]*)?\}", values[name], path)
    return path


def params_for(route: Route, world: World) -> dict[str, str]:
    """Routes about a member, a run or a respondent use the drawn assembly; the others the
    assembly whose pool and quotas are loaded but not drawn (so its forms are not locked)."""
    names = set(param_names(route))
    kind = "drawn" if names - {"assembly_id"} else "loaded"
    return {name: world.params[kind][name] for name in names}


def denied(response: Any) -> bool:
    location = response.headers.get("location", "") + response.headers.get("hx-redirect", "")
    return response.status_code in (401, 403) or location.startswith("/login?")


@pytest.fixture
def world(app: Starlette, engine: Engine, settings: Settings, admin: Officer) -> Iterator[World]:
    colleague = make_officer(engine, settings, "colleague@example.org")
    panel = drawn_panel(engine, respondents=8, panel=3, reserves=2)
    with db.session(engine) as session:
        member = session.exec(select(Member).where(Member.assembly_id == panel.assembly_id)
                              ).first()
        run = session.exec(select(SelectionRun).where(
            SelectionRun.assembly_id == panel.assembly_id)).first()
        assert member is not None and run is not None
    with db.session(engine, write=True) as session:
        # The builder's run has no report (its panel was written straight to the database);
        # a finished run without one cannot happen, so show it as a run that failed.
        run.status, run.error = "failed", "A run of the test world."
        session.add(run)
        # A (discuss) round and a meeting of the drawn assembly, months ahead.
        start = utcnow() + timedelta(days=90)
        item = Round(assembly_id=panel.assembly_id, kind=RoundKind.discuss.value, title="A round",
                     opens_at=start, closes_at=start + timedelta(days=7))
        meeting = Meeting(assembly_id=panel.assembly_id, title="A meeting", starts_at=start,
                          ends_at=start + timedelta(hours=2), place="Town hall",
                          address="1 High Street")
        # An open learn round with a briefing, a file and a question, for the evidence routes.
        learn = Round(assembly_id=panel.assembly_id, kind=RoundKind.learn.value,
                      title="Learning", opens_at=utcnow() - timedelta(days=1),
                      closes_at=start)
        session.add_all([item, meeting, learn])
        session.flush()
        briefing = Briefing(round_id=learn.id, title="A briefing", summary="In short.",
                            body="The *text*.", speaker_name="A speaker", interests="None")
        session.add(briefing)
        session.flush()
        attachment = Attachment(briefing_id=briefing.id, filename="notes.pdf",
                                content_type="application/pdf", size=9, data=b"%PDF-1.4\n%")
        question = Question(round_id=learn.id, member_id=member.id, text="Why?")
        statement = Statement(round_id=item.id, number=1, seed=True, text="A seed.",
                              normalised="a seed", status=StatementStatus.accepted.value)
        session.add_all([attachment, question, statement])
        # An open draft round with a principle, a comment, an amendment and a dissent note.
        drafting = open_draft(session, panel.assembly_id, member.id or 0, title="Drafting",
                              closes_at=start)
    clients = {role: make_client(app) for role in ROLES}
    for client in clients.values():
        client.__enter__()
    made = World(params={}, clients=clients, tokens={ADMIN: admin, MEMBER: member})
    sign_in(made, engine, settings)
    pool = synthetic()
    loaded = create(clients[ADMIN])
    assert upload(clients[ADMIN], loaded, quotas=pool.quotas_csv(),
                  people=pool.people_csv()).status_code == 303
    erasable = next(p for p in panel.people if p.member_id is None)
    drawn_member = next(p for p in panel.people if p.member_id is not None)
    made.params = {
        "drawn": {"assembly_id": str(panel.assembly_id), "member_id": str(drawn_member.member_id),
                  "run_id": str(run.id), "respondent_id": erasable.public_id,
                  "officer_id": str(colleague.id), "token": "no-such-invitation",
                  "name": "pool.csv", "batch_id": "no-such-batch", "round_id": str(item.id),
                  "version": "1",
                  "meeting_id": str(meeting.id), "round": item.public_id,
                  "meeting": meeting.public_id, "briefing_id": str(briefing.id), "message_id": "999999",
                  "attachment_id": str(attachment.id), "question_id": str(question.id),
                  "briefing": briefing.public_id, "attachment": attachment.public_id,
                  "statement_id": str(statement.id), "statement": statement.public_id,
                  "principle_id": str(drafting.principle.id),
                  "comment_id": str(drafting.comment.id),
                  "amendment_id": str(drafting.amendment.id),
                  "principle": drafting.principle.public_id, "note": drafting.note.public_id},
        "loaded": {"assembly_id": str(loaded), "officer_id": str(colleague.id),
                   "token": "no-such-invitation", "batch_id": "no-such-batch"},
    }
    yield made
    for client in clients.values():
        client.__exit__(None, None, None)


def sign_in(world: World, engine: Engine, settings: Settings) -> None:
    """A fresh session for the administrator and the member (a case may have signed out)."""
    with db.session(engine, write=True) as session:
        admin_token = sessions.start(session, settings, officer=world.tokens[ADMIN])
        member_token = sessions.start(session, settings, member=world.tokens[MEMBER])
    world.clients[ADMIN].cookies.set(settings.session_cookie, admin_token)
    world.clients[MEMBER].cookies.set(settings.session_cookie, member_token)


# Letters an earlier request prepared are rendered by a background thread, which updates their
# batch's progress at any time: for these rows only their existence is compared.
BACKGROUND = {"letter_batch": "public_id"}


def snapshot(engine: Engine) -> dict[str, list[str]]:
    with engine.connect() as connection:
        return {table.name: sorted(repr(tuple(row)) for row in connection.execute(
                    sa.select(table.c[BACKGROUND[table.name]]) if table.name in BACKGROUND
                    else sa.select(table)).all())
                for table in SQLModel.metadata.sorted_tables if table.name not in BOOKKEEPING}


# --- the cases -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    label: str
    path: str
    method: str = "GET"
    data: Any = None                 # a dict (urlencoded, or multipart with files), or bytes
    files: Any = None
    content_type: str | None = None
    htmx: bool = False


def people_too_long() -> dict[str, bytes]:
    """People files that fit the world's quotas, each with one value longer than its column
    (the id, the legal basis, the consent version, the e-mail address): only PostgreSQL
    would refuse them, so only a check at the edge keeps them from a server error."""
    pool = synthetic()
    header = [*pool.columns, "legal_basis", "consent_version"]
    files = {}
    for label, column, value in (("id", "id", "i" * 201), ("legal basis", "legal_basis",
                                 "l" * 2_001), ("consent version", "consent_version", "c" * 101),
                                 ("e-mail", "email", "a@" + "e" * 320)):
        row = [*pool.rows[0], "Public task", "v1"]
        row[header.index(column)] = value
        files[f"{label} too long"] = (",".join(header) + "\n" + ",".join(row)
                                              + "\n").encode()
    return files


def body_cases(path: str, fields: dict[str, list[str]], file_fields: set[str]) -> list[Case]:
    defaults = {name: values[0] if values else "" for name, values in fields.items()
                if name not in file_fields}
    if not fields:  # the form is a button: what it sends is never read, so a few cases do
        return [Case("nothing at all", path, "POST", {}),
                Case("not a form at all", path, "POST", b"\x00\xff{]" * 100,
                     content_type="application/x-www-form-urlencoded"),
                Case("a file", path, "POST", {}, files=[("x", ("x.csv", b"a\n", "text/csv"))],
                     htmx=True)]
    cases = [Case("nothing at all", path, "POST", {}),
             Case("the form as shown", path, "POST", dict(defaults))]
    text_fields = sorted(defaults)
    one_by_one = len(text_fields) <= 12
    for number, (label, value) in enumerate(VALUES.items()):
        htmx = number % 2 == 1
        if one_by_one:
            for name in text_fields:
                cases.append(Case(f"{name} = {label}", path, "POST", {**defaults, name: value},
                                  htmx=htmx))
        cases.append(Case(f"every field = {label}", path, "POST",
                          dict.fromkeys(text_fields, value), htmx=not htmx))
    names = text_fields or ["field"]
    cases += [
        Case("lone surrogates, percent-encoded", path, "POST",
             "&".join(f"{quote(n)}=%ED%A0%80" for n in names).encode(),
             content_type="application/x-www-form-urlencoded"),
        Case("invalid UTF-8, percent-encoded", path, "POST",
             "&".join(f"{quote(n)}=%FF%FE%C0" for n in names).encode(),
             content_type="application/x-www-form-urlencoded"),
        Case("not a form at all", path, "POST", b"\x00\xff{]" * 100,
             content_type="application/x-www-form-urlencoded"),
        Case("broken multipart", path, "POST", b"--x\r\nContent-Disposition: form-data\r\n\r\n",
             content_type="multipart/form-data; boundary=x"),
        Case("JSON instead of a form", path, "POST", b'{"a": [1, 2]}',
             content_type="application/json"),
        Case("lone surrogates in multipart, with a charset that does not exist", path, "POST",
             b"".join(b"--x\r\nContent-Disposition: form-data; name=\"" + n.encode()
                      + b"\"\r\n\r\n\xed\xa0\x80\xff\r\n" for n in names) + b"--x--\r\n",
             content_type="multipart/form-data; boundary=x; charset=no-such-codec", htmx=True),
        Case("every field twice", path, "POST",
             "&".join(f"{quote(n)}={quote(v)}" for n in names for v in ("1", LONG)).encode(),
             content_type="application/x-www-form-urlencoded"),
        Case("every field a file", path, "POST", {},
             files=[(n, ("x.csv", b"a,b\n1,2\n", "text/csv")) for n in names]),
    ]
    for label, content in {**FILES, **people_too_long()}.items():
        for name in sorted(file_fields):  # each file field alone, the others left empty
            cases.append(Case(f"{name}: {label}", path, "POST", dict(defaults),
                              files=[(name, (f"{name}.csv", content, "text/csv"))]))
    return cases


def path_cases(route: Route, method: str, params: dict[str, str]) -> list[Case]:
    cases = []
    for name in param_names(route):
        for value in PATH_IDS if is_id(route, name) else PATH_TEXTS:
            cases.append(Case(f"{name} = {value[:20]}", fill(route, {**params, name: value}),
                              method, {} if method == "POST" else None))
    path = fill(route, params)
    cases.append(Case("a method it does not take", path, "PUT" if method != "PUT" else "GET"))
    if method == "GET":
        cases += [Case(f"query {q[:30]}{' (htmx)' if htmx else ''}", path + q, htmx=htmx)
                  for q in QUERIES for htmx in (False, True)]
    return cases


def bad_headers(response: Any) -> list[str]:
    """Header values with CR, LF or NUL: the test client passes them on, but uvicorn (h11)
    refuses to send them and the browser gets a 500."""
    return [f"{name}: {value[:60]!r}" for name, value in response.headers.multi_items()
            if any(c in value for c in "\r\n\x00")]


def send(client: TestClient, case: Case) -> Any:
    headers = dict(SAME_ORIGIN)
    if case.htmx:
        headers.update({"HX-Request": "true", "HX-Request-Type": "partial"})
    if case.content_type:
        headers["Content-Type"] = case.content_type
    if isinstance(case.data, bytes):
        return client.request(case.method, case.path, content=case.data, headers=headers,
                              follow_redirects=False)
    return client.request(case.method, case.path, data=case.data, files=case.files,
                          headers=headers, follow_redirects=False)


# --- the test ------------------------------------------------------------------------------------


def discover(world: World, failures: list[str]) -> None:
    """Every page, as every role, with the parameters of both assemblies: their POST forms."""
    for route, method in all_routes():
        if method != "GET":
            continue
        for kind in ("drawn", "loaded"):
            if not set(param_names(route)) <= set(world.params[kind]):
                continue
            path = fill(route, {n: world.params[kind][n] for n in param_names(route)})
            for role in ROLES:
                try:
                    response = world.clients[role].get(path, follow_redirects=False)
                except Exception as error:
                    failures.append(f"{role} GET {path}: {type(error).__name__}: "
                                    f"{str(error)[:300]}")
                    continue
                if response.status_code >= 500:
                    failures.append(f"{role} GET {path}: {response.status_code}")
                if response.status_code >= 300:
                    continue
                for action, fields, files in page_forms(response.text):
                    action = urlsplit(action).path
                    known = world.forms.setdefault(action, {})
                    for name, values in fields.items():
                        known.setdefault(name, []).extend(values)
                    world.files.setdefault(action, set()).update(files)


def fields_of(route: Route, world: World) -> tuple[dict[str, list[str]], set[str]]:
    fields: dict[str, list[str]] = {}
    files: set[str] = set()
    shown = False
    for action, found in world.forms.items():
        if route.path_regex.match(action):
            shown = True
            for name, values in found.items():
                fields.setdefault(name, []).extend(values)
            files |= world.files.get(action, set())
    if shown:  # a button alone (sign out, a new letter) has no fields to vary
        return fields, files
    # No page shows this form in this world (e.g. the draw, once drawn): every name seen.
    every = {name for found in world.forms.values() for name in found}
    return {name: [] for name in sorted(every)}, set()


def role_for(route: Route, method: str, path: str, world: World, engine: Engine,
             settings: Settings) -> str:
    sign_in(world, engine, settings)
    for role in ROLES:
        response = send(world.clients[role], Case("who may", path, method,
                                                  {} if method == "POST" else None))
        if not denied(response):
            return role
    return ANONYMOUS


def test_nothing_a_user_sends_gives_a_server_error(world: World, engine: Engine,
                                                   settings: Settings) -> None:
    started = time.monotonic()
    failures: list[str] = []
    discover(world, failures)
    assert any(files for files in world.files.values()), "no upload form was found"
    sent = 0
    for route, method in all_routes():
        params = params_for(route, world)
        path = fill(route, params)
        role = role_for(route, method, path, world, engine, settings)
        cases = path_cases(route, method, params)
        if method == "POST":
            cases += body_cases(path, *fields_of(route, world))
        state = None  # the database as the last POST left it (GETs may tidy up stale runs)
        for case in cases:
            before = (state or snapshot(engine)) if case.method == "POST" else None
            sent += 1
            where = f"{role} {case.method} {route.name} [{case.label}]"
            try:
                response = send(world.clients[role], case)
                if role != ANONYMOUS and (denied(response) or settings.session_cookie in
                                          response.headers.get("set-cookie", "")):
                    sign_in(world, engine, settings)  # a case signed out: sign in, try again
                    if denied(response):
                        response = send(world.clients[role], case)
            except Exception as error:  # the app raised: a server error
                failures.append(f"{where}: {type(error).__name__}: {str(error)[:300]}")
                state = None
                continue
            state = snapshot(engine) if before is not None else None
            if response.status_code >= 500:
                failures.append(f"{where}: {response.status_code}")
            elif bad_headers(response):
                failures.append(f"{where}: headers a real server refuses to send (it answers "
                                f"500): {bad_headers(response)}")
            elif before is not None and state is not None and response.status_code >= 400:
                changed = sorted(t for t in before if before[t] != state[t])
                if changed:
                    failures.append(f"{where}: refused ({response.status_code}) but changed "
                                    f"{changed}")
    elapsed = time.monotonic() - started
    print(f"\n{sent} requests in {elapsed:.1f} s")
    assert not failures, f"{len(failures)} of {sent} requests failed:\n" + "\n".join(failures)
