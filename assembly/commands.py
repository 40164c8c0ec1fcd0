"""The app's own subcommands of `minipublic` (serve, migrate, demo) and what every command
shares: reading the settings and opening the database. The rooms add theirs (`accounts`,
`privacy`); `assembly.cli` joins them all."""

from __future__ import annotations

import argparse
import contextlib
import copy
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from assembly import db, sessions
from assembly.accounts import signin
from assembly.settings import Settings, SettingsError, from_env, served_address

# How the audit log names whoever ran a command on the server.
CLI_ACTOR = "command-line"


def load_settings(command: str = "") -> Settings:
    """Settings from the environment, or exit 2 with what is wrong (every command starts here)."""
    try:
        return from_env()
    except SettingsError as error:
        name = f"minipublic {command}" if command else "minipublic"
        sys.stderr.write(f"{name}: configuration problem:\n{error}\n")
        raise SystemExit(2) from None


@contextlib.contextmanager
def open_engine(settings: Settings, *, check: bool = True, migrate: bool = False
                ) -> Iterator[Engine]:
    """An engine for one command, closed afterwards (commands run inside tests, too).

    `migrate` brings the schema up to date first; otherwise `check` refuses an out-of-date one.
    """
    engine = db.make_engine(settings.database_url)
    try:
        if migrate:
            db.migrate(engine)
        elif check:
            db.check_schema(engine)
        yield engine
    finally:
        engine.dispose()


def listening(args: argparse.Namespace, settings: Settings) -> Settings:
    """The settings with the host and port given on the command line, so the public address
    (when MINIPUBLIC_PUBLIC_URL is not set) is the one actually served."""
    return settings.replace(host=args.host or settings.host, port=args.port or settings.port)


def letters_address(settings: Settings) -> str:
    """One line saying which address letters and links carry, and where it comes from."""
    if settings.public_url:
        return f"Letters and invitation links use {settings.public_address} (MINIPUBLIC_PUBLIC_URL)."
    return (f"Letters and invitation links use {settings.public_address}, the address served; "
            "set MINIPUBLIC_PUBLIC_URL if residents reach this server by another address.")


def serve(args: argparse.Namespace, *, say_letters: bool = True) -> int:
    """Migrate, then run uvicorn. Migrating here (one process) keeps workers from racing.
    `say_letters=False` when the caller (the demo) has said which address letters use."""
    import uvicorn

    settings = listening(args, load_settings())
    # The app (in each worker) reads its settings from the environment: hand it the address
    # served, which links in letters follow unless MINIPUBLIC_PUBLIC_URL is set.
    os.environ["MINIPUBLIC_HOST"], os.environ["MINIPUBLIC_PORT"] = settings.host, str(settings.port)
    with open_engine(settings, check=False) as engine:
        db.migrate(engine)
        with db.session(engine, write=True) as session:
            ended = sessions.prune(session)
            attempts = signin.prune_attempts(session, settings)
    print(f"Tidied {ended} ended session{'s' if ended != 1 else ''} and {attempts} old sign-in "
          f"attempt{'s' if attempts != 1 else ''}.", flush=True)
    if say_letters:
        print(letters_address(settings), flush=True)
    uvicorn.run(
        "assembly.app:create_app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        log_level=settings.log_level,
        log_config=_log_config(settings),
        server_header=False,
    )
    return 0


