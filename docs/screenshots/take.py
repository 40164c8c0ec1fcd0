"""Take the README's screenshots from a running demo: `python docs/screenshots/take.py`.

Starts `minipublic demo` in a temporary directory, reads the officer's password and a member's
one-time sign-in code from what it prints, walks through the pages as the demo leaves them in
Debian's Chromium (as the browser tests do: an officer on a laptop, a member on a 390 px phone,
then anyone reading the published charter on a phone and on a desktop) and writes one PNG per
entry of `SHOTS` next to this script, a letter and the charter's PDFs rendered with pdftoppm. Then
it rewrites the README's table of screenshots (between the `screenshots` markers) from the same
entries and deletes PNGs here that no entry makes any more.

To add a page: write a function that takes the `Tour` and the PNG's path, goes to the page with
`tour.officer`, `tour.member` or `tour.reader` and returns that page (or writes the PNG itself and returns None),
then add a `Shot` for it to `SHOTS` where it belongs in the journey.
"""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

HERE = Path(__file__).resolve().parent
README = HERE.parents[1] / "README.md"
START, END = "<!-- screenshots:start -->", "<!-- screenshots:end -->"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LAPTOP = ViewportSize(width=1200, height=860)
PHONE = ViewportSize(width=390, height=844)
DESKTOP = ViewportSize(width=1280, height=860)


@dataclass(frozen=True)
class Demo:
    """What `minipublic demo` printed: where it runs and how to sign in."""

    url: str
    email: str
    password: str
    code: str
    charter: str  # the published charter's address (its newest version)


class Tour:
    """Three browsers on the demo: the officer's (a laptop) and a member's (a phone), neither
    signed in until the shots that sign them in have run, and a reader's who never signs in
    (sized by each of its shots)."""

    def __init__(self, browser: Browser, demo: Demo) -> None:
        self.demo = demo
        self.officer = browser.new_context(
            base_url=demo.url, viewport=LAPTOP, locale="en-GB", accept_downloads=True,
        ).new_page()
        self.member = browser.new_context(
            base_url=demo.url, viewport=PHONE, locale="en-GB", is_mobile=True, has_touch=True,
            device_scale_factor=1,
        ).new_page()
        self.reader = browser.new_context(
            base_url=demo.url, viewport=PHONE, locale="en-GB", device_scale_factor=1,
        ).new_page()
        self.assembly = ""  # the assembly's address, once the officer has opened it


Take = Callable[[Tour, Path], "Page | None"]


@dataclass(frozen=True)
class Shot:
    """One screenshot: `take` goes to the page and returns it to be photographed (or writes the
    PNG itself and returns None); `alt` and `caption` go into the README."""

    name: str
    alt: str
    caption: str
    take: Take
    full_page: bool = False
    height: int | None = None  # a taller window than usual, for a long table


# --- the officer ------------------------------------------------------------------------------


def officer_sign_in(tour: Tour, png: Path) -> None:
    """The sign-in form filled in, photographed before it is sent."""
    page = tour.officer
    page.goto("/login")
    page.get_by_label("E-mail address").fill(tour.demo.email)
    page.get_by_label("Password").fill(tour.demo.password)
    page.screenshot(path=str(png))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/assemblies(/\d+)?$"))


def assembly(tour: Tour, png: Path) -> Page:
    page = tour.officer
    page.goto("/assemblies")
    page.get_by_role("link", name=re.compile("Citizens' Assembly on Data and AI")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Data and AI")
    tour.assembly = page.url.removeprefix(tour.demo.url)
    return page


def quotas(tour: Tour, png: Path) -> Page:
    tour.officer.goto(tour.assembly + "/quotas")
    return tour.officer


def selection_result(tour: Tour, png: Path) -> Page:
    """The run the demo's panel was drawn from, scrolled to the chances of selection."""
    page = tour.officer
    page.goto(tour.assembly + "/selection")
    page.get_by_role("link", name=re.compile(r"^Run \d+$")).first.click()
    chances = page.get_by_role("heading", name="Chances of selection")
    chances.scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, -20)")
    return page


def panel(tour: Tour, png: Path) -> Page:
    tour.officer.goto(tour.assembly + "/panel")
    return tour.officer


