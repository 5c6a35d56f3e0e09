"""The public honour roll as one CSV for Excel (UTF-8 with BOM, CRLF), from the events service's `/honorees.csv`."""

from __future__ import annotations

import csv
import io
from typing import Any

from thidua.apiclient import Client


async def export_honorees(
    client: Client, campaign_ids: list[str], year: int | None, extra: dict[str, Any] | None = None
) -> tuple[bytes, int]:
    """GET /honorees.csv, once per campaign asked for, as one CSV for Excel, and its number of rows.

    One part is passed on byte for byte. Several are joined under one header
    (UTF-8 with BOM, CRLF), the row numbers of a leading "STT" column running on.
    """
    asked: list[str | None] = [*campaign_ids] or [None]  # None: every campaign, in one request
    parts: list[bytes] = []
    for campaign_id in asked:
        resp = await client.get(
            "events",
            "/honorees.csv",
            params={"campaign_id": campaign_id, "year": year, **(extra or {})},
            raw=True,
        )
        parts.append(resp.content)
    tables = [list(csv.reader(io.StringIO(p.decode("utf-8-sig")))) for p in parts]
    if len(parts) == 1:
        return parts[0], max(len(tables[0]) - 1, 0)
    header = next((t[0] for t in tables if t), [])
    rows = [row for t in tables for row in t[1:]]
    if header and header[0].strip().upper() == "STT":
        rows = [[str(n), *row[1:]] for n, row in enumerate(rows, start=1)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return "\ufeff".encode() + out.getvalue().encode("utf-8"), len(rows)