def _log_config(settings: Settings) -> dict[str, Any]:
    """uvicorn's logging, plus our own `minipublic.*` loggers through the same handler."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["minipublic"] = {"handlers": ["default"],
                                       "level": settings.log_level.upper(), "propagate": False}
    return config


def migrate(args: argparse.Namespace) -> int:
    settings = load_settings()
    with open_engine(settings, check=False) as engine:
        before = db.current_revision(engine)
        db.migrate(engine)
        after = db.current_revision(engine)
    print(f"Database schema: {before or 'empty'} -> {after}" if before != after
          else f"Database schema is up to date ({after}).")
    return 0


# --- demo ----------------------------------------------------------------------------------------


def demo(args: argparse.Namespace) -> int:
    # The demo builds through every room: load it only when asked.
    from assembly import demo as demo_module
    from assembly.publishing.publish import latest_version
    from assembly.routes import path_for
    from charter.pdf import RenderError

    settings = listening(args, load_settings("demo"))
    if settings.production:
        sys.stderr.write("minipublic demo: refusing to add a demo officer and fictional residents "
                         "to a production database (MINIPUBLIC_ENV=production).\n")
        return 2
    files = Path(settings.data_dir) / "demo"
    with open_engine(settings, migrate=True) as engine, db.session(engine, write=True) as session:
        made = demo_module.prepare(session, settings, files)
    with open_engine(settings) as engine:
        demo_module.seat_panel(engine, settings, made.assembly_id)
        demo_module.start_conversation(engine, made.assembly_id)
        demo_module.write_principles(engine, made.assembly_id)
        demo_module.hold_vote(engine, made.assembly_id)
        try:
            demo_module.publish_charter(engine, settings, made.assembly_id)
        except RenderError as error:  # WeasyPrint's libraries missing: the rest still works
            sys.stderr.write(f"minipublic demo: the charter was not published: {error}\n")
        with db.session(engine, write=True) as session:
            code = demo_module.member_code(session, made.assembly_id)
            published = latest_version(session, made.assembly_id)
    url = served_address(settings.host, settings.port)
    charter = [] if published is None else [
        f"  The charter the assembly published (version {published}), as the public reads it:",
        f"  Open   {url}{path_for('charter_latest', assembly_id=made.assembly_id)}",
        ""]
    print(
        "\n".join([
            "",
            (f"Minipublic demo {'created' if made.created else 'ready'}: "
             f"{demo_module.TITLE}"),
            (f"  {demo_module.POOL_SIZE:,} fictional respondents, quotas for a panel of "
             f"{demo_module.PANEL_SIZE}, database {_where(settings)}"),
            f"  The same files to try an upload yourself: {made.people_csv.parent}",
            "",
            f"  Open   {url}{path_for('login_page')}",
            f"  E-mail {made.email}",
            f"  Password {made.password}   (new every time the demo starts)",
            "",
            "  To see it as a member of the panel:",
            f"  Open   {url}{path_for('invite_code_page')}",
            f"  Code   {code.code}   (works once; new every time the demo starts)",
            "",
            *charter,
            letters_address(settings),
            "",
            "Press Ctrl+C to stop.",
            "",
        ]),
        flush=True,
    )
    if args.no_serve:
        return 0
    return serve(argparse.Namespace(host=settings.host, port=settings.port), say_letters=False)


def send_mail(args: argparse.Namespace) -> int:
    """One delivery pass of the outbox: for a scheduler (cron) where the web server's own pass
    is not wanted, or to push queued mail out now."""
    from assembly import mail, outbox

    settings = load_settings("send-mail")
    if not mail.configured(settings):
        sys.stderr.write("minipublic send-mail: no e-mail server is set up; set "
                         "MINIPUBLIC_SMTP_HOST and MINIPUBLIC_MAIL_FROM (docs/configuration.md).\n")
        return 2
    with open_engine(settings) as engine:
        total = outbox.Delivery()
        while True:
            delivery = outbox.deliver_due(engine, settings)
            total = outbox.Delivery(total.sent + delivery.sent,
                                    total.retrying + delivery.retrying,
                                    total.failed + delivery.failed)
            if delivery.sent + delivery.retrying + delivery.failed < outbox.BATCH:
                break
    print(f"Sent {total.sent:,}; {total.retrying:,} to try again later; "
          f"{total.failed:,} could not be delivered.")
    return 1 if total.failed else 0


def _where(settings: Settings) -> str:
    if settings.is_sqlite:
        return settings.database_url.removeprefix("sqlite:///")
    return "from DATABASE_URL"


def add_commands(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("serve", help="run the web app (migrates the database first)")
    parser.add_argument("--host", help="address to listen on (default: MINIPUBLIC_HOST)")
    parser.add_argument("--port", type=int, help="port to listen on (default: MINIPUBLIC_PORT)")
    parser.set_defaults(run=serve)

    parser = commands.add_parser("migrate", help="create or upgrade the database schema")
    parser.set_defaults(run=migrate)

    parser = commands.add_parser(
        "send-mail", help="send the e-mail that is due now (the server also does this itself)")
    parser.set_defaults(run=send_mail)

    parser = commands.add_parser(
        "demo", help="create a demo assembly with 1,000 fictional residents, then serve it")
    parser.add_argument("--host", help="address to listen on (default: MINIPUBLIC_HOST)")
    parser.add_argument("--port", type=int, help="port to listen on (default: MINIPUBLIC_PORT)")
    parser.add_argument("--no-serve", action="store_true",
                        help="only create the demo and print the sign-in details")
    parser.set_defaults(run=demo)
