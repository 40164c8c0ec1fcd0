"""`minipublic tick`: write down every change of state the clock has made in any programme.

Rounds open and close by the clock whether or not this runs (their state is worked out when
read), and every page that shows a programme records what is due first. This is for the audit
log's own timing when nobody visits: run it from cron every few minutes. Several at once, or at
the same moment as a page, still record each change once. Registered by `assembly.cli`.
"""

from __future__ import annotations

import argparse
import sys

from assembly import db
from assembly.commands import load_settings, open_engine
from assembly.deliberation import schedule
from assembly.tables import utcnow


def tick(args: argparse.Namespace) -> int:
    settings = load_settings("tick")
    now = utcnow()
    total = 0
    try:
        with open_engine(settings) as engine:
            with db.session(engine) as session:
                assembly_ids = schedule.assemblies_with_rounds(session)
            for assembly_id in assembly_ids:
                with db.session(engine) as session:
                    if not schedule.pending(session, assembly_id, now):
                        continue
                with db.session(engine, write=True) as session:
                    total += schedule.record_due(session, assembly_id, now)
    except db.SchemaOutOfDate as error:
        sys.stderr.write(f"minipublic tick: {error}\n")
        return 1
    print(f"Recorded {total} change{'' if total == 1 else 's'} of state in "
          f"{len(assembly_ids)} programme{'' if len(assembly_ids) == 1 else 's'}.")
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "tick", help="record in the audit log the rounds that have opened or closed")
    parser.set_defaults(run=tick)
