"""The audit log in words (issue 8, item 6): every kind of event the app writes has a sentence,
officers are named, people appear by their reference, quota edits and failed runs say what
changed and why, and run numbers count per assembly and are never reused."""

from __future__ import annotations

import ast
import html
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.testclient import TestClient

from assembly import audit, audit_words, db
from assembly.accounts.models import Officer
from assembly.assemblies.models import Assembly
from assembly.audit import AuditEvent
from assembly.recruitment.models import Quota, Respondent
from assembly.selection.models import Member, SelectionRun
from assembly.settings import Settings
from tests.app.builders import synthetic
from tests.app.flows import create, loaded, post_form, start, upload, wait_for

ROOT = Path(__file__).resolve().parents[3]

# One event of every kind, with details shaped as the code writing it shapes them ("{R}" is a
# respondent's public id, "{M}" a member's, "{O}" an officer's label), and what the page says.
SAMPLES: dict[str, tuple[dict[str, Any], list[str]]] = {
    "assembly.created": ({"assembly": "a" * 16}, ["Assembly created"]),
    "assembly.edited": ({"fields": ["title", "ends_on"]},
                        ["Assembly details edited", "Changed: title, end date"]),
    "quotas.edited": ({"categories": 2, "panel_size": 30, "panel_size_changed": True,
                       "panel_size_from": 28, "changes": [
                           {"feature": "Age", "value": "16-29",
                            "from": {"min": 6, "max": 8, "min_flex": None, "max_flex": None},
                            "to": {"min": 5, "max": 8, "min_flex": None, "max_flex": None}}]},
                      ["Quotas edited", "Age 16-29: minimum 6 → 5", "Panel size 28 → 30"]),
    "quotas.uploaded": ({"categories": 12, "features": 4},
                        ["Quotas uploaded", "Quotas: 12 categories in 4 features"]),
    "pool.uploaded": ({"categories": 12, "features": 4, "respondents": 1500,
                       "households": 1400, "columns_not_kept": 2},
                      ["Pool uploaded", "Pool: 1,500 respondents in 1,400 households"]),
    "selection.started": ({"run": 7, "run_number": 3, "algorithm": "leximin", "panel_size": 30,
                           "one_per_household": False, "lottery_size": 1000,
                           "time_budget": None},
                          ["Selection run 3 started", "Panel of 30, method: leximin"]),
    "selection.finished": ({"run": 7, "run_number": 3, "algorithm": "leximin",
                            "commitment": "c" * 64, "minimum": 0.0263, "gini": 0.1,
                            "lottery_size": 1000},
                           ["Selection run 3 finished", "Lowest chance of selection: 2.63 %"]),
    "selection.failed": ({"run": 8, "run_number": 4, "reason": "infeasible quotas",
                          "message": "The quotas cannot all be met."},
                         ["Selection run 4 failed", "Why: the quotas cannot all be met"]),
    "selection.auditor_pack_downloaded": ({"run": 7, "run_number": 3, "commitment": "c" * 64},
                                          ["Auditor's pack downloaded for selection run 3"]),
    "draw.performed": ({"run": 7, "run_number": 3, "commitment": "c" * 64, "seed": "1 2 3",
                        "ticket": 417, "lottery_size": 1000, "panel": ["{R}"], "reserves": []},
                       ["Panel drawn in public", "Ticket 417 of 1,000", "Public seed: 1 2 3"]),
    "member.replaced": ({"leaving": "{R}", "joining": "{R2}", "reason": "dropped out"},
                        ["Abc-42 dropped out; replaced by xyz-7"]),
    "member.seat_left_empty": ({"leaving": "{R}", "reason": "Moved away",
                                "replacement_possible": False, "shortfall": []},
                               ["Abc-42 dropped out; seat left empty", "Reason: Moved away"]),
    "invitations.issued": ({"members": ["{M}"], "expires_at": "2026-12-31"},
                           ["Invitations issued to 1 member", "Abc-42"]),
    "invitation.reissued": ({"member": "{M}", "expires_at": "2026-12-31"},
                            ["Invitation issued again to Abc-42"]),
    "invitation.redeemed": ({"member": "{M}", "via": "code"},
                            ["Abc-42 accepted their invitation", "With the code in the letter"]),
    "respondent.erased": ({"respondent": "{R}", "member": "{M}"},
                          ["Details of Abc-42 erased on request"]),
    "personal_data.purged": ({"group": "not_drawn", "respondents": 1200, "retention_days": 90,
                              "counted_from": "draw"},
                             ["Personal data deleted on schedule",
                              "1,200 people (respondents not drawn)"]),
    "retention.changed": ({"retention_days": {"from": 90, "to": 30}},
                          ["Retention periods changed",
                           "Days the pool is kept after the draw: 90 → 30"]),
    "officer.created": ({"officer": "{O}", "admin": False},
                        ["Officer account created for Test Officer"]),
    "officer.password_set": ({"officer": "{O}", "sessions_ended": 2},
                             ["Password set for Test Officer", "2 sessions ended"]),
    "officer.password_changed": ({"officer": "{O}", "other_sessions_ended": 1},
                                 ["Own password changed"]),
    "officer.sessions_revoked": ({"officer": "{O}", "sessions": 3},
                                 ["Test Officer signed out everywhere"]),
    "sessions.revoked_all": ({"sessions": 9}, ["Everyone signed out", "9 sessions ended"]),
    "officer.disabled": ({"officer": "{O}", "sessions_ended": 1},
                         ["Officer account of Test Officer disabled"]),
    "officer.enabled": ({"officer": "{O}", "sessions_ended": 0},
                        ["Officer account of Test Officer enabled again"]),
    "member.declined": ({"member": "{M}", "via": "link", "reason_given": True},
                        ["Abc-42 declined their invitation", "A reason was given"]),
    "member.sign_in_link_sent": ({"member": "{M}"}, ["Sign-in link e-mailed to Abc-42"]),
    "member.sign_in_code_made": ({"member": "{M}"}, ["Sign-in code made for Abc-42"]),
    "member.signed_in": ({"member": "{M}", "via": "code"},
                         ["Abc-42 signed in again", "With a code from the assembly team"]),
    "member.signed_out_everywhere": ({"member": "{M}", "sessions": 2},
                                     ["Abc-42 signed out everywhere", "2 sessions ended"]),
    "mail_failed": ({"message": 4, "kind": "reminder", "attempts": 8,
                     "error": "The e-mail server refused it (550: No such mailbox)."},
                    ["An e-mail could not be delivered", "After 8 attempts",
                     "550: No such mailbox"]),
    "mail_retried": ({"message": 4, "kind": "reminder"},
                     ["An undelivered e-mail was queued again"]),
    "reminders.queued": ({"round": "r" * 16, "title": "Learn", "kind": "learn", "cycle": 0,
                          "event": "opened", "emails": 12},
                         ["Reminders that learn round “Learn” is open queued", "12 e-mails"]),
    "member.reminders_stopped": ({"member": "{M}"}, ["Abc-42 stopped e-mail reminders"]),
    "member.reminders_restarted": ({"member": "{M}"},
                                   ["Abc-42 asked for e-mail reminders again"]),
    "assembly.time_zone_changed": ({"from": "Europe/London", "to": "Europe/Dublin"},
                                   ["Time zone changed", "Europe/London → Europe/Dublin"]),
    "round.created": ({"round": "r" * 16, "title": "Learn", "kind": "learn",
                       "opens_at": "2026-03-14T18:00:00.000000Z",
                       "closes_at": "2026-03-21T18:00:00.000000Z"},
                      ["Learn round “Learn” added to the programme",
                       "Opens 14 March 2026, 18:00 UTC"]),
    "round.edited": ({"round": "r" * 16, "title": "Talk", "kind": "discuss",
                      "fields": ["closes_at"]}, ["Discuss round “Talk” edited",
                                                 "Changed: closes at"]),
    "round.moved": ({"round": "r" * 16, "title": "Talk", "kind": "discuss", "position": 2},
                    ["Discuss round “Talk” moved to place 2 in the programme"]),
    "round.deleted": ({"round": "r" * 16, "title": "Talk", "kind": "discuss"},
                      ["Discuss round “Talk” removed from the programme"]),
    "round.opened": ({"round": "r" * 16, "title": "Learn", "kind": "learn", "cycle": 0,
                      "at": "2026-03-14T18:00:00.000000Z"},
                     ["Learn round “Learn” opened", "At its opening time, 14 March 2026"]),
    "round.closed": ({"round": "r" * 16, "title": "Learn", "kind": "learn", "cycle": 0,
                      "at": "2026-03-21T18:00:00.000000Z"},
                     ["Learn round “Learn” closed", "At its closing time, 21 March 2026"]),
    "round.opened_early": ({"round": "r" * 16, "title": "Vote", "kind": "vote",
                            "at": "2026-03-10T09:00:00.000000Z",
                            "was_to_open": "2026-03-14T18:00:00.000000Z"},
                           ["Vote round “Vote” opened early"]),
    "round.extended": ({"round": "r" * 16, "title": "Vote", "kind": "vote",
                        "was_to_close": "2026-03-21T18:00:00.000000Z",
                        "closes_at": "2026-03-28T18:00:00.000000Z"},
                       ["Vote round “Vote” extended", "Now closes 28 March 2026, 18:00 UTC"]),
    "round.closed_early": ({"round": "r" * 16, "title": "Vote", "kind": "vote",
                            "at": "2026-03-20T18:00:00.000000Z",
                            "was_to_close": "2026-03-21T18:00:00.000000Z"},
                           ["Vote round “Vote” closed early"]),
    "round.reopened": ({"round": "r" * 16, "title": "Vote", "kind": "vote", "cycle": 1,
                        "at": "2026-03-22T10:00:00.000000Z",
                        "closes_at": "2026-03-25T18:00:00.000000Z",
                        "reason": "The ballot paper had a typo"},
                       ["Vote round “Vote” reopened", "Reason: The ballot paper had a typo"]),
    "round.results_released": ({"round": "r" * 16, "title": "Vote", "kind": "vote",
                                "at": "2026-03-26T10:00:00.000000Z"},
                               ["Results of vote round “Vote” released"]),
    "meeting.created": ({"meeting": "m" * 16, "title": "First meeting",
                         "starts_at": "2026-03-14T10:00:00.000000Z", "rounds": 2},
                        ["Meeting “First meeting” added", "Serves 2 rounds"]),
    "meeting.edited": ({"meeting": "m" * 16, "title": "First meeting",
                        "starts_at": "2026-03-14T10:00:00.000000Z", "fields": ["address"]},
                       ["Meeting “First meeting” edited", "Changed: address"]),
    "meeting.deleted": ({"meeting": "m" * 16, "title": "First meeting",
                         "starts_at": "2026-03-14T10:00:00.000000Z"},
                        ["Meeting “First meeting” removed"]),
    "briefing.added": ({"round": "r" * 16, "briefing": "b" * 16, "title": "Data in care",
                        "version": 1}, ["Briefing “Data in care” added to a learn round"]),
    "briefing.edited": ({"round": "r" * 16, "briefing": "b" * 16, "title": "Data in care",
                         "version": 2, "changed": ["body", "easy_read"]},
                        ["Briefing “Data in care” edited", "Now version 2",
                         "Changed: body, easy read"]),
    "briefing.file_added": ({"round": "r" * 16, "briefing": "b" * 16, "title": "Data in care",
                             "version": 1, "file": "slides.pdf", "type": "application/pdf",
                             "bytes": 2048},
                            ["File slides.pdf attached to briefing “Data in care”",
                             "application/pdf, 2,048 bytes"]),
    "briefing.file_removed": ({"round": "r" * 16, "briefing": "b" * 16, "title": "Data in care",
                               "version": 1, "file": "slides.pdf"},
                              ["File slides.pdf removed from briefing “Data in care”"]),
    "question.published": ({"round": "r" * 16, "round_title": "Learning", "question": "q" * 16},
                           ["A member's question in “Learning” published to members"]),
    "question.rejected": ({"round": "r" * 16, "round_title": "Learning", "question": "q" * 16},
                          ["A member's question in “Learning” rejected"]),
    "question.merged": ({"round": "r" * 16, "round_title": "Learning", "question": "q" * 16,
                         "into": "p" * 16},
                        ["A member's question in “Learning” merged into another"]),
    "question.answered": ({"round": "r" * 16, "round_title": "Learning", "question": "q" * 16,
                           "speaker": "Dr Amina Shah"},
                          ["A member's question in “Learning” answered",
                           "Answer published on behalf of Dr Amina Shah"]),
    "question.answer_edited": ({"round": "r" * 16, "round_title": "Learning",
                                "question": "q" * 16, "speaker": "Dr Amina Shah"},
                               ["The answer to a member's question in “Learning” changed"]),
    "discussion.configured": ({"round": "r" * 16, "round_title": "Talking",
                               "changes": {"moderation": {"from": "strict", "to": "open"}}},
                              ["Prompt or moderation of “Talking” changed",
                               "Moderation: strict → open"]),
    "discussion.exported": ({"round": "r" * 16, "round_title": "Talking", "format": "polis",
                             "statements": 40, "participants": 36, "votes": 1210},
                            ["“Talking” downloaded in Pol.is's format",
                             "40 statements, 36 participants (numbered, not named), "
                             "1,210 votes"]),
    "statement.seeded": ({"round": "r" * 16, "round_title": "Talking", "statement": 3,
                          "text": "Say when a computer decided."},
                         ["Seed statement 3 added to “Talking”", "“Say when a computer decided.”"]),
    "statement.keyed_in": ({"round": "r" * 16, "round_title": "Talking", "statement": 12,
                            "channel": "paper"},
                           ["Statement 12 in “Talking” keyed in from paper"]),
    "votes.keyed_in": ({"round": "r" * 16, "round_title": "Talking", "votes": 12,
                        "channel": "phone"},
                       ["12 votes in “Talking” keyed in from a phone call"]),
    "question.keyed_in": ({"round": "r" * 16, "round_title": "Learning", "question": "q" * 16,
                           "channel": "phone", "member": "{M}"},
                          ["in “Learning” keyed in from a phone call"]),
    "ballots.configured": ({"round": "r" * 16, "round_title": "Voting", "fields": ["scale"],
                            "scale": "five", "rule": "two_thirds", "principles": 11},
                           ["Ballot of “Voting” set up", ("11 principles, five scale, rule: two "
                            "thirds"), "Changed: scale"]),
    "ballots.keyed_in": ({"round": "r" * 16, "round_title": "Voting", "member": "{M}",
                          "channel": "paper", "principles": 11, "at": "2027-03-08T09:00:00Z"},
                         ["keyed in from paper", ("11 principles answered; what it said is "
                          "secret")]),
    "council.responded": ({"principle": 3, "principle_title": "A public register",
                           "status": "accepted_in_part", "responded_on": "2027-04-01",
                           "revised": False},
                          ["Council's response to principle 3 “A public register” recorded",
                           "Accepted in part, given 2027-04-01"]),
    "charter.published": ({"version": 2, "digest": "e" * 64, "files": 31, "principles": 11,
                           "adopted": 10, "responses": 6,
                           "changes": "Adds the council's response."},
                          ["Charter version 2 published", ("11 principles, 10 adopted; 6 council "
                           "responses; 31 files"), "e" * 64,
                           "What changed: Adds the council's response."]),
    "ballots.sealed": ({"round": "r" * 16, "round_title": "Voting", "at": "2027-03-08T09:00:00Z",
                        "ballots": 600, "voters": 55, "eligible": 60, "principles": 11,
                        "digest": "d" * 64},
                       ["Ballots of “Voting” sealed", ("55 members of 60 voted; 600 ballots "
                        "counted"), "d" * 64]),
    "statement.accepted": ({"round": "r" * 16, "round_title": "Talking", "statement": 4},
                           ["Statement 4 in “Talking” accepted"]),
    "statement.rejected": ({"round": "r" * 16, "round_title": "Talking", "statement": 5,
                            "reason": "It names a person"},
                           ["Statement 5 in “Talking” rejected",
                            "Reason given to the author: It names a person"]),
    "principle.written": ({"round": "r" * 16, "round_title": "Drafting", "principle": "p" * 16, "title": "Open by default", "theme": "transparency"},
                          ["Principle “Open by default” in “Drafting” written", "Theme: transparency"]),
    "principle.edited": ({"round": "r" * 16, "round_title": "Drafting", "principle": "p" * 16, "title": "Open by default", "version": 3, "changed": ["text", "rationale"]},
                         ["Principle “Open by default” in “Drafting” edited", "Now version 3",
                          "Changed: text, rationale"]),
    "principle.moved": ({"round": "r" * 16, "round_title": "Drafting", "principle": "p" * 16, "title": "Open by default", "direction": "up", "position": 2},
                        ["Principle “Open by default” in “Drafting” moved up", "Now number 2"]),
    "principle.statements_linked": ({"round": "r" * 16, "round_title": "Drafting", "principle": "p" * 16, "title": "Open by default", "discuss_round": "d" * 16,
                                     "discuss_round_title": "Talking", "statements": [4, 7]},
                                    ["Statements linked to principle “Open by default”",
                                     "From “Talking”: 4, 7"]),
    "draft.configured": ({"round": "r" * 16, "round_title": "Drafting",
                           "cosigners": {"from": 3, "to": 5}},
                         ["Signatures a dissent note needs in “Drafting” changed", "3 → 5"]),
    "comment.keyed_in": ({"round": "r" * 16, "round_title": "Drafting", "principle": "p" * 16, "title": "Open by default", "comment": "c" * 16, "channel": "phone"},
                         [("A comment on principle “Open by default” in “Drafting” keyed in "
                           "from a phone call")]),
    "comment.hidden": ({"round": "r" * 16, "round_title": "Drafting", "principle": "p" * 16, "title": "Open by default", "comment": "c" * 16, "reason": "It names an officer"},
                       ["A comment on principle “Open by default” in “Drafting” hidden",
                        "Reason shown to members: It names an officer"]),
    "amendment.accepted": ({"round": "r" * 16, "round_title": "Drafting", "principle": "p" * 16, "title": "Open by default", "amendment": "a" * 16, "version": 4, "with_changes": True},
                           [("An amendment to principle “Open by default” in “Drafting” "
                             "accepted with changes"), "Now version 4"]),
    "amendment.rejected": ({"round": "r" * 16, "round_title": "Drafting", "principle": "p" * 16, "title": "Open by default", "amendment": "a" * 16, "reason": "Principle 4 covers it"},
                           ["An amendment to principle “Open by default” in “Drafting” rejected",
                            "Reason given to the member: Principle 4 covers it"]),
    "dissent.recorded": ({"round": "r" * 16, "round_title": "Drafting", "principle": "p" * 16, "title": "Open by default", "note": "n" * 16, "signatures": 3},
                         [("A dissent note on principle “Open by default” in “Drafting” went "
                           "on the record"), "Signed by 3 members"]),
}