def invitations(tour: Tour, png: Path) -> Page:
    tour.officer.goto(tour.assembly + "/invitations")
    return tour.officer


def letter(tour: Tour, png: Path) -> None:
    """New letters for the members who have not joined yet (replacing those the demo made),
    and the first page of the PDF."""
    page = tour.officer
    page.goto(tour.assembly + "/invitations")
    page.get_by_role("button", name=re.compile("^Create letters")).click()
    # The demo's members hold letters that still work: the officer confirms replacing them.
    page.get_by_role("button", name=re.compile("^Make new letters")).click()
    ready = page.get_by_role("button", name="Download the letters and make them work")
    expect(ready).to_be_visible(timeout=120_000)
    with page.expect_download() as download:
        ready.click()
    archive = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))
    with tempfile.TemporaryDirectory() as folder:
        pdf = Path(folder) / "letters.pdf"
        pdf.write_bytes(archive.read("letters.pdf"))
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                        str(pdf), str(png.with_suffix(""))], check=True)


def programme(tour: Tour, png: Path) -> Page:
    tour.officer.goto(tour.assembly + "/programme")
    return tour.officer


def round_page(tour: Tour, title: str) -> str:
    """The officer's page of the demo's round called `title`, found on the programme."""
    page = tour.officer
    page.goto(tour.assembly + "/programme")
    page.get_by_role("link", name=title).first.click()
    page.wait_for_url(re.compile(r"/rounds/\d+$"))
    return page.url.removeprefix(tour.demo.url)


def scrolled_to(page: Page, heading: str) -> Page:
    page.get_by_role("heading", name=heading).first.scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, -20)")
    return page


def discussion_results(tour: Tour, png: Path) -> Page:
    """The opinion map and what every group agrees with."""
    tour.officer.goto(round_page(tour, "What matters to us") + "/results")
    return scrolled_to(tour.officer, "Opinion map")


def principle(tour: Tour, png: Path) -> Page:
    """A drafted principle with its versions, amendments and comments."""
    page = tour.officer
    page.goto(round_page(tour, "Writing our principles") + "/principles")
    page.get_by_role("link", name="Tell people when AI is used").first.click()
    page.wait_for_url(re.compile(r"/principles/\d+$"))
    return page


def charter_officer(tour: Tour, png: Path) -> Page:
    tour.officer.goto(tour.assembly + "/charter")
    tour.officer.locator("#versions").scroll_into_view_if_needed()
    return tour.officer


def vote_results(tour: Tour, png: Path) -> Page:
    tour.officer.goto(round_page(tour, "Voting on the principles") + "/ballot/results")
    return tour.officer


# --- a member, on a phone -----------------------------------------------------------------------


def member_sign_in(tour: Tour, png: Path) -> None:
    """The code the demo printed, typed in, photographed before it is sent."""
    page = tour.member
    page.goto("/invite")
    page.get_by_label("Invitation code").fill(tour.demo.code)
    page.screenshot(path=str(png))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/home$"))


def member_home(tour: Tour, png: Path) -> Page:
    tour.member.goto("/home")
    return tour.member


def member_briefing(tour: Tour, png: Path) -> Page:
    """The first briefing of the learn round that is open."""
    page = tour.member
    page.goto("/home")
    page.get_by_role("link", name="Data and AI in care, policing and the NHS").first.click()
    page.locator("a[href*='/home/briefings/']").first.click()
    page.wait_for_url(re.compile(r"/home/briefings/"))
    return page


def member_discussion(tour: Tour, png: Path) -> Page:
    """The discussion's released results, as members see them (the round has closed)."""
    page = tour.member
    page.goto("/home")
    page.get_by_role("link", name="What matters to us").first.click()
    page.wait_for_url(re.compile(r"/home/rounds/"))
    page.goto(page.url.removeprefix(tour.demo.url) + "/results")
    return page


def member_vote_results(tour: Tour, png: Path) -> Page:
    """The released results of the vote, as members see them."""
    page = tour.member
    page.goto("/home")
    page.get_by_role("link", name="Voting on the principles").first.click()
    page.wait_for_url(re.compile(r"/home/rounds/"))
    page.goto(page.url.removeprefix(tour.demo.url) + "/ballot/results")
    return page


# --- anyone: the published charter -----------------------------------------------------------


