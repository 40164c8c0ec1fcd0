"""Invitations through the real app on both databases: issuing, letters, redeeming once."""

from __future__ import annotations

import csv
import io
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pikepdf
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from assembly import db
from assembly.accounts.models import UserSession
from assembly.audit import AuditEvent
from assembly.invitations import credentials
from assembly.invitations.models import Invitation
from assembly.selection.models import Member
from assembly.settings import Settings
from assembly.tables import utcnow
from tests.app.builders import Panel, drawn_panel, make_member
from tests.app.flows import BASE_URL, create_letters, make_client, post_form


@dataclass(frozen=True)
class Batch:
    pdf: bytes
    rows: list[dict[str, str]]

    def token(self, i: int) -> str:
        link = self.rows[i]["invitation_link"]
        assert link.startswith(f"{BASE_URL}/invite/")
        return link.rsplit("/", 1)[1]


def issue(client: TestClient, panel: Panel, url: str | None = None) -> Batch:
    response = create_letters(client, url or f"/assemblies/{panel.assembly_id}/invitations")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"].startswith("attachment;")
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert sorted(archive.namelist()) == ["README.txt", "letters.pdf", "mail-merge.csv"]
        pdf = archive.read("letters.pdf")
        text = archive.read("mail-merge.csv").decode("utf-8-sig")
    return Batch(pdf, list(csv.DictReader(io.StringIO(text))))


@pytest.fixture
def panel(engine: Engine) -> Panel:
    return drawn_panel(engine, respondents=8, panel=3, reserves=1)


def test_letters_are_a_tagged_pdf_with_one_page_per_member_and_a_matching_csv(
        officer_client: TestClient, panel: Panel) -> None:
    batch = issue(officer_client, panel)
    members = [p for p in panel.members][:3]  # the panel; the reserve is not invited
    assert [row["member_ref"] for row in batch.rows] == [p.external_id for p in members]
    assert [row["name"] for row in batch.rows] == [p.name for p in members]
    assert [row["postcode"] for row in batch.rows] == [p.postcode for p in members]
    assert len({row["invitation_code"] for row in batch.rows}) == 3
    for row in batch.rows:
        assert credentials.normalise_code(row["invitation_code"]) is not None
        assert row["code_page"] == "testserver/invite"

    with pikepdf.open(io.BytesIO(batch.pdf)) as pdf:
        assert len(pdf.pages) == len(members)
        assert str(pdf.Root.Lang) == "en-GB"
        assert pdf.Root.MarkInfo.Marked is True
        assert "/StructTreeRoot" in pdf.Root
        assert [float(v) for v in pdf.pages[0].mediabox[2:]] == pytest.approx([595.28, 841.89], abs=0.5)  # A4
        title = str(pdf.open_metadata().get("dc:title"))
        assert "Our council, data and AI" in title
        # Each page carries its own member's link in full and their code.
        for page, row in zip(pdf.pages, batch.rows, strict=True):
            text = _page_text(page)
            assert f"Reference {row['member_ref']}" in text
            assert row["invitation_code"] in text
            assert row["name"] in text
            # The link may wrap anywhere; it must all be there, in order.
            assert row["invitation_link"] in "".join(text.split())


def _page_text(page: pikepdf.Page) -> str:
    """The page's text as poppler extracts it (what a screen reader or search would get)."""
    import subprocess
    import tempfile

    pdf = pikepdf.Pdf.new()
    pdf.pages.append(page)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        pdf.save(handle.name)
        return subprocess.run(["pdftotext", handle.name, "-"], check=True,
                              capture_output=True, text=True).stdout