def kinds_written() -> set[str]:
    """Every event kind passed to `audit.record(...)` anywhere in the app's source."""
    kinds: set[str] = set()
    for path in (ROOT / "assembly").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "record" and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "audit" and len(node.args) >= 4):
                kinds |= {n.value for n in ast.walk(node.args[3])
                          if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    return kinds


def test_every_event_kind_the_app_writes_has_a_sentence() -> None:
    written = kinds_written()
    assert "member.seat_left_empty" in written and "officer.enabled" in written
    missing = written - set(audit_words.SENTENCES)
    assert not missing, f"add a sentence to assembly/audit_words.py SENTENCES for {missing}"
    assert set(SAMPLES) == written, "add a sample of each new kind to SAMPLES in this test"


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def test_the_audit_page_says_every_kind_in_words(officer_client: TestClient, officer: Officer,
                                                 dbs: Callable) -> None:
    assembly_id = create(officer_client)
    with dbs(write=True) as session:
        people = [Respondent(assembly_id=assembly_id, external_id=ref)
                  for ref in ("Abc-42", "xyz-7")]
        session.add_all(people)
        session.flush()
        member = Member(assembly_id=assembly_id, respondent_id=people[0].id)
        session.add(member)
        session.flush()
        ids = {"{R}": people[0].public_id, "{R2}": people[1].public_id,
               "{M}": member.public_id, "{O}": f"officer:{officer.id}"}
        for kind, (details, _) in SAMPLES.items():
            audit.record(session, assembly_id, f"officer:{officer.id}", kind,
                         _fill(details, ids))
        audit.record(session, assembly_id, f"member:{member.public_id}", "invitation.redeemed",
                     {"member": member.public_id, "via": "link"})
    response = officer_client.get(f"/assemblies/{assembly_id}/audit")
    assert response.status_code == 200
    page = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())
    for kind, (_, said) in SAMPLES.items():
        for words in said:
            assert words in page, (kind, words)
    for kind in SAMPLES:
        assert f">{kind}<" not in response.text
    assert "Test Officer" in page and "Member Abc-42" in page
    for hidden in (*ids.values(), "officer:"):
        assert hidden not in response.text, hidden


