"""Settings read from environment variables, once, into one immutable object.

Every variable is declared in `VARIABLES` with its default and meaning; `docs/configuration.md` is
generated from that table (`python -m assembly.settings > docs/configuration.md`) and a test checks
the file is current, so the documentation cannot drift from the code.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import socket
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assembly.errors import ActionableError

DEVELOPMENT_SECRET = "development-only-secret-do-not-use-in-production"
MIN_SECRET_LENGTH = 32


class SettingsError(ActionableError):
    """A setting is missing or wrong; the message says which and how to fix it."""


@dataclass(frozen=True)
class Variable:
    name: str
    field: str
    default: str
    meaning: str


VARIABLES: tuple[Variable, ...] = (
    Variable("MINIPUBLIC_ENV", "env", "development",
             "`development` or `production`. Production refuses to start without a real secret, "
             "and sends cookies with the `__Host-` prefix and `Secure`."),
    Variable("MINIPUBLIC_SECRET_KEY", "secret_key", "(development only)",
             "Signs flash messages and keys the hashes in the sign-in log. "
             f"At least {MIN_SECRET_LENGTH} characters, e.g. "
             "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`. Required in production."),
    Variable("MINIPUBLIC_DATA_DIR", "data_dir", "./data",
             "Directory for the SQLite database file. Created if missing."),
    Variable("DATABASE_URL", "database_url", "sqlite:///<data dir>/minipublic.sqlite3",
             "SQLAlchemy URL. For PostgreSQL use `postgresql+psycopg://user@host:5432/dbname`."),
    Variable("MINIPUBLIC_HOST", "host", "127.0.0.1", "Address `minipublic serve` listens on."),
    Variable("MINIPUBLIC_PORT", "port", "8000", "Port `minipublic serve` listens on."),
    Variable("MINIPUBLIC_WORKERS", "workers", "1",
             "Number of server processes. More than one needs PostgreSQL."),
    Variable("MINIPUBLIC_PUBLIC_URL", "public_url", "http://<host>:<port>",
             "The address residents use, without a trailing slash; used in invitation links and "
             "letters. When not set, it follows the address the server listens on (the host and "
             "port of `minipublic serve` or `minipublic demo`; this machine's name when listening "
             "on every interface). Set it whenever residents reach the server by another name, "
             "such as behind a reverse proxy; production requires it."),
    Variable("MINIPUBLIC_ALLOWED_HOSTS", "allowed_hosts", "*",
             "Comma-separated host names the server answers for (e.g. `assembly.example.gov.uk`); "
             "requests for any other `Host` get a 400. `*` accepts any, which is allowed only in "
             "development: production refuses to start without a list."),
    Variable("MINIPUBLIC_FORWARDED_ALLOW_IPS", "forwarded_allow_ips", "127.0.0.1",
             "Reverse proxies whose `X-Forwarded-For`/`X-Forwarded-Proto` headers are trusted "
             "(used for per-address login limits and for https detection)."),
    Variable("MINIPUBLIC_MAX_REQUEST_MB", "max_request_mb", "41",
             "Largest request accepted, in MB of 1,048,576 bytes (as file managers count). The "
             "default takes the upload form's two files of up to 20 MB each, plus 1 MB for the "
             "rest of the form; a smaller value lowers the largest file officers can upload. "
             "Let your reverse proxy take as much (nginx: `client_max_body_size 41m`)."),
    Variable("MINIPUBLIC_MAX_ATTACHMENT_MB", "max_attachment_mb", "10",
             "Largest file officers can attach to a briefing (PDF, image or slides), in MB of "
             "1,048,576 bytes. Files are kept in the database, so every worker serves them; keep "
             "this below MINIPUBLIC_MAX_REQUEST_MB."),
    Variable("MINIPUBLIC_SITE_NAME", "site_name", "Minipublic",
             "Name shown in every page's header, e.g. the council's name."),
    Variable("MINIPUBLIC_ACCESSIBILITY_CONTACT", "accessibility_contact", "(none)",
             "Where people report an accessibility problem with the site or ask for a page in "
             "another format, as shown in the accessibility statement: an e-mail address, a "
             "phone number or a web address, e.g. `accessibility@example.gov.uk`. Without it the "
             "statement sends people to the organisers' contact details in their letter."),
    Variable("MINIPUBLIC_OFFICER_IDLE_MINUTES", "officer_idle_minutes", "30",
             "An officer is signed out after this many minutes without a request."),
    Variable("MINIPUBLIC_OFFICER_SESSION_HOURS", "officer_session_hours", "12",
             "An officer is signed out this many hours after signing in, active or not."),
    Variable("MINIPUBLIC_MEMBER_IDLE_DAYS", "member_idle_days", "14",
             "A panel member is signed out after this many days without a visit."),
    Variable("MINIPUBLIC_MEMBER_SESSION_DAYS", "member_session_days", "60",
             "A panel member's session ends this many days after they opened their invitation."),
    Variable("MINIPUBLIC_LOGIN_WINDOW_MINUTES", "login_window_minutes", "15",
             "The first pause once a sign-in or invitation-code limit below is reached; each "
             "further failure doubles it (up to a day, or an hour for the per-account limit). "
             "Failures are forgotten a day after the last one."),
    Variable("MINIPUBLIC_LOGIN_MAX_PER_ACCOUNT", "login_max_per_account", "5",
             "Failed sign-ins to one account from one client address before that pair is "
             "paused."),
    Variable("MINIPUBLIC_LOGIN_MAX_PER_ACCOUNT_TOTAL", "login_max_per_account_total", "50",
             "Failed sign-ins to one account from all addresses together (against guessing from "
             "many addresses) before it is paused, except from addresses its officer has signed "
             "in from in the last 90 days."),
    Variable("MINIPUBLIC_LOGIN_MAX_PER_ADDRESS", "login_max_per_address", "20",
             "Failed sign-ins (to any accounts), and separately wrong invitation codes, allowed "
             "per client address before it is paused."),
    Variable("MINIPUBLIC_PAUSED_ANSWER_MS", "paused_answer_ms", "2000",
             "A paused sign-in or invitation code is answered (429) after this many milliseconds, "
             "so a flood of them from one connection arrives at most once per delay."),
    Variable("MINIPUBLIC_PASSWORD_MEMORY_KIB", "password_memory_kib", "65536",
             "Argon2id memory cost. Lower only for tests; existing hashes are upgraded at sign-in."),
    Variable("MINIPUBLIC_PASSWORD_TIME_COST", "password_time_cost", "3",
             "Argon2id iterations. Lower only for tests."),
    Variable("MINIPUBLIC_PASSWORD_CHECKS_AT_ONCE", "password_checks_at_once", "2",
             "Password checks run at the same time per server process (each holds the Argon2 "
             "memory above). A sign-in that waits 5 seconds for a turn is answered 503 with "
             "Retry-After, so a flood of sign-ins cannot exhaust memory or stall other pages."),
    Variable("MINIPUBLIC_INVITATION_DAYS", "invitation_days", "28",
             "Invitation links expire this many days after they are issued."),
    Variable("MINIPUBLIC_RETENTION_DAYS", "retention_days", "90",
             "Default for new assemblies: days after the draw before `minipublic purge` deletes "
             "the personal data of respondents who were not selected."),
    Variable("MINIPUBLIC_SUPPRESS_BELOW", "suppress_below", "5",
             "Public tables hide any count smaller than this, so nobody can be singled out; in "
             "a selection's published `pool-summary.csv` such counts (and any that would give "
             "them away) are left empty. Recorded in the selection's commitment."),
    Variable("MINIPUBLIC_SMTP_HOST", "smtp_host", "(none)",
             "The SMTP server that sends e-mail (reminders, sign-in links). Without it nothing is "
             "e-mailed: officers print letters instead, and the member pages say so."),
    Variable("MINIPUBLIC_SMTP_PORT", "smtp_port", "587", "The SMTP server's port."),
    Variable("MINIPUBLIC_SMTP_SECURITY", "smtp_security", "starttls",
             "`starttls` (upgrade the connection, usually port 587), `ssl` (TLS from the start, "
             "usually port 465) or `none` (only for a relay on the same machine)."),
    Variable("MINIPUBLIC_SMTP_USER", "smtp_user", "(none)",
             "User name for the SMTP server, if it asks for one."),
    Variable("MINIPUBLIC_SMTP_PASSWORD", "smtp_password", "(none)",
             "Password for the SMTP server. Never sent over a connection without TLS."),
    Variable("MINIPUBLIC_MAIL_FROM", "mail_from", "(none)",
             "The sender's address, e.g. `assembly@example.gov.uk`. Required with an SMTP server."),
    Variable("MINIPUBLIC_MAIL_FROM_NAME", "mail_from_name", "(the site name)",
             "The sender's name residents see, e.g. `Liverpool City Region assembly team`."),
    Variable("MINIPUBLIC_MAIL_INTERVAL_SECONDS", "mail_interval_seconds", "15",
             "How often each server process looks for e-mail to send. Each message is sent by "
             "one process only, even with several workers."),
    Variable("MINIPUBLIC_LOG_LEVEL", "log_level", "info",
             "`debug`, `info`, `warning` or `error`. Logs never contain names, e-mail addresses "
             "or demographics."),
)


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    secret_key: str = DEVELOPMENT_SECRET
    data_dir: Path = Path("data")
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    public_url: str = ""  # as set; "" follows host and port (see `public_address`)
    allowed_hosts: tuple[str, ...] = ("*",)
    forwarded_allow_ips: str = "127.0.0.1"
    max_request_mb: int = 41
    max_attachment_mb: int = 10
    site_name: str = "Minipublic"
    accessibility_contact: str = ""
    officer_idle_minutes: int = 30
    officer_session_hours: int = 12
    member_idle_days: int = 14
    member_session_days: int = 60
    login_window_minutes: int = 15
    login_max_per_account: int = 5
    login_max_per_account_total: int = 50
    login_max_per_address: int = 20
    paused_answer_ms: int = 2000
    password_memory_kib: int = 65536
    password_time_cost: int = 3
    password_checks_at_once: int = 2
    invitation_days: int = 28
    retention_days: int = 90
    suppress_below: int = 5
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_user: str = ""
    smtp_password: str = ""
    mail_from: str = ""
    mail_from_name: str = ""
    mail_interval_seconds: int = 15
    log_level: str = "info"

    def __post_init__(self) -> None:
        if not self.database_url:
            path = Path(self.data_dir).resolve() / "minipublic.sqlite3"
            object.__setattr__(self, "database_url", f"sqlite:///{path}")
        object.__setattr__(self, "public_url", self.public_url.rstrip("/"))

    @property
    def public_address(self) -> str:
        """The address in letters and links: MINIPUBLIC_PUBLIC_URL, or else the address served."""
        return self.public_url or served_address(self.host, self.port)

    @property
    def max_request_bytes(self) -> int:
        return self.max_request_mb * 1024 * 1024

    @property
    def max_attachment_bytes(self) -> int:
        return self.max_attachment_mb * 1024 * 1024

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def session_cookie(self) -> str:
        # __Host- makes the browser refuse the cookie unless Secure, Path=/ and no Domain.
        return "__Host-minipublic-session" if self.production else "minipublic-session"

    @property
    def flash_cookie(self) -> str:
        return "__Host-minipublic-flash" if self.production else "minipublic-flash"

    def check(self) -> None:
        """Refuse settings that would be unsafe or cannot work, with advice."""
        problems: list[str] = []
        if self.env not in ("development", "production"):
            problems.append(f"MINIPUBLIC_ENV is {self.env!r}; use 'development' or 'production'.")
        if self.production:
            if self.secret_key in ("", DEVELOPMENT_SECRET):
                problems.append(
                    "MINIPUBLIC_SECRET_KEY is missing or is the development default. Generate one "
                    "with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
                )
            elif len(self.secret_key) < MIN_SECRET_LENGTH:
                problems.append(
                    f"MINIPUBLIC_SECRET_KEY has {len(self.secret_key)} characters; use at least "
                    f"{MIN_SECRET_LENGTH}."
                )
            if self.allowed_hosts in ((), ("*",)) or "*" in self.allowed_hosts:
                problems.append(
                    "MINIPUBLIC_ALLOWED_HOSTS is not set (or is *). In production list the host "
                    "names residents and officers use, e.g. "
                    "MINIPUBLIC_ALLOWED_HOSTS=assembly.example.gov.uk, so requests for any other "
                    "Host are refused."
                )
            if not self.public_url:
                problems.append(
                    "MINIPUBLIC_PUBLIC_URL is not set. In production set it to the https "
                    "address residents use, e.g. MINIPUBLIC_PUBLIC_URL=https://assembly.example."
                    "gov.uk: it is printed in every invitation letter."
                )
            elif not self.public_url.startswith("https://"):
                problems.append(
                    f"MINIPUBLIC_PUBLIC_URL is {self.public_url!r}; in production it must start "
                    "with https:// (sessions use Secure cookies)."
                )
        if self.workers > 1 and self.is_sqlite:
            problems.append(
                "MINIPUBLIC_WORKERS is more than 1 with SQLite; use PostgreSQL (DATABASE_URL) "
                "for several worker processes."
            )
        if self.max_request_mb < 1:
            problems.append(f"MINIPUBLIC_MAX_REQUEST_MB is {self.max_request_mb}; use at least 1 "
                            "(the default, 41, takes two files of 20 MB).")
        if self.max_attachment_mb < 1:
            problems.append(f"MINIPUBLIC_MAX_ATTACHMENT_MB is {self.max_attachment_mb}; use at "
                            "least 1 (the default is 10).")
        if self.smtp_security not in ("starttls", "ssl", "none"):
            problems.append(f"MINIPUBLIC_SMTP_SECURITY is {self.smtp_security!r}; use starttls, "
                            "ssl or none.")
        if self.smtp_host and "@" not in self.mail_from:
            problems.append("MINIPUBLIC_SMTP_HOST is set but MINIPUBLIC_MAIL_FROM is "
                            f"{self.mail_from!r}; give the sender's address, e.g. "
                            "MINIPUBLIC_MAIL_FROM=assembly@example.gov.uk.")
        if self.smtp_password and self.smtp_security == "none":
            problems.append("MINIPUBLIC_SMTP_PASSWORD is set with MINIPUBLIC_SMTP_SECURITY=none, "
                            "which would send the password unencrypted; use starttls or ssl.")
        if self.log_level not in ("debug", "info", "warning", "error"):
            problems.append(f"MINIPUBLIC_LOG_LEVEL is {self.log_level!r}; use debug, info, "
                            "warning or error.")
        if problems:
            raise SettingsError("\n".join(problems))

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def served_address(host: str, port: int) -> str:
    """http://host:port as residents would type it: a wildcard address (listening on every
    interface) becomes this machine's name, and an IPv6 address gets its brackets."""
    if host in ("", "0.0.0.0", "::"):
        host = socket.gethostname() or "127.0.0.1"
    try:
        if ipaddress.ip_address(host).version == 6:
            host = f"[{host}]"
    except ValueError:
        pass  # a host name
    return f"http://{host}:{port}"