def charter_phone(tour: Tour, png: Path) -> Page:
    """The top of the newest version, where a reader arriving from a link starts."""
    page = tour.reader
    page.set_viewport_size(PHONE)
    page.goto(tour.demo.charter)
    expect(page.get_by_role("heading", level=1)).to_contain_text("the charter")
    return page


def charter_desktop(tour: Tour, png: Path) -> Page:
    """The first principle with a dissent note on the record and the Combined Authority's
    response under it, after the last of its agreement tables."""
    page = tour.reader
    page.set_viewport_size(DESKTOP)
    page.goto(tour.demo.charter)
    page.get_by_role("heading", name="Dissent note").first.evaluate(
        "heading => heading.scrollIntoView({block: 'start'})")
    page.evaluate("window.scrollBy(0, -300)")
    return page


def first_page(tour: Tour, name: str, png: Path) -> None:
    """Page 1 of one of the newest version's PDFs (linked relatively from its page, which the
    charter's address redirects to), as pdftoppm renders it."""
    page = tour.reader
    page.goto(tour.demo.charter)
    response = page.request.get(page.url.split("#")[0] + name)
    assert response.ok, f"{name}: {response.status}"
    with tempfile.TemporaryDirectory() as folder:
        pdf = Path(folder) / name
        pdf.write_bytes(response.body())
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                        str(pdf), str(png.with_suffix(""))], check=True)


def charter_pdf(tour: Tour, png: Path) -> None:
    first_page(tour, "charter.pdf", png)


def easy_read_pdf(tour: Tour, png: Path) -> None:
    first_page(tour, "easy-read.pdf", png)


SHOTS: tuple[Shot, ...] = (
    Shot("officer-sign-in", "The officers' sign-in page",
         "Officers sign in with their e-mail address and password.", officer_sign_in),
    Shot("officer-assembly", "An assembly's overview with its steps",
         "Overview of an assembly: its details and steps, from the pool to the panel.", assembly),
    Shot("officer-quotas", "The quotas table with pool counts",
         "Quotas, editable, next to how many respondents each group has in the pool.", quotas,
         height=1100),
    Shot("officer-selection-result", "A selection result with the chances of selection",
         "The selection's result: lowest and highest chance, Gini coefficient, and the chart of "
         "every respondent's chance.", selection_result, height=1100),
    Shot("officer-panel", "The drawn panel",
         "The panel after the public draw, with the seed, the ticket and the commitment.", panel),
    Shot("officer-invitations", "Invitations to the panel",
         "Invitations: who has joined, and letters for everyone who has not.", invitations),
    Shot("officer-letter", "A printed invitation letter",
         "A letter: large type, the link in full and a code to type.", letter),
    Shot("officer-programme", "The programme of rounds and meetings",
         "The programme: rounds that open and close on their own, meetings, reminders.",
         programme),
    Shot("officer-discussion-results", "The opinion groups of a discuss round",
         "A discuss round's results: the opinion map, what every group agrees with, and "
         "agreement by age, area and the other selection features.", discussion_results),
    Shot("officer-principle", "A draft principle with its history",
         "A principle being drafted: members' comments and amendments, its versions and "
         "dissent notes.", principle),
    Shot("officer-vote-results", "The results of a secret ballot",
         "A vote's results: every principle by agreement, with its interval, the decision and "
         "whether agreement holds across the panel's groups.", vote_results),
    Shot("officer-charter", "Publishing the charter and the council's response",
         "The charter step: ready to publish, the versions with their fingerprints, and the "
         "council's response to each principle.", charter_officer),
    Shot("member-sign-in-phone", "Typing a sign-in code on a phone",
         "A member signs in on their phone with a one-time code.", member_sign_in),
    Shot("member-home-phone", "The member's home page on a phone",
         "The member's home: what is open now and until when, then the meetings and the "
         "programme.", member_home),
    Shot("member-briefing-phone", "A briefing on a phone",
         "A briefing in a learn round: who wrote it, the gist in short, then in full and in easy "
         "read.", member_briefing),
    Shot("member-discussion-phone", "A discussion's results on a phone",
         "A discuss round's results as members see them once released: where the groups "
         "agree.", member_discussion),
    Shot("member-vote-results-phone", "Vote results on a phone",
         "The vote's results as members see them once released.", member_vote_results),
    Shot("charter-phone", "The published charter on a phone",
         "The published charter, public and without cookies: its newest version, the "
         "principles and their results, and links to the PDFs and the open data.",
         charter_phone),
    Shot("charter-desktop", "A principle of the published charter with the council's response",
         "A principle in the charter: the vote, agreement across the panel's groups, the "
         "members' dissent note and the Combined Authority's response.", charter_desktop),
    Shot("charter-pdf", "The first page of the charter's PDF",
         "The charter as an accessible PDF (PDF/UA-1), rendered once when it is published.",
         charter_pdf),
    Shot("charter-easy-read-pdf", "The first page of the easy-read charter",
         "The easy-read summary: short sentences, large type, each result in words.",
         easy_read_pdf),
)