def test_quota_edits_and_failed_runs_say_what_and_why(officer_client: TestClient,
                                                      dbs: Callable) -> None:
    assembly_id = loaded(officer_client, synthetic())
    page = officer_client.get(f"/assemblies/{assembly_id}/quotas").text
    form = dict(re.findall(r'name="((?:min|max|min_flex|max_flex)-\d+)" value="([^"]*)"', page))
    with dbs() as session:
        first = session.exec(select(Quota).where(Quota.assembly_id == assembly_id)
                             .order_by(Quota.position)).first()
    response = post_form(officer_client, f"/assemblies/{assembly_id}/quotas",
                         {**form, "panel_size": "12", f"max-{first.id}": str(first.max_count + 1)})
    assert response.status_code in (200, 303)
    log = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", officer_client.get(
        f"/assemblies/{assembly_id}/audit").text)).split())
    assert "Quotas edited" in log
    assert (f"{first.feature} {first.value}: maximum {first.max_count} → "
            f"{first.max_count + 1}") in log
    assert "Test Officer" in log and "Panel size set to 12" in log

    # A run whose quotas cannot give the panel fails, and the log says which run and why.
    impossible = {**form, "panel_size": "12", f"min-{first.id}": "12", f"max-{first.id}": "12",
                  f"max_flex-{first.id}": "12"}
    post_form(officer_client, f"/assemblies/{assembly_id}/quotas", impossible)
    with dbs() as session:
        assert session.get(Quota, first.id).min_count == 12
    url = start(officer_client, assembly_id)
    wait_for(officer_client, url)
    log = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", officer_client.get(
        f"/assemblies/{assembly_id}/audit").text)).split())
    assert "Selection run 1 started" in log and "Selection run 1 failed" in log
    assert "Why: the pool or the quotas do not allow it" in log
    assert "The quotas for Gender add up to between" in log
    assert "Minipublic (automatically)" in log


