"""Light pages through the real app: compressed responses (never for requests another site
started, against BREACH), static files kept for a year under addresses that carry their hash, and
a changed file getting a new address."""

from __future__ import annotations

import gzip
import re
import uuid

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.testclient import TestClient

from assembly.assets import CACHE_UNVERSIONED, CACHE_VERSIONED, STATIC
from assembly.compression import LEVEL
from tests.app.flows import loaded

YEAR = "public, max-age=31536000, immutable"


def test_a_big_page_is_sent_compressed_and_several_times_smaller(
        officer_client: TestClient) -> None:
    assembly_id = loaded(officer_client)
    page = officer_client.get(f"/assemblies/{assembly_id}/quotas",
                              headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200
    assert page.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in page.headers["vary"]
    sent = int(page.headers["content-length"])
    html = page.content  # httpx has undone the gzip
    assert html.startswith(b"<!doctype html>") and b"Save the quotas" in html
    assert len(html) > 20_000
    ratio = len(html) / sent
    print(f"\nquotas page: {len(html):,} bytes, {sent:,} sent compressed ({ratio:.1f} times smaller)")
    assert ratio >= 5


def test_requests_another_site_started_are_never_compressed(officer_client: TestClient) -> None:
    """BREACH needs the victim's browser to send requests the attacker chose; the browser says so
    in Sec-Fetch-Site, and those answers go out uncompressed, so their length tells nothing."""
    assembly_id = loaded(officer_client)
    address = f"/assemblies/{assembly_id}/quotas"
    for site in ("cross-site", "same-site"):
        page = officer_client.get(address, headers={"Sec-Fetch-Site": site,
                                                    "Accept-Encoding": "gzip"})
        assert page.status_code == 200 and "content-encoding" not in page.headers
        assert b"Save the quotas" in page.content
    for site in ("same-origin", "none"):
        page = officer_client.get(address, headers={"Sec-Fetch-Site": site,
                                                    "Accept-Encoding": "gzip"})
        assert page.headers["content-encoding"] == "gzip"
    # Nothing asked for compression: nothing compressed.
    page = officer_client.get(address, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in page.headers


def test_static_files_are_compressed_even_for_other_sites(client: TestClient) -> None:
    """They hold no secret, so there is nothing for BREACH to find."""
    address = re.findall(r'href="(/static/app\.css[^"]*)"', client.get("/").text)[0]
    response = client.get(address, headers={"Sec-Fetch-Site": "cross-site",
                                             "Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.content == (STATIC / "app.css").read_bytes()


def test_downloads_that_are_already_compressed_are_not_compressed_again(
        client: TestClient) -> None:
    favicon = client.get("/static/favicon.svg", headers={"Accept-Encoding": "gzip"})
    assert favicon.status_code == 200  # small: under the threshold, sent as it is
    assert "content-encoding" not in favicon.headers


def test_versioned_static_files_are_kept_for_a_year_and_others_briefly(
        client: TestClient) -> None:
    assert CACHE_VERSIONED == YEAR
    page = client.get("/").text
    addresses = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert {a.split("?")[0] for a in addresses} >= {"/static/app.css", "/static/app.js",
                                                    "/static/htmx.min.js",
                                                    "/static/favicon.svg"}
    for address in addresses:
        assert re.search(r"\?v=[0-9a-f]{12}$", address), address
        response = client.get(address)
        assert response.status_code == 200
        assert response.headers["cache-control"] == YEAR
    # Without the hash, or with a stale one: the file, but only for five minutes.
    for address in ("/static/app.css", "/static/app.css?v=000000000000"):
        response = client.get(address)
        assert response.status_code == 200
        assert response.headers["cache-control"] == CACHE_UNVERSIONED == "public, max-age=300"
    # Pages are never kept.
    assert client.get("/").headers["cache-control"] == "no-store"
    missing = client.get("/static/no-such-file.css?v=000000000000")
    assert missing.status_code == 404
    assert missing.headers["cache-control"] == CACHE_UNVERSIONED


def _static_address(app: Starlette, name: str) -> str:
    """What `static(name)` gives in a template, rendered as a page would."""
    request = Request({"type": "http", "app": app, "method": "GET", "path": "/", "headers": [],
                       "query_string": b"", "router": app.router})
    template = app.state.templates.env.from_string("{{ static(name) }}")
    return template.render(request=request, name=name)


def test_a_changed_file_gets_a_new_address(app: Starlette, client: TestClient) -> None:
    name = f"test-{uuid.uuid4().hex}.css"
    file = STATIC / name
    try:
        file.write_text("body { color: #111; }\n")
        first = _static_address(app, name)
        assert re.fullmatch(rf"/static/{name}\?v=[0-9a-f]{{12}}", first)
        assert client.get(first).headers["cache-control"] == YEAR

        file.write_text("body { color: #222; background: #fff; }\n")
        second = _static_address(app, name)
        assert second != first
        response = client.get(second)
        assert response.headers["cache-control"] == YEAR
        assert response.text == "body { color: #222; background: #fff; }\n"
        # A page still open from before gets the new file, but may not keep it.
        assert client.get(first).headers["cache-control"] == CACHE_UNVERSIONED
    finally:
        file.unlink(missing_ok=True)


def test_compressed_pages_decompress_to_the_same_page(officer_client: TestClient) -> None:
    """The bytes on the wire are a standard gzip stream of exactly the page (read raw here)."""
    assembly_id = loaded(officer_client)
    address = f"/assemblies/{assembly_id}/quotas"
    officer_client.get(address)  # shows (and so clears) the upload's message
    plain = officer_client.get(address, headers={"Accept-Encoding": "identity"}).content
    with officer_client.stream("GET", address, headers={"Accept-Encoding": "gzip"}) as response:
        raw = b"".join(response.iter_raw())
    assert gzip.decompress(raw) == plain
    assert len(raw) <= len(gzip.compress(plain, compresslevel=LEVEL)) * 1.1
