"""The `minipublic` command: one parser, each group of subcommands registered by its own module."""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minipublic",
        description="Run a citizens' assembly: selection by lot, deliberation, charter.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    from assembly import commands as app_commands
    from assembly.accounts import commands as account_commands
    from assembly.deliberation import commands as deliberation_commands
    from assembly.privacy import commands as privacy_commands
    from assembly.publishing import commands as publishing_commands
    from charter import cli as opinion_commands
    from sortition import cli as selection_commands

    selection_commands.add_commands(commands)
    opinion_commands.add_commands(commands)
    app_commands.add_commands(commands)
    account_commands.add_commands(commands)
    deliberation_commands.add_commands(commands)
    publishing_commands.add_commands(commands)
    privacy_commands.add_commands(commands)
    return parser


def version() -> str:
    """The installed version; in a source checkout that was never installed, pyproject.toml's."""
    try:
        return metadata.version("minipublic")
    except metadata.PackageNotFoundError:
        pass
    try:
        with open(Path(__file__).resolve().parent.parent / "pyproject.toml", "rb") as file:
            return str(tomllib.load(file)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


# Commands that run the web server: their output is the server's log (coloured by uvicorn when
# on a terminal), not values from the database, so it is not escaped.
SERVERS = frozenset({"serve", "demo"})


def main(argv: Sequence[str] | None = None) -> int:
    from sortition.cli import safe_output

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in SERVERS:
        return int(args.run(args) or 0)
    # Titles, file names and ids printed by a command were typed by someone: control characters
    # in them must not rewrite the terminal (issue 7, item 16).
    with safe_output():
        return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
