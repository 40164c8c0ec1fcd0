"""The officer's whole journey in a real browser, from signing in to the invitation letters, and
two residents' from their letter (one by the link, one by typing the code) to their home page,
and a third's who says no; with JavaScript and without, on a phone-sized and a desktop-sized
screen. Every page on the way is scanned by axe-core (no serious or critical violation is allowed)
and must fit the width of the screen: wide tables scroll in their own box, which the keyboard can
reach.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import pikepdf
import pytest
from playwright.sync_api import Browser, Page, expect

from sortition.synthetic import make_pool
from tests.browser.harness import (
    OFFICER_EMAIL,
    OFFICER_PASSWORD,
    Accessibility,
    Server,
    assert_fits,
    new_context,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PANEL = 10
SEED = "07 19 23 31 42 48"


@pytest.fixture(scope="module")
def pool_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A realistic small pool: 150 fictional respondents, four features, census quotas."""
    synthetic = make_pool(150, PANEL, features=4, seed=11)
    return synthetic.write(tmp_path_factory.mktemp("pool"))


def journey(page: Page, axe: Accessibility, chromium: Browser, server: Server,
            files: tuple[Path, Path], *, javascript: bool, viewport: str, title: str,
            downloads: Path) -> None:
    def scanned(expected_heading: str) -> None:
        expect(page.get_by_role("heading", level=1)).to_contain_text(expected_heading)
        axe.check(page, javascript=javascript)

    # Sign in.
    page.goto("/login")
    scanned("Sign in")
    page.get_by_label("E-mail address").fill(OFFICER_EMAIL)
    page.get_by_label("Password").fill(OFFICER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/assemblies$"))
    scanned("Assemblies")

    # Create the assembly.
    page.get_by_role("link", name="Create an assembly").click()
    page.wait_for_url(re.compile(r"/assemblies/new$"))
    scanned("Create an assembly")
    page.get_by_label("Title").fill(title)
    page.get_by_label("The question the assembly will answer").fill(
        "How should our council use data and AI?")
    page.get_by_label("Commissioning body").fill("Liverpool City Region Combined Authority")
    page.get_by_label("First session").fill("2027-03-06")
    page.get_by_label("Last session").fill("2027-05-15")
    page.get_by_label("Phone number").fill("0151 496 0123")
    page.get_by_label("E-mail address").fill("assembly@example.org")
    page.get_by_label("Support for members").fill(
        "We pay your travel and childcare costs, and can arrange interpreters.")
    page.get_by_role("button", name="Create the assembly").click()
    scanned(title)
    steps = page.get_by_role("navigation", name="This assembly")
    assembly_url = server.url + str(steps.get_by_role("link", name=title).get_attribute("href"))
    assert re.fullmatch(r".*/assemblies/\d+", assembly_url)

    # Upload the quotas and the pool.
    page.get_by_role("link", name="Upload the pool of respondents and the quotas").click()
    page.wait_for_url(re.compile(r"/pool$"))
    scanned("Pool and quotas")
    quotas_csv, people_csv = files
    page.get_by_label("Quotas file (CSV)").set_input_files(str(quotas_csv))
    page.get_by_label("People file (CSV)").set_input_files(str(people_csv))
    page.get_by_label("Legal basis for holding respondents' data").fill(
        "Public task, UK GDPR Article 6(1)(e); special category data: Article 9(2)(g).")
    page.get_by_role("button", name="Upload and check").click()
    # Without JavaScript the upload redirects to the quotas; with it, the page updates in place.
    expect(page.get_by_text("150 respondents").first).to_be_visible(timeout=30_000)
    axe.check(page, javascript=javascript)
    page.goto(assembly_url + "/quotas")
    scanned("Quotas")

    # Run the selection and wait for its result (htmx polls with JavaScript; a meta refresh
    # reloads the page without).
    page.goto(assembly_url + "/selection")
    scanned("Selection")
    page.get_by_label("Panel size").fill(str(PANEL))
    page.get_by_role("button", name="Run the selection").click()
    expect(page.get_by_role("heading", name="Commitment")).to_be_visible(timeout=120_000)
    scanned("Selection run")

    # The public draw.
    page.get_by_label("Public random seed").fill(SEED)
    page.get_by_label("I have published the commitment").check()
    page.get_by_role("button", name="Draw the panel").click()
    expect(page.get_by_role("status")).to_contain_text("The panel has been drawn",
                                                       timeout=30_000)
    page.goto(assembly_url + "/panel")
    scanned("The panel")
    expect(page.get_by_role("heading", name=f"Members ({PANEL} of {PANEL} seats)")).to_be_visible()
    if viewport == "phone":
        # The members' table is wider than a phone: it scrolls in its own labelled box, which
        # the keyboard reaches with Tab and scrolls with the arrow keys.
        box = page.get_by_role("region", name="Current panel members")
        assert box.evaluate("box => box.scrollWidth > box.clientWidth")
        box.focus()
        expect(box).to_be_focused()
        # Chromium scrolls smoothly after each key, so on a busy machine five quick presses can
        # all land before the first scroll shows: press until it moves (at most 25 times).
        for _ in range(25):
            page.keyboard.press("ArrowRight")
            if box.evaluate("box => box.scrollLeft > 0"):
                break
            page.wait_for_timeout(200)
        expect(box).to_be_focused()
        assert box.evaluate("box => box.scrollLeft > 0"), "the arrow keys did not scroll the box"
        assert_fits(page)
    elif javascript:
        # On a wide screen the composition table fits: its box is no keyboard stop then (the
        # script takes the stop out; without JavaScript it stays, which is harmless).
        box = page.get_by_role("region", name="Seats on the current panel, targets and pool")
        assert box.evaluate("box => box.scrollWidth <= box.clientWidth")
        expect(box).not_to_have_attribute("tabindex", "0")

    # Invitations: one ZIP with the letters and the mail-merge file.
    page.get_by_role("navigation", name="This assembly").get_by_role(
        "link", name="Invitations").click()
    page.wait_for_url(re.compile(r"/invitations$"))
    scanned("Invite the panel")
    # The letters are made in the background (the page follows their progress, with htmx or a
    # meta refresh); only the download makes them work.
    page.get_by_role("button", name=f"Create letters for {PANEL} members").click()
    download_button = page.get_by_role("button", name="Download the letters and make them work")
    expect(download_button).to_be_visible(timeout=60_000)
    scanned("Letters")
    with page.expect_download() as download_info:
        download_button.click()
    archive_path = downloads / download_info.value.suggested_filename
    download_info.value.save_as(archive_path)
    with zipfile.ZipFile(archive_path) as archive:
        rows = list(csv.DictReader(io.StringIO(
            archive.read("mail-merge.csv").decode("utf-8-sig"))))
        with pikepdf.open(io.BytesIO(archive.read("letters.pdf"))) as pdf:
            assert len(pdf.pages) == PANEL
            assert pdf.Root.MarkInfo.Marked is True
    assert len(rows) == PANEL
    # With JavaScript the page notices the download and reloads itself; without, reload it.
    if not javascript:
        page.reload()
    expect(page.get_by_text("these letters work now")).to_be_visible(timeout=15_000)
    scanned("Letters")
    page.get_by_role("link", name="Back to the invitations").click()
    scanned("Invite the panel")
    expect(page.get_by_role("cell", name="Invited").first).to_be_visible()

    # The first member opens their link on their own device and accepts.
    resident_context = new_context(chromium, server, javascript=javascript, viewport=viewport)
    try:
        resident = resident_context.new_page()
        resident.goto(rows[0]["invitation_link"])
        expect(resident.get_by_role("heading", level=1)).to_contain_text("Your invitation")
        axe.check(resident, javascript=javascript)
        resident.get_by_role("button", name="Continue").click()
        resident.wait_for_url(re.compile(r"/home$"))
        expect(resident.get_by_role("heading", level=1)).to_contain_text(title)
        axe.check(resident, javascript=javascript)
        expect(resident.get_by_role("link", name="0151 496 0123")).to_be_visible()
        # The same link a second time on this device: back to their page, not "used".
        resident.goto(rows[0]["invitation_link"])
        resident.wait_for_url(re.compile(r"/home$"))
    finally:
        resident_context.close()

    # The second member types the code from their letter instead. Residents' pages never offer
    # officers' sign-in.
    resident_context = new_context(chromium, server, javascript=javascript, viewport=viewport)
    try:
        resident = resident_context.new_page()
        resident.goto("/")
        expect(resident.get_by_role("heading", level=1)).to_be_visible()
        axe.check(resident, javascript=javascript)
        expect(resident.get_by_role("link", name="Officer sign in")).to_have_count(0)
        resident.goto("/invite")
        expect(resident.get_by_role("heading", level=1)).to_contain_text(
            "Enter your invitation code")
        axe.check(resident, javascript=javascript)
        expect(resident.get_by_role("link", name="Officer sign in")).to_have_count(0)
        resident.get_by_label("Invitation code").fill(rows[1]["invitation_code"].lower())
        resident.get_by_role("button", name="Continue").click()
        resident.wait_for_url(re.compile(r"/home$"))
        expect(resident.get_by_role("heading", level=1)).to_contain_text(title)
        axe.check(resident, javascript=javascript)
        expect(resident.get_by_role("link", name="Officer sign in")).to_have_count(0)
    finally:
        resident_context.close()

    # The third member, on a phone, says no (with a reason) after a confirmation step.
    phone_context = new_context(chromium, server, javascript=javascript, viewport="phone")
    try:
        phone = phone_context.new_page()
        phone.goto(rows[2]["invitation_link"])
        axe.check(phone, javascript=javascript)
        phone.get_by_role("link", name="I do not want to take part").click()
        expect(phone.get_by_role("heading", level=1)).to_contain_text("Are you sure")
        axe.check(phone, javascript=javascript)
        assert_fits(phone)
        phone.get_by_label("Why are you saying no? (optional)").fill("I work nights.")
        phone.get_by_role("button", name="Yes, I do not want to take part").click()
        expect(phone.get_by_role("heading", level=1)).to_contain_text("You have said no")
        axe.check(phone, javascript=javascript)
        assert_fits(phone)
    finally:
        phone_context.close()

    page.reload()
    expect(page.get_by_role("cell", name="Joined")).to_have_count(2)
    expect(page.get_by_role("cell", name=re.compile(r"^Declined .*I work nights"))).to_be_visible()

    # The audit log: a wide table of everything that happened.
    page.goto(assembly_url + "/audit")
    scanned("Audit log")

    # Retention: when each group's details go, and changing it (a mistake first).
    page.goto(assembly_url + "/personal-data")
    scanned("Personal data")
    members_days = page.get_by_label("Days to keep the details of panel members and reserves")
    members_days.fill("4000")
    page.get_by_role("button", name="Save retention periods").click()
    expect(page.get_by_role("alert")).to_contain_text("as a whole number from 0 to 3,650")
    axe.check(page, javascript=javascript)
    members_days.fill("120")
    page.get_by_role("button", name="Save retention periods").click()
    expect(page.get_by_role("status")).to_contain_text("Retention periods saved")
    expect(page.get_by_role("cell", name="120 days after the assembly ends")).to_be_visible()


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_officer_and_resident_journeys(chromium: Browser, server: Server,
                                       pool_files: tuple[Path, Path], tmp_path: Path,
                                       javascript: bool, viewport: str) -> None:
    context = new_context(chromium, server, javascript=javascript, viewport=viewport)
    axe = Accessibility(chromium, server, viewport)
    try:
        journey(context.new_page(), axe, chromium, server, pool_files, javascript=javascript,
                viewport=viewport, downloads=tmp_path,
                title=f"Our council, data and AI ({viewport}"
                      f"{'' if javascript else ', without scripts'})")
    finally:
        axe.close()
        context.close()
    assert len(axe.scanned) >= 18
    # The server's access log never shows an invitation token.
    log = server.log()
    assert "/invite/[hidden]" in log
    assert not re.search(r"/invite/[0-9a-z]{52}", log)
