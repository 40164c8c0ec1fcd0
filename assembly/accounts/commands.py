"""The officers' accounts from the command line: create-officer, set-password, disable-officer
and revoke-sessions. They call the same services as the admin pages, which write the audit
events (actor "command-line")."""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlmodel import Session

from assembly import db
from assembly.accounts import officers
from assembly.accounts.models import Officer
from assembly.accounts.officers import AccountError
from assembly.accounts.signin import normalise_email
from assembly.commands import CLI_ACTOR, load_settings, open_engine
from assembly.errors import ActionableError


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password for the new officer: ")
    second = getpass.getpass("The same password again: ")
    if first != second:
        raise AccountError("The two passwords differ; nothing was changed.")
    return first


def create_officer(args: argparse.Namespace) -> int:
    settings = load_settings()
    try:
        password = _read_password(args)
        with open_engine(settings) as engine, db.session(engine, write=True) as session:
            officer = officers.create(session, settings, args.email, password, actor=CLI_ACTOR,
                                      name=args.name or "", is_admin=args.admin)
            role = "administrator" if officer.is_admin else "officer"
            email = officer.email
    except ActionableError as error:
        sys.stderr.write(f"minipublic create-officer: {error}\n")
        return 1
    from assembly.routes import path_for

    print(f"Created {role} {email}. They can sign in at "
          f"{settings.public_address}{path_for('login_page')}")
    return 0


def revoke_sessions(args: argparse.Namespace) -> int:
    settings = load_settings()
    with open_engine(settings) as engine, db.session(engine, write=True) as session:
        if args.all:
            count = officers.end_every_session(session, actor=CLI_ACTOR)
            whose = "everyone"
        else:
            officer = _find_officer(session, args.email, "revoke-sessions")
            if officer is None:
                return 1
            count = officers.end_sessions(session, officer, actor=CLI_ACTOR)
            whose = officer.email
    print(f"Ended {count} session{'s' if count != 1 else ''} of {whose}.")
    return 0


def _find_officer(session: Session, email: str, command: str) -> Officer | None:
    officer = officers.by_email(session, email)
    if officer is None:
        sys.stderr.write(f"minipublic {command}: no officer has the address "
                         f"{normalise_email(email)}.\n")
    return officer


def set_password(args: argparse.Namespace) -> int:
    """Reset a forgotten password; every session of that officer ends."""
    settings = load_settings()
    try:
        password = _read_password(args)
        with open_engine(settings) as engine, db.session(engine, write=True) as session:
            officer = _find_officer(session, args.email, "set-password")
            if officer is None:
                return 1
            ended = officers.reset_password(session, settings, officer, password,
                                            actor=CLI_ACTOR)
            email = officer.email
    except ActionableError as error:
        sys.stderr.write(f"minipublic set-password: {error}\n")
        return 1
    print(f"Set a new password for {email} and ended {ended} session{'s' if ended != 1 else ''}.")
    return 0


def disable_officer(args: argparse.Namespace) -> int:
    settings = load_settings()
    with open_engine(settings) as engine, db.session(engine, write=True) as session:
        officer = _find_officer(session, args.email, "disable-officer")
        if officer is None:
            return 1
        disable = not args.enable
        ended = officers.set_disabled(session, officer, disable, actor=CLI_ACTOR)
        email = officer.email
    print(f"Disabled {email}; ended {ended} session{'s' if ended != 1 else ''}." if disable
          else f"Enabled {email}.")
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("create-officer", help="add an engagement officer's account")
    parser.add_argument("email", metavar="EMAIL")
    parser.add_argument("--name", help="the officer's name, shown to other officers")
    parser.add_argument("--admin", action="store_true",
                        help="may manage officers and end their sessions")
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of standard input")
    parser.set_defaults(run=create_officer)

    parser = commands.add_parser("set-password",
                                 help="give an officer a new password (ends their sessions)")
    parser.add_argument("email", metavar="EMAIL")
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of standard input")
    parser.set_defaults(run=set_password)

    parser = commands.add_parser("disable-officer",
                                 help="stop an officer signing in (ends their sessions)")
    parser.add_argument("email", metavar="EMAIL")
    parser.add_argument("--enable", action="store_true", help="let them sign in again instead")
    parser.set_defaults(run=disable_officer)

    parser = commands.add_parser("revoke-sessions",
                                 help="sign an officer (or everyone) out everywhere")
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--email", help="the officer whose sessions end")
    who.add_argument("--all", action="store_true", help="end every officer's and member's session")
    parser.set_defaults(run=revoke_sessions)
