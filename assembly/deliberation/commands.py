"""`minipublic tick`: write down every change of state the clock has made in any programme.

Rounds open and close by the clock whether or not this runs (their state is worked out when
read), and every page that shows a programme records what is due first. This is for the audit
log's own timing when nobody visits: run it from cron every few minutes. Several at once, or at
the same moment as a page, still record each change once. With an SMTP server set up it also
queues the reminder e-mails that are due (each once per member and event; the server's
background loop does the same, so cron is only needed when no server runs). Registered by
`assembly.cli`.
"""

from __future__ import annotations

import argparse
import sys

from assembly import db, mail
from assembly.commands import load_settings, open_engine
from assembly.deliberation import reminders, schedule
from assembly.tables import utcnow


def tick(args: argparse.Namespace) -> int:
    from assembly.routes import path_for  # every route, to write links in reminders

    settings = load_settings("tick")
    now = utcnow()
    try:
        with open_engine(settings) as engine:
            with db.session(engine) as session:
                programmes = len(schedule.assemblies_with_rounds(session))
            total, emails = reminders.pass_all(
                engine, settings, now, reminders.link_maker(settings.public_address, path_for))
    except db.SchemaOutOfDate as error:
        sys.stderr.write(f"minipublic tick: {error}\n")
        return 1
    print(f"Recorded {total} change{'' if total == 1 else 's'} of state in "
          f"{programmes} programme{'' if programmes == 1 else 's'}.")
    if mail.configured(settings):
        print(f"Queued {emails} reminder e-mail{'' if emails == 1 else 's'}.")
    else:
        print("No e-mail server is set up (MINIPUBLIC_SMTP_HOST), so no reminders were queued.")
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "tick", help=("record in the audit log the rounds that have opened or closed, and "
                      "queue the reminder e-mails that are due"))
    parser.set_defaults(run=tick)
