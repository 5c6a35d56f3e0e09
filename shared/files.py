"""Uploaded files recognised by what they are, not by what they are called: their kind, size, name and download.

A file is one of five kinds, known by its bytes (its "magic"), whatever its
name or the content type the client claimed: PDF (`%PDF-`), PNG, JPEG, and
the two Office Open XML packages, DOCX and XLSX, which are ZIP archives: a
package is recognised by its `[Content_Types].xml` declaring the main part of
a Word document (`word/document.xml`) or of an Excel workbook
(`xl/workbook.xml`) with its exact content type, and that part being there.
The macro-enabled variants (.docm, .xlsm) declare another content type, and
are refused like any other ZIP. Nothing is decompressed but the small
`[Content_Types].xml` (bounded), so an archive cannot blow up here.

A file is at most `MAX_BYTES` (20 MiB; 413 above). A use case may take fewer
kinds (`accepted`): a directive's programme takes a PDF or a Word document.
Used by the awards dossier (services/awards/domain/dossier.py) and by a
directive's programme document (services/events/directives/); the body of
such an upload is bounded by `shared.settings.MAX_UPLOAD_BODY_BYTES`, and a
refusal still reaches the client through `shared.uploads`.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote

from shared.errors import DomainError, Invalid

MAX_BYTES = 20 * 1024 * 1024  # 20 MiB a file
MAX_FILENAME = 200  # characters of a stored name
# What a stored name may not hold: control, format (e.g. U+202E, which shows "gnp.exe" as "exe.png"),
# surrogate, private and unassigned characters, and line or paragraph separators.
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Cn", "Co", "Zl", "Zp"})
_MAX_CONTENT_TYPES_XML = 1024 * 1024  # what is read of a package's [Content_Types].xml, uncompressed


class Kind(StrEnum):
    """The kinds a file may be; the value is the content type a download is served with."""

    PDF = "application/pdf"
    DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    JPEG = "image/jpeg"
    PNG = "image/png"


EXTENSIONS = {Kind.PDF: ".pdf", Kind.DOCX: ".docx", Kind.XLSX: ".xlsx", Kind.JPEG: ".jpg", Kind.PNG: ".png"}
ALL_KINDS: frozenset[Kind] = frozenset(Kind)
DOCUMENTS: frozenset[Kind] = frozenset({Kind.PDF, Kind.DOCX})  # a text one signs: PDF or Word

# The main part of each package, and the content type its [Content_Types].xml must give it.
_PACKAGES = (
    (
        Kind.DOCX,
        "word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    ),
    (Kind.XLSX, "xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
)


def accepted_names(accepted: Collection[Kind] = ALL_KINDS) -> str:
    """`PDF, DOCX, XLSX, JPEG or PNG`, in this order, of the kinds taken."""
    names = [k.name for k in Kind if k in accepted]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


ACCEPTED = accepted_names()


def refuse(reason: str, accepted: Collection[Kind] = ALL_KINDS) -> Invalid:
    return Invalid(f"the file is not a {accepted_names(accepted)} file: {reason}", field="file")


def sniff(content: bytes, accepted: Collection[Kind] = ALL_KINDS) -> Kind:
    """The kind of `content`, from its bytes alone; 400 on `file` for anything else (or a kind not taken)."""
    if not content:
        raise Invalid("the file is empty", field="file")
    kind = _sniff(content, accepted)
    if kind not in accepted:
        raise refuse(f"it is a {kind.name} file", accepted)
    return kind


def _sniff(content: bytes, accepted: Collection[Kind]) -> Kind:
    if content.startswith(b"%PDF-"):
        return Kind.PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return Kind.PNG
    if content.startswith(b"\xff\xd8\xff"):
        return Kind.JPEG
    if content.startswith(b"PK\x03\x04"):
        return _package(content, accepted)
    if content.startswith(b"\x7fELF") or content.startswith(b"MZ"):
        raise refuse("it is a program", accepted)
    raise refuse("its content is of another kind", accepted)


def _package(content: bytes, accepted: Collection[Kind]) -> Kind:
    """A DOCX or an XLSX, told apart by the main part their [Content_Types].xml declares."""
    not_office = "it is a ZIP archive, not a Word document or an Excel workbook"
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            info = archive.getinfo("[Content_Types].xml") if "[Content_Types].xml" in names else None
            if info is None or info.file_size > _MAX_CONTENT_TYPES_XML:
                raise refuse(not_office, accepted)
            with archive.open(info) as part:
                declared = part.read(_MAX_CONTENT_TYPES_XML).decode("utf-8", "replace")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError, ValueError):
        raise refuse("it is a damaged ZIP archive", accepted) from None
    for kind, main_part, content_type in _PACKAGES:
        if main_part in names and _declares(declared, "/" + main_part, content_type):
            return kind
    raise refuse(not_office, accepted)


def _declares(content_types_xml: str, part: str, content_type: str) -> bool:
    """Does [Content_Types].xml give `part` the content type `content_type` (an Override element)?"""
    for element in re.findall(r"<(?:\w+:)?Override\b[^>]*>", content_types_xml):
        names = dict(re.findall(r'(\w+)\s*=\s*"([^"]*)"', element))
        if names.get("PartName", "").lower() == part.lower() and names.get("ContentType") == content_type:
            return True
    return False


class TooLarge(DomainError):
    """A file above `MAX_BYTES`: 413, naming `file`."""

    status = 413


def check_size(size: int) -> None:
    """At most `MAX_BYTES` (413 above)."""
    if size > MAX_BYTES:
        raise TooLarge(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB", field="file", kind="too-large")


def filename(sent: str | None, kind: Kind) -> str:
    """The name a file is stored and served under: NFC, its folders stripped, nothing invisible, bounded.

    A browser on Windows may send `C:\\Users\\...\\Bằng khen.pdf`: only the last
    part is kept. A name left empty is the kind's default (`tệp đính kèm.pdf`).
    """
    name = unicodedata.normalize("NFC", sent or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(" " if unicodedata.category(c) in _HIDDEN else c for c in name)
    name = " ".join(name.split()).strip(" .")
    if not name:
        return "tệp đính kèm" + EXTENSIONS[kind]
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: MAX_FILENAME - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:MAX_FILENAME]
    return name


def content_disposition(name: str) -> str:
    """`attachment` with an ASCII fallback name and the real one as RFC 6266 / RFC 5987 `filename*`."""
    decomposed = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    ascii_name = "".join(c for c in decomposed if not unicodedata.combining(c))
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in ascii_name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def download_headers(name: str, sha256: str, *, public: bool = False) -> dict[str, str]:
    """What a stored file is served with: never inline, never sniffed, its SHA-256 as the ETag (revalidated
    on each use: `no-cache`; `private` unless anyone may read it)."""
    return {
        "Content-Disposition": content_disposition(name),
        "X-Content-Type-Options": "nosniff",
        "ETag": f'"{sha256}"',
        "Cache-Control": ("public" if public else "private") + ", no-cache",
    }


def not_modified(if_none_match: str | None, sha256: str) -> bool:
    """Does the request's If-None-Match name this file's ETag (or `*`)?"""
    tags = [t.strip().removeprefix("W/") for t in (if_none_match or "").split(",")]
    return f'"{sha256}"' in tags or "*" in tags


@dataclass(frozen=True, slots=True)
class Checked:
    """A file taken: its kind and the name it keeps."""

    kind: Kind
    filename: str


def check(content: bytes, sent_name: str | None, accepted: Collection[Kind] = ALL_KINDS) -> Checked:
    """What the file is, from its bytes; 413 (TooLarge) above the bound, 400 on `file` when it is no kind taken."""
    check_size(len(content))
    kind = sniff(content, accepted)
    return Checked(kind, filename(sent_name, kind))
