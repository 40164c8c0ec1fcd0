"""The published charters, public: the index of every published charter by commissioning body,
each charter's versions, a version's page (the stored `charter.html`, byte for byte, with a
notice when a newer version exists) and its files. No cookie is set and nothing personal is
shown; a version's files never change, so they are cached for a year.
"""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlmodel import Session, col, func, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from assembly import db
from assembly.assemblies.access import assembly_or_404
from assembly.assemblies.models import Assembly
from assembly.publishing import documents, publish
from assembly.publishing.models import PublishedCharter
from assembly.tables import row_id
from assembly.templating import render, url

# The page carries its one <style> inline and no script at all: the policy allows that style
# (by its sha256) and nothing else. Files (PDFs, CSV) get the same policy with no style.
FILE_POLICY = ("default-src 'none'; img-src data:; base-uri 'none'; form-action 'none'; "
               "frame-ancestors 'none'")


def page_policy(page: str) -> str:
    return f"{FILE_POLICY}; style-src {documents.style_source(page)}"

FOREVER = "public, max-age=31536000, immutable"
A_WHILE = "public, max-age=300"   # a version's page gains a notice when a newer one appears


@dataclass(frozen=True)
class Entry:
    assembly: Assembly
    latest: PublishedCharter
    versions: int


def _index(session: Session) -> dict[str, list[Entry]]:
    """Published charters grouped by commissioning body, newest first within each."""
    newest = (select(PublishedCharter.assembly_id, func.max(PublishedCharter.version),
                     func.count())
              .group_by(col(PublishedCharter.assembly_id)))
    rows = session.exec(newest).all()
    grouped: dict[str, list[Entry]] = {}
    for assembly_id, version, count in rows:
        assembly = session.get(Assembly, assembly_id)
        charter = publish.version_of(session, assembly_id, int(version))
        if assembly is None or charter is None:
            continue
        body = assembly.commissioning_body.strip() or "Other assemblies"
        grouped.setdefault(body, []).append(Entry(assembly, charter, int(count)))
    for entries in grouped.values():
        entries.sort(key=lambda e: e.latest.published_at, reverse=True)
    return dict(sorted(grouped.items(), key=lambda item: item[0].lower()))


async def index(request: Request) -> Response:
    grouped = await db.run(request, _index)
    return render(request, "publishing/index.html", {"grouped": grouped},
                  headers={"Cache-Control": A_WHILE})


def _charter(session: Session, assembly_id: int) -> tuple[Assembly, list[PublishedCharter]]:
    assembly = assembly_or_404(session, assembly_id)
    found = publish.versions(session, assembly_id)
    if not found:
        raise HTTPException(404, "This assembly has not published a charter yet.")
    return assembly, found


async def latest(request: Request) -> Response:
    """The charter's stable address: always its newest version."""
    assembly_id = request.path_params["assembly_id"]
    _, found = await db.run(request, _charter, assembly_id)
    return RedirectResponse(url(request, "charter_version", assembly_id=assembly_id,
                                version=found[-1].version), status_code=302,
                            headers={"Cache-Control": "no-cache"})


async def versions(request: Request) -> Response:
    assembly_id = request.path_params["assembly_id"]

    def load(session: Session) -> dict[str, object]:
        assembly, found = _charter(session, assembly_id)
        return {"assembly": assembly, "versions": list(reversed(found)),
                "files": {row_id(v.id): publish.listing(session, v) for v in found}}

    return render(request, "publishing/versions.html", await db.run(request, load),
                  headers={"Cache-Control": A_WHILE})


def _file(session: Session, assembly_id: int, version: int, name: str
          ) -> tuple[bytes, str, str, int]:
    charter = publish.version_of(session, assembly_id, version)
    if charter is None:
        raise HTTPException(404, "There is no such version of this charter.")
    found = publish.file_of(session, charter, name)
    if found is None:
        raise HTTPException(404, "This version of the charter has no such file.")
    return (found.content, found.media_type, found.sha256,
            publish.latest_version(session, assembly_id) or version)


