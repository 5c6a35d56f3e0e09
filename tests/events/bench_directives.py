"""`python -m tests.events.bench_directives`: a directive's figures on a province of 15,000 units.

Starts a stack, writes into the events service's copy a tree of one province, 15 districts and 999
grassroots organisations under each (straight into its tables: the copy's feed is measured elsewhere),
a directive with programmes from every other unit and 5,000 sessions, then times
`GET /directives/{id}/implementation` over HTTP and the report's reads in process. Run it under
`flock /work/helpers/bench.lock` on a shared machine.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from services.events.directives import service
from tests.support import Stack, start_stack

DISTRICTS, PER_DISTRICT, SESSIONS = 15, 999, 5000


async def tree(conn: asyncpg.Connection) -> tuple[uuid.UUID, int]:
    root = uuid.uuid4()
    rows: list[tuple[Any, ...]] = [(root, "B-ROOT", "Tỉnh ủy Đo", "party_committee", None, root.hex)]
    for d in range(DISTRICTS):
        did = uuid.uuid4()
        rows.append((did, f"B-D{d}", f"Huyện ủy số {d}", "party_committee", root, f"{root.hex}.{did.hex}"))
        for g in range(PER_DISTRICT):
            gid = uuid.uuid4()
            path = f"{root.hex}.{did.hex}.{gid.hex}"
            rows.append((gid, f"B-D{d}-{g}", f"Chi bộ số {g} huyện {d}", "grassroots_party_org", did, path))
    await conn.execute(
        """INSERT INTO units (id, code, name, kind, parent_id, path, version)
           SELECT id, code, name, kind, parent_id, text2ltree(path), 1
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::text[])
                AS x (id, code, name, kind, parent_id, path)""",
        *[list(column) for column in zip(*rows, strict=True)],
    )
    directive = uuid.uuid4()
    await conn.execute(
        """INSERT INTO directives (id, code, title, implements, issuing_unit_id, issued_on, created_by)
           VALUES ($1, $2, 'Đo', 'Đo', $3, '2013-08-07', $1)""",
        directive,
        f"B-{directive.hex[:8]}",
        root,
    )
    below = [r[0] for r in rows[1:]]
    await conn.executemany(
        """INSERT INTO directive_programmes (id, directive_id, unit_id, number, issued_on, title, reported_by)
           VALUES ($1, $2, $3, 'n', '2013-09-01', 't', $2)""",
        [(uuid.uuid4(), directive, unit) for unit in below[1::2]],
    )
    await conn.executemany(
        """INSERT INTO directive_sessions (id, directive_id, unit_id, held_on, kind, title, attendees, reported_by)
           VALUES ($1, $2, $3, $4, 'study', 't', 100, $2)""",
        [(uuid.uuid4(), directive, below[i % len(below)], date(2013, 9 + i % 4, 1)) for i in range(SESSIONS)],
    )
    await conn.execute("ANALYZE")
    return directive, len(rows)


async def timed(call: Callable[[], Awaitable[Any]], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        await call()
        times.append((time.perf_counter() - t) * 1000)
    return times


def line(name: str, times: list[float]) -> str:
    return f"{name}: p50 {statistics.median(times):.1f} ms, min {min(times):.1f}, max {max(times):.1f}"


async def run(stack: Stack) -> None:
    conn = await asyncpg.connect(stack.db_url("events"))
    try:
        directive, units = await tree(conn)
        async with httpx.AsyncClient(base_url=stack.url("events"), timeout=30) as client:
            answer = await client.get(f"/directives/{directive}/implementation")
            body = answer.json()
            print(f"{units} units; {body['programmes']}; {len(body['missing'])} missing; {len(answer.content):,} bytes")
            path = f"/directives/{directive}/implementation"
            print(line("GET implementation", await timed(lambda: client.get(path), 30)))
        for name, read in (
            ("implementation", service.implementation),
            ("coverage_by_district", service.coverage_by_district),
            ("sessions_by_month", service.sessions_by_month),
        ):
            print(line(f"{name} (in process)", await timed(partial(read, conn, directive), 20)))
    finally:
        await conn.close()


def main() -> None:
    stack, started = start_stack(Path(tempfile.mkdtemp(prefix="bench-directives-")))
    try:
        asyncio.run(run(stack))
    finally:
        for part in reversed(started):
            part.stop()


if __name__ == "__main__":
    main()
