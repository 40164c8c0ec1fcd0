"""Vote rounds through the real app on both databases: settings before opening, ballots while
open (one per member and principle, even under concurrent submits), secrecy (no officer page,
export or log shows a choice; after the close no table links members and choices), sealing
exactly once with its fingerprint in the audit chain, receipts, results hidden until released,
and a sealed vote that cannot reopen."""

from __future__ import annotations

import re
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col, select
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from assembly import audit, db
from assembly.audit import AuditEvent
from assembly.ballots import ballots, papers, sealing
from assembly.ballots.models import (
    Ballot,
    CountedReceipt,
    Receipt,
    SealedBallot,
    StratumCount,
    Tally,
    VoteRound,
)
from assembly.deliberation import rounds
from assembly.deliberation.models import Round
from assembly.drafting.models import DissentNote
from assembly.routes import routes
from assembly.selection.models import Member
from assembly.settings import Settings
from assembly.tables import utcnow
from charter import tallies
from tests.app.builders import VoteWorld, make_member, vote_world
from tests.app.flows import make_client, post_form, run_command, sign_in_member

SECRET_REASON = "Purple-elephant reason nobody else would write"


def member_client(app: Starlette, engine: Engine, settings: Settings, member_id: int
                  ) -> TestClient:
    with db.session(engine) as session:
        member = session.get(Member, member_id)
        assert member is not None
    client = make_client(app)
    sign_in_member(client, engine, settings, member)
    return client


def ballot_url(world: VoteWorld) -> str:
    return f"/home/rounds/{world.vote_public_id}/ballot"


def officer_url(world: VoteWorld, rest: str = "") -> str:
    return f"/assemblies/{world.assembly_id}/rounds/{world.vote_round_id}/ballot{rest}"


def answers(world: VoteWorld, *choices: str, reason: str = "") -> dict[str, str]:
    form = {}
    for principle_id, choice in zip(world.principle_ids, choices, strict=False):
        form[f"choice-{principle_id}"] = choice
        if reason:
            form[f"reason-{principle_id}"] = reason
    return form


def open_now(clock: object, world: VoteWorld) -> None:
    clock.now += timedelta(hours=2)  # type: ignore[attr-defined]


def close(clock: object) -> None:
    clock.now += timedelta(days=3)  # type: ignore[attr-defined]


def receipt_in(text: str) -> str:
    found = re.search(r"receipt code is ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})", text)
    assert found, text
    return found.group(1)


def test_settings_change_before_opening_and_never_after(
        world: VoteWorld, clock: object, officer_client: TestClient, engine: Engine,
        app: Starlette, settings: Settings) -> None:
    page = officer_client.get(officer_url(world))
    assert page.status_code == 200
    for title in ("Open by default", "People check the machines", "Ask before sharing"):
        assert title in page.text
    form = {"draft_round": str(world.draft_round_id), "scale": "consent",
                "reasons": "required_against", "rule": "majority", "quorum": "50",
                "consent_threshold": "60",
                "principles": [str(world.principle_ids[2]), str(world.principle_ids[0])]}
    refused = post_form(officer_client, officer_url(world, "/settings"), form)
    assert refused.status_code == 422 and "consent rule goes with the consent scale" in refused.text
    refused = post_form(officer_client, officer_url(world, "/settings"),
                        {**form, "rule": "consent", "quorum": "150"})
    assert refused.status_code == 422 and "0 to 100; 150 is outside it" in refused.text
    saved = post_form(officer_client, officer_url(world, "/settings"),
                      {**form, "rule": "consent"}, follow_redirects=False)
    assert saved.status_code == 303
    with db.session(engine) as session:
        setup = session.get(VoteRound, world.vote_round_id)
        assert setup is not None
        assert (setup.scale, setup.rule, setup.quorum, setup.consent_threshold) == \
            ("consent", "consent", 0.5, 0.6)
        event = session.exec(select(AuditEvent).where(
            AuditEvent.action == "ballots.configured")).one()
        assert event.details["principles"] == 2
    open_now(clock, world)
    member_page = member_client(app, engine, settings, world.member_ids[0]).get(ballot_url(world))
    # The chosen principles, in the chosen order, on the consent scale.
    text = member_page.text
    assert text.index("Ask before sharing") < text.index("Open by default")
    assert "People check the machines" not in text and "Block" in text
    late = post_form(officer_client, officer_url(world, "/settings"),
                     {**form, "rule": "consent", "scale": "consent"})
    assert late.status_code == 409 and "can no longer change" in late.text


