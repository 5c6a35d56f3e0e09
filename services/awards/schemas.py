"""What several features of the awards service take over HTTP: the text fields' limits and a reason.

Each feature's own requests and answers are in its `schemas.py`. An award is a
granted nomination: `award_id` is the id of the nomination the decision
granted, so an award's whole story is the nomination's history.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

# One line of text: no control characters (a NUL would be refused by PostgreSQL).
LINE = r"^[^\x00-\x1f\x7f]*$"
# Several lines (a record of merit): tabs and line breaks allowed.
TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=300, pattern=LINE)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=TEXT)]


class ReasonBody(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason
