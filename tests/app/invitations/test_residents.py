"""What a resident holding a letter needs (issue 8, items 1-3), through the real app on both
databases: letters that point at the address served, whom to contact on every letter and member
page, a used link that takes its own member home, and saying no from the invitation page."""

from __future__ import annotations

import csv
import html
import io
import re
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx2
import pikepdf
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from assembly import settings as settings_module
from assembly.assemblies.models import Assembly
from assembly.audit import AuditEvent
from assembly.cli import main
from assembly.invitations import credentials
from assembly.invitations.credentials import State
from assembly.invitations.models import Invitation
from assembly.selection import panel as panel_service
from assembly.selection.models import Decline, Member
from assembly.settings import Settings
from tests.app import servers
from tests.app.builders import PASSWORD, Panel, drawn_panel, make_officer, synthetic
from tests.app.flows import (
    BASE_URL,
    DETAILS,
    TEST_SECRET,
    create_letters,
    loaded,
    make_client,
    post_form,
    sign_in_member,
    start,
    wait_for,
    wait_for_letters,
)

CONTACT = {
    "contact_phone": "0151 496 0123",
    "contact_email": "assembly@example.org",
    "contact_address": "Citizens' Assembly Team\n  1 Mann Island  \n\nLiverpool\nL3 1BP",
    "support_offer": "We pay your travel and childcare costs, and can arrange interpreters.",
}
REASON = "I care for my mother on weekday evenings."


@pytest.fixture
def panel(engine: Engine) -> Panel:
    return drawn_panel(engine, respondents=8, panel=3, reserves=1)


def edit(client: TestClient, assembly_id: int, **changes: str) -> Any:
    """Save the assembly's details through the form, as an officer does."""
    return post_form(client, f"/assemblies/{assembly_id}/edit",
                     {**DETAILS, **CONTACT, **changes}, follow_redirects=False)


def letters_of(response: Any) -> tuple[bytes, list[dict[str, str]]]:
    assert response.status_code == 200, response.text
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        rows = list(csv.DictReader(io.StringIO(
            archive.read("mail-merge.csv").decode("utf-8-sig"))))
        return archive.read("letters.pdf"), rows


def token_of(row: dict[str, str]) -> str:
    return row["invitation_link"].rsplit("/", 1)[1]


def page_texts(pdf_bytes: bytes) -> list[str]:
    """Each page's text as poppler extracts it (what a screen reader or a search gets)."""
    texts = []
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        for page in pdf.pages:
            single = pikepdf.Pdf.new()
            single.pages.append(page)
            with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
                single.save(handle.name)
                texts.append(subprocess.run(["pdftotext", handle.name, "-"], check=True,
                                            capture_output=True, text=True).stdout)
    return texts


