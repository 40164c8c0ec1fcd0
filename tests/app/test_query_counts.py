"""Every officer page of a drawn assembly loads what it shows in a fixed number of SQL statements.

The same pages are requested for an assembly with a small panel and one with a large panel (more
members, reserves, people who left, invitations and audit events); the number of statements sent
to the database must be the same for both. A page that queries once per member (an "N+1") makes
the large assembly cost more statements and fails here, on both databases.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col, select
from starlette.routing import Route
from starlette.testclient import TestClient

from assembly import db
from assembly.accounts.models import Officer
from assembly.deliberation.models import Attachment, Briefing, Meeting, Round, RoundKind
from assembly.discussion import statements, votes
from assembly.discussion.models import VoteValue
from assembly.drafting.models import Principle
from assembly.invitations import credentials
from assembly.invitations.models import LetterBatch
from assembly.routes import routes
from assembly.selection import panel as panel_service
from assembly.selection.models import Member, SelectionRun
from assembly.tables import row_id
from tests.app.builders import synthetic
from tests.app.flows import loaded, post_form, start, wait_for, wait_for_letters


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def busy_assembly(client: TestClient, engine: Engine, *, pool: int, panel: int, left: int
                  ) -> int:
    """An assembly taken through the app: pool and quotas uploaded, selected, drawn, the panel
    invited (straight in the database: no letters to render), and `left` members replaced."""
    assembly_id = loaded(client, synthetic(pool, panel))
    wait_for(client, start(client, assembly_id, panel_size=str(panel), lottery_size="100"))
    with db.session(engine) as session:
        run_id = session.exec(select(SelectionRun.id).where(
            SelectionRun.assembly_id == assembly_id)).one()
    response = post_form(client, client.app.url_path_for(  # type: ignore[attr-defined]
        "draw", assembly_id=assembly_id, run_id=run_id), {"seed": "1 2 3", "confirm": "yes"},
        follow_redirects=False)
    assert response.status_code == 303, response.text
    with db.session(engine, write=True) as session:
        members = panel_service.panel_members(session, assembly_id)
        credentials.issue(session, members, days=28, officer_id=None)
        candidates = [m.id for m in members]
    # Members whose seat a reserve can take: which ones can depends on the draw, and the draw
    # on the distribution the solver found within its time budget (which a loaded machine can
    # change), so the first `left` replaceable members leave; the app refuses the others (409).
    replaced = 0
    for member_id in candidates:
        if replaced == left:
            break
        response = post_form(client, client.app.url_path_for(  # type: ignore[attr-defined]
            "member_drop_out", assembly_id=assembly_id, member_id=member_id),
            {"reason": "declined", "confirm": "yes"}, follow_redirects=False)
        assert response.status_code in (303, 409), response.text
        replaced += response.status_code == 303
    assert replaced == left
    # Letters made for the panel (not downloaded), so the letters' page has a batch to show;
    # measured once they are ready, when no render thread is writing any more.
    response = post_form(client, client.app.url_path_for(  # type: ignore[attr-defined]
        "invitations_issue", assembly_id=assembly_id), {"confirm": "yes"},
        follow_redirects=False)
    assert response.status_code == 303, response.text
    wait_for_letters(client, response.headers["location"])
    # A programme: a round and a meeting serving it, so their pages have something to show.
    response = post_form(client, client.app.url_path_for(  # type: ignore[attr-defined]
        "round_create", assembly_id=assembly_id), {
            "kind": "learn", "title": "Learning", "purpose": "To learn.",
            "instructions": "Read.", "opens_at": "2099-03-12T18:00",
            "closes_at": "2099-03-19T18:00"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    with db.session(engine) as session:
        round_id = session.exec(select(Round.id).where(Round.assembly_id == assembly_id)).one()
    response = post_form(client, client.app.url_path_for(  # type: ignore[attr-defined]
        "meeting_create", assembly_id=assembly_id), {
            "title": "First weekend", "starts_at": "2099-03-13T10:00",
            "ends_at": "2099-03-13T16:00", "place": "Library", "address": "1 High Street",
            "step_free": "yes", "rounds": str(round_id)}, follow_redirects=False)
    assert response.status_code == 303, response.text
    # A briefing in the learn round, with a file, so the evidence pages have something to show.
    response = post_form(client, client.app.url_path_for(  # type: ignore[attr-defined]
        "briefing_create", assembly_id=assembly_id, round_id=round_id), {
            "title": "Data in care", "summary": "In short.", "body": "The **text**.",
            "speaker_name": "A speaker", "interests": "None declared"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    response = client.post(response.headers["location"].split("#")[0].removesuffix("/")
                           + "/files", files={"file": ("notes.pdf", b"%PDF-1.4\n%%EOF\n",
                                                       "application/pdf")},
                           headers={"Sec-Fetch-Site": "same-origin"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    # A discuss round with a seed statement, so its statements page has something to show.
    response = post_form(client, client.app.url_path_for(  # type: ignore[attr-defined]
        "round_create", assembly_id=assembly_id), {
            "kind": "discuss", "title": "Discussing", "purpose": "To discuss.",
            "instructions": "Vote.", "opens_at": "2099-04-12T18:00",
            "closes_at": "2099-04-19T18:00"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    with db.session(engine) as session:
        discuss_id = session.exec(select(Round.id).where(
            Round.assembly_id == assembly_id, Round.kind == "discuss")).one()
    response = post_form(client, client.app.url_path_for(  # type: ignore[attr-defined]
        "discuss_seed", assembly_id=assembly_id, round_id=discuss_id),
        {"seed": "Data should stay in the UK."}, follow_redirects=False)
    assert response.status_code == 303, response.text
    add_votes(engine, assembly_id)
    # A draft round with a principle in two versions, so the drafting pages have something
    # to show (its comments, amendments and notes are members' work: none here).
    response = post_form(client, client.app.url_path_for(  # type: ignore[attr-defined]
        "round_create", assembly_id=assembly_id), {
            "kind": "draft", "title": "Drafting", "purpose": "To write.",
            "instructions": "Comment.", "opens_at": "2099-04-12T18:00",
            "closes_at": "2099-04-19T18:00"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    with db.session(engine) as session:
        draft_id = session.exec(select(Round.id).where(Round.assembly_id == assembly_id,
                                                       Round.kind == "draft")).one()
    principle = {"title": "Open by default", "text": "Publish it.", "theme": "transparency"}
    response = post_form(client, client.app.url_path_for(  # type: ignore[attr-defined]
        "principle_create", assembly_id=assembly_id, round_id=draft_id), principle,
        follow_redirects=False)
    assert response.status_code == 303, response.text
    principle_id = int(response.headers["location"].rsplit("-", 1)[1])
    response = post_form(client, client.app.url_path_for(  # type: ignore[attr-defined]
        "principle_update", assembly_id=assembly_id, principle_id=principle_id),
        {**principle, "text": "Publish all of it."}, follow_redirects=False)
    assert response.status_code == 303, response.text
    # A vote round, for the ballot's officer pages (settings, turnout, entry, results).
    response = post_form(client, client.app.url_path_for(  # type: ignore[attr-defined]
        "round_create", assembly_id=assembly_id), {
            "kind": "vote", "title": "Voting", "purpose": "To decide.",
            "instructions": "Vote.", "opens_at": "2099-04-12T18:00",
            "closes_at": "2099-04-19T18:00"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return assembly_id


def add_votes(engine: Engine, assembly_id: int) -> None:
    """Every panel member votes on three statements of the discuss round (while it is open), so
    its results pages show groups and strata that grow with the panel."""
    with db.session(engine, write=True) as session:
        item = session.exec(select(Round).where(Round.assembly_id == assembly_id,
                                                Round.kind == RoundKind.discuss.value)).one()
        during = item.opens_at + timedelta(hours=1)
        made = [*statements.of_round(session, row_id(item.id)),
                *(statements.seed(session, item, text, during, actor="test")
                  for text in ("Tell us.", "Ask us."))]
        for number, member in enumerate(panel_service.panel_members(session, assembly_id)):
            for statement in made:
                value = VoteValue.agree if (number + row_id(statement.id)) % 3 else \
                    VoteValue.disagree
                votes.cast(session, item, statement, row_id(member.id), value, during)


# GET routes that are not officer pages: the public home page, signing in, and what residents
# and panel members see. Every other GET route is measured, so a new page is covered at once.
NOT_OFFICER_PAGES = {"home", "login_page", "invite_code_page", "invitation", "invitation_decline_page",
                     "welcome", "member_home", "member_round", "member_programme_calendar",
                     "member_meeting_calendar", "member_sign_in_page", "member_sign_in_link",
                     "member_account", "member_briefing", "member_attachment",
                     "member_discuss", "member_discuss_statement",
                     "member_discuss_results", "member_principles", "member_principle",
                     "member_principle_history",
                     "member_ballot", "member_ballot_results", "receipt_page",
                     # a download, refused (303) while the vote has no principles or voters
                     "ballots_packs",
                     # refused (409) until a vote's results are released
                     "charter_preview",
                     # the public's pages of a published charter (404 until one is published)
                     "charters", "charter_latest", "charter_versions", "charter_version",
                     "charter_file"}
# Pages of one kind of round: given a round of that kind.
ROUND_KIND = {"draft_round": "draft"}


def officer_pages(engine: Engine, assembly_id: int) -> dict[str, str]:
    """Every GET page an officer (here an admin, who may open them all) can open for this
    assembly, by route name."""
    with db.session(engine) as session:
        run_id = session.exec(select(SelectionRun.id).where(
            SelectionRun.assembly_id == assembly_id)).one()
        member_id = session.exec(select(Member.id).where(
            Member.assembly_id == assembly_id).order_by(Member.id)).first()
        officer_id = session.exec(select(Officer.id)).first()
        batch_id = session.exec(select(LetterBatch.public_id).where(
            LetterBatch.assembly_id == assembly_id)).first()
        round_id = session.exec(select(Round.id).where(
            Round.assembly_id == assembly_id, Round.kind == "learn")).first()
        discuss_id = session.exec(select(Round.id).where(
            Round.assembly_id == assembly_id, Round.kind == "discuss")).first()
        vote_round_id = session.exec(select(Round.id).where(Round.assembly_id == assembly_id,
                                                            Round.kind == "vote")).first()
        meeting_id = session.exec(select(Meeting.id).where(
            Meeting.assembly_id == assembly_id)).first()
        briefing_id = session.exec(select(Briefing.id).join(
            Round, col(Round.id) == col(Briefing.round_id)).where(
            Round.assembly_id == assembly_id)).first()
        attachment_id = session.exec(select(Attachment.id).where(
            Attachment.briefing_id == briefing_id)).first()
        kinds = {kind: session.exec(select(Round.id).where(Round.assembly_id == assembly_id,
                                                           Round.kind == kind)).first()
                 for kind in set(ROUND_KIND.values())}
        principle_id = session.exec(select(Principle.id).join(
            Round, col(Round.id) == col(Principle.round_id)).where(
            Round.assembly_id == assembly_id)).first()
    values = {"principle_id": principle_id, "briefing_id": briefing_id, "attachment_id": attachment_id, "assembly_id": assembly_id, "run_id": run_id, "member_id": member_id,
              "officer_id": officer_id, "name": "lottery.csv", "batch_id": batch_id,
              "round_id": round_id, "meeting_id": meeting_id}
    pages = {}
    for route in routes:
        if not isinstance(route, Route) or "GET" not in (route.methods or ()):
            continue
        if route.name in NOT_OFFICER_PAGES:
            continue
        missing = set(route.param_convertors) - set(values)
        assert not missing, f"give test_query_counts a value for {missing} ({route.name})"
        # The pages of discuss rounds are measured with the discuss round, and so on.
        if route.name.startswith("discuss_"):
            given = {**values, "round_id": discuss_id}
        elif route.name.startswith("ballots_"):
            given = {**values, "round_id": vote_round_id}
        elif route.name in ROUND_KIND:
            given = {**values, "round_id": kinds[ROUND_KIND[route.name]]}
        else:
            given = values
        pages[route.name] = route.url_path_for(
            route.name, **{k: str(given[k]) for k in route.param_convertors})
    assert {"panel", "invitations", "personal_data", "audit_log", "selection_run"} <= set(pages)
    return pages


def statements_per_page(client: TestClient, engine: Engine, assembly_id: int) -> dict[str, int]:
    """The fewest statements of three requests per page: a request now and then also records
    that the officer is still active (sessions.TOUCH_INTERVAL), which is not the page's work."""
    counts = {}
    for name, path in officer_pages(engine, assembly_id).items():
        client.get(path)  # warm up: first-request work (caches) is not per page
        seen = []
        for _ in range(3):
            with counting(engine) as statements:
                response = client.get(path)
            assert response.status_code == 200, (name, response.status_code)
            seen.append(len(statements))
        counts[name] = min(seen)
    return counts


def test_officer_pages_make_as_many_queries_for_a_large_panel_as_for_a_small_one(
        admin_client: TestClient, engine: Engine) -> None:
    small = busy_assembly(admin_client, engine, pool=60, panel=4, left=1)
    few = statements_per_page(admin_client, engine, small)
    # Measured with one assembly, then two: lists of assemblies must not grow per assembly.
    large = busy_assembly(admin_client, engine, pool=240, panel=30, left=3)
    many = statements_per_page(admin_client, engine, large)
    grew = {name: (few[name], many[name]) for name in few if many[name] != few[name]}
    assert not grew, f"statements per page grow with the panel (small, large): {grew}"
    # And none is wasteful to begin with.
    assert max(many.values()) <= 25, many
