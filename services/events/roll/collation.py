"""The order a Vietnamese reader expects of the honour roll.

Two rules, both as in a school register or a commendation decision:

- People are ordered by given name (the last word, tones included), then by
  family and middle names: "Lê Thị An" < "Nguyễn Văn An" < "Trần Bình".
  Collectives are ordered by their whole name, numbers by their value
  ("Thôn 3" < "Thôn 10").
- Letters follow the Vietnamese alphabet, where ă, â, đ, ê, ô, ơ, ư are letters
  of their own (d < đ, so "Dương" comes before "Đặng"), and tones only break
  ties between otherwise equal words, in the dictionary order
  ngang < huyền < hỏi < ngã < sắc < nặng (as CLDR's Vietnamese collation).

`sort_key` turns a name into a string whose bytewise order (COLLATE "C" in
PostgreSQL) is that order, so one btree index serves every sorted listing
without depending on the server's ICU build.
"""

from __future__ import annotations

import re
import unicodedata

# The Vietnamese alphabet, with f, j, w, z where foreign names put them.
_ALPHABET = [
    "a",
    "ă",
    "â",
    "b",
    "c",
    "d",
    "đ",
    "e",
    "ê",
    "f",
    "g",
    "h",
    "i",
    "j",
    "k",
    "l",
    "m",
    "n",
    "o",
    "ô",
    "ơ",
    "p",
    "q",
    "r",
    "s",
    "t",
    "u",
    "ư",
    "v",
    "w",
    "x",
    "y",
    "z",
]
_LETTER = {letter: chr(0x41 + i) for i, letter in enumerate(_ALPHABET)}

# Marks that make a letter of its own, and marks that are tones.
_SHAPE_MARKS = {"\u0306": "breve", "\u0302": "circumflex", "\u031b": "horn"}
_SHAPED = {
    ("a", "breve"): "ă",
    ("a", "circumflex"): "â",
    ("e", "circumflex"): "ê",
    ("o", "circumflex"): "ô",
    ("o", "horn"): "ơ",
    ("u", "horn"): "ư",
}
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}  # huyền hỏi ngã sắc nặng

_DIGITS = re.compile("[0-9]+")
_REMARK = re.compile(r"(\s*\([^()]*\))+\s*$")
_FIELD = "\x01"  # between the parts of a key: lower than anything in them
_SPACE = "\x02"


def _levels(text: str) -> tuple[str, str]:
    """(letters, tones) of `text`: the primary and secondary level of the key."""
    primary: list[str] = []
    tones: list[str] = []
    base: str | None = None
    shape: str | None = None
    tone = 0

    def flush() -> None:
        nonlocal base, shape, tone
        if base is None:
            return
        letter = _SHAPED.get((base, shape), base) if shape else base
        primary.append(_LETTER.get(letter, letter))
        tones.append(chr(0x30 + tone))
        base, shape, tone = None, None, 0

    for ch in unicodedata.normalize("NFD", text.lower()):
        if ch in _SHAPE_MARKS:
            shape = _SHAPE_MARKS[ch]
        elif ch in _TONES:
            tone = _TONES[ch]
        elif unicodedata.combining(ch):
            continue  # a foreign mark (cedilla, umlaut...): the letter alone counts
        else:
            flush()
            if ch.isspace():
                if primary and primary[-1] != _SPACE:
                    primary.append(_SPACE)
            elif ch.isdigit() and ch.isascii():
                primary.append(ch)
            elif ch.isalpha():
                base = ch
            # other punctuation is ignorable: "Chi bộ - Thôn 3" sorts as "Chi bộ Thôn 3"
    flush()
    while primary and primary[-1] == _SPACE:
        primary.pop()
    return _numbers("".join(primary)), "".join(tones)


def _numbers(primary: str) -> str:
    """Numbers in their value's order ("Thôn 3" < "Thôn 10"), before every letter:
    each run of digits is prefixed with its length, a character below the letters."""
    return _DIGITS.sub(lambda m: chr(0x21 + min(len(m[0].lstrip("0") or "0"), 31)) + (m[0].lstrip("0") or "0"), primary)


def sort_key(name: str, kind: str) -> str:
    """The key that orders `name` (an individual's or a collective's) on the roll."""
    if kind == "individual":
        # A trailing remark is not the given name: "Nguyễn Văn An (mẫu)" sorts under "An".
        core = _REMARK.sub("", name) or name
        words = core.split()
        given, rest = (words[-1], " ".join(words[:-1] + [name[len(core) :]])) if words else ("", "")
        given_p, given_t = _levels(given)
        rest_p, rest_t = _levels(rest)
        # The given name is settled, tones included, before the family name counts.
        return given_p + _FIELD + given_t + _FIELD + rest_p + _FIELD + rest_t
    primary, tones = _levels(name)
    return primary + _FIELD + tones


def sort_group(kind: str) -> int:
    """Collectives first, then individuals, as a commendation decision lists them."""
    return 0 if kind == "collective" else 1