def test_a_member_votes_changes_their_mind_and_gets_one_receipt(
        world: VoteWorld, clock: object, app: Starlette, engine: Engine,
        settings: Settings) -> None:
    open_now(clock, world)
    client = member_client(app, engine, settings, world.member_ids[0])
    first = post_form(client, ballot_url(world), answers(world, "agree", "unsure"))
    assert first.status_code == 200 and "Your ballot is saved (2 principles)" in first.text
    code = receipt_in(first.text)
    second = post_form(client, ballot_url(world),
                       answers(world, "strongly_agree", "unsure", "disagree"))
    assert "(3 principles)" in second.text and "receipt code is" not in second.text
    page = client.get(ballot_url(world))
    assert re.search(r'value="strongly_agree" checked', page.text)
    assert code.replace("-", "") not in page.text
    with db.session(engine) as session:
        rows = session.exec(select(Ballot.principle_id, Ballot.choice)
                            .where(Ballot.member_id == world.member_ids[0])).all()
        assert sorted(rows) == sorted(zip(world.principle_ids,
                                          ["strongly_agree", "unsure", "disagree"], strict=True))
        receipt = session.exec(select(Receipt)).one()
        assert code not in receipt.code_hash and len(receipt.code_hash) == 64
    home = client.get("/home")
    assert "3 of 3 principles voted on" in home.text


def test_bad_ballots_are_refused_with_a_message_and_nothing_kept(
        world: VoteWorld, clock: object, app: Starlette, engine: Engine,
        settings: Settings, officer_client: TestClient) -> None:
    post_form(officer_client, officer_url(world, "/settings"), {
        "draft_round": str(world.draft_round_id), "scale": "five",
        "reasons": "required_against", "rule": "two_thirds", "quorum": "0"})
    open_now(clock, world)
    client = member_client(app, engine, settings, world.member_ids[0])
    refused = post_form(client, ballot_url(world), answers(world, "agree", "disagree"))
    assert refused.status_code == 422
    assert "Say why you chose “Disagree” for “People check the machines”" in refused.text
    assert 'value="agree" checked' in refused.text       # what they chose is still there
    refused = post_form(client, ballot_url(world), answers(world, "maybe"))
    assert refused.status_code == 422 and "Choose one of the answers" in refused.text
    refused = post_form(client, ballot_url(world), {})
    assert refused.status_code == 422 and "at least one principle" in refused.text
    with db.session(engine) as session:
        assert session.exec(select(Ballot)).all() == []
        assert session.exec(select(Receipt)).all() == []


def test_ballots_are_refused_outside_the_open_window_and_for_another_assembly(
        world: VoteWorld, clock: object, app: Starlette, engine: Engine,
        settings: Settings) -> None:
    client = member_client(app, engine, settings, world.member_ids[0])
    early = post_form(client, ballot_url(world), answers(world, "agree"))
    assert early.status_code == 409, early.text
    assert "has not started yet" in early.text, early.text
    stranger = make_member(engine)
    with db.session(engine, write=True) as session:
        joined = session.get(Member, stranger.id)
        assert joined is not None
        joined.status = "joined"
        session.add(joined)
    open_now(clock, world)
    outsider = member_client(app, engine, settings, stranger.id or 0)
    assert post_form(outsider, ballot_url(world), answers(world, "agree")).status_code == 404
    assert outsider.get(ballot_url(world)).status_code == 404
    with db.session(engine) as session:   # the service refuses too, not just the page
        item = session.get(Round, world.vote_round_id)
        assert item is not None
    try:
        with db.session(engine, write=True) as session:
            ballots.cast(session, item, stranger.id or 0, answers(world, "agree"), clock.now)  # type: ignore[attr-defined]
    except ballots.BallotError as error:
        assert "another assembly" in str(error)
    else:
        raise AssertionError("a member of another assembly voted")
    close(clock)
    late = post_form(client, ballot_url(world), answers(world, "agree"))
    assert late.status_code == 409 and "closed" in late.text
    with db.session(engine) as session:
        assert session.exec(select(Ballot)).all() == []