def _convert(field: dataclasses.Field, name: str, raw: str) -> object:
    kind = field.type
    if kind in ("int", int):
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a whole number, not {raw!r}.") from None
        if value < 1:
            raise SettingsError(f"{name} must be at least 1, not {value}.")
        return value
    if kind in ("Path", Path):
        return Path(raw)
    if kind in ("tuple[str, ...]",):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw.strip()


def from_env(environ: Mapping[str, str] | None = None, *, check: bool = True) -> Settings:
    """Build settings from the environment; raise SettingsError naming each bad variable."""
    environ = os.environ if environ is None else environ
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    # Each value has its own field's type (see `_convert`), so together they are only Any.
    values: dict[str, Any] = {}
    for variable in VARIABLES:
        raw = environ.get(variable.name)
        if raw is None or raw == "":
            continue
        values[variable.field] = _convert(fields[variable.field], variable.name, raw)
    settings = Settings(**values)
    if check:
        settings.check()
    return settings


def configuration_markdown() -> str:
    """The one table of settings, as published in docs/configuration.md."""
    lines = [
        "# Configuration",
        "",
        "Minipublic reads its settings from environment variables when it starts. This table is",
        "generated from `assembly/settings.py` (`python -m assembly.settings > "
        "docs/configuration.md`).",
        "",
        "| Variable | Default | Meaning |",
        "|---|---|---|",
    ]
    for variable in VARIABLES:
        meaning = variable.meaning.replace("|", "\\|")
        lines.append(f"| `{variable.name}` | `{variable.default}` | {meaning} |")
    lines += [
        "",
        "In production (`MINIPUBLIC_ENV=production`) the server refuses to start when the secret "
        "is missing,",
        "is the development default or is too short, when `MINIPUBLIC_PUBLIC_URL` is not "
        "https, or when",
        "`MINIPUBLIC_ALLOWED_HOSTS` is not set.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(configuration_markdown())