def test_run_numbers_count_per_assembly_and_are_never_reused(
        officer_client: TestClient, dbs: Callable) -> None:
    pool = synthetic()
    first = loaded(officer_client, pool)
    other = loaded(officer_client, pool)
    urls = []
    for _ in range(2):
        urls.append(start(officer_client, first))
        wait_for(officer_client, urls[-1])
    # Uploading the files again discards the runs made from the old ones...
    response = upload(officer_client, first, quotas=pool.quotas_csv(), people=pool.people_csv())
    assert response.status_code == 303
    with dbs() as session:
        assert not session.exec(select(SelectionRun).where(
            SelectionRun.assembly_id == first)).all()
    # ...but their numbers stay taken.
    third = start(officer_client, first)
    wait_for(officer_client, third)
    elsewhere = start(officer_client, other)
    wait_for(officer_client, elsewhere)
    with dbs() as session:
        numbers = {a: sorted(session.exec(select(SelectionRun.number).where(
            SelectionRun.assembly_id == a)).all()) for a in (first, other)}
        started = session.exec(select(AuditEvent.details).where(
            AuditEvent.assembly_id == first, AuditEvent.action == "selection.started")
            .order_by(AuditEvent.seq)).all()
        assert session.get(Assembly, first).runs_started == 3
    assert numbers == {first: [3], other: [1]}
    assert [d["run_number"] for d in started] == [1, 2, 3]
    page = officer_client.get(third).text
    assert "<h1>Selection run 3</h1>" in page
    selection = officer_client.get(f"/assemblies/{first}/selection").text
    assert ">Run 3</a>" in selection and ">Run 1</a>" not in selection
    log = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", officer_client.get(
        f"/assemblies/{first}/audit").text)).split())
    assert "Selection run 1 started" in log and "Selection run 3 finished" in log


