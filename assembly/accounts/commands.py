"""The officers' accounts from the command line: create-officer, set-password, disable-officer
and revoke-sessions. They call the same services as the admin pages, which write the audit
events (actor "command-line")."""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlmodel import Session, select

from assembly import audit, db, sessions
from assembly.accounts import signin
from assembly.accounts.models import Officer
from assembly.commands import CLI_ACTOR, load_settings, open_engine


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password for the new officer: ")
    second = getpass.getpass("The same password again: ")
    if first != second:
        raise ValueError("The two passwords differ; nothing was created.")
    return first


def create_officer(args: argparse.Namespace) -> int:
    settings = load_settings()
    try:
        password = _read_password(args)
        with open_engine(settings) as engine, db.session(engine, write=True) as session:
            officer = signin.create_officer(session, settings, args.email, password,
                                          name=args.name or "", is_admin=args.admin)
            role = "administrator" if officer.is_admin else "officer"
            email = officer.email
            audit.record(session, audit.SYSTEM, CLI_ACTOR, "officer.created",
                         {"officer": f"officer:{officer.id}", "admin": officer.is_admin})
    except ValueError as error:
        sys.stderr.write(f"minipublic create-officer: {error}\n")
        return 1
    from assembly.routes import path_for

    print(f"Created {role} {email}. They can sign in at "
          f"{settings.public_url}{path_for('login_page')}")
    return 0


def revoke_sessions(args: argparse.Namespace) -> int:
    settings = load_settings()
    with open_engine(settings) as engine, db.session(engine, write=True) as session:
        if args.all:
            count = sessions.revoke(session, everyone=True, reason="revoked from the command line")
            whose = "everyone"
            audit.record(session, audit.SYSTEM, CLI_ACTOR, "sessions.revoked_all",
                         {"sessions": count})
        else:
            officer = _find_officer(session, args.email, "revoke-sessions")
            if officer is None:
                return 1
            count = sessions.revoke(session, officer_id=officer.id,
                                    reason="revoked from the command line")
            whose = officer.email
            audit.record(session, audit.SYSTEM, CLI_ACTOR, "officer.sessions_revoked",
                         {"officer": f"officer:{officer.id}", "sessions": count})
    print(f"Ended {count} session{'s' if count != 1 else ''} of {whose}.")
    return 0


def _find_officer(session: Session, email: str, command: str) -> Officer | None:
    email = signin.normalise_email(email)
    officer = session.exec(select(Officer).where(Officer.email == email)).first()
    if officer is None:
        sys.stderr.write(f"minipublic {command}: no officer has the address {email}.\n")
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
            signin.set_password(session, settings, officer, password)
            ended = sessions.revoke(session, officer_id=officer.id, reason="password changed")
            audit.record(session, audit.SYSTEM, CLI_ACTOR, "officer.password_set",
                         {"officer": f"officer:{officer.id}", "sessions_ended": ended})
            email = officer.email
    except ValueError as error:
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
        ended = 0
        if officer.disabled != disable:
            officer.disabled = disable
            session.add(officer)
            if disable:
                ended = sessions.revoke(session, officer_id=officer.id, reason="account disabled")
            audit.record(session, audit.SYSTEM, CLI_ACTOR,
                         "officer.disabled" if disable else "officer.enabled",
                         {"officer": f"officer:{officer.id}", "sessions_ended": ended})
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
