"""Vietnamese text: NFC on the way in, comparison without diacritics."""

from __future__ import annotations

import unicodedata

_FOLD = str.maketrans({"đ": "d", "Đ": "D"})


def nfc(value: str) -> str:
    """NFC, with runs of white space folded to one space and the ends trimmed."""
    return " ".join(unicodedata.normalize("NFC", value).split())


def fold(value: str) -> str:
    """Lower case without diacritics: 'Nguyễn Văn Đức' -> 'nguyen van duc'.

    Matches the SQL `public.fold(text)` that the migrations define, so Python
    and PostgreSQL agree on what a search matches.
    """
    decomposed = unicodedata.normalize("NFD", value.translate(_FOLD))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).lower().split())