# --- running the demo and the tour ------------------------------------------------------------


def start_demo(data: Path, port: int) -> tuple[subprocess.Popen[bytes], Demo]:
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MINIPUBLIC_") and k != "DATABASE_URL"}
    env.update({"MINIPUBLIC_DATA_DIR": str(data), "MINIPUBLIC_PUBLIC_URL": url,
                "MINIPUBLIC_SITE_NAME": "Liverpool City Region assemblies",
                "PYTHONUNBUFFERED": "1"})
    log = data / "demo.log"
    with log.open("wb") as output:
        demo = subprocess.Popen([sys.executable, "-m", "assembly.cli", "demo", "--port",
                                 str(port)], env=env, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 600  # the demo runs its selection first
    while time.monotonic() < deadline:
        text = log.read_text()
        printed = (re.search(r"E-mail (\S+)", text), re.search(r"Password (\S+)", text),
                   re.search(r"Code\s+(\S+)", text), re.search(r"Open\s+(\S+/charters/\S+)", text))
        if all(printed) and answers(url):
            email, password, code, charter = (found.group(1) for found in printed if found)
            return demo, Demo(url, email, password, code, charter)
        if demo.poll() is not None:
            break
        time.sleep(0.5)
    demo.terminate()
    raise SystemExit(f"the demo did not start:\n{log.read_text()}")


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/", timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tour(demo: Demo) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=CHROMIUM_ARGS)
        visit = Tour(browser, demo)
        for shot in SHOTS:
            png = HERE / f"{shot.name}.png"
            for browsing, size in ((visit.officer, LAPTOP), (visit.member, PHONE)):
                browsing.set_viewport_size(ViewportSize(
                    width=size["width"], height=shot.height or size["height"]))
            page = shot.take(visit, png)
            if page is not None:
                page.screenshot(path=str(png), full_page=shot.full_page)
            assert png.is_file(), f"{shot.name} made no picture"
            print("wrote", png.name)
        browser.close()


def readme_table() -> str:
    """Two shots a row, each row followed by the captions."""
    lines = ["| | |", "|---|---|"]
    for start in range(0, len(SHOTS), 2):
        pair = SHOTS[start:start + 2]
        blank = [""] * (2 - len(pair))
        lines.append("| " + " | ".join(
            [f"![{s.alt}](docs/screenshots/{s.name}.png)" for s in pair] + blank) + " |")
        lines.append("| " + " | ".join([s.caption for s in pair] + blank) + " |")
    return "\n".join(lines)


def update_readme() -> None:
    text = README.read_text()
    before, found, rest = text.partition(START)
    _, found_end, after = rest.partition(END)
    if not (found and found_end):
        raise SystemExit(f"README.md needs {START} and {END} around the screenshots' table")
    README.write_text(f"{before}{START}\n{readme_table()}\n{END}{after}")
    print("updated", README.name)


def remove_stale() -> None:
    wanted = {f"{shot.name}.png" for shot in SHOTS}
    for png in sorted(HERE.glob("*.png")):
        if png.name not in wanted:
            png.unlink()
            print("removed", png.name)


def main() -> None:
    with tempfile.TemporaryDirectory() as data:
        demo_process, demo = start_demo(Path(data), free_port())
        try:
            tour(demo)
        finally:
            demo_process.terminate()
            demo_process.wait(timeout=30)
    update_readme()
    remove_stale()


if __name__ == "__main__":
    main()