def test_the_migration_numbers_existing_runs_from_the_audit_log(
        engine: Engine, settings: Settings) -> None:
    """Runs made before run numbers existed are numbered in the order they were started, on
    both databases, counting runs discarded since; the next run continues from there."""
    from alembic import command

    with engine.begin() as connection:
        command.downgrade(db.alembic_config(connection), "0005")
    try:
        with engine.begin() as connection:
            ids = []
            for title in ("First", "Second"):
                ids.append(connection.exec_driver_sql(
                    "INSERT INTO assembly (public_id, title, question, remit, commissioning_body,"
                    " status, one_per_household, address_columns, retention_days,"
                    " member_retention_days, legal_basis, consent_version, created_at) VALUES "
                    f"('{title.lower():0<16}', '{title}', 'Q', '', '', 'selecting', false, '[]',"
                    " 90, 90, '', '', CURRENT_TIMESTAMP) RETURNING id").scalar_one())

            def add_run(assembly_id: int) -> int:
                return int(connection.exec_driver_sql(
                    "INSERT INTO selection_run (assembly_id, algorithm, panel_size, options,"
                    " status, phase, fraction, created_at) VALUES "
                    f"({assembly_id}, 'leximin', 12, '{{}}', 'done', '', 1.0,"
                    " CURRENT_TIMESTAMP) RETURNING id").scalar_one())

            runs = [add_run(ids[0]), add_run(ids[1]), add_run(ids[0]), add_run(ids[0])]
        # Run ids[0]'s first start was of a run since discarded (id 999); the last run of the
        # first assembly has no start event (made by hand, say).
        with db.session(engine, write=True) as session:
            for assembly_id, run_id in ((ids[0], 999), (ids[0], runs[0]), (ids[1], runs[1]),
                                        (ids[0], runs[2])):
                audit.record(session, assembly_id, "officer:1", "selection.started",
                             {"run": run_id})
    finally:
        db.migrate(engine)
    with db.session(engine) as session:
        numbers = {run: session.get(SelectionRun, run).number for run in runs}
        counts = {a: session.get(Assembly, a).runs_started for a in ids}
    assert numbers == {runs[0]: 2, runs[1]: 1, runs[2]: 3, runs[3]: 4}
    assert counts == {ids[0]: 4, ids[1]: 1}
