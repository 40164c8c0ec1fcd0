"""Rounds: their state by the clock at its boundaries, officers creating, editing, ordering and
overriding them (each audited), and the refusals, all through the real app.

The app's clock is `app.state.clock` (see `assembly.clock`); these tests set it to a moment
instead of waiting for one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from assembly import audit, db
from assembly.accounts.models import Officer
from assembly.assemblies.models import Assembly
from assembly.audit import AuditEvent
from assembly.deliberation import rounds
from assembly.deliberation.models import Round, RoundKind, RoundState, RoundTransition
from assembly.selection.models import Member
from tests.app.clocks import T0, Clock
from tests.app.flows import post_form

TICK = timedelta(microseconds=1)


def add_round(engine: Engine, assembly_id: int, *, kind: str = "learn", title: str = "Learning",
              opens: datetime, closes: datetime) -> Round:
    with db.session(engine, write=True) as session:
        assembly = session.get(Assembly, assembly_id)
        assert assembly is not None
        return rounds.create(session, assembly, rounds.Details(
            RoundKind(kind), title, "To learn what the council does with data.",
            "Read the briefings.", opens, closes), actor="test")


def load(engine: Engine, round_id: int) -> Round:
    with db.session(engine) as session:
        item = session.get(Round, round_id)
        assert item is not None
        return item


def actions(engine: Engine, assembly_id: int) -> list[tuple[str, str]]:
    with db.session(engine) as session:
        return [(e.actor, e.action) for e in audit.events(session, assembly_id)
                if e.action.startswith("round.")]


def form(**values: str) -> dict[str, str]:
    return {"kind": "learn", "title": "Learning about data", "purpose": "To learn.",
            "instructions": "Read the briefings.", "opens_at": "2027-03-12T18:00",
            "closes_at": "2027-03-19T18:00", **values}


# --- the state machine -------------------------------------------------------------------------


@pytest.mark.parametrize(("offset", "state"), [
    (-TICK, RoundState.scheduled), (timedelta(0), RoundState.open),
    (timedelta(days=7) - TICK, RoundState.open), (timedelta(days=7), RoundState.closed)])
def test_the_state_at_the_boundaries(engine: Engine, member: Member, offset: timedelta,
                                     state: RoundState) -> None:
    opens = T0 + timedelta(days=4, hours=9)  # Friday 12 March, 6pm
    item = add_round(engine, member.assembly_id, opens=opens, closes=opens + timedelta(days=7))
    now = opens + offset
    assert rounds.state_of(item, now) is state
    with db.session(engine) as session:
        if state is RoundState.open:
            rounds.require_open(session, item, now)
            return
        with pytest.raises(rounds.RoundNotOpen) as refused:
            rounds.require_open(session, item, now)
    message = str(refused.value)
    assert refused.value.status_code == 409
    if state is RoundState.scheduled:
        assert message == ("“Learning” has not started yet. It opens Friday 12 March at 6pm. "
                           "You can do this then.")
    else:
        assert message == ("“Learning” closed Friday 19 March at 6pm, so nothing more can be "
                           "added or changed in it.")


def test_times_are_in_the_assemblys_zone_across_the_clock_change(engine: Engine,
                                                                  member: Member) -> None:
    # London is on summer time (UTC+1) from 28 March 2027.
    opens = datetime(2027, 3, 26, 17, 0, tzinfo=UTC)    # 5pm GMT
    closes = datetime(2027, 4, 2, 17, 0, tzinfo=UTC)    # 6pm BST
    item = add_round(engine, member.assembly_id, opens=opens, closes=closes)
    with db.session(engine) as session:
        with pytest.raises(rounds.RoundNotOpen, match="opens Friday 26 March at 5pm"):
            rounds.require_open(session, item, T0)
        with pytest.raises(rounds.RoundNotOpen, match="closed Friday 2 April at 6pm"):
            rounds.require_open(session, item, closes)


def test_member_home_follows_the_clock(app: Starlette, clock: Clock, engine: Engine,
                                       member: Member, member_client: TestClient) -> None:
    opens = T0 + timedelta(days=4, hours=9)
    add_round(engine, member.assembly_id, title="Learning about data", opens=opens,
              closes=opens + timedelta(days=7))
    clock.now = opens - TICK
    page = member_client.get("/home").text
    assert "Nothing is open right now. The next part opens Friday 12 March at 6pm." in page
    clock.now = opens
    page = member_client.get("/home").text
    assert "Closes Friday 19 March at 6pm" in page and "Read the briefings." in page
    clock.now = opens + timedelta(days=7)
    page = member_client.get("/home").text
    assert "Nothing is open right now." in page
    assert "Done. Closed Friday 19 March at 6pm." in page


# --- creating and editing ----------------------------------------------------------------------


def test_an_officer_adds_a_round_through_the_form(clock: Clock, officer_client: TestClient,
                                                  officer: Officer, engine: Engine,
                                                  member: Member) -> None:
    base = f"/assemblies/{member.assembly_id}"
    assert "Add a round" in officer_client.get(f"{base}/rounds/new").text
    response = post_form(officer_client, f"{base}/rounds", form(), follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"{base}/programme"
    with db.session(engine) as session:
        item = session.exec(select(Round)).one()
    assert (item.opens_at, item.closes_at) == (datetime(2027, 3, 12, 18, tzinfo=UTC),
                                               datetime(2027, 3, 19, 18, tzinfo=UTC))
    page = officer_client.get(f"{base}/programme").text
    assert "Learning about data" in page and "Friday 12 March at 6pm to Friday 19 March at 6pm" \
        in page
    assert actions(engine, member.assembly_id) == [(f"officer:{officer.id}", "round.created")]


@pytest.mark.parametrize(("values", "field", "message"), [
    (form(closes_at="2027-03-12T17:59"), "closes_at",
     "The closing time must be after the opening time."),
    (form(closes_at="2027-03-12T18:00"), "closes_at",
     "The closing time must be after the opening time."),
    (form(opens_at="2027-03-08T08:59"), "opens_at", "The opening time is in the past."),
    (form(opens_at="2027-03-28T01:30", closes_at="2027-04-01T18:00"), "opens_at",
     "01:30 on 28 March 2027 does not exist in Europe/London"),
    (form(opens_at="14/03/2027"), "opens_at", "Enter a date and time, for example"),
    (form(opens_at="2027-02-30T10:00"), "opens_at", "is not a real date and time"),
    (form(kind="debate"), "kind", "Choose what members do in this round"),
    (form(title=""), "title", "Enter a title"),
    (form(instructions="x" * 5001), "instructions", "at most 5,000 characters"),
])
def test_bad_rounds_are_refused_with_the_field_marked(
        clock: Clock, officer_client: TestClient, engine: Engine, member: Member,
        values: dict[str, str], field: str, message: str) -> None:
    response = post_form(officer_client, f"/assemblies/{member.assembly_id}/rounds", values)
    assert response.status_code == 422
    assert message in response.text
    assert f'href="#field-{field}"' in response.text
    if field != "kind":
        assert f'id="field-{field}"' in response.text
        assert 'aria-invalid="true"' in response.text
    with db.session(engine) as session:
        assert session.exec(select(Round)).all() == []


def test_rounds_of_an_exclusive_kind_may_not_overlap(clock: Clock, officer_client: TestClient,
                                                      engine: Engine, member: Member) -> None:
    url = f"/assemblies/{member.assembly_id}/rounds"
    assert post_form(officer_client, url, form(kind="vote", title="First vote"),
                     follow_redirects=False).status_code == 303
    second = post_form(officer_client, url, form(kind="vote", title="Second vote",
                                                 opens_at="2027-03-19T17:00",
                                                 closes_at="2027-03-26T18:00"))
    assert second.status_code == 422
    assert "Only one vote round can be open at a time, and “First vote” is open from Friday " \
           "12 March at 6pm to Friday 19 March at 6pm." in second.text
    assert 'href="#field-opens_at"' in second.text
    # Touching is not overlapping; and learn rounds may overlap.
    for values in (form(kind="vote", title="Second vote", opens_at="2027-03-19T18:00",
                        closes_at="2027-03-26T18:00"),
                   form(kind="learn", title="Library A"), form(kind="learn", title="Library B")):
        assert post_form(officer_client, url, values, follow_redirects=False).status_code == 303
    with db.session(engine) as session:
        assert len(session.exec(select(Round)).all()) == 4


def test_editing_a_round(clock: Clock, officer_client: TestClient, engine: Engine,
                         member: Member) -> None:
    opens = T0 + timedelta(days=1)
    item = add_round(engine, member.assembly_id, opens=opens, closes=opens + timedelta(days=7))
    url = f"/assemblies/{member.assembly_id}/rounds/{item.id}/edit"
    edit_page = officer_client.get(url).text
    assert 'value="2027-03-09T09:00"' in edit_page
    response = post_form(officer_client, url, form(title="Learning, retitled",
                                                   opens_at="2027-03-09T10:00",
                                                   closes_at="2027-03-16T10:00"),
                         follow_redirects=False)
    assert response.status_code == 303
    changed = load(engine, item.id or 0)
    assert changed.title == "Learning, retitled" and changed.sequence == 1
    assert changed.opens_at == datetime(2027, 3, 9, 10, tzinfo=UTC)
    # Once open, the times and kind no longer change through the form (not even if sent).
    clock.now = changed.opens_at
    assert 'name="opens_at"' not in officer_client.get(url).text
    response = post_form(officer_client, url, form(kind="vote", title="Open now",
                                                   opens_at="2027-04-01T10:00",
                                                   closes_at="2027-04-09T10:00"),
                         follow_redirects=False)
    assert response.status_code == 303
    after = load(engine, item.id or 0)
    assert (after.title, after.kind, after.opens_at, after.closes_at) == (
        "Open now", "learn", changed.opens_at, changed.closes_at)


def test_reordering_the_programme(clock: Clock, officer_client: TestClient, engine: Engine,
                                  member: Member) -> None:
    opens = T0 + timedelta(days=1)
    ids = [add_round(engine, member.assembly_id, title=title, opens=opens,
                     closes=opens + timedelta(days=1)).id for title in ("One", "Two", "Three")]
    base = f"/assemblies/{member.assembly_id}"

    def order() -> list[str]:
        with db.session(engine) as session:
            return [r.title for r in rounds.programme(session, member.assembly_id)]

    response = post_form(officer_client, f"{base}/rounds/{ids[2]}/move", {"direction": "up"},
                         follow_redirects=False)
    assert response.status_code == 303
    assert order() == ["One", "Three", "Two"]
    post_form(officer_client, f"{base}/rounds/{ids[0]}/move", {"direction": "down"})
    assert order() == ["Three", "One", "Two"]
    top = post_form(officer_client, f"{base}/rounds/{ids[2]}/move", {"direction": "up"})
    assert "already at the top" in top.text
    assert order() == ["Three", "One", "Two"]
    assert post_form(officer_client, f"{base}/rounds/{ids[2]}/move",
                     {"direction": "sideways"}).status_code == 200  # refused, said so
    assert order() == ["Three", "One", "Two"]
    page = officer_client.get(f"{base}/programme").text
    assert page.index("Three") < page.index("One") < page.index("Two")
    moved = [a for _, a in actions(engine, member.assembly_id)].count("round.moved")
    assert moved == 2


def test_removing_a_round_only_before_it_opens(clock: Clock, officer_client: TestClient,
                                               engine: Engine, member: Member) -> None:
    opens = T0 + timedelta(hours=1)
    item = add_round(engine, member.assembly_id, opens=opens, closes=opens + timedelta(days=1))
    url = f"/assemblies/{member.assembly_id}/rounds/{item.id}/delete"
    clock.now = opens
    refused = post_form(officer_client, url)
    assert "cannot be removed" in refused.text
    assert load(engine, item.id or 0) is not None
    clock.now = T0
    other = add_round(engine, member.assembly_id, title="Later", opens=opens,
                      closes=opens + timedelta(days=1))
    assert post_form(officer_client, f"/assemblies/{member.assembly_id}/rounds/{other.id}/delete",
                     follow_redirects=False).status_code == 303
    with db.session(engine) as session:
        assert session.get(Round, other.id) is None
    assert "round.deleted" in [a for _, a in actions(engine, member.assembly_id)]


# --- overrides -------------------------------------------------------------------------------------


def test_open_now_extend_close_early_each_audited_once(
        clock: Clock, officer_client: TestClient, officer: Officer, member_client: TestClient,
        engine: Engine, member: Member) -> None:
    who = f"officer:{officer.id}"
    opens = T0 + timedelta(days=4)
    item = add_round(engine, member.assembly_id, opens=opens, closes=opens + timedelta(days=7))
    base = f"/assemblies/{member.assembly_id}/rounds/{item.id}"
    assert post_form(officer_client, f"{base}/open", follow_redirects=False).status_code == 303
    assert rounds.state_of(load(engine, item.id or 0), T0) is RoundState.open
    again = post_form(officer_client, f"{base}/open")
    assert again.status_code == 409 and "already open" in again.text

    clock.now = T0 + timedelta(hours=1)
    too_early = post_form(officer_client, f"{base}/extend", {"closes_at": "2027-03-15T09:00"})
    assert too_early.status_code == 422 and "later than the current one" in too_early.text
    assert post_form(officer_client, f"{base}/extend", {"closes_at": "2027-03-20T18:00"},
                     follow_redirects=False).status_code == 303
    assert load(engine, item.id or 0).closes_at == datetime(2027, 3, 20, 18, tzinfo=UTC)

    clock.now = T0 + timedelta(hours=2)
    assert post_form(officer_client, f"{base}/close", follow_redirects=False).status_code == 303
    closed = load(engine, item.id or 0)
    assert rounds.state_of(closed, clock.now) is RoundState.closed
    assert closed.closes_at == clock.now
    # The schedule never records what the officer did, however often the programme is read.
    for _ in range(3):
        member_client.get("/home")
        officer_client.get(f"/assemblies/{member.assembly_id}/programme")
    assert actions(engine, member.assembly_id) == [
        ("test", "round.created"), (who, "round.opened_early"), (who, "round.extended"),
        (who, "round.closed_early")]
    with db.session(engine) as session:
        steps = session.exec(select(RoundTransition.transition, RoundTransition.actor)
                             .order_by(col(RoundTransition.at))).all()
    assert [tuple(s) for s in steps] == [("opened", who), ("closed", who)]


def test_reopen_needs_a_reason_and_records_the_new_cycle(
        clock: Clock, officer_client: TestClient, officer: Officer, member_client: TestClient,
        engine: Engine, member: Member) -> None:
    opens = T0 + timedelta(hours=1)
    item = add_round(engine, member.assembly_id, opens=opens, closes=opens + timedelta(days=1))
    base = f"/assemblies/{member.assembly_id}/rounds/{item.id}"
    clock.now = opens + timedelta(days=2)
    no_reason = post_form(officer_client, f"{base}/reopen", {"closes_at": "2027-03-15T18:00"})
    assert no_reason.status_code == 422 and "Say why the round is reopening" in no_reason.text
    email = post_form(officer_client, f"{base}/reopen",
                      {"closes_at": "2027-03-15T18:00", "reason": "Asked by jo@example.org"})
    assert email.status_code == 422 and "Leave out e-mail addresses" in email.text
    past = post_form(officer_client, f"{base}/reopen",
                     {"closes_at": "2027-03-09T18:00", "reason": "A briefing arrived late."})
    assert past.status_code == 422 and "in the future" in past.text
    assert load(engine, item.id or 0).cycle == 0
    ok = post_form(officer_client, f"{base}/reopen",
                   {"closes_at": "2027-03-15T18:00", "reason": "A briefing arrived late."},
                   follow_redirects=False)
    assert ok.status_code == 303
    reopened = load(engine, item.id or 0)
    assert reopened.cycle == 1 and rounds.state_of(reopened, clock.now) is RoundState.open
    clock.now = datetime(2027, 3, 15, 18, tzinfo=UTC)
    member_client.get("/home")
    member_client.get("/home")
    with db.session(engine) as session:
        events = [e for e in audit.events(session, member.assembly_id)
                  if e.action.startswith("round.")]
    assert [(e.actor, e.action) for e in events] == [
        ("test", "round.created"), ("schedule", "round.opened"), ("schedule", "round.closed"),
        (f"officer:{officer.id}", "round.reopened"), ("schedule", "round.closed")]
    assert events[3].details["reason"] == "A briefing arrived late."
    assert events[4].details["cycle"] == 1
    assert events[4].details["at"] == "2027-03-15T18:00:00.000000Z"


def test_results_are_released_once_for_kinds_that_have_them(
        clock: Clock, officer_client: TestClient, engine: Engine, member: Member) -> None:
    opens = T0 + timedelta(hours=1)
    learn = add_round(engine, member.assembly_id, opens=opens, closes=opens + timedelta(days=1))
    vote = add_round(engine, member.assembly_id, kind="vote", title="Vote", opens=opens,
                     closes=opens + timedelta(days=1))
    base = f"/assemblies/{member.assembly_id}/rounds"
    early = post_form(officer_client, f"{base}/{vote.id}/release")
    assert early.status_code == 409 and "once the round has closed" in early.text
    clock.now = opens + timedelta(days=2)
    refused = post_form(officer_client, f"{base}/{learn.id}/release")
    assert refused.status_code == 409 and "no results to release" in refused.text
    assert post_form(officer_client, f"{base}/{vote.id}/release",
                     follow_redirects=False).status_code == 303
    released = load(engine, vote.id or 0)
    assert rounds.state_of(released, clock.now) is RoundState.results_released
    assert post_form(officer_client, f"{base}/{vote.id}/release").status_code == 409
    final = post_form(officer_client, f"{base}/{vote.id}/reopen",
                      {"closes_at": "2027-03-20T18:00", "reason": "Try again."})
    assert final.status_code == 409 and "cannot reopen" in final.text
    assert [a for _, a in actions(engine, member.assembly_id)].count(
        "round.results_released") == 1


def test_another_assemblys_round_is_not_found_and_nothing_changes(
        clock: Clock, officer_client: TestClient, engine: Engine, member: Member) -> None:
    with db.session(engine, write=True) as session:
        other = Assembly(title="Another assembly", question="Another question?")
        session.add(other)
        session.flush()
        other_id = other.id or 0
    opens = T0 + timedelta(hours=1)
    item = add_round(engine, other_id, opens=opens, closes=opens + timedelta(days=1))
    base = f"/assemblies/{member.assembly_id}/rounds/{item.id}"
    assert officer_client.get(base).status_code == 404
    assert officer_client.get(f"{base}/edit").status_code == 404
    with db.session(engine) as session:
        before = audit.count(session, other_id), audit.count(session, member.assembly_id)
    for action in ("open", "close", "release", "delete", "move"):
        assert post_form(officer_client, f"{base}/{action}", {"direction": "up"}
                         ).status_code == 404
    after = load(engine, item.id or 0)
    assert (after.opens_at, after.position) == (item.opens_at, item.position)
    with db.session(engine) as session:
        assert (audit.count(session, other_id), audit.count(session, member.assembly_id)) == \
            before


def test_the_time_zone_setting(clock: Clock, officer_client: TestClient, engine: Engine,
                               member: Member) -> None:
    opens = T0 + timedelta(days=4, hours=9)
    add_round(engine, member.assembly_id, opens=opens, closes=opens + timedelta(days=7))
    base = f"/assemblies/{member.assembly_id}/programme"
    bad = post_form(officer_client, f"{base}/time-zone", {"time_zone": "Mars/Olympus"})
    assert bad.status_code == 422 and "is not a time zone name" in bad.text
    assert post_form(officer_client, f"{base}/time-zone", {"time_zone": "America/New_York"},
                     follow_redirects=False).status_code == 303
    page = officer_client.get(base).text
    # The same moment, now written in New York time (UTC-5 on 12 March 2027).
    assert "Friday 12 March at 1pm" in page and "America/New_York" in page
    with db.session(engine) as session:
        assert session.exec(select(AuditEvent.details).where(
            AuditEvent.action == "assembly.time_zone_changed")).one() == {
            "from": "Europe/London", "to": "America/New_York"}
