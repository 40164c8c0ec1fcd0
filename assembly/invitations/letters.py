"""Invitation letters: one printable PDF for the whole panel and a CSV for mail merge.

Many members are invited by post, so the letter is the invitation: it carries the link in full and
a short code to type, in plain English and large type. Both outputs are built from the same
`Letter` objects, in the background job that `batches` starts right after making the tokens,
because the raw tokens exist only then (the database keeps their sha256). Large panels take a
while (WeasyPrint needs roughly 0.1-0.2 s a page), so the PDF is laid out `CHUNK` letters at a
time, reporting progress after each, and the pages are then written as one tagged PDF.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import jinja2

from assembly.assemblies.models import Assembly
from assembly.errors import ActionableError
from assembly.templating import TEMPLATES
from sortition import csvsafe

MAIL_MERGE_COLUMNS = (
    "member_ref",
    "name",
    "address_1",
    "address_2",
    "address_3",
    "address_4",
    "postcode",
    "email",
    "invitation_link",
    "invitation_code",
    "code_page",
    "expires",
)


@dataclass(frozen=True)
class LetterHead:
    """What every letter of one assembly says about the assembly itself."""

    title: str
    question: str
    commissioning_body: str
    starts_on: date | None = None
    ends_on: date | None = None
    remit: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    contact_address: tuple[str, ...] = ()
    support_offer: str = ""
    # Where the assembly's privacy notice is, as printed (no https://): every letter says so.
    privacy_notice: str = ""

    @classmethod
    def of(cls, assembly: Assembly, site_name: str, privacy_notice: str = "") -> LetterHead:
        """The assembly's letter head; letters come from the site's name when the assembly names
        no commissioning body. `privacy_notice` is the notice's address (see `printed_address`)."""
        return cls(
            title=assembly.title,
            question=assembly.question,
            commissioning_body=assembly.commissioning_body or site_name,
            starts_on=assembly.starts_on,
            ends_on=assembly.ends_on,
            remit=assembly.remit,
            contact_phone=assembly.contact_phone,
            contact_email=assembly.contact_email,
            contact_address=tuple(line for line in assembly.contact_address.split("\n") if line),
            support_offer=assembly.support_offer,
            privacy_notice=privacy_notice,
        )


def printed_address(public_address: str, path: str) -> str:
    """A web address as a letter prints it: without the scheme nobody needs to type."""
    return public_address.split("://", 1)[-1] + path


@dataclass(frozen=True)
class Letter:
    """One member's letter. `address` holds the postal lines without the postcode."""

    member_ref: str
    name: str
    address: tuple[str, ...]
    postcode: str
    email: str
    link: str
    code: str
    code_page: str
    expires: datetime


def long_date(value: date | datetime | None) -> str:
    """'Monday 12 January 2027': the form people read without effort (GOV.UK style)."""
    if value is None:
        return ""
    return f"{value:%A} {value.day} {value:%B %Y}"


def _environment() -> jinja2.Environment:
    """Templates for print: the same folder as the pages', with `long_date`; an undefined name
    is an error rather than a blank in a letter that goes out on paper."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["long_date"] = long_date
    return environment


class RendererMissing(ActionableError):
    """WeasyPrint cannot load its libraries; the message says what to install."""

    status_code = 503


def renderer() -> type:
    """WeasyPrint's HTML class. Imported here, not at the top: WeasyPrint loads Pango when
    imported, and only letters need it, so the rest of the app runs without it."""
    try:
        from weasyprint import HTML
    except OSError as error:
        raise RendererMissing(
            "Letters cannot be made on this server: it lacks the Pango text library. Ask your "
            "administrator to install it (on Debian or Ubuntu: apt-get install libpango-1.0-0 "
            "libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core), then try again. No "
            "invitation was changed.") from error
    return HTML


def render_letters(template: str, head: LetterHead, letters: Sequence[object], *, today: date,
                   **context: object) -> str:
    """The HTML of a batch of letters from a template that extends `layouts/letters.html` (one
    page per item of `letters`, which needs member_ref, name, address and postcode)."""
    return _environment().get_template(template).render(head=head, letters=letters, today=today,
                                                        **context)


def letters_html(head: LetterHead, letters: Sequence[Letter], *, today: date) -> str:
    return render_letters("invitations/letters.html", head, letters, today=today)


CHUNK = 10  # letters laid out between two progress reports


def letters_pdf(head: LetterHead, letters: Sequence[Letter], *, today: date,
                progress: Callable[[int], None] | None = None) -> bytes:
    """One A4 page per member, tagged PDF/UA-1 so screen readers can read the letters too.

    `progress(n)` is called after every `CHUNK` letters with how many are laid out so far."""
    if not letters:
        raise ValueError("There is nobody to write to: the panel has no members to invite.")
    HTML = renderer()
    documents = []
    for start in range(0, len(letters), CHUNK):
        chunk = letters[start:start + CHUNK]
        html = HTML(string=letters_html(head, chunk, today=today), base_url=str(TEMPLATES))
        documents.append(html.render(pdf_variant="pdf/ua-1"))
        if progress is not None:
            progress(start + len(chunk))
    pages = [page for document in documents for page in document.pages]
    pdf = documents[0].copy(pages).write_pdf(pdf_variant="pdf/ua-1")
    assert pdf is not None
    return bytes(pdf)


def letters_zip(head: LetterHead, letters: Sequence[Letter], *, today: date,
                progress: Callable[[int], None] | None = None) -> bytes:
    """The download: `letters.pdf`, `mail-merge.csv` (same links and codes) and a README."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("letters.pdf", letters_pdf(head, letters, today=today, progress=progress))
        archive.writestr("mail-merge.csv", mail_merge_csv(letters))
        archive.writestr("README.txt", README.format(count=len(letters), today=today))
    return buffer.getvalue()


README = """Invitations issued on {today} for {count} member(s).

letters.pdf     one letter per page, A4, for printing and posting in window envelopes
mail-merge.csv  the same links and codes, for e-mail or your own letter template

The links and codes in these files are the only copies: the system keeps only a fingerprint of
each. Store these files securely and delete them once the letters are sent. Creating letters
again (and downloading them) makes every link and code in these files stop working.
"""


def mail_merge_csv(letters: Sequence[Letter]) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs show accented names correctly.

    Every cell goes through `csvsafe`, so an uploaded name or reference such as
    ``=HYPERLINK(...)`` is shown as text, never run as a formula.
    """
    rows: list[list[str]] = [list(MAIL_MERGE_COLUMNS)]
    for letter in letters:
        lines = list(letter.address[:4]) + [""] * (4 - min(len(letter.address), 4))
        if len(letter.address) > 4:
            lines[3] = ", ".join(letter.address[3:])
        rows.append([
            letter.member_ref, letter.name, *lines, letter.postcode, letter.email, letter.link,
            letter.code, letter.code_page, letter.expires.isoformat(timespec="minutes"),
        ])
    return ("\ufeff" + csvsafe.text(rows, lineterminator="\r\n")).encode("utf-8")