def _notice(request: Request, assembly_id: int, version: int, newest: int) -> str:
    address = url(request, "charter_version", assembly_id=assembly_id, version=newest)
    every = url(request, "charter_versions", assembly_id=assembly_id)
    return (f'<p class="notice" role="note"><strong>This is version {version}; a newer version '
            f'({newest}) has been published.</strong> <a href="{address}">Read version '
            f'{newest}</a> or <a href="{every}">see what changed</a>.</p>')


@dataclass(frozen=True)
class Served:
    """A version's page as served: the stored file with its notice, plain and gzipped."""

    policy: str
    plain: bytes
    gzipped: bytes


# A version's page never changes but for the notice of a newer version, so it is made (and
# compressed, 3-4 ms for a large charter) once per (file, newest version) and kept: readers in
# their thousands after a launch cost a small query each, not a read of the page and a gzip.
_SERVED: OrderedDict[tuple[str, int, int, int], Served] = OrderedDict()
_SERVED_KEPT = 16
_SERVED_LOCK = threading.Lock()


def _page_meta(session: Session, assembly_id: int, version: int) -> tuple[str, int]:
    """The stored page's sha256 and the newest version, without reading the page itself."""
    charter = publish.version_of(session, assembly_id, version)
    digest = publish.digest_of(session, charter, publish.PAGE) if charter is not None else None
    if charter is None or digest is None:
        raise HTTPException(404, "There is no such version of this charter.")
    return digest, publish.latest_version(session, assembly_id) or version


def _make_served(request: Request, content: bytes, assembly_id: int, version: int,
                 newest: int) -> Served:
    page = content.decode()
    policy = page_policy(page)
    if newest > version:
        page = page.replace(documents.NOTICE_MARKER,
                            _notice(request, assembly_id, version, newest), 1)
    plain = page.encode()
    return Served(policy, plain, gzip.compress(plain, compresslevel=9, mtime=0))


async def version_page(request: Request) -> Response:
    assembly_id, version = request.path_params["assembly_id"], request.path_params["version"]
    digest, newest = await db.run(request, _page_meta, assembly_id, version)
    tag = f'"{digest[:32]}-{newest}"'
    headers = {"Cache-Control": A_WHILE, "ETag": tag, "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers=headers)
    key = (digest, assembly_id, version, newest)
    with _SERVED_LOCK:
        served = _SERVED.get(key)
        if served is not None:
            _SERVED.move_to_end(key)
    if served is None:
        content, _, _, _ = await db.run(request, _file, assembly_id, version, publish.PAGE)
        served = _make_served(request, content, assembly_id, version, newest)
        with _SERVED_LOCK:
            _SERVED[key] = served
            while len(_SERVED) > _SERVED_KEPT:
                _SERVED.popitem(last=False)
    headers["Content-Security-Policy"] = served.policy
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(served.gzipped, media_type="text/html; charset=utf-8", headers=headers)
    return Response(served.plain, media_type="text/html; charset=utf-8", headers=headers)


async def version_file(request: Request) -> Response:
    assembly_id, version = request.path_params["assembly_id"], request.path_params["version"]
    name = request.path_params["name"]
    if name == publish.PAGE:
        return await version_page(request)
    content, media_type, digest, _ = await db.run(request, _file, assembly_id, version, name)
    tag = f'"{digest[:32]}"'
    headers = {"Cache-Control": FOREVER, "ETag": tag, "Content-Security-Policy": FILE_POLICY,
               "X-Content-SHA256": digest}
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers=headers)
    if name.endswith(".zip"):
        headers["Content-Disposition"] = f'attachment; filename="charter-{assembly_id}-v{version}-open-data.zip"'
    return Response(content, media_type=media_type, headers=headers)