def test_only_hashes_are_stored(officer_client: TestClient, panel: Panel,
                                dbs: Callable) -> None:
    batch = issue(officer_client, panel)
    with dbs() as session:
        stored = set(session.exec(select(Invitation.token_hash)).all())
    for row in batch.rows:
        token = row["invitation_link"].rsplit("/", 1)[1]
        code = credentials.normalise_code(row["invitation_code"])
        assert code is not None
        assert credentials.link_hash(token) in stored
        assert credentials.code_hash(code) in stored
        assert token not in stored and code not in stored
    assert len(stored) == 2 * len(batch.rows)


def test_opening_the_link_does_not_use_it_and_continue_signs_the_member_in(
        officer_client: TestClient, app: Starlette, panel: Panel, dbs: Callable) -> None:
    token = issue(officer_client, panel).token(0)
    with make_client(app) as resident:
        for _ in range(2):  # a mail scanner, then the person
            page = resident.get(f"/invite/{token}")
            assert page.status_code == 200
            assert f'action="/invite/{token}"' in page.text and "Continue" in page.text
            assert "set-cookie" not in page.headers
        response = post_form(resident, f"/invite/{token}", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/home"
        assert "minipublic-session=" in response.headers["set-cookie"]
        home = resident.get("/home")
        assert home.status_code == 200
        assert "<h1>Our council, data and AI</h1>" in home.text
        assert "How should our council use data and AI?" in home.text

        # Opened again where they are signed in: their home, not "used on another device".
        again = post_form(resident, f"/invite/{token}", follow_redirects=False)
        assert again.status_code == 303 and again.headers["location"] == "/home"
        reopened = resident.get(f"/invite/{token}", follow_redirects=False)
        assert reopened.status_code == 303 and reopened.headers["location"] == "/home"
    with make_client(app) as elsewhere:  # another device
        again = post_form(elsewhere, f"/invite/{token}", follow_redirects=False)
        assert again.status_code == 410
        assert "already been used" in again.text
        assert elsewhere.get(f"/invite/{token}").status_code == 410

    with dbs() as session:
        member = session.get(Member, panel.members[0].member_id)
        assert member is not None and member.status == "joined" and member.joined_at is not None
        member_sessions = session.exec(
            select(UserSession).where(UserSession.member_id == member.id)).all()
        assert len(member_sessions) == 1
        actions = session.exec(select(AuditEvent.action)
                               .where(AuditEvent.assembly_id == panel.assembly_id)).all()
        assert "invitations.issued" in actions and "invitation.redeemed" in actions


def test_an_invitation_redeemed_by_concurrent_requests_succeeds_once(
        officer_client: TestClient, app: Starlette, panel: Panel, dbs: Callable) -> None:
    batch = issue(officer_client, panel)
    token = batch.token(1)
    code = batch.rows[1]["invitation_code"]
    attempts = 16
    barrier = threading.Barrier(attempts)
    statuses: list[int] = []
    lock = threading.Lock()

    def redeem(i: int) -> None:
        # Not entered as a context manager: leaving one client's lifespan disposes the engine
        # the other threads are using.
        resident = make_client(app)
        barrier.wait()
        # Half use the link, half the code printed on the same letter.
        if i % 2:
            response = post_form(resident, "/invite", {"code": code}, follow_redirects=False)
        else:
            response = post_form(resident, f"/invite/{token}", follow_redirects=False)
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=redeem, args=(i,)) for i in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [303] + [410] * (attempts - 1)
    with dbs() as session:
        member_id = panel.members[1].member_id
        assert len(session.exec(select(UserSession)
                                .where(UserSession.member_id == member_id)).all()) == 1
        consumed = session.exec(select(Invitation).where(
            Invitation.member_id == member_id, Invitation.consumed_at.is_not(None))).all()
        assert len(consumed) == 1


