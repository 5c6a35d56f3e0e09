"""How long one large `POST /units/import` takes to reach the other services' copies of the tree.

    .venv/bin/python -m tests.delivery.bench_import [--units 15000] [--timeout 240]

Starts its own stack (as the tests do), imports `--units` units under one root
with one `POST /units/import`, then polls the awards and the events databases
until every imported unit is in their copy of the tree (with its path), and
prints, from the moment the request was sent:
  - when the import answered,
  - when the last unit was in the awards copy, and in the events copy,
  - the rate at which each copy took the events in.
The aim (docs/architecture.md): every copy within 5 seconds of the import.
Not a test: it is not collected by pytest. Run it while holding the benchmark
lock on a shared machine: `flock /work/helpers/bench.lock .venv/bin/python -m ...`.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

from tests.support import ADMIN_PASSWORD, Api, Stack, code, start_stack


async def _count(conn: asyncpg.Connection, ids: list[uuid.UUID]) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM units WHERE id = ANY($1::uuid[]) AND path IS NOT NULL", ids))


async def _watch(stack: Stack, service: str, ids: list[uuid.UUID], t0: float, timeout: float) -> tuple[float, int]:
    """Seconds from t0 until every id is in the service's copy (or the timeout), and how many got there."""
    conn = await asyncpg.connect(stack.db_url(service))
    try:
        n = 0
        while time.monotonic() - t0 < timeout:
            n = await _count(conn, ids)
            if n == len(ids):
                return time.monotonic() - t0, n
            await asyncio.sleep(0.05)
        return time.monotonic() - t0, n
    finally:
        await conn.close()


async def _trace(stack: Stack, ids: list[uuid.UUID], t0: float) -> None:
    """Where the time goes: the units outbox (the relay) against each copy (the consumers), once a second."""
    conns = {s: await asyncpg.connect(stack.db_url(s)) for s in ("units", "awards", "events")}
    scraper = httpx.AsyncClient(base_url=stack.url("awards"), timeout=5)
    try:
        while True:
            unsent = await conns["units"].fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
            awards, events = await _count(conns["awards"], ids), await _count(conns["events"], ids)
            print(
                f"  {time.monotonic() - t0:6.1f} s  outbox unsent {unsent:6}  awards {awards:6}  events {events:6}"
                f"  awards /metrics: {await _lag(scraper)}"
            )
            await asyncio.sleep(1)
    finally:
        await scraper.aclose()
        for conn in conns.values():
            await conn.close()


async def _lag(scraper: httpx.AsyncClient) -> str:
    """The awards-units durable's backlog as its /metrics shows it (the lag metric), or '-' without one."""
    resp = await scraper.get("/metrics")
    if resp.status_code != 200:
        return "-"
    found = {}
    for line in resp.text.splitlines():
        if 'durable="awards-units"' in line and not line.startswith("#"):
            name = line.split("{")[0].removeprefix("thidua_consumer_")
            found[name] = line.rsplit(" ", 1)[1]
    return f"pending {found.get('pending_messages', '?')}, ack pending {found.get('ack_pending_messages', '?')}"


async def bench(stack: Stack, units: int, timeout: float, trace: bool) -> None:
    admin = await Api.login(stack, "admin", ADMIN_PASSWORD)
    try:
        root = await admin.unit("Đảng bộ tỉnh (bench)", kind="party_committee")
        root_code = (await admin.units.get(f"/units/{root['id']}")).json()["code"]
        rows = [
            {"code": code("B"), "name": f"Chi bộ số {i}", "kind": "grassroots_party_org", "parent_code": root_code}
            for i in range(units)
        ]
        # Both copies hold the root before the clock starts.
        for service in ("awards", "events"):
            conn = await asyncpg.connect(stack.db_url(service))
            try:
                while not await _count(conn, [uuid.UUID(root["id"])]):
                    await asyncio.sleep(0.05)
            finally:
                await conn.close()

        t0 = time.monotonic()
        imported = asyncio.create_task(admin.units.post("/units/import", json=rows, timeout=300))
        resp = await imported
        answered = time.monotonic() - t0
        assert resp.status_code in (200, 201), resp.text[:500]
        ids = [uuid.UUID(u["id"]) for u in resp.json()["items"]]
        assert len(ids) == units
        watched = asyncio.gather(_watch(stack, "awards", ids, t0, timeout), _watch(stack, "events", ids, t0, timeout))
        tracing = asyncio.create_task(_trace(stack, ids, t0)) if trace else None
        (awards_s, awards_n), (events_s, events_n) = await watched
        if tracing:
            tracing.cancel()
    finally:
        await admin.aclose()

    print(f"units imported:                 {units}")
    print(f"import answered after:          {answered:7.2f} s")
    for name, seconds, n in (("awards", awards_s, awards_n), ("events", events_s, events_n)):
        state = "all" if n == units else f"ONLY {n} (timed out)"
        print(
            f"last unit in the {name} copy:   {seconds:7.2f} s  ({state}; {seconds - answered:6.2f} s after the answer;"
            f" {n / max(seconds, 1e-9):7.0f} units/s from the request)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=15_000)
    parser.add_argument("--timeout", type=float, default=240.0, help="seconds to wait for the copies")
    parser.add_argument("--trace", action="store_true", help="each second: outbox rows unsent, units in each copy")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-import-"))
    started: list = []
    try:
        stack, started = start_stack(tmp)
        asyncio.run(bench(stack, args.units, args.timeout, args.trace))
    finally:
        for part in reversed(started):
            part.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
