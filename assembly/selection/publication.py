"""What a selection run lets officers publish, and the auditor's pack that opens it.

The public files (`PUBLIC_FILES`) reveal nobody's answers: salted hashes of each profile and
each ticket, the quotas, pool counts with small cells left empty, the commitment, and after the
draw `draw.json`, which opens the drawn ticket only (its salt and its members as person
numbers). Anyone holding them can run `minipublic verify` (see docs/transparent-lottery.md).

The auditor's pack holds the salts with every respondent's answers (by person number, no names
or contact details): officers download it to hand to the appointed auditor, and each download
is written to the audit log.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from sqlmodel import Session

from assembly import audit
from assembly.assemblies.models import Assembly
from assembly.selection.draws import draw_of
from assembly.selection.models import Draw, SelectionRun
from sortition import commitment, csvsafe
from sortition import draw as public_draw

PUBLIC_FILES = (*commitment.FILES, "commitment.json", "draw.json")

AUDITOR_README = """Auditor's pack for selection run {run} of "{title}".
Commitment: {commitment}

profiles.csv  each respondent by person number: a salt and their answers to the quota questions
tickets.csv   each ticket: a salt and its members by person number

These open every salted hash in the published pool.csv and lottery.csv. They hold everyone's
answers (ethnicity and disability included): keep them confidential, never publish them, and
delete them once the audit is done. They name nobody, but person numbers on the drawn ticket
are public, so anyone with these files and the panel's names could read the members' answers.

To check everything: put these two files in a folder with the published files (commitment.json,
pool.csv, quotas.csv, lottery.csv, pool-summary.csv and, after the draw, draw.json) and run
    minipublic verify FOLDER
"""


def current_scheme(run: SelectionRun) -> bool:
    """True when the run's files follow today's commitment scheme. Runs made before it
    published everyone's answers in pool.csv: their files are never served."""
    record = ((run.lottery or {}).get("files") or {}).get("commitment.json")
    if not isinstance(record, str):
        return False
    try:
        data = json.loads(record)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("scheme") == commitment.SCHEME


def public_files(run: SelectionRun, drawn: Draw | None) -> list[str]:
    """The names of the files this run can publish now (draw.json once it is drawn)."""
    if not current_scheme(run):
        return []
    names = [name for name in PUBLIC_FILES if name in ((run.lottery or {}).get("files") or {})]
    if drawn is not None and drawn.run_id == run.id and auditor_files(run):
        names.append("draw.json")
    return names


def public_file(session: Session, run: SelectionRun, name: str) -> str | None:
    """The text of one public file of `run`, or None when it has no such file (yet)."""
    if name not in PUBLIC_FILES or not current_scheme(run):
        return None
    if name == "draw.json":
        drawn = draw_of(session, run.assembly_id)
        if drawn is None or drawn.run_id != run.id:
            return None
        return draw_json(run, drawn)
    text = ((run.lottery or {}).get("files") or {}).get(name)
    return text if isinstance(text, str) else None


PUBLIC_README = """Public files of selection run {run} of "{title}".
Commitment: {commitment}

commitment.json   the commitment (a SHA-256 hash) and how it was made
pool.csv          a salted hash of every respondent's answers, by random person number
quotas.csv        the quotas
lottery.csv       a salted hash of each numbered ticket's panel
pool-summary.csv  respondents per category, counts under the threshold left empty
{draw}
They reveal nobody's answers. Anyone can check them with Minipublic's command line:
    minipublic verify FOLDER
{replay}"""


def public_pack(session: Session, assembly: Assembly, run: SelectionRun) -> bytes | None:
    """Every public file of `run` in one ZIP, with a README that says how to check them."""
    names = public_files(run, draw_of(session, run.assembly_id))
    if not names:
        return None
    drawn = "draw.json" in names
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            text = public_file(session, run, name)
            if text is not None:
                archive.writestr(name, text)
        archive.writestr("README.txt", PUBLIC_README.format(
            run=run.id, title=assembly.title, commitment=run.commitment,
            draw=("draw.json         the public seed, the ticket it picked and that ticket's "
                  "members by person number\n") if drawn else (
                "No draw has been made yet: draw.json is published after the public draw.\n"),
            replay=("" if drawn else "Which ticket a seed picks:\n"
                    "    minipublic draw FOLDER --seed \"THE SEED\"\n")))
    return buffer.getvalue()


def auditor_files(run: SelectionRun) -> dict[str, str]:
    files = (run.lottery or {}).get("auditor") or {}
    return files if all(isinstance(files.get(n), str) for n in commitment.AUDIT_FILES) else {}


def draw_json(run: SelectionRun, drawn: Draw) -> str | None:
    """The public draw record: seed, ticket, and the drawn ticket's opening."""
    tickets = auditor_files(run).get("tickets.csv")
    if tickets is None or not run.commitment or not run.lottery:
        return None
    rows = csvsafe.read_rows(tickets)
    if not 1 <= drawn.ticket < len(rows):
        return None
    _, salt, members = rows[drawn.ticket]
    record: dict[str, Any] = public_draw.Draw(
        commitment=run.commitment, seed=drawn.seed, ticket=drawn.ticket,
        lottery_size=int(run.lottery["size"])).record()
    record |= {"panel": [int(m) for m in members.split()], "salt": salt}
    return json.dumps(record, indent=2, ensure_ascii=False) + "\n"


def forget(run: SelectionRun, public_id: str) -> bool:
    """Blank one respondent's answers in the run's auditor's files (erasure on request).

    Their person number, salt and hash stay, so `minipublic verify` reports the row as erased
    instead of as a changed file. True if there was a row to blank.
    """
    files = auditor_files(run)
    people = (run.lottery or {}).get("auditor_people") or []
    if not files or public_id not in people:
        return False
    person = people.index(public_id) + 1
    rows = csvsafe.read_rows(files["profiles.csv"])
    row = rows[person]
    rows[person] = [*row[:2], *([""] * (len(row) - 2))]
    assert run.lottery is not None
    run.lottery = {**run.lottery, "auditor": {**files, "profiles.csv": csvsafe.text(rows)}}
    return True


def auditor_pack(session: Session, assembly: Assembly, run: SelectionRun,
                 actor: str) -> bytes | None:
    """The ZIP of the auditor's files, recorded in the audit log; None if the run has none."""
    files = auditor_files(run)
    if not files:
        return None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in commitment.AUDIT_FILES:
            archive.writestr(name, files[name])
        archive.writestr("README.txt", AUDITOR_README.format(
            run=run.number, title=assembly.title, commitment=run.commitment))
    audit.record(session, assembly.id or 0, actor, "selection.auditor_pack_downloaded",
                 {"run": run.id, "run_number": run.number, "commitment": run.commitment})
    return buffer.getvalue()