def test_expired_and_unknown_invitations_have_their_own_pages(
        officer_client: TestClient, client: TestClient, panel: Panel, dbs: Callable) -> None:
    batch = issue(officer_client, panel)
    token = batch.token(0)
    with dbs(write=True) as session:
        session.exec(sa.update(Invitation).values(expires_at=utcnow() - timedelta(minutes=1)))
    page = client.get(f"/invite/{token}")
    assert page.status_code == 410 and "This invitation has expired" in page.text
    response = post_form(client, f"/invite/{token}", follow_redirects=False)
    assert response.status_code == 410 and "expired" in response.text
    assert "set-cookie" not in response.headers
    code = post_form(client, "/invite", {"code": batch.rows[0]["invitation_code"]})
    assert code.status_code == 410 and "expired" in code.text

    unknown = client.get("/invite/" + "A" * 43)
    assert unknown.status_code == 404 and "We cannot find this invitation" in unknown.text
    assert post_form(client, "/invite/" + "A" * 43).status_code == 404
    with dbs() as session:
        assert session.exec(select(Invitation).where(Invitation.consumed_at.is_not(None))).all() == []


def test_issuing_again_stops_the_earlier_letters(
        officer_client: TestClient, client: TestClient, panel: Panel) -> None:
    first = issue(officer_client, panel)
    second = issue(officer_client, panel)
    old = client.get(f"/invite/{first.token(0)}")
    assert old.status_code == 410 and "no longer works" in old.text
    assert post_form(client, "/invite", {"code": first.rows[0]["invitation_code"]}).status_code == 410
    response = post_form(client, f"/invite/{second.token(0)}", follow_redirects=False)
    assert response.status_code == 303


def test_a_member_who_joined_gets_a_new_letter_that_works_once(
        officer_client: TestClient, app: Starlette, panel: Panel) -> None:
    batch = issue(officer_client, panel)
    member = panel.members[0]
    with make_client(app) as resident:
        assert post_form(resident, f"/invite/{batch.token(0)}",
                         follow_redirects=False).status_code == 303
    # Everyone else is re-invited; the member who joined is not, and gets a letter on request.
    again = issue(officer_client, panel)
    assert [row["member_ref"] for row in again.rows] == [p.external_id for p in panel.members[1:3]]
    single = issue(officer_client, panel,
                   f"/assemblies/{panel.assembly_id}/members/{member.member_id}/invitation")
    assert [row["member_ref"] for row in single.rows] == [member.external_id]
    with make_client(app) as new_phone:
        assert post_form(new_phone, "/invite", {"code": single.rows[0]["invitation_code"]},
                         follow_redirects=False).status_code == 303
        # The same letter's link, on the phone now signed in: their page (issue 8, item 2).
        home = post_form(new_phone, f"/invite/{single.token(0)}", follow_redirects=False)
        assert home.status_code == 303 and home.headers["location"] == "/home"
    with make_client(app) as another:  # anywhere else, it stopped when the code was used
        assert post_form(another, f"/invite/{single.token(0)}",
                         follow_redirects=False).status_code == 410


