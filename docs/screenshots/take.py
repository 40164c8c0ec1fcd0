"""Take the README's screenshots from a running demo: `python docs/screenshots/take.py`.

Starts `minipublic demo` in a temporary directory, walks through the journey in Debian's
Chromium (as the browser tests do) and writes PNG files next to this script, plus the first page
of the invitation letters rendered with pdftoppm.
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
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

HERE = Path(__file__).resolve().parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def shot(page: Page, name: str, *, full: bool = False) -> None:
    page.screenshot(path=str(HERE / f"{name}.png"), full_page=full)
    print("wrote", name)


def main() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("MINIPUBLIC_") and k != "DATABASE_URL"}
        env.update({"MINIPUBLIC_DATA_DIR": data, "MINIPUBLIC_PUBLIC_URL": url,
                    "MINIPUBLIC_SITE_NAME": "Liverpool City Region assemblies",
                    "PYTHONUNBUFFERED": "1"})
        log = open(Path(data) / "demo.log", "w+")
        demo = subprocess.Popen([sys.executable, "-m", "assembly.cli", "demo", "--port",
                                 str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            password = email = ""
            for _ in range(600):
                log.seek(0)
                text = log.read()
                found = re.search(r"E-mail (\S+)\s+Password (\S+)", text)
                if found:
                    email, password = found.groups()
                    try:
                        urllib.request.urlopen(url + "/", timeout=1)
                        break
                    except OSError:
                        pass
                time.sleep(0.5)
            else:
                raise SystemExit(f"the demo did not start:\n{text}")
            walk(url, email, password)
        finally:
            demo.terminate()
            demo.wait(timeout=30)


def walk(url: str, email: str, password: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=url, viewport={"width": 1200, "height": 860},
                                      accept_downloads=True, locale="en-GB")
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("E-mail address").fill(email)
        page.get_by_label("Password").fill(password)
        shot(page, "01-sign-in")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/assemblies$"))
        page.get_by_role("link", name=re.compile("Citizens' Assembly on Data and AI")).first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Data and AI")
        assembly = page.url
        shot(page, "02-assembly")
        page.goto(assembly + "/quotas")
        page.set_viewport_size({"width": 1200, "height": 1100})
        shot(page, "03-quotas")
        page.goto(assembly + "/selection")
        page.get_by_role("button", name="Run the selection").click()
        expect(page.get_by_role("heading", name="Commitment")).to_be_visible(timeout=600_000)
        page.get_by_role("heading", name="Chances of selection").scroll_into_view_if_needed()
        page.evaluate("window.scrollBy(0, -20)")
        shot(page, "04-selection-result")
        page.set_viewport_size({"width": 1200, "height": 860})
        page.get_by_label("Public random seed").fill("07 19 23 31 42 48")
        page.get_by_label("I have published the commitment").check()
        page.get_by_role("button", name="Draw the panel").click()
        expect(page.get_by_role("status")).to_contain_text("drawn", timeout=60_000)
        page.goto(assembly + "/panel")
        shot(page, "05-panel")
        page.goto(assembly + "/invitations")
        page.get_by_role("button", name=re.compile("Create letters")).click()
        ready = page.get_by_role("button", name="Download the letters and make them work")
        expect(ready).to_be_visible(timeout=120_000)
        with page.expect_download() as download:
            ready.click()
        archive = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))
        link = archive.read("mail-merge.csv").decode("utf-8-sig").splitlines()[1].split(",")
        invitation = next(cell for cell in link if "/invite/" in cell)
        page.goto(assembly + "/invitations")
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, "06-invitations")
        with tempfile.TemporaryDirectory() as folder:
            pdf = Path(folder) / "letters.pdf"
            pdf.write_bytes(archive.read("letters.pdf"))
            subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1",
                            "-singlefile", str(pdf), str(HERE / "07-letter")], check=True)
            print("wrote 07-letter")

        resident = browser.new_context(base_url=url, viewport={"width": 420, "height": 860},
                                       locale="en-GB", is_mobile=True, device_scale_factor=1)
        phone = resident.new_page()
        phone.goto(invitation)
        shot(phone, "08-invitation-phone")
        phone.get_by_role("button", name="Continue").click()
        phone.wait_for_url(re.compile(r"/welcome$"))
        shot(phone, "09-welcome-phone", full=True)
        browser.close()


if __name__ == "__main__":
    main()
