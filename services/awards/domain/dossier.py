"""A nomination's dossier: which files it takes and how many.

What a file is (known by its bytes, not its name), its size, its name and how it is served are the
common library's (`shared/files.py`).

Each file is at most 20 MiB, and a nomination holds at most `MAX_FILES` of
them, while its unit's officers may still edit it (`lifecycle.EDITABLE`).
The bounds are the service's own (a dossier kept in its database), not a
law's: Luật Thi đua, khen thưởng 06/2022/QH15 and Nghị định 98/2023/NĐ-CP
name the documents of a dossier, not their size (no article confirmed here).
"""

from __future__ import annotations

from shared.errors import Conflict

# What a file is, its size, its name and how it is served are the common library's (shared/files.py), where
# the directives' programme documents take them too; re-exported here under the dossier's names.
from shared.files import (
    ACCEPTED,
    EXTENSIONS,
    MAX_BYTES,
    MAX_FILENAME,
    Checked,
    Kind,
    TooLarge,
    check,
    check_size,
    content_disposition,
    filename,
    refuse,
    sniff,
)

from .lifecycle import EDITABLE

__all__ = [
    "ACCEPTED",
    "EXTENSIONS",
    "MAX_BYTES",
    "MAX_FILENAME",
    "MAX_FILES",
    "Checked",
    "Kind",
    "TooLarge",
    "check",
    "check_editable",
    "check_room",
    "check_size",
    "content_disposition",
    "filename",
    "refuse",
    "sniff",
]

MAX_FILES = 20  # files a nomination holds at once


def check_editable(status: str) -> None:
    """The dossier changes only while the nomination is submitted or returned (409 after)."""
    if status not in EDITABLE:
        raise Conflict(
            f"the nomination is {status}: its dossier changes only while it is submitted or returned",
            field="status",
        )


def check_room(held: int) -> None:
    if held >= MAX_FILES:
        raise Conflict(f"a nomination holds at most {MAX_FILES} files; remove one first", field="file")