def test_sixteen_simultaneous_submits_leave_one_ballot_and_one_receipt(
        world: VoteWorld, clock: object, engine: Engine) -> None:
    open_now(clock, world)
    now = clock.now  # type: ignore[attr-defined]
    barrier = threading.Barrier(16)
    codes: list[str | None] = []
    errors: list[BaseException] = []

    def submit(number: int) -> None:
        choice = ("agree", "disagree")[number % 2]
        try:
            barrier.wait()
            with db.session(engine, write=True) as session:
                item = session.get(Round, world.vote_round_id)
                assert item is not None
                codes.append(ballots.cast(session, item, world.member_ids[0],
                                          answers(world, choice, choice), now)[1])
        except BaseException as error:  # noqa: BLE001  (reported below)
            errors.append(error)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sum(1 for c in codes if c) == 1
    with db.session(engine) as session:
        rows = session.exec(select(Ballot.principle_id, sa.func.count())
                            .group_by(col(Ballot.principle_id))).all()
        assert sorted(rows) == [(world.principle_ids[0], 1), (world.principle_ids[1], 1)]
        assert len(session.exec(select(Receipt)).all()) == 1


def _officer_pages(world: VoteWorld) -> list[str]:
    """Every officer GET page that takes only this assembly and round."""
    found = []
    for route in routes:
        if not isinstance(route, Route) or "GET" not in (route.methods or ()):
            continue
        params = set(route.param_convertors)
        if not params or not params <= {"assembly_id", "round_id"} \
                or not route.path.startswith("/assemblies/"):
            continue
        path = route.path.replace("{assembly_id:id}", str(world.assembly_id)) \
            .replace("{round_id:id}", str(world.vote_round_id))
        if not path.endswith(".pdf"):
            found.append(path)
    return found


def test_no_officer_page_export_or_log_shows_a_choice_and_nothing_links_them_after_close(
        world: VoteWorld, clock: object, app: Starlette, engine: Engine, settings: Settings,
        officer_client: TestClient) -> None:
    open_now(clock, world)
    for n, member_id in enumerate(world.member_ids):
        client = member_client(app, engine, settings, member_id)
        choices = ("strongly_disagree", "agree", "agree") if n == 0 else ("agree",) * 3
        response = post_form(client, ballot_url(world),
                             answers(world, *choices, reason=SECRET_REASON if n == 0 else ""))
        assert response.status_code == 200
    entry = post_form(officer_client, officer_url(world, "/enter"), {
        "reference": world.panel.members[1].external_id, "channel": "phone",
        f"number-{world.principle_ids[0]}": "5",
        f"reason-{world.principle_ids[0]}": "Keyed-in secret reason"})
    assert entry.status_code == 200

    def officer_sees() -> str:
        seen = []
        for path in _officer_pages(world):
            response = officer_client.get(path)
            assert response.status_code < 500, path
            seen.append(response.text)
        return "\n".join(seen)

    while_open = officer_sees()
    assert "6</strong> of 6 members voted" in while_open
    for secret in (SECRET_REASON, "Keyed-in secret reason", "strongly_disagree"):
        assert secret not in while_open
    close(clock)
    after = officer_sees()
    for secret in (SECRET_REASON, "Keyed-in secret reason", "strongly_disagree"):
        assert secret not in after
    with db.session(engine) as session:
        for event in session.exec(select(AuditEvent)).all():
            dumped = str(event.details)
            assert SECRET_REASON not in dumped and "Keyed-in" not in dumped
            assert "choice" not in event.details
    # After the close: no row anywhere holds both a member and a ballot's choice (the one table
    # that can, while a vote is open, is empty), and the member-to-receipt links are gone.
    inspector = sa.inspect(engine)
    linking = [table for table in inspector.get_table_names()
               if {"member_id", "choice"} <= {c["name"] for c in inspector.get_columns(table)}
               or {"member_id", "option"} <= {c["name"] for c in inspector.get_columns(table)}]
    assert linking == ["ballot"]
    with db.session(engine) as session:
        assert session.execute(sa.text("SELECT COUNT(*) FROM ballot")).scalar_one() == 0
        assert session.exec(select(Receipt)).all() == []
        sealed = session.exec(select(SealedBallot.reason)).all()
        assert SECRET_REASON in sealed and "Keyed-in secret reason" in sealed
        assert len(sealed) == 18