def words(text: str) -> str:
    """The text as read: tags dropped, entities decoded, runs of white space made one space."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", text)).split())


def invited(officer_client: TestClient, panel: Panel) -> list[dict[str, str]]:
    """Contact details saved, then letters for the panel made and downloaded."""
    assert edit(officer_client, panel.assembly_id).status_code == 303
    return letters_of(create_letters(officer_client,
                                     f"/assemblies/{panel.assembly_id}/invitations"))[1]


# --- item 1: the address in the letters ---------------------------------------------------------


def test_the_public_address_follows_host_and_port_unless_set() -> None:
    assert settings_module.from_env({}).public_address == "http://127.0.0.1:8000"
    assert settings_module.from_env({"MINIPUBLIC_PORT": "8811"}).public_address == \
        "http://127.0.0.1:8811"
    assert settings_module.from_env({"MINIPUBLIC_HOST": "::1", "MINIPUBLIC_PORT": "9000"}
                                    ).public_address == "http://[::1]:9000"
    everywhere = settings_module.from_env({"MINIPUBLIC_HOST": "0.0.0.0"}).public_address
    assert everywhere.startswith("http://") and "0.0.0.0" not in everywhere
    chosen = settings_module.from_env({"MINIPUBLIC_PORT": "8811",
                                       "MINIPUBLIC_PUBLIC_URL": "https://assembly.example.org/"})
    assert chosen.public_address == "https://assembly.example.org"
    # Production never guesses: it names the variable to set.
    with pytest.raises(settings_module.SettingsError, match="MINIPUBLIC_PUBLIC_URL is not set"):
        settings_module.from_env({"MINIPUBLIC_ENV": "production",
                                  "MINIPUBLIC_SECRET_KEY": TEST_SECRET,
                                  "MINIPUBLIC_ALLOWED_HOSTS": "a.example"})


def test_the_demo_says_which_address_the_letters_use(
        settings: Settings, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], dbs: Callable) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MINIPUBLIC_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("MINIPUBLIC_PASSWORD_MEMORY_KIB", "1024")
    monkeypatch.setenv("MINIPUBLIC_PASSWORD_TIME_COST", "1")
    assert main(["demo", "--no-serve", "--port", "8811"]) == 0
    out = capsys.readouterr().out
    assert "Open   http://127.0.0.1:8811/login" in out
    assert "Letters and invitation links use http://127.0.0.1:8811, the address served" in out
    monkeypatch.setenv("MINIPUBLIC_PUBLIC_URL", "https://assembly.example.org")
    assert main(["demo", "--no-serve", "--port", "8811"]) == 0
    out = capsys.readouterr().out
    assert ("Letters and invitation links use https://assembly.example.org "
            "(MINIPUBLIC_PUBLIC_URL).") in out
    # The demo's organisers can be contacted, as a real council's must.
    with dbs() as session:
        assembly = session.exec(select(Assembly)).one()
        assert assembly.contact_phone and assembly.contact_email and assembly.contact_address
        assert "childcare" in assembly.support_offer and "interpreters" in assembly.support_offer


@pytest.mark.slow  # a real server process
def test_letters_from_a_server_on_another_port_point_at_that_port(
        settings: Settings, engine: Engine, tmp_path: Path) -> None:
    panel = drawn_panel(engine, respondents=5, panel=2, reserves=1)
    make_officer(engine, settings)
    port = servers.free_port()
    server = servers.serve(tmp_path, port, DATABASE_URL=settings.database_url)
    try:
        servers.wait_until_up(server, port)
        base = f"http://127.0.0.1:{port}"
        with httpx2.Client(base_url=base, headers={"Sec-Fetch-Site": "same-origin",
                                                   "Origin": base}, timeout=60) as browser:
            assert browser.post("/login", data={"email": "officer@example.org",
                                                "password": PASSWORD}).status_code == 303
            asked = browser.post(f"/assemblies/{panel.assembly_id}/invitations",
                                 data={"confirm": "yes"})
            assert asked.status_code == 303, asked.text
            wait_for_letters(browser, asked.headers["location"])  # type: ignore[arg-type]
            _, rows = letters_of(browser.post(asked.headers["location"]))
            # The link a resident types from the letter opens their invitation on this server.
            assert browser.get(rows[0]["invitation_link"].removeprefix(base)).status_code == 200
        server.terminate()
        output = server.communicate(timeout=30)[0]
    finally:
        if server.returncode is None:
            servers.stop(server)
    assert [row["invitation_link"].startswith(f"http://127.0.0.1:{port}/invite/")
            for row in rows] == [True, True]
    assert {row["code_page"] for row in rows} == {f"127.0.0.1:{port}/invite"}
    assert (f"Letters and invitation links use http://127.0.0.1:{port}, the address served"
            in output)


# --- item 3: whom to contact ----------------------------------------------------------------------


def test_contact_details_are_checked_and_nothing_is_saved_until_they_are_right(
        officer_client: TestClient, panel: Panel, dbs: Callable) -> None:
    bad = edit(officer_client, panel.assembly_id, contact_email="assembly at example.org",
               contact_phone="call us", contact_address="\n".join(f"Line {i}" for i in range(8)))
    assert bad.status_code == 422
    text = words(bad.text)
    assert "Enter the e-mail address in the right format, for example assembly@council.gov.uk." \
        in text
    assert "Enter the phone number with digits and spaces only" in text
    assert "Use at most 6 lines for the postal address (this has 8)" in text
    for name in ("contact_email", "contact_phone", "contact_address"):
        assert f'href="#field-{name}"' in bad.text
    with dbs() as session:
        assembly = session.get(Assembly, panel.assembly_id)
        assert (assembly.contact_email, assembly.contact_phone, assembly.title) == (
            "", "", "Our council, data and AI")
    # The form offers no contact yet: the overview and the invitations page say so.
    assert "add a phone number or e-mail address" in officer_client.get(
        f"/assemblies/{panel.assembly_id}").text
    assert "The letters give residents no phone number or e-mail address" in officer_client.get(
        f"/assemblies/{panel.assembly_id}/invitations").text

    assert edit(officer_client, panel.assembly_id).status_code == 303
    with dbs() as session:
        assembly = session.get(Assembly, panel.assembly_id)
        assert assembly.contact_phone == "0151 496 0123"
        assert assembly.contact_address == \
            "Citizens' Assembly Team\n1 Mann Island\nLiverpool\nL3 1BP"  # blank lines dropped
    form = officer_client.get(f"/assemblies/{panel.assembly_id}/edit").text
    assert 'value="assembly@example.org"' in form and "interpreters" in form
    overview = officer_client.get(f"/assemblies/{panel.assembly_id}").text
    assert "0151 496 0123, assembly@example.org" in overview


def test_every_letter_names_whom_to_contact_and_the_support_on_offer(
        officer_client: TestClient, panel: Panel) -> None:
    assert edit(officer_client, panel.assembly_id).status_code == 303
    pdf, rows = letters_of(create_letters(officer_client,
                                          f"/assemblies/{panel.assembly_id}/invitations"))
    texts = page_texts(pdf)
    assert len(texts) == len(rows) == 3  # still one page per member
    for text, row in zip(texts, rows, strict=True):
        flat = words(text)
        assert "0151 496 0123" in flat and "assembly@example.org" in flat
        assert "1 Mann Island" in flat and "L3 1BP" in flat
        assert CONTACT["support_offer"] in flat
        # Where the privacy notice is, as people type it (no scheme), in every letter's foot.
        notice = BASE_URL.split("://", 1)[1] + f"/privacy/{panel.assembly_id}"
        assert f"Privacy notice: {notice}" in flat
        assert ("Call us on 0151 496 0123 or e-mail assembly@example.org, or write to us at the "
                f"address above, quoting your reference {row['member_ref']}.") in flat
        assert 'choose "I do not want to take part"' in flat


def test_member_pages_show_whom_to_contact(
        officer_client: TestClient, panel: Panel, app: Starlette) -> None:
    rows = invited(officer_client, panel)
    token = token_of(rows[0])
    with make_client(app) as resident:
        pages = [resident.get(f"/invite/{token}"), resident.get(f"/invite/{token}/decline")]
        assert post_form(resident, f"/invite/{token}").status_code == 200  # -> welcome
        pages.append(resident.get("/welcome"))
    with make_client(app) as elsewhere:
        pages.append(elsewhere.get(f"/invite/{token}"))  # used, on another device
    assert [page.status_code for page in pages] == [200, 200, 200, 410]
    for page in pages:
        text = words(page.text)
        assert 'href="tel:01514960123"' in page.text
        assert 'href="mailto:assembly@example.org"' in page.text
        assert "Support for members" in text and "arrange interpreters" in text
        assert "named in your letter" not in text
    assert "contact the organisers (their details are below)" in words(pages[3].text)


# --- item 2: a used link opened again ---------------------------------------------------------


def test_a_used_link_takes_its_own_member_home_and_tells_anyone_else_it_is_used(
        officer_client: TestClient, panel: Panel, app: Starlette, engine: Engine,
        settings: Settings, dbs: Callable) -> None:
    rows = invited(officer_client, panel)
    first, second = token_of(rows[0]), token_of(rows[1])
    with make_client(app) as resident:
        assert post_form(resident, f"/invite/{first}", follow_redirects=False).status_code == 303
        for response in (resident.get(f"/invite/{first}", follow_redirects=False),
                         post_form(resident, f"/invite/{first}", follow_redirects=False)):
            assert response.status_code == 303 and response.headers["location"] == "/home"
        with_htmx = post_form(resident, f"/invite/{first}", htmx=True)
        assert with_htmx.status_code == 204 and with_htmx.headers["HX-Redirect"] == "/home"
        # Their typed code, entered again, also takes them home.
        code = post_form(resident, "/invite", {"code": rows[0]["invitation_code"]},
                         follow_redirects=False)
        assert code.status_code == 303 and code.headers["location"] == "/home"
    # Someone signed in as another member on this device opens the first member's used link.
    with dbs() as session:
        other = session.get(Member, panel.members[1].member_id)
    with make_client(app) as neighbour:
        sign_in_member(neighbour, engine, settings, other)
        page = neighbour.get(f"/invite/{first}", follow_redirects=False)
        assert page.status_code == 410
        assert "This invitation has already been used" in page.text
        assert "go back to that device" in page.text
        # Their own unused link is unaffected.
        assert neighbour.get(f"/invite/{second}").status_code == 200


# --- item 3: saying no --------------------------------------------------------------------------


def test_a_resident_declines_with_a_reason_and_the_invitation_stops_working(
        officer_client: TestClient, panel: Panel, app: Starlette, dbs: Callable) -> None:
    rows = invited(officer_client, panel)
    token = token_of(rows[0])
    with make_client(app) as resident:
        invitation = resident.get(f"/invite/{token}")
        assert f'href="/invite/{token}/decline"' in invitation.text
        assert "I do not want to take part" in invitation.text
        confirm = resident.get(f"/invite/{token}/decline")
        assert confirm.status_code == 200 and "set-cookie" not in confirm.headers
        assert "Are you sure you do not want to take part?" in confirm.text
        assert f'<form method="post" action="/invite/{token}/decline"' in confirm.text
        assert 'name="reason"' in confirm.text and f'href="/invite/{token}"' in confirm.text
        # Opening the confirmation page (a scanner, or a change of mind) changes nothing.
        with dbs() as session:
            assert session.get(Member, panel.members[0].member_id).status == "invited"

        said = post_form(resident, f"/invite/{token}/decline", {"reason": f"  {REASON}\r\n"},
                         follow_redirects=False)
        assert said.status_code == 303 and said.headers["location"] == f"/invite/{token}"
        assert "set-cookie" not in said.headers
        after = resident.get(f"/invite/{token}")
        assert after.status_code == 410
        assert "You have said no to this invitation" in after.text
        assert "Thank you for letting us know" in after.text
        # Neither the link nor the code lets them in any more, nor says no twice.
        assert post_form(resident, f"/invite/{token}").status_code == 410
        code = post_form(resident, "/invite", {"code": rows[0]["invitation_code"]})
        assert code.status_code == 410 and "You have said no" in code.text
        assert post_form(resident, f"/invite/{token}/decline", {"reason": "again"}
                         ).status_code == 410
        assert resident.get("/welcome", follow_redirects=False).status_code != 200

    with dbs() as session:
        member = session.get(Member, panel.members[0].member_id)
        assert member.status == "declined" and member.replaced_by is None
        decline = session.get(Decline, member.id)
        assert decline.reason == REASON and decline.via == "invitation"
        assert all(i.revoked_at is not None and i.consumed_at is None for i in session.exec(
            select(Invitation).where(Invitation.member_id == member.id)))
        events = session.exec(select(AuditEvent).where(
            AuditEvent.action == "member.declined")).all()
        assert len(events) == 1
        assert events[0].actor == f"member:{member.public_id}"
        assert events[0].details == {"member": member.public_id, "via": "invitation",
                                     "reason_given": True}
        assert REASON not in repr(events[0].details)  # the log cannot be erased; the reason can
        # The others' letters still work.
        assert credentials.inspect(session, credentials.link_hash(token_of(rows[1]))) \
            is State.valid


def test_declining_without_a_reason_works_with_htmx_and_a_long_reason_changes_nothing(
        officer_client: TestClient, panel: Panel, app: Starlette, dbs: Callable) -> None:
    rows = invited(officer_client, panel)
    token = token_of(rows[1])
    with make_client(app) as resident:
        too_long = post_form(resident, f"/invite/{token}/decline", {"reason": "x" * 1001},
                             htmx=True)
        assert too_long.status_code == 422
        assert too_long.text.lstrip().startswith('<form method="post"')
        # Swapped for the form it replaces; only the out-of-band status region follows it.
        after = too_long.text.split("</form>", 1)[1].strip()
        assert after == "" or after.startswith('<div id="status" hx-swap-oob=')
        assert "No, go back" not in too_long.text  # the link stays outside the swapped form
        assert "please shorten it to 1,000 or fewer. Nothing has been recorded yet." in \
            too_long.text
        with dbs() as session:
            assert session.get(Member, panel.members[1].member_id).status == "invited"
            assert session.get(Decline, panel.members[1].member_id) is None
        said = post_form(resident, f"/invite/{token}/decline", {}, htmx=True)
        assert said.status_code == 204 and said.headers["HX-Redirect"] == f"/invite/{token}"
    with dbs() as session:
        assert session.get(Member, panel.members[1].member_id).status == "declined"
        assert session.get(Decline, panel.members[1].member_id).reason == ""
        event = session.exec(select(AuditEvent).where(
            AuditEvent.action == "member.declined")).one()
        assert event.details["reason_given"] is False


def test_a_forged_or_made_up_decline_changes_nothing(
        officer_client: TestClient, panel: Panel, app: Starlette, dbs: Callable) -> None:
    rows = invited(officer_client, panel)
    token = token_of(rows[0])
    with make_client(app, headers=None) as stranger:
        forged = stranger.post(f"/invite/{token}/decline", data={"reason": "forged"},
                               headers={"Sec-Fetch-Site": "cross-site",
                                        "Origin": "https://evil.example"})
        assert forged.status_code == 403
    with make_client(app) as guesser:
        made_up = credentials.new_token()
        assert post_form(guesser, f"/invite/{made_up}/decline").status_code == 404
        assert guesser.get(f"/invite/{made_up}/decline").status_code == 404
        # A link already used to join cannot be used to say no for that member either.
        assert post_form(guesser, f"/invite/{token_of(rows[2])}").status_code == 200
    with make_client(app) as late:
        used = post_form(late, f"/invite/{token_of(rows[2])}/decline", {"reason": "x"})
        assert used.status_code == 410 and "already been used" in used.text
    with dbs() as session:
        statuses = [session.get(Member, p.member_id).status for p in panel.members[:3]]
        assert statuses == ["invited", "invited", "joined"]
        assert session.exec(select(Decline)).all() == []
        assert session.exec(select(AuditEvent).where(
            AuditEvent.action == "member.declined")).all() == []
        assert credentials.inspect(session, credentials.link_hash(token)) is State.valid


@pytest.mark.slow  # a real selection and draw, so the reserve keeps the quotas
def test_the_officer_sees_a_decline_at_once_and_replaces_it_with_a_reserve(
        officer_client: TestClient, app: Starlette, dbs: Callable) -> None:
    assembly_id = loaded(officer_client, synthetic())
    url = start(officer_client, assembly_id)
    wait_for(officer_client, url)
    assert post_form(officer_client, f"{url}/draw", {"seed": "1 2 3", "confirm": "yes"},
                     follow_redirects=False).status_code == 303
    assert edit(officer_client, assembly_id).status_code == 303
    _, rows = letters_of(create_letters(officer_client, f"/assemblies/{assembly_id}/invitations"))
    with make_client(app) as resident:
        assert post_form(resident, f"/invite/{token_of(rows[0])}/decline",
                         {"reason": REASON}, follow_redirects=False).status_code == 303
    with dbs() as session:
        leaving = session.exec(select(Member).where(Member.status == "declined")).one()
        panel_before = len(panel_service.panel_members(session, assembly_id))
    reference = rows[0]["member_ref"]

    invitations = words(officer_client.get(f"/assemblies/{assembly_id}/invitations").text)
    assert f"{reference} {rows[0]['name']} Declined" in invitations
    assert f"Declined {REASON}" not in invitations  # dated first
    assert re.search(rf"Declined [^;]{{10,40}}: {re.escape(REASON)}", invitations), invitations
    assert "Declined 1 (1 still to replace" in invitations
    overview = words(officer_client.get(f"/assemblies/{assembly_id}").text)
    assert f"{panel_before} members; 1 declined, 1 to replace" in overview
    page = officer_client.get(f"/assemblies/{assembly_id}/panel").text
    assert "1 member has declined the invitation and their seat is empty" in words(page)
    assert REASON in html.unescape(page)
    drop_out = f"/assemblies/{assembly_id}/members/{leaving.id}/drop-out"
    assert f'href="{drop_out}"' in page

    confirm = officer_client.get(drop_out)
    assert "Replace a member who declined" in confirm.text
    assert 'name="reason" value="declined"' in confirm.text
    replaced = post_form(officer_client, drop_out, {"reason": "declined", "confirm": "yes"},
                         follow_redirects=True)
    assert "takes the seat and every quota is still met" in replaced.text
    with dbs() as session:
        gone = session.get(Member, leaving.id)
        assert gone.status == "replaced" and gone.replaced_by is not None
        joining = session.get(Member, gone.replaced_by)
        assert joining.status == "selected" and joining.role == "panel"
        assert len(panel_service.panel_members(session, assembly_id)) == panel_before + 1
        event = session.exec(select(AuditEvent).where(
            AuditEvent.action == "member.replaced")).one()
        assert event.details["reason"] == "declined"
    after = words(officer_client.get(f"/assemblies/{assembly_id}/invitations").text)
    assert "; replaced" in after and "still to replace" not in after
    assert "to replace" not in words(officer_client.get(f"/assemblies/{assembly_id}").text)
    # A seat can be given once: a second try is refused and changes nothing.
    again = post_form(officer_client, drop_out, {"reason": "declined", "confirm": "yes"},
                      follow_redirects=True)
    assert "can be replaced" in html.unescape(again.text)
    with dbs() as session:
        assert len(panel_service.panel_members(session, assembly_id)) == panel_before + 1


# --- the reason is personal data ----------------------------------------------------------------


def test_erasure_and_purge_blank_the_reason_and_keep_the_date(
        officer_client: TestClient, panel: Panel, app: Starlette, dbs: Callable,
        monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    rows = invited(officer_client, panel)
    with make_client(app) as resident:
        for row in rows[:2]:
            assert post_form(resident, f"/invite/{token_of(row)}/decline", {"reason": REASON},
                             follow_redirects=False).status_code == 303
    first, second = panel.members[0], panel.members[1]
    # Before erasing, the officer sees what is held about the person, the reason included.
    found = post_form(officer_client, f"/assemblies/{panel.assembly_id}/personal-data/find",
                      {"reference": first.external_id})
    assert REASON in html.unescape(found.text) and "Their reason is erased too" in found.text
    erased = post_form(officer_client, f"/assemblies/{panel.assembly_id}/respondents/"
                       f"{first.public_id}/erase", follow_redirects=False)
    assert erased.status_code == 303
    with dbs() as session:
        assert session.get(Decline, first.member_id).reason == ""
        assert session.get(Decline, first.member_id).declined_at is not None
        assert session.get(Decline, second.member_id).reason == REASON  # someone else's
    assert REASON in html.unescape(officer_client.get(
        f"/assemblies/{panel.assembly_id}/panel").text)

    # The purge, once the assembly's members' retention is over, blanks the rest.
    with dbs(write=True) as session:
        assembly = session.get(Assembly, panel.assembly_id)
        assembly.member_retention_days = 0
        assembly.ends_on = date.today() - timedelta(days=2)
        session.add(assembly)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    assert main(["purge"]) == 0
    with dbs() as session:
        assert session.get(Decline, second.member_id).reason == ""
        assert session.get(Decline, second.member_id).declined_at is not None
    page = html.unescape(officer_client.get(f"/assemblies/{panel.assembly_id}/panel").text)
    assert REASON not in page and "(no reason given)" in page


def test_the_decline_page_of_an_unknown_or_expired_link_says_why(
        client: TestClient, officer_client: TestClient, panel: Panel, dbs: Callable) -> None:
    rows = invited(officer_client, panel)
    with dbs(write=True) as session:
        for invitation in session.exec(select(Invitation)):
            invitation.expires_at = invitation.created_at
            session.add(invitation)
    expired = client.get(f"/invite/{token_of(rows[0])}/decline")
    assert expired.status_code == 410 and "This invitation has expired" in expired.text
    assert "0151 496 0123" in expired.text  # whom to ask whether a place is still open
    assert post_form(client, f"/invite/{token_of(rows[0])}/decline").status_code == 410
    with dbs() as session:
        assert session.exec(select(Decline)).all() == []
    unknown = client.get("/invite/nothing-like-this/decline")
    assert unknown.status_code == 404 and "We cannot find this invitation" in unknown.text
    assert re.search(r'href="/invite"', unknown.text)


def test_a_letter_with_the_longest_contact_details_allowed_still_fits_one_page() -> None:
    from datetime import datetime

    from assembly.assemblies import details
    from assembly.invitations import letters

    address = tuple(f"Address line {i + 1}" for i in range(details.ADDRESS_LINES))
    head = letters.LetterHead(
        title="Liverpool City Region Citizens' Assembly on Data and AI",
        question="How should our council use data and AI?",
        commissioning_body="Liverpool City Region Combined Authority",
        starts_on=date(2027, 3, 6), contact_phone="+44 151 496 0123 ext 4567",
        contact_email="citizens.assembly@liverpoolcityregion-ca.gov.uk",
        contact_address=address,
        support_offer=("We pay your travel and childcare costs. " * 10)[
            :details.LIMITS["support_offer"]],
        privacy_notice="citizens-assembly.liverpoolcityregion-ca.gov.uk/privacy/12345")
    letter = letters.Letter(
        member_ref="R0001", name="Amira Testperson-Longname",
        address=("Flat 12, Quarry Court", "10 Quarry Street", "Anfield", "Liverpool"),
        postcode="L4 0TH", email="a@example.org",
        link="https://assembly.example.gov.uk/invite/" + "a" * credentials.TOKEN_LENGTH,
        code="K7QM-4XRT-9BNC-H2FD", code_page="assembly.example.gov.uk/invite",
        expires=datetime(2027, 1, 12))
    texts = page_texts(letters.letters_pdf(head, [letter], today=date(2026, 11, 28)))
    assert len(texts) == 1
    assert "Address line 6" in texts[0] and "Yours sincerely" in texts[0]
    assert "liverpoolcityregion-ca.gov.uk/privacy/12345" in texts[0]


def test_a_letter_gives_the_first_meeting_only_while_it_is_still_to_come() -> None:
    """A late letter (to fill a seat once the assembly has begun) does not tell a resident the
    meetings start on a day already past."""
    from datetime import datetime

    from assembly.invitations import letters

    letter = letters.Letter(
        member_ref="R0001", name="Amira Testperson", address=("10 Quarry Street", "Liverpool"),
        postcode="L4 0TH", email="", link="https://assembly.example.gov.uk/invite/abc",
        code="K7QM-4XRT-9BNC-H2FD", code_page="assembly.example.gov.uk/invite",
        expires=datetime(2027, 1, 12))

    def said(starts_on: date) -> str:
        head = letters.LetterHead(
            title="An assembly", question="How should our council use data and AI?",
            commissioning_body="A council", starts_on=starts_on)
        return " ".join(letters.letters_html(head, [letter], today=date(2026, 11, 28)).split())

    assert "which start on Saturday 6 March 2027" in said(date(2027, 3, 6))
    assert "which start on" in said(date(2026, 11, 28))
    late = said(date(2026, 9, 25))
    assert "which start on" not in late and "details of the meetings." in late
