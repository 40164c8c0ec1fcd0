"""Who may do what, for every route and method: anonymous visitor, panel member, officer, admin.

`ACCESS` is the table. Adding a route to `assembly/routes.py` without a row here fails
`test_every_route_is_in_the_table`. Each row names the route, the method, and who is ALLOWED; the
test then makes the request as every kind of actor and asserts it is allowed or denied.

"Denied" means refused by the access check: 401, 403, or a redirect to a sign-in page (the
officers' or the members').
"Allowed" means anything else short of a server error: a 422 for an empty form still shows the
request got past the access check. Paths with parameters are filled from the `world` fixture
(`{officer_id}`, `{assembly_id}`, ...); extend `world` when your routes need more objects.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from assembly import db
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
from assembly.recruitment.models import Respondent
from assembly.routes import routes
from assembly.selection.models import Member, SelectionRun
from assembly.settings import Settings
from assembly.tables import utcnow
from tests.app.builders import make_officer, open_draft
from tests.app.flows import login, make_client, post_form, sign_in_member

ANONYMOUS, MEMBER, OFFICER, ADMIN = "anonymous", "member", "officer", "admin"
ROLES = (ANONYMOUS, MEMBER, OFFICER, ADMIN)
EVERYONE = frozenset(ROLES)
OFFICERS = frozenset({OFFICER, ADMIN})
ADMINS = frozenset({ADMIN})
MEMBERS = frozenset({MEMBER})


@dataclass(frozen=True)
class Access:
    name: str            # the route's name in assembly/routes.py
    method: str
    allowed: frozenset[str]
    path: str = ""       # filled from the route's path when empty


ACCESS: tuple[Access, ...] = (
    Access("home", "GET", EVERYONE),
    Access("accessibility", "GET", EVERYONE),
    Access("privacy_notices", "GET", EVERYONE),
    Access("privacy_notice", "GET", EVERYONE),
    Access("login_page", "GET", EVERYONE),
    Access("login", "POST", EVERYONE),
    Access("logout", "POST", EVERYONE),
    Access("account_password", "GET", OFFICERS),
    Access("account_password_change", "POST", OFFICERS),
    Access("admin_officers", "GET", ADMINS),
    Access("admin_revoke_sessions", "POST", ADMINS),
    Access("admin_set_disabled", "POST", ADMINS),
    # officer workspace
    Access("officer_home", "GET", OFFICERS),
    Access("assembly_create", "POST", OFFICERS),
    Access("assembly_new", "GET", OFFICERS),
    Access("assembly", "GET", OFFICERS),
    Access("assembly_edit", "GET", OFFICERS),
    Access("assembly_update", "POST", OFFICERS),
    Access("pool", "GET", OFFICERS),
    Access("pool_upload", "POST", OFFICERS),
    Access("quotas", "GET", OFFICERS),
    Access("quotas_save", "POST", OFFICERS),
    Access("selection", "GET", OFFICERS),
    Access("selection_start", "POST", OFFICERS),
    Access("selection_run", "GET", OFFICERS),
    Access("selection_file", "GET", OFFICERS, "/assemblies/{assembly_id}/runs/{run_id}/files/pool.csv"),
    Access("selection_public_pack", "GET", OFFICERS),
    Access("selection_auditor_pack", "GET", OFFICERS),
    Access("draw", "POST", OFFICERS),
    Access("panel", "GET", OFFICERS),
    Access("member_drop_out_page", "GET", OFFICERS),
    Access("member_drop_out", "POST", OFFICERS),
    Access("member_leave_seat_empty", "POST", OFFICERS),
    Access("audit_log", "GET", OFFICERS),
    Access("audit_csv", "GET", OFFICERS),
    Access("audit_jsonl", "GET", OFFICERS),
    # invitations
    Access("invitations", "GET", OFFICERS),
    Access("invitations_issue", "POST", OFFICERS),
    Access("invitation_reissue", "POST", OFFICERS),
    Access("letter_batch", "GET", OFFICERS),
    Access("letter_batch_download", "POST", OFFICERS),
    Access("invite_code_page", "GET", EVERYONE),
    Access("invite_code", "POST", EVERYONE),
    Access("invitation", "GET", EVERYONE),
    Access("invitation_redeem", "POST", EVERYONE),
    Access("invitation_decline_page", "GET", EVERYONE),
    Access("invitation_decline", "POST", EVERYONE),
    Access("welcome", "GET", EVERYONE),  # a permanent redirect to member_home, for anyone
    # the programme (officers) and the member's home
    Access("programme", "GET", OFFICERS),
    Access("programme_calendar", "GET", OFFICERS),
    Access("programme_time_zone", "POST", OFFICERS),
    Access("round_new", "GET", OFFICERS),
    Access("round_create", "POST", OFFICERS),
    Access("round", "GET", OFFICERS),
    Access("round_edit", "GET", OFFICERS),
    Access("round_update", "POST", OFFICERS),
    Access("round_move", "POST", OFFICERS),
    Access("round_delete", "POST", OFFICERS),
    Access("round_open_now", "POST", OFFICERS),
    Access("round_extend", "POST", OFFICERS),
    Access("round_close_now", "POST", OFFICERS),
    Access("round_reopen", "POST", OFFICERS),
    Access("round_release", "POST", OFFICERS),
    Access("meeting_new", "GET", OFFICERS),
    Access("meeting_create", "POST", OFFICERS),
    Access("meeting_edit", "GET", OFFICERS),
    Access("briefing_new", "GET", OFFICERS),
    Access("briefing_create", "POST", OFFICERS),
    Access("briefing", "GET", OFFICERS),
    Access("briefing_edit", "GET", OFFICERS),
    Access("briefing_update", "POST", OFFICERS),
    Access("attachment_add", "POST", OFFICERS),
    Access("attachment", "GET", OFFICERS),
    Access("attachment_delete", "POST", OFFICERS),
    Access("question_key_in", "POST", OFFICERS),
    Access("question_moderate", "POST", OFFICERS),
    Access("question_merge", "POST", OFFICERS),
    Access("question_answer", "POST", OFFICERS),
    Access("meeting_update", "POST", OFFICERS),
    Access("meeting_delete", "POST", OFFICERS),
    Access("meeting_calendar", "GET", OFFICERS),
    Access("round_reminder_letters", "GET", OFFICERS),
    Access("mail_retry", "POST", OFFICERS),
    Access("member_home", "GET", MEMBERS),
    Access("member_reminders", "POST", MEMBERS),
    Access("member_programme_calendar", "GET", MEMBERS),
    Access("member_round", "GET", MEMBERS, "/home/rounds/{round_public_id}"),
    Access("member_meeting_calendar", "GET", MEMBERS, "/home/meetings/{meeting_public_id}.ics"),
    Access("member_question_ask", "POST", MEMBERS, "/home/rounds/{learn_public_id}/questions"),
    Access("member_briefing", "GET", MEMBERS, "/home/briefings/{briefing_public_id}"),
    Access("member_briefing_read", "POST", MEMBERS,
           "/home/briefings/{briefing_public_id}/read"),
    Access("member_attachment", "GET", MEMBERS, "/home/files/{attachment_public_id}"),
    # discuss rounds
    Access("discuss_round", "GET", OFFICERS, "/assemblies/{assembly_id}/rounds/{discuss_id}/discuss"),
    Access("discuss_configure", "POST", OFFICERS,
           "/assemblies/{assembly_id}/rounds/{discuss_id}/discuss/settings"),
    Access("discuss_seed", "POST", OFFICERS,
           "/assemblies/{assembly_id}/rounds/{discuss_id}/discuss/seed"),
    Access("statement_moderate", "POST", OFFICERS),
    Access("discuss_paper", "GET", OFFICERS,
           "/assemblies/{assembly_id}/rounds/{discuss_id}/discuss/paper?member={member_public_id}"),
    Access("discuss_paper_statement", "POST", OFFICERS,
           "/assemblies/{assembly_id}/rounds/{discuss_id}/discuss/paper/statements"),
    Access("discuss_paper_votes", "POST", OFFICERS,
           "/assemblies/{assembly_id}/rounds/{discuss_id}/discuss/paper/votes"),
    Access("member_discuss", "GET", MEMBERS, "/home/rounds/{discuss_public_id}/discuss"),
    Access("member_discuss_write", "POST", MEMBERS,
           "/home/rounds/{discuss_public_id}/discuss/statements"),
    Access("member_discuss_vote", "POST", MEMBERS, "/home/rounds/{discuss_public_id}/discuss/votes"),
    Access("member_discuss_statement", "GET", MEMBERS,
           "/home/rounds/{discuss_public_id}/discuss/statements/{statement_public_id}"),
    # discuss rounds: results (members see them once released) and the Pol.is export
    Access("discuss_results", "GET", OFFICERS,
           "/assemblies/{assembly_id}/rounds/{discuss_id}/results"),
    Access("discuss_polis_export", "GET", OFFICERS,
           "/assemblies/{assembly_id}/rounds/{discuss_id}/results/polis.zip"),
    Access("member_discuss_results", "GET", MEMBERS, "/home/rounds/{discuss_public_id}/results"),
    # draft rounds: principles, comments, amendments, dissent notes
    Access("draft_round", "GET", OFFICERS, "/assemblies/{assembly_id}/rounds/{draft_id}/principles"),
    Access("principle_create", "POST", OFFICERS,
           "/assemblies/{assembly_id}/rounds/{draft_id}/principles"),
    Access("draft_configure", "POST", OFFICERS,
           "/assemblies/{assembly_id}/rounds/{draft_id}/principles/settings"),
    Access("principle", "GET", OFFICERS),
    Access("principle_update", "POST", OFFICERS),
    Access("principle_move", "POST", OFFICERS),
    Access("principle_link", "POST", OFFICERS),
    Access("principle_comment_key_in", "POST", OFFICERS),
    Access("principle_history", "GET", OFFICERS),
    Access("comment_hide", "POST", OFFICERS),
    Access("amendment_decide", "POST", OFFICERS),
    Access("member_principles", "GET", MEMBERS, "/home/rounds/{draft_public_id}/principles"),
    Access("member_principle", "GET", MEMBERS, "/home/principles/{principle_public_id}"),
    Access("member_comment", "POST", MEMBERS, "/home/principles/{principle_public_id}/comments"),
    Access("member_amendment", "POST", MEMBERS,
           "/home/principles/{principle_public_id}/amendments"),
    Access("member_dissent", "POST", MEMBERS, "/home/principles/{principle_public_id}/dissent"),
    Access("member_principle_history", "GET", MEMBERS,
           "/home/principles/{principle_public_id}/history"),
    Access("member_dissent_sign", "POST", MEMBERS, "/home/dissent/{note_public_id}/sign"),
    # vote rounds: the ballot (the world's round is a vote months ahead)
    Access("ballots_round", "GET", OFFICERS),
    Access("ballots_configure", "POST", OFFICERS),
    Access("ballots_entry", "GET", OFFICERS),
    Access("ballots_enter", "POST", OFFICERS),
    Access("ballots_packs", "GET", OFFICERS),
    Access("ballots_results", "GET", OFFICERS),
    Access("member_ballot", "GET", MEMBERS, "/home/rounds/{round_public_id}/ballot"),
    Access("member_ballot_vote", "POST", MEMBERS, "/home/rounds/{round_public_id}/ballot"),
    Access("member_ballot_receipt", "POST", MEMBERS,
           "/home/rounds/{round_public_id}/ballot/receipt"),
    Access("member_ballot_results", "GET", MEMBERS,
           "/home/rounds/{round_public_id}/ballot/results"),
    Access("receipt_page", "GET", EVERYONE),
    Access("receipt_check", "POST", EVERYONE),
    # the charter: officers respond and publish; anyone reads what was published (404 until then)
    Access("charter_officer", "GET", OFFICERS),
    Access("charter_preview", "GET", OFFICERS),
    Access("charter_publish", "POST", OFFICERS),
    Access("charter_respond", "POST", OFFICERS,
           "/assemblies/{assembly_id}/charter/responses/{principle_id}"),
    Access("charters", "GET", EVERYONE),
    Access("charter_latest", "GET", EVERYONE),
    Access("charter_versions", "GET", EVERYONE),
    Access("charter_version", "GET", EVERYONE, "/charters/{assembly_id}/v1/"),
    Access("charter_file", "GET", EVERYONE, "/charters/{assembly_id}/v1/charter.pdf"),
    # signing in again
    Access("member_sign_in_page", "GET", EVERYONE),
    Access("member_sign_in", "POST", EVERYONE),
    Access("member_sign_in_link", "GET", EVERYONE),
    Access("member_sign_in_link_use", "POST", EVERYONE),
    Access("member_account", "GET", MEMBERS),
    Access("member_sign_out_everywhere", "POST", MEMBERS),
    Access("member_sign_in_code_page", "GET", OFFICERS),
    Access("member_sign_in_code", "POST", OFFICERS),
    # personal data
    Access("personal_data", "GET", OFFICERS),
    Access("personal_data_find", "POST", OFFICERS),
    Access("retention_change", "POST", OFFICERS),
    Access("respondent_erase", "POST", OFFICERS),
)


def route_methods() -> set[tuple[str, str]]:
    """(name, method) for every route, HEAD aside (Starlette adds it to every GET)."""
    found = set()
    for route in routes:
        if isinstance(route, Mount):
            continue  # static files: public by design, and not handlers
        assert isinstance(route, Route), f"unexpected route type {route!r}"
        assert route.name, f"route {route.path} has no name; give it one"
        for method in route.methods or ():
            if method != "HEAD":
                found.add((route.name, method))
    return found


def test_every_route_is_in_the_table() -> None:
    listed = {(row.name, row.method) for row in ACCESS}
    missing = route_methods() - listed
    assert not missing, f"add these to ACCESS in {__file__}: {sorted(missing)}"
    stale = listed - route_methods()
    assert not stale, f"these rows name no route; remove or fix them: {sorted(stale)}"


def test_route_names_are_unique_per_method() -> None:
    seen: dict[tuple[str, str], str] = {}
    for route in routes:
        if isinstance(route, Route):
            for method in route.methods or ():
                key = (route.name, method)
                assert key not in seen, f"route name {route.name!r} used twice for {method}"
                seen[key] = route.path


@pytest.fixture
def world(engine: Engine, settings: Settings, member: Member) -> dict[str, object]:
    """The objects that paths refer to. Add keys (and create objects) as routes need them."""
    other = make_officer(engine, settings, "colleague@example.org")
    with db.session(engine) as session:
        respondent = session.get(Respondent, member.respondent_id)
        assert respondent is not None
    with db.session(engine, write=True) as session:
        run = SelectionRun(assembly_id=member.assembly_id, number=99, algorithm="leximin",
                           panel_size=1,
                           status="failed", error="A finished run, for the access table.")
        session.add(run)
        # A round and a meeting of the member's assembly, months ahead (so the overrides that
        # need an open or closed round answer 409 or 422 to those let in, and change nothing).
        start = utcnow() + timedelta(days=90)
        item = Round(assembly_id=member.assembly_id, kind=RoundKind.vote.value,
                     title="A round, for the access table", opens_at=start,
                     closes_at=start + timedelta(days=7))
        meeting = Meeting(assembly_id=member.assembly_id, title="A meeting", starts_at=start,
                          ends_at=start + timedelta(hours=3), place="Town hall",
                          address="1 High Street")
        # An open learn round with a briefing, its file and a question, for the evidence routes.
        learn = Round(assembly_id=member.assembly_id, kind=RoundKind.learn.value,
                      title="Learning, for the access table", opens_at=utcnow() - timedelta(days=1),
                      closes_at=utcnow() + timedelta(days=7))
        session.add_all([item, meeting, learn])
        session.flush()
        briefing = Briefing(round_id=learn.id, title="A briefing", summary="In short.",
                            body="The text.", speaker_name="A speaker", interests="None")
        session.add(briefing)
        session.flush()
        attachment = Attachment(briefing_id=briefing.id, filename="notes.pdf",
                                content_type="application/pdf", size=9, data=b"%PDF-1.4\n%")
        question = Question(round_id=learn.id, member_id=member.id, text="Why?")
        session.add_all([attachment, question])
        # An open discuss round with an officer's seed statement, for the discussion routes.
        discuss = Round(assembly_id=member.assembly_id, kind=RoundKind.discuss.value,
                        title="Discussing, for the access table",
                        opens_at=utcnow() - timedelta(days=1),
                        closes_at=utcnow() + timedelta(days=7))
        session.add(discuss)
        session.flush()
        statement = Statement(round_id=discuss.id, number=1, seed=True, text="A seed.",
                              normalised="a seed", status=StatementStatus.accepted.value)
        session.add(statement)
        # An open draft round with a principle, a comment, an amendment and a dissent note.
        drafting = open_draft(session, member.assembly_id, member.id or 0,
                              title="Drafting, for the access table",
                              closes_at=utcnow() + timedelta(days=7))
    return {"officer_id": other.id, "member_id": member.id, "assembly_id": member.assembly_id,
            "member_public_id": member.public_id, "token": "no-such-invitation",
            "respondent_id": respondent.public_id, "run_id": run.id,
            "batch_id": "no-such-letters", "round_id": item.id,
            "round_public_id": item.public_id, "meeting_id": meeting.id, "message_id": 999999,
            "meeting_public_id": meeting.public_id, "learn_public_id": learn.public_id,
            "briefing_id": briefing.id, "briefing_public_id": briefing.public_id,
            "attachment_id": attachment.id, "attachment_public_id": attachment.public_id,
            "question_id": question.id, "discuss_id": discuss.id,
            "discuss_public_id": discuss.public_id, "statement_id": statement.id,
            "statement_public_id": statement.public_id, "draft_id": drafting.round.id,
            "draft_public_id": drafting.round.public_id, "principle_id": drafting.principle.id,
            "principle_public_id": drafting.principle.public_id,
            "comment_id": drafting.comment.id, "amendment_id": drafting.amendment.id,
            "note_public_id": drafting.note.public_id}


def path_of(row: Access, world: dict[str, object]) -> str:
    if row.path:
        return row.path.format(**world)
    for route in routes:
        if isinstance(route, Route) and route.name == row.name and row.method in (route.methods or ()):
            path = route.path
            for name, convertor in route.param_convertors.items():
                path = path.replace(f"{{{name}:{_convertor_name(convertor)}}}", f"{{{name}}}")
            return path.format(**world)
    raise AssertionError(f"no route {row.name} {row.method}")


def _convertor_name(convertor: object) -> str:
    return {"IdConvertor": "id", "PublicIdConvertor": "public_id", "IntegerConvertor": "int",
            "StringConvertor": "str",
            "PathConvertor": "path",
            "FloatConvertor": "float", "UUIDConvertor": "uuid"}[type(convertor).__name__]


@pytest.fixture
def clients(app: Starlette, engine: Engine, settings: Settings, member: Member,
            officer: Officer, admin: Officer) -> Iterator[dict[str, TestClient]]:
    made = {role: make_client(app) for role in ROLES}
    for test_client in made.values():
        test_client.__enter__()
    sign_in_member(made[MEMBER], engine, settings, member)
    login(made[OFFICER], officer.email)
    login(made[ADMIN], admin.email)
    yield made
    for test_client in made.values():
        test_client.__exit__(None, None, None)


def denied(response: object) -> bool:
    status = response.status_code  # type: ignore[attr-defined]
    location = response.headers.get("location", "")  # type: ignore[attr-defined]
    redirect = response.headers.get("hx-redirect", "")  # type: ignore[attr-defined]
    return status in (401, 403) or (status == 303 and location.startswith(("/login?", "/sign-in"))) \
        or redirect.startswith("/login?")


@pytest.mark.parametrize("row", ACCESS, ids=lambda row: f"{row.method} {row.name}")
def test_access(row: Access, clients: dict[str, TestClient], world: dict[str, object]) -> None:
    path = path_of(row, world)
    outcomes = {}
    for role in ROLES:
        test_client = clients[role]
        if row.method == "GET":
            response = test_client.get(path, follow_redirects=False)
        else:
            response = post_form(test_client, path, {}, follow_redirects=False)
        assert response.status_code < 500, f"{role} {row.method} {path}: {response.status_code}"
        outcomes[role] = "denied" if denied(response) else "allowed"
    expected = {role: "allowed" if role in row.allowed else "denied" for role in ROLES}
    assert outcomes == expected