def test_sealing_happens_once_and_its_fingerprint_is_in_the_audit_chain(
        world: VoteWorld, clock: object, app: Starlette, engine: Engine,
        settings: Settings) -> None:
    open_now(clock, world)
    for n, member_id in enumerate(world.member_ids):
        client = member_client(app, engine, settings, member_id)
        post_form(client, ballot_url(world), answers(world, "agree" if n < 4 else "disagree"))
    close(clock)
    now = clock.now  # type: ignore[attr-defined]
    barrier = threading.Barrier(4)
    sealed: list[bool] = []

    def seal() -> None:
        barrier.wait()
        with db.session(engine, write=True) as session:
            item = session.get(Round, world.vote_round_id)
            assert item is not None
            sealed.append(sealing.seal(session, item, now))

    threads = [threading.Thread(target=seal) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(sealed) == [False, False, False, True]
    member_client(app, engine, settings, world.member_ids[0]).get(ballot_url(world))  # lazy: no-op
    with db.session(engine) as session:
        events = session.exec(select(AuditEvent).where(
            AuditEvent.action == "ballots.sealed")).all()
        assert len(events) == 1
        item = session.get(Round, world.vote_round_id)
        assert item is not None
        digest = sealing.digest_of(session, item)
        assert events[0].details["digest"] == digest
        assert events[0].details["voters"] == 6 and events[0].details["ballots"] == 6
        setup = session.get(VoteRound, world.vote_round_id)
        assert setup is not None and setup.sealed_digest == digest and setup.eligible == 6
        assert len(session.exec(select(CountedReceipt)).all()) == 6
        strata = {(s.value, s.option): s.count for s in session.exec(select(StratumCount))}
        assert sum(strata.values()) == 6    # one principle answered, by six members
        stored = {t.principle_id: t for t in session.exec(select(Tally)).all()}
        assert len(stored) == 3
        first = stored[world.principle_ids[0]]
        assert first.method_version == tallies.METHOD_VERSION
        assert tallies.digest(first.inputs) == first.digest     # anyone can recompute it
        again, _ = tallies.recompute(first.inputs)
        assert (again.agree, again.valid, again.eligible) == (4, 6, 6)
        assert first.result["share_agree"] == again.share_agree
        assert audit.verify_chain(session, world.assembly_id).ok


def test_the_clock_seals_a_vote_at_its_close_and_it_cannot_reopen(
        world: VoteWorld, clock: object, app: Starlette, engine: Engine, settings: Settings,
        officer_client: TestClient) -> None:
    open_now(clock, world)
    client = member_client(app, engine, settings, world.member_ids[0])
    post_form(client, ballot_url(world), answers(world, "agree"))
    close(clock)
    officer_client.get(f"/assemblies/{world.assembly_id}/programme")   # records the close
    with db.session(engine) as session:
        assert sealing.sealed(session, world.vote_round_id)
    refused = post_form(officer_client, f"/assemblies/{world.assembly_id}/rounds/"
                        f"{world.vote_round_id}/reopen",
                        {"reason": "More time", "closes_at": "2027-03-20T18:00"})
    assert refused.status_code == 409 and "sealed" in refused.text
    with db.session(engine) as session:
        item = session.get(Round, world.vote_round_id)
        assert item is not None and item.cycle == 0


def test_an_officer_closing_early_seals_at_once(
        world: VoteWorld, clock: object, app: Starlette, engine: Engine, settings: Settings,
        officer_client: TestClient) -> None:
    open_now(clock, world)
    post_form(member_client(app, engine, settings, world.member_ids[0]), ballot_url(world),
              answers(world, "agree"))
    with db.session(engine, write=True) as session:
        item = session.get(Round, world.vote_round_id)
        assert item is not None
        rounds.close_early(session, item, clock.now, actor="officer:1")  # type: ignore[attr-defined]
        assert sealing.sealed(session, world.vote_round_id)
        assert session.exec(select(Ballot)).all() == []


def test_a_receipt_shows_its_ballot_was_counted_and_nothing_else(
        world: VoteWorld, clock: object, app: Starlette, engine: Engine, settings: Settings,
        client: TestClient) -> None:
    open_now(clock, world)
    voter = member_client(app, engine, settings, world.member_ids[0])
    code = receipt_in(post_form(voter, ballot_url(world), answers(world, "disagree")).text)
    waiting = post_form(client, "/receipts", {"code": code.lower()})
    assert "Received." in waiting.text and "Voting on the charter" in waiting.text
    close(clock)
    voter.get(ballot_url(world))   # any read after the close seals it
    counted = post_form(client, "/receipts", {"code": code.replace("-", " ")})
    assert "Counted." in counted.text and "Disagree" not in counted.text
    assert "set-cookie" not in counted.headers
    unknown = post_form(client, "/receipts", {"code": "0000-0000-0000-0000"})
    assert "Not found." in unknown.text
    bad = post_form(client, "/receipts", {"code": "hello"})
    assert bad.status_code == 422 and "16 letters and digits" in bad.text


def test_a_lost_receipt_can_be_replaced_while_open(
        world: VoteWorld, clock: object, app: Starlette, engine: Engine, settings: Settings,
        client: TestClient) -> None:
    open_now(clock, world)
    voter = member_client(app, engine, settings, world.member_ids[0])
    old = receipt_in(post_form(voter, ballot_url(world), answers(world, "agree")).text)
    new = receipt_in(post_form(voter, ballot_url(world) + "/receipt", {}).text)
    assert new != old
    assert "Not found." in post_form(client, "/receipts", {"code": old}).text
    assert "Received." in post_form(client, "/receipts", {"code": new}).text


def test_results_stay_hidden_until_an_officer_releases_them(
        world: VoteWorld, clock: object, app: Starlette, engine: Engine, settings: Settings,
        officer_client: TestClient) -> None:
    open_now(clock, world)
    for n, member_id in enumerate(world.member_ids):
        post_form(member_client(app, engine, settings, member_id), ballot_url(world),
                  answers(world, "agree" if n < 5 else "disagree", "disagree", "agree"))
    voter = member_client(app, engine, settings, world.member_ids[0])
    assert "not released yet" in voter.get(ballot_url(world) + "/results").text
    close(clock)
    for page in (voter.get(ballot_url(world) + "/results"),
                 officer_client.get(officer_url(world, "/results"))):
        assert "not released yet" in page.text and "83.3" not in page.text
    with db.session(engine, write=True) as session:   # a dissent note that went on the record
        session.add(DissentNote(principle_id=world.principle_ids[0], member_id=None,
                                text="Open by default must not mean open about people.",
                                signatures=3, recorded_at=clock.now))  # type: ignore[attr-defined]
    released = post_form(officer_client, f"/assemblies/{world.assembly_id}/rounds/"
                         f"{world.vote_round_id}/release", {})
    assert released.status_code == 200
    shown = voter.get(ballot_url(world) + "/results").text
    assert "Open by default must not mean open about people." in shown
    assert "A minority note signed by 3 members, on the record." in shown
    assert "83.3 %" in shown or "83.3%" in shown       # 5 of 6 agree with "Open by default"
    assert "2 of 3 principles adopted" in shown
    assert "Fewer than 5: not shown" in shown           # age bands of 1-2 members, for members
    officers = officer_client.get(officer_url(world, "/results")).text
    assert "Fewer than 5: not shown" not in officers     # officers see every cell
    overview = shown.split('id="overview"')[1].split("</table>")[0]
    assert overview.index("Open by default") < overview.index("People check the machines")


def test_an_officer_keys_in_a_paper_ballot_audited_without_the_choice(
        world: VoteWorld, clock: object, officer_client: TestClient, engine: Engine) -> None:
    open_now(clock, world)
    reference = world.panel.members[2].external_id
    page = officer_client.get(officer_url(world, "/enter"))
    assert page.status_code == 200 and "autofocus" in page.text
    unknown = post_form(officer_client, officer_url(world, "/enter"), {
        "reference": "NOBODY", "channel": "paper", f"number-{world.principle_ids[0]}": "1"})
    assert unknown.status_code == 422 and "No member of this assembly has the reference" \
        in unknown.text
    wrong = post_form(officer_client, officer_url(world, "/enter"), {
        "reference": reference, "channel": "paper", f"number-{world.principle_ids[0]}": "7"})
    assert wrong.status_code == 422 and "type the number of one answer, 1 to 5" in wrong.text
    assert 'value="7"' in wrong.text
    saved = post_form(officer_client, officer_url(world, "/enter"), {
        "reference": reference.lower(), "channel": "paper",
        f"number-{world.principle_ids[0]}": "2", f"number-{world.principle_ids[2]}": "4"})
    assert saved.status_code == 200
    assert f"Saved the ballot of {reference}: 2 principles, from paper" in saved.text
    assert "receipt code is" in saved.text
    with db.session(engine) as session:
        rows = session.exec(select(Ballot)).all()
        assert {(r.principle_id, r.choice, r.channel) for r in rows} == {
            (world.principle_ids[0], "agree", "paper"),
            (world.principle_ids[2], "disagree", "paper")}
        assert all(r.entered_by.startswith("officer:") for r in rows)
        event = session.exec(select(AuditEvent).where(
            AuditEvent.action == "ballots.keyed_in")).one()
        assert event.details["member"] == world.panel.members[2].public_id or \
            event.details["member"]
        assert event.details["channel"] == "paper" and event.details["principles"] == 2
        assert "agree" not in str(event.details) and "disagree" not in str(event.details)
    log = officer_client.get(f"/assemblies/{world.assembly_id}/audit")
    assert "keyed in from paper" in log.text


def test_paper_ballot_packs_are_one_a4_pdf_with_a_pack_per_member(
        world: VoteWorld, clock: object, officer_client: TestClient, tmp_path: Path) -> None:
    open_now(clock, world)
    response = officer_client.get(officer_url(world, "/paper-ballots.pdf"))
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "packs.pdf"
    pdf.write_bytes(response.content)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "595.276 x 841.89 pts (A4)" in info
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    per_page = text.split("\f")
    for person in world.panel.members:
        assert person.name in text
        own = [page for page in per_page if f"Reference {person.external_id}" in page]
        assert len(own) >= 2          # the letter and the ballot paper each carry it
    for title in ("Open by default", "People check the machines", "Ask before sharing"):
        assert text.count(title) == len(world.panel.members)
    assert text.count("Strongly disagree") >= 3 * len(world.panel.members)
    assert pages >= 2 * len(world.panel.members)
    # Every covering letter says where the assembly's privacy notice is (issue 12, item 6).
    notice = f"testserver/privacy/{world.assembly_id}"
    assert "".join(text.split()).count(notice) == len(world.panel.members)   # may wrap at a /
    close(clock)
    closed = officer_client.get(officer_url(world, "/paper-ballots.pdf"), follow_redirects=False)
    assert closed.status_code == 303


def test_minipublic_tick_seals_a_vote_that_closed_while_nobody_looked(
        engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The clock's command (run from cron) records the close, and so seals the vote."""
    now = utcnow()
    world = vote_world(engine, opens_at=now - timedelta(days=2), closes_at=now - timedelta(hours=1))
    with db.session(engine, write=True) as session:   # ballots cast while it was open
        item = session.get(Round, world.vote_round_id)
        assert item is not None
        papers.freeze(session, item, now - timedelta(days=1))
        session.add_all([Ballot(round_id=world.vote_round_id, principle_id=world.principle_ids[0],
                                member_id=m, choice="agree") for m in world.member_ids])
    assert run_command(["tick"], monkeypatch, settings) == 0
    assert "Recorded 4 changes of state" in capsys.readouterr().out   # both rounds
    with db.session(engine) as session:
        assert sealing.sealed(session, world.vote_round_id)
        assert session.exec(select(Ballot)).all() == []
        assert len(session.exec(select(SealedBallot)).all()) == 6
