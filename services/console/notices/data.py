"""What a nomination's page shows of its public notice (templates/_objections.html)."""

from __future__ import annotations

from typing import Any

from ..client import Api

# A nomination that was approved, the only ones ever on notice.
WAS_APPROVED = ("approved", "granted", "rejected", "revoked")


async def objections_of(api: Api, nomination: dict[str, Any], reviewer: bool) -> dict[str, Any] | None:
    """A nomination's notice and objections for the committee and admin (`reviewer`), else None (no call)."""
    if not reviewer or nomination["status"] not in WAS_APPROVED:
        return None
    return dict(await api.get("awards", f"/nominations/{nomination['id']}/objections"))
