"""Publishing a version of the charter, and reading what was published.

Publishing happens in three steps so that no database transaction is held open while the PDFs
render (seconds of WeasyPrint): `prepare` reads everything and refuses with what is missing,
`rendering.render_pdfs` renders both PDFs once in a worker process with the network blocked,
and `store` writes the version and its files in one transaction with its audit event. Two
officers publishing at once: UNIQUE(assembly, version) lets one win, and the other is told.

The stored files are the publication: the web page served at the version's address is the
stored `charter.html` byte for byte (a notice is inserted only when a newer version exists),
and `SHA256SUMS` lists the sha256 of every file; its own sha256 is the version's digest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from assembly import audit, db
from assembly.assemblies import status
from assembly.assemblies.models import Assembly, AssemblyStatus
from assembly.errors import Conflict
from assembly.publishing import documents, easy_read, rendering, snapshot
from assembly.publishing.models import (
    CHANGES_LIMIT,
    FileKind,
    PublishedCharter,
    PublishedFile,
)
from assembly.tables import row_id
from charter import publication

PAGE, PDF, EASY_READ, ZIP, SUMS = ("charter.html", "charter.pdf", "easy-read.pdf",
                                   "open-data.zip", "SHA256SUMS")
OPEN_DATA = "open-data/"
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf",
               "zip": "application/zip", "csv": "text/csv; charset=utf-8",
               "json": "application/json", "md": "text/markdown; charset=utf-8",
               "txt": "text/plain; charset=utf-8"}
PathFor = Callable[..., object]


class PublishError(Conflict):
    """Publishing refused; the message says what is missing and nothing was published."""


@dataclass(frozen=True)
class Site:
    """Where the published charter lives: the site's public address and its route names
    (`request.app.url_path_for` in a view, `assembly.routes.path_for` on the command line)."""

    public_address: str
    path_for: PathFor

    def url(self, name: str, **params: object) -> str:
        return self.public_address.rstrip("/") + str(self.path_for(name, **params))

    def version_address(self, assembly_id: int, version: int) -> str:
        return self.url("charter_version", assembly_id=assembly_id, version=version)

    def links(self, assembly_id: int) -> documents.SiteLinks:
        return documents.SiteLinks(
            versions=self.url("charter_versions", assembly_id=assembly_id),
            index=self.url("charters"),
            accessibility=self.url("accessibility"),
            privacy=self.url("privacy_notice", assembly_id=assembly_id))


@dataclass(frozen=True)
class Prepared:
    assembly_id: int
    version: int
    snapshot: publication.Snapshot
    page: str          # charter.html, the canonical web page
    printed: str       # the same content for print, the source of charter.pdf
    easy_read: str     # the source of easy-read.pdf


def versions(session: Session, assembly_id: int) -> list[PublishedCharter]:
    """The published versions of an assembly's charter, oldest first."""
    return list(session.exec(select(PublishedCharter)
                             .where(PublishedCharter.assembly_id == assembly_id)
                             .order_by(col(PublishedCharter.version))).all())


def version_of(session: Session, assembly_id: int, version: int) -> PublishedCharter | None:
    return session.exec(select(PublishedCharter).where(
        PublishedCharter.assembly_id == assembly_id,
        PublishedCharter.version == version)).first()


def latest_version(session: Session, assembly_id: int) -> int | None:
    found = session.exec(select(func.max(PublishedCharter.version))
                         .where(PublishedCharter.assembly_id == assembly_id)).one()
    return int(found) if found is not None else None


def file_of(session: Session, charter: PublishedCharter, name: str) -> PublishedFile | None:
    return session.exec(select(PublishedFile).where(
        PublishedFile.charter_id == row_id(charter.id), PublishedFile.name == name)).first()


def digest_of(session: Session, charter: PublishedCharter, name: str) -> str | None:
    """A file's sha256, without reading the file."""
    found = session.exec(select(PublishedFile.sha256).where(
        PublishedFile.charter_id == row_id(charter.id), PublishedFile.name == name)).first()
    return str(found) if found is not None else None


def files_of(session: Session, charter: PublishedCharter) -> list[PublishedFile]:
    """Every file of a version (the open-data files after the four documents), contents
    included: for the command line that writes them out."""
    return list(session.exec(select(PublishedFile)
                             .where(PublishedFile.charter_id == row_id(charter.id))
                             .order_by(col(PublishedFile.id))).all())


def listing(session: Session, charter: PublishedCharter) -> list[tuple[str, str, int, str]]:
    """(name, kind, size, sha256) of every file, without loading the contents."""
    rows = session.exec(select(PublishedFile.name, PublishedFile.kind, PublishedFile.size,
                               PublishedFile.sha256)
                        .where(PublishedFile.charter_id == row_id(charter.id))
                        .order_by(col(PublishedFile.id))).all()
    return [(str(n), str(k), int(s), str(h)) for n, k, s, h in rows]


def attribution(assembly: Assembly) -> str:
    body = assembly.commissioning_body.strip()
    members = f"the members of {assembly.title}"
    return f"{body} and {members}" if body else members[0].upper() + members[1:]


def _earlier(session: Session, assembly_id: int, site: Site
             ) -> tuple[publication.EarlierVersion, ...]:
    return tuple(publication.EarlierVersion(v.version, v.published_at, v.changes,
                                            site.version_address(assembly_id, v.version))
                 for v in versions(session, assembly_id))