def test_codes_are_forgiving_to_type_and_wrong_ones_are_explained(
        officer_client: TestClient, client: TestClient, panel: Panel) -> None:
    code = issue(officer_client, panel).rows[2]["invitation_code"]
    # Phones must not autocorrect or lower-case a typed code.
    page = client.get("/invite").text
    assert 'autocapitalize="characters" spellcheck="false"' in page
    empty = post_form(client, "/invite", {"code": "  "})
    assert empty.status_code == 422 and "Enter the code from your invitation letter" in empty.text
    short = post_form(client, "/invite", {"code": "ABC"})
    assert short.status_code == 422 and "16 letters and numbers" in short.text
    wrong = post_form(client, "/invite", {"code": "0000-0000-0000-0000"})
    assert wrong.status_code == 422 and "does not match an invitation" in wrong.text
    assert 'aria-invalid="true"' in wrong.text
    fragment = post_form(client, "/invite", {"code": "0000-0000-0000-0000"}, htmx=True)
    assert fragment.status_code == 422 and "<html" not in fragment.text
    typed = code.replace("-", " ").lower().replace("0", "o")
    response = post_form(client, "/invite", {"code": typed}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/home"


def test_too_many_wrong_codes_from_one_address_are_refused(
        client: TestClient, settings: Settings) -> None:
    for _ in range(settings.login_max_per_address):
        assert post_form(client, "/invite", {"code": "0000-0000-0000-0000"}).status_code == 422
    refused = post_form(client, "/invite", {"code": "0000-0000-0000-0000"})
    assert refused.status_code == 429 and "Too many codes" in refused.text
    assert int(refused.headers["retry-after"]) > 0


def test_a_forged_continue_is_refused_and_leaves_the_invitation_usable(
        officer_client: TestClient, client: TestClient, panel: Panel) -> None:
    token = issue(officer_client, panel).token(0)
    forged = client.post(f"/invite/{token}", headers={"Sec-Fetch-Site": "cross-site"},
                         follow_redirects=False)
    assert forged.status_code == 403
    assert post_form(client, f"/invite/{token}", follow_redirects=False).status_code == 303


def test_inviting_before_the_draw_explains_what_to_do(
        officer_client: TestClient, engine: Engine) -> None:
    member = make_member(engine)
    response = post_form(officer_client, f"/assemblies/{member.assembly_id}/invitations")
    assert response.status_code == 409
    assert "Perform the public draw before inviting the panel" in response.text
    with db.session(engine) as session:
        assert session.exec(select(Invitation)).all() == []


def test_public_pages_set_no_cookie(client: TestClient, officer_client: TestClient,
                                    panel: Panel) -> None:
    token = issue(officer_client, panel).token(0)
    for path in ("/", "/login", "/invite", f"/invite/{token}", "/invite/unknown-token",
                 "/static/app.css"):
        response = client.get(path)
        assert response.status_code < 500, path
        assert "set-cookie" not in response.headers, path
    assert client.cookies == {} or len(client.cookies) == 0


def test_issuing_again_while_members_redeem_neither_deadlocks_nor_lets_two_in(
        officer_client: TestClient, app: Starlette, panel: Panel, dbs: Callable) -> None:
    """The officer creates letters again at the moment members open the old ones: every request
    ends cleanly, and at most one redemption per member succeeds."""
    batch = issue(officer_client, panel)
    barrier = threading.Barrier(7)
    outcomes: list[tuple[str, int]] = []
    lock = threading.Lock()

    def redeem(i: int) -> None:
        resident = make_client(app)  # no lifespan: see the concurrency test above
        barrier.wait()
        row = batch.rows[i % 3]
        if i % 2:
            response = post_form(resident, "/invite", {"code": row["invitation_code"]},
                                 follow_redirects=False)
        else:
            response = post_form(resident, f"/invite/{batch.token(i % 3)}",
                                 follow_redirects=False)
        with lock:
            outcomes.append((row["member_ref"], response.status_code))

    def reissue() -> None:
        barrier.wait()
        response = create_letters(officer_client, f"/assemblies/{panel.assembly_id}/invitations")
        with lock:
            outcomes.append(("officer", response.status_code))

    threads = [threading.Thread(target=redeem, args=(i,)) for i in range(6)]
    threads.append(threading.Thread(target=reissue))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 7
    officer_status = dict(outcomes)["officer"]
    # 409 when every member had joined first: there is nobody left to invite.
    assert officer_status == 200 or (
        officer_status == 409 and sum(status == 303 for _, status in outcomes) == 3)
    for ref in {row["member_ref"] for row in batch.rows}:
        codes = [status for who, status in outcomes if who == ref]
        assert set(codes) <= {303, 410}
        assert codes.count(303) <= 1
    with dbs() as session:
        joined = session.exec(select(Member).where(Member.status == "joined")).all()
        winners = {who for who, status in outcomes if status == 303}
        assert len(joined) == len(winners)
        for member in joined:
            assert len(session.exec(select(UserSession)
                                    .where(UserSession.member_id == member.id)).all()) == 1
