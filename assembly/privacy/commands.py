"""`minipublic purge` and `minipublic erase`: the commands that remove people's data.
Registered by `assembly.cli`.

They print counts and ids, never names, e-mail addresses or demographics: their output ends up in
cron mail and CI logs.
"""

from __future__ import annotations

import argparse
import sys

from sqlmodel import select

from assembly import db
from assembly.commands import load_settings, open_engine
from assembly.privacy import personal_data
from assembly.privacy.personal_data import ErasureError
from assembly.recruitment.models import Respondent
from assembly.tables import utcnow


_WHO = {personal_data.NOT_DRAWN: "respondents not drawn",
        personal_data.DRAWN: "panel members and reserves"}


def _day(value: object) -> str:
    return f"{value:%d %B %Y}" if value is not None else ""


# --- purge ---------------------------------------------------------------------------------------


def purge(args: argparse.Namespace) -> int:
    settings = load_settings("purge")
    try:
        with open_engine(settings) as engine, db.session(engine, write=True) as session:
            report = personal_data.purge(session, settings, dry_run=args.dry_run)
    except db.SchemaOutOfDate as error:
        sys.stderr.write(f"minipublic purge: {error}\n")
        return 1
    verb = "would delete" if report.dry_run else "deleted"
    now = utcnow()
    for item in report.items:
        label = f"Assembly {item.assembly_id} ({item.title})"
        if item.drawn_at is None:
            print(f"{label}: not drawn yet; nothing is due.")
            continue
        print(f"{label}: drawn {_day(item.drawn_at)}.")
        if item.end_assumed:
            print(f"  No end date is set, so the assembly is taken to end "
                  f"{_day(item.end_at)}, {personal_data.ASSUMED_LENGTH.days} days after the draw; "
                  "set the end date on the assembly's details.")
        for group in item.groups:
            who = _WHO[group.group]
            if group.due_now:
                print(f"  {who.capitalize()}: kept until {_day(group.due_at)}; {verb} the contact "
                      f"details and profiles of {group.due_now} respondent"
                      f"{'' if group.due_now == 1 else 's'}.")
            elif group.due_at is not None and group.due_at > now and group.held:
                print(f"  {who.capitalize()}: {group.held} kept until {_day(group.due_at)}.")
            else:
                print(f"  {who.capitalize()}: nothing left to delete.")
    print(f"Ended sign-in sessions older than {personal_data.ENDED_SESSIONS_KEPT.days} days: "
          f"{verb} {report.sessions}.")
    if report.dry_run:
        print("Dry run: nothing was changed. Run without --dry-run to delete.")
    else:
        print(f"Sign-in attempts older than a day: deleted {report.login_attempts}.")
    return 0


# --- erase ---------------------------------------------------------------------------------------


def erase(args: argparse.Namespace) -> int:
    settings = load_settings("erase")
    try:
        with open_engine(settings) as engine, db.session(engine, write=True) as session:
            if args.assembly is not None:
                respondent = session.exec(select(Respondent).where(
                    Respondent.assembly_id == args.assembly,
                    Respondent.external_id == args.respondent.strip())).first()
                if respondent is None:
                    raise ErasureError(
                        f"Assembly {args.assembly} has no respondent with the id "
                        f"{args.respondent.strip()!r} in its people file.")
            else:
                respondent = personal_data.by_public_id(session, args.respondent)
            erased = personal_data.erase(session, respondent, "command:erase")
            public_id = respondent.public_id
    except (ErasureError, db.SchemaOutOfDate) as error:
        sys.stderr.write(f"minipublic erase: {error}\n")
        return 1
    if erased:
        print(f"Erased the contact details and profile of respondent {public_id}; the row and "
              "the audit trail remain.")
    else:
        print(f"Respondent {public_id} had already been erased; nothing to do.")
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "purge", help="delete personal data whose retention period has passed")
    parser.add_argument("--dry-run", action="store_true",
                        help="show what would be deleted, and delete nothing")
    parser.set_defaults(run=purge)

    parser = commands.add_parser(
        "erase", help="erase one respondent's contact details and profile on request")
    parser.add_argument("respondent", metavar="RESPONDENT_ID",
                        help="the respondent's public id, or with --assembly their id in the "
                             "people file (put -- before an id that starts with a dash)")
    parser.add_argument("--assembly", type=int, metavar="ASSEMBLY_ID",
                        help="look the respondent up by their people-file id in this assembly")
    parser.set_defaults(run=erase)
