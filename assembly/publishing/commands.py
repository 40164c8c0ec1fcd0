"""`minipublic publish ASSEMBLY --out DIR`: the published charter's files in a folder, for councils
that publish on their own website. Registered by `assembly.cli`.

The files are those the site serves, byte for byte (the same sha256): the newest published
version, or `--version N`. With nothing published yet, or with `--changes`, a new version is
published first, exactly as from the officer's page (and written to the audit log).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path, PurePosixPath

from sqlalchemy.engine import Engine

from assembly import db
from assembly.commands import load_settings, open_engine
from assembly.errors import ActionableError
from assembly.publishing import publish
from assembly.publishing.models import PublishedCharter
from assembly.tables import utcnow

ACTOR = "command:publish"


def add_commands(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "publish", help="write an assembly's published charter (web page, PDFs, open data) "
                        "to a folder, publishing it first if it never was")
    parser.add_argument("assembly", type=int, metavar="ASSEMBLY",
                        help="the number in the assembly's address, as on the officer's pages")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR",
                        help="the folder to write (made if missing; files of the same name "
                             "are replaced)")
    parser.add_argument("--version", type=int, dest="charter_version", metavar="N",
                        help="write version N instead of the newest")
    parser.add_argument("--changes", metavar="TEXT",
                        help="publish a new version first, saying what changed since the last")
    parser.set_defaults(run=run)


def safe_path(folder: Path, name: str) -> Path:
    """Where a published file goes inside `folder`; names are ours, but never trust a path."""
    parts = PurePosixPath(name).parts
    if not parts or PurePosixPath(name).is_absolute() or any(p in ("..", ".", "") for p in parts):
        raise ValueError(f"refusing to write {name!r} outside the folder")
    return folder.joinpath(*parts)


def run(args: argparse.Namespace) -> int:
    settings = load_settings("publish")
    from assembly.routes import (
        path_for,  # every route, to write the charter's addresses
    )

    site = publish.Site(settings.public_address, path_for)
    try:
        with open_engine(settings) as engine:
            charter = _charter(engine, args, site, settings.suppress_below)
            with db.session(engine) as session:
                files = publish.files_of(session, charter)
    except (ActionableError, db.SchemaOutOfDate) as error:
        sys.stderr.write(f"minipublic publish: {error}\n")
        return 1
    out: Path = args.out
    if out.exists() and not out.is_dir():
        sys.stderr.write(f"minipublic publish: {out} is a file; give a folder.\n")
        return 1
    for found in files:
        path = safe_path(out, found.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(found.content)
    print(f"Version {charter.version} of the charter of assembly {args.assembly}, published "
          f"{charter.published_at:%d %B %Y %H:%M} UTC: {len(files)} files written to {out}.")
    print(f"  Open {out / publish.PAGE} in a browser; upload the whole folder to publish it.")
    print(f"  Fingerprint (sha256 of SHA256SUMS): {charter.digest}")
    print(f"  Check the copy: cd {out} && sha256sum -c SHA256SUMS")
    print(f"  Recount every tally: minipublic recount {out / 'open-data'}")
    return 0


def _charter(engine: Engine, args: argparse.Namespace, site: publish.Site, k: int
             ) -> PublishedCharter:
    with db.session(engine) as session:
        newest = publish.latest_version(session, args.assembly)
        if args.charter_version is not None:
            found = publish.version_of(session, args.assembly, args.charter_version)
            if found is None:
                raise publish.PublishError(
                    f"Assembly {args.assembly} has no version {args.charter_version} of its "
                    f"charter; " + (f"the newest is {newest}." if newest else
                                    "none is published yet."))
            return found
        if newest is not None and args.changes is None:
            found = publish.version_of(session, args.assembly, newest)
            assert found is not None
            return found
    made = publish.publish(engine, args.assembly, actor=ACTOR, changes=args.changes or "",
                           now=utcnow(), site=site, k=k)
    print(f"Published version {made.version}.")
    return made