def check_changes(changes: str, version: int) -> str:
    changes = changes.strip()
    if version > 1 and not changes:
        raise PublishError(f"Say what changed since version {version - 1} (a correction, the "
                           "council's response, ...): readers see it beside the new version.",
                           field="changes")
    if len(changes) > CHANGES_LIMIT:
        raise PublishError(f"Keep what changed under {CHANGES_LIMIT:,} characters.",
                           field="changes")
    return changes


def snapshot_of(session: Session, assembly: Assembly, *, version: int, now: datetime,
                changes: str, site: Site, k: int) -> publication.Snapshot:
    assembly_id = row_id(assembly.id)
    info = publication.PublicationInfo(
        version, now, attribution(assembly), site.version_address(assembly_id, version),
        changes, _earlier(session, assembly_id, site))
    return snapshot.build(session, assembly, info, k=k)


def prepare(session: Session, assembly: Assembly, *, changes: str, now: datetime, site: Site,
            k: int) -> Prepared:
    """Everything of the next version but its PDFs, or PublishError saying what is missing."""
    missing = snapshot.problems(session, assembly, now=now)
    if missing:
        raise PublishError("The charter cannot be published yet. " + " ".join(missing))
    assembly_id = row_id(assembly.id)
    version = (latest_version(session, assembly_id) or 0) + 1
    changes = check_changes(changes, version)
    made = snapshot_of(session, assembly, version=version, now=now, changes=changes, site=site,
                       k=k)
    links = site.links(assembly_id)
    return Prepared(assembly_id, version, made,
                    documents.charter_html(made, medium="web", links=links),
                    documents.charter_html(made, medium="print", links=links),
                    easy_read.easy_read_html(made))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _media_type(name: str) -> str:
    return MEDIA_TYPES.get(name.rsplit(".", 1)[-1].lower() if "." in name else "txt",
                           "application/octet-stream")


def assemble(prepared: Prepared, pdfs: Mapping[str, bytes]) -> dict[str, tuple[FileKind, bytes]]:
    """Every file of the version, by name, in the order they are listed; SHA256SUMS last."""
    data = publication.open_data(prepared.snapshot)
    files: dict[str, tuple[FileKind, bytes]] = {
        PAGE: (FileKind.page, prepared.page.encode()),
        PDF: (FileKind.pdf, pdfs[PDF]),
        EASY_READ: (FileKind.easy_read, pdfs[EASY_READ]),
        ZIP: (FileKind.open_data, publication.zip_of(data)),
    }
    files.update({OPEN_DATA + name: (FileKind.open_data, content)
                  for name, content in data.items()})
    sums = "".join(f"{sha256(content)}  {name}\n" for name, (_, content) in files.items())
    files[SUMS] = (FileKind.checksums, sums.encode())
    return files


def store(session: Session, prepared: Prepared, files: Mapping[str, tuple[FileKind, bytes]], *,
          actor: str, now: datetime) -> PublishedCharter:
    """Write the version and its files, or PublishError if someone published meanwhile."""
    assembly_id = prepared.assembly_id
    if (latest_version(session, assembly_id) or 0) + 1 != prepared.version:
        raise PublishError(f"Version {prepared.version} was published by someone else while "
                           "this one was being made. Look at it, then publish again if "
                           "something is still to change.")
    digest = sha256(files[SUMS][1])
    charter = PublishedCharter(assembly_id=assembly_id, version=prepared.version,
                               published_at=now, published_by=actor,
                               changes=prepared.snapshot.publication.changes, digest=digest)
    session.add(charter)
    try:
        session.flush()
    except sa.exc.IntegrityError:
        raise PublishError(f"Version {prepared.version} was published by someone else while "
                           "this one was being made.") from None
    session.add_all([PublishedFile(charter_id=row_id(charter.id), name=name, kind=kind.value,
                                   media_type=_media_type(name), sha256=sha256(content),
                                   size=len(content), content=content)
                     for name, (kind, content) in files.items()])
    session.flush()
    assembly = session.get(Assembly, assembly_id)
    if assembly is not None:
        status.advance(session, assembly, AssemblyStatus.closed)
    adopted = sum(1 for v in prepared.snapshot.votes if v.public()[0].decision.adopted)
    audit.record(session, assembly_id, actor, "charter.published", {
        "version": prepared.version, "digest": digest, "files": len(files),
        "principles": len(prepared.snapshot.principles), "adopted": adopted,
        "responses": len(prepared.snapshot.responses), "changes": charter.changes})
    return charter


def publish(engine: Engine, assembly_id: int, *, actor: str, changes: str, now: datetime,
            site: Site, k: int) -> PublishedCharter:
    """Publish the next version: read, render both PDFs in a worker, then store it."""
    with db.session(engine) as session:
        assembly = session.get(Assembly, assembly_id)
        if assembly is None:
            raise PublishError(f"There is no assembly {assembly_id}.")
        prepared = prepare(session, assembly, changes=changes, now=now, site=site, k=k)
    pdfs = rendering.render_pdfs({PDF: prepared.printed, EASY_READ: prepared.easy_read})
    files = assemble(prepared, pdfs)
    with db.session(engine, write=True) as session:
        return store(session, prepared, files, actor=actor, now=now)
