"""What a briefing's attachment really is, from its first bytes, never from its name or from
what the browser claimed.

Only kinds members can open on a phone or a library computer are taken: PDF; PNG, JPEG, GIF and
WebP images; PowerPoint (.pptx) and OpenDocument (.odp) slides. The file's extension must say
the same as its bytes: `report.pdf` that is really a web page, or a picture renamed `.pdf`, is
refused, because browsers and phones choose an app by the extension.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath


@dataclass(frozen=True)
class Kind:
    content_type: str
    label: str                    # in messages: "a PDF"
    extensions: tuple[str, ...]
    image: bool = False


PDF = Kind("application/pdf", "a PDF", (".pdf",))
PNG = Kind("image/png", "a PNG image", (".png",), image=True)
JPEG = Kind("image/jpeg", "a JPEG image", (".jpg", ".jpeg"), image=True)
GIF = Kind("image/gif", "a GIF image", (".gif",), image=True)
WEBP = Kind("image/webp", "a WebP image", (".webp",), image=True)
PPTX = Kind("application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "PowerPoint slides", (".pptx",))
ODP = Kind("application/vnd.oasis.opendocument.presentation", "OpenDocument slides", (".odp",))
KINDS = (PDF, PNG, JPEG, GIF, WEBP, PPTX, ODP)
ACCEPTED = "PDF, PNG, JPEG, GIF, WebP, PowerPoint (.pptx) or OpenDocument slides (.odp)"


class FileRefused(ValueError):
    """The file cannot be attached; the message says why and what to do."""


def _zip_kind(data: bytes) -> Kind | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.read("mimetype").strip() == \
                    ODP.content_type.encode():
                return ODP
            if "[Content_Types].xml" in names and "ppt/presentation.xml" in names:
                return PPTX
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        return None
    return None


def sniff(data: bytes) -> Kind | None:
    """The kind the bytes are, or None for anything not accepted."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    return None


def safe_name(filename: str) -> str:
    """The last part of the name, without anything a header or a file system would trip on."""
    name = PurePosixPath(filename.replace("\\", "/")).name
    name = re.sub(r"[^A-Za-z0-9._ -]+", "-", name).strip(" .-")
    return name[-120:] or "file"


def check(filename: str, data: bytes, limit: int) -> Kind:
    """The file's kind, or `FileRefused` saying what is wrong with it."""
    if not data:
        raise FileRefused("Choose a file to attach. The one sent was empty.")
    if len(data) > limit:
        raise FileRefused(f"That file is {len(data) / 1048576:.1f} MB; the largest a briefing "
                          f"can take is {limit // 1048576} MB. Make it smaller (for example, "
                          "save the PDF at a lower quality) and try again.")
    kind = sniff(data)
    if kind is None:
        raise FileRefused(f"That file is not one members can open safely. Attach {ACCEPTED}.")
    extension = PurePosixPath(safe_name(filename)).suffix.lower()
    if extension not in kind.extensions:
        raise FileRefused(f"That file is {kind.label}, but its name ends in "
                          f"“{extension or 'nothing'}”. Rename it to end in "
                          f"“{kind.extensions[0]}” and attach it again.")
    return kind
