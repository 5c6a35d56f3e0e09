"""Vietnamese text: NFC on the way in, comparison and search without diacritics.

`line` and `paragraph` are the one way a service cleans text it will store:
NFC, nothing invisible, blank refused naming the field. `fold` matches the
SQL `public.fold(text)` that the migrations define, and `contains_pattern`
makes a search's LIKE pattern from what a user typed.
"""

from __future__ import annotations

import unicodedata

from shared.errors import Invalid

_FOLD = str.maketrans({"đ": "d", "Đ": "D"})
# Control characters, lone surrogates, unassigned and private-use code points:
# nothing a name typed in Word or Excel holds, and NUL cannot be stored at all.
_REFUSED = frozenset({"Cc", "Cs", "Cn", "Co"})
_PARAGRAPH_ALLOWED = frozenset("\n\t")  # a record of merit keeps its line breaks


def nfc(value: str) -> str:
    """NFC, with runs of white space folded to one space and the ends trimmed."""
    return " ".join(unicodedata.normalize("NFC", value).split())


def fold(value: str) -> str:
    """Lower case without diacritics: 'Nguyễn Văn Đức' -> 'nguyen van duc'."""
    decomposed = unicodedata.normalize("NFD", value.translate(_FOLD))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).lower().split())


def problem_in(value: str, allowed: frozenset[str] = frozenset()) -> str | None:
    """Why `value` (already cleaned) cannot be stored, or None when it can."""
    if not value:
        return "must not be empty or only spaces"
    bad = next((c for c in value if c not in allowed and unicodedata.category(c) in _REFUSED), None)
    if bad is not None:
        return f"must not contain the control character U+{ord(bad):04X}"
    return None


def line(value: str, field: str) -> str:
    """One line of text as stored (a name, a title): NFC, single spaces; 400 naming `field` when unfit."""
    cleaned = nfc(value)
    reason = problem_in(cleaned)
    if reason:
        raise Invalid(f"{field} {reason}", field=field)
    return cleaned


def optional_line(value: str | None, field: str) -> str | None:
    """An optional line: blank after cleaning means absent."""
    if value is None or not nfc(value):
        return None
    return line(value, field)


def paragraph(value: str, field: str) -> str:
    """Several lines of text (a record of merit, a reason): NFC, ends trimmed, line breaks kept."""
    cleaned = unicodedata.normalize("NFC", value).strip()
    reason = problem_in(cleaned, _PARAGRAPH_ALLOWED)
    if reason:
        raise Invalid(f"{field} {reason}", field=field)
    return cleaned


def optional_paragraph(value: str | None, field: str) -> str | None:
    if value is None or not value.strip():
        return None
    return paragraph(value, field)


def escape_like(value: str) -> str:
    """`value` matched literally by LIKE (its own % and _ and backslashes)."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains_pattern(query: str) -> str:
    """The LIKE pattern that finds `query` anywhere in a folded text: compare with `fold(column) LIKE $n`."""
    return "%" + escape_like(fold(query)) + "%"
