"""Cached roll answers against the ceiling: wrk asking the events service one `GET /honorees` of a campaign (a
cached answer after the first) and, in the same run, a raw ASGI app and a Litestar handler answering a fixed body
of the same bytes (tests/events/fixed_body.py), each one granian worker. Not a test (pytest does not collect it):
run it by hand, holding the benchmark lock, on a roll tests.events.bench_roll loaded and kept,

    .venv/bin/python -m tests.events.bench_roll 100000 /tmp/roll100k     # once: loads and keeps the roll
    .venv/bin/python -m tests.events.bench_roll_cached /tmp/roll100k [--seconds 10]

and it prints each rate and the cached answers' share of the raw ASGI ceiling (the target: at least 70%).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import httpx

from thidua import devstack

from .bench_search_http import events_serving, wrk

ROOT = Path(__file__).resolve().parents[2]


def busiest_campaign(database_url: str) -> str:
    async def find() -> str:
        conn = await asyncpg.connect(database_url)
        try:
            return str(
                await conn.fetchval(
                    "SELECT campaign_id FROM honorees WHERE status = 'granted' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
                )
            )
        finally:
            await conn.close()

    return asyncio.run(find())


def fixed_body(target: str, body: Path, seconds: int, tmp: str) -> str:
    """wrk's figures for `target` (tests.events.fixed_body's app) answering `body`."""
    port = devstack.free_port()
    with open(Path(tmp) / "fixed.log", "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port),
             "--workers", "1", "--loop", "uvloop", "--no-ws", "--log-level", "warning", target],
            cwd=ROOT, env={**os.environ, "FIXED_BODY": str(body)}, stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
    try:
        devstack.wait_for_port(port, 30, proc, target)
        return wrk(f"http://127.0.0.1:{port}/honorees", seconds, script=None)
    finally:
        proc.terminate()
        proc.wait(20)


def main(keep: str, seconds: int) -> None:
    with events_serving(keep) as (pg, service, rows, tmp):
        campaign = busiest_campaign(pg.url.rsplit("/", 1)[0] + "/thidua_bench_events")
        url = f"{service.url}/honorees?campaign_id={campaign}"
        answer = httpx.get(url, timeout=30)
        assert answer.status_code == 200, answer.text
        body = Path(tmp) / "body.json"
        body.write_bytes(answer.content)
        print(f"GET /honorees?campaign_id=…, {rows} honourees, a {len(answer.content)}-byte answer, wrk -t1 -c32 "
              f"{seconds}s, one granian worker each")  # fmt: skip
        cached = wrk(url, seconds, script=None)
        raw = fixed_body("tests.events.fixed_body:app", body, seconds, tmp)
        framework = fixed_body("tests.events.fixed_body:litestar_app", body, seconds, tmp)
        print(f"  the events service, cached: {cached}")
        print(f"  raw ASGI, the same bytes:   {raw}")
        print(f"  Litestar, the same bytes:   {framework}")
        share = float(cached.split()[0]) / float(raw.split()[0])  # each summary leads with its rate
        print(f"cached answers at {share:.0%} of the raw ASGI ceiling (target at least 70%)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("keep", help="the directory tests.events.bench_roll kept its loaded roll in")
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    main(args.keep, args.seconds)
