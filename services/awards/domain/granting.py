"""What a decision may grant: approved nominations only, each listed once, each granted once.

A decision is all or nothing: one nomination it may not grant refuses the
whole decision, naming every listed nomination at fault by its place in the list.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shared.errors import Conflict, FieldError, Invalid, NotFound

from .lifecycle import AWARDED
from .statuses import NominationStatus


def check_listed_once(nomination_ids: Sequence[uuid.UUID]) -> None:
    seen: dict[uuid.UUID, int] = {}
    for i, nid in enumerate(nomination_ids):
        if nid in seen:
            raise Invalid(
                f"nomination {nid} is listed twice",
                errors=[FieldError(f"nomination_ids[{i}]", f"repeats nomination_ids[{seen[nid]}]")],
            )
        seen[nid] = i


@dataclass(frozen=True, slots=True)
class Listed:
    """A listed nomination as it stands: its status, and the decision that granted it, if one did."""

    status: str
    decision_number: str | None


def check_grantable(nomination_ids: Sequence[uuid.UUID], found: Mapping[uuid.UUID, Listed]) -> None:
    """404 naming the listed nominations that do not exist; else 409 naming those a decision may not grant."""
    position = {nid: i for i, nid in enumerate(nomination_ids)}
    missing = [nid for nid in nomination_ids if nid not in found]
    if missing:
        raise NotFound(
            "nomination",
            detail=f"{len(missing)} of the listed nominations do not exist",
            errors=[FieldError(f"nomination_ids[{position[m]}]", f"nomination {m} does not exist") for m in missing],
        )
    refused: list[FieldError] = []
    for nid in nomination_ids:
        listed = found[nid]
        if listed.status in AWARDED:
            refused.append(
                FieldError(
                    f"nomination_ids[{position[nid]}]",
                    f"nomination {nid} was already granted by decision {listed.decision_number}",
                )
            )
        elif listed.status != NominationStatus.APPROVED:
            refused.append(
                FieldError(f"nomination_ids[{position[nid]}]", f"nomination {nid} is {listed.status}, not approved")
            )
    if refused:
        raise Conflict(
            f"{len(refused)} of the listed nominations cannot be granted; "
            "a decision grants approved nominations only, each once",
            errors=refused,
            kind="not-grantable",
        )
