"""An award's verification code: short, printed on its certificate, and impossible to guess.

A code is 12 symbols of Crockford's base32 (digits and capitals without I, L,
O and U), drawn from `secrets`: 60 random bits, about 1.15e18 codes. With a
million awards standing, one guess in about 1.15e12 finds one: at a thousand
guesses a second, a guesser waits some 36 years for the first hit on average.
Nothing about the award (its id, its order, its date) enters the code.

It is stored in its canonical form (`7KQ2M9XD3FAB`) and printed grouped for
reading (`7KQ2-M9XD-3FAB`). Whoever types it back may use lower case, leave
out or add dashes and spaces, and mistake O for 0 and I or L for 1, as
Crockford's alphabet allows: `canonical` reads all of these.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12
BITS = 5 * LENGTH
GROUP = 4
CANONICAL = re.compile(f"[{ALPHABET}]{{{LENGTH}}}")
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—_.]+")


def new_code() -> str:
    """A fresh code in canonical form (60 bits from the operating system's CSPRNG)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def display(code: str) -> str:
    """`7KQ2-M9XD-3FAB`: a canonical code grouped by four for reading and typing."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def canonical(typed: str) -> str | None:
    """The canonical code a person typed (any case, dashes or not, O for 0, I or L for 1), or None when it
    cannot be one."""
    if len(typed) > 64:
        return None
    code = _SEPARATORS.sub("", typed).upper().translate(_READ_AS)
    return code if CANONICAL.fullmatch(code) else None
