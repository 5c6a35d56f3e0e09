"""Uncached q= searches through the real events service: wrk asking random
accent-free names (tests/events/random-names.lua, as the peer is asked) of a
roll that tests.events.bench_roll loaded and kept. Not a test (pytest does not
collect it): run it by hand, holding the benchmark lock,

    .venv/bin/python -m tests.events.bench_roll 100000 /tmp/roll100k     # once: loads and keeps the roll
    .venv/bin/python -m tests.events.bench_search_http /tmp/roll100k [--seconds 10] [--peer PYTHON]

It starts that PostgreSQL, a NATS server and one granian worker of the
events service (as the product is measured), and prints wrk's figures. With
--peer (a Python that has the peer's packages: tests/events/peer/README.md),
it loads the peer's roll of as many honourees into a database of its own on
the same server, serves the peer the same way, asks it the same names, and
prints both side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx

from thidua import devstack

LUA = Path(__file__).with_name("random-names.lua")
PEER = Path(__file__).with_name("peer")


def wrk(url: str, seconds: int, script: Path | None = LUA) -> str:
    """wrk's figures for the random names asked of `url` (after a short warm-up); without a script, for `url`
    itself, again and again."""
    run = ["wrk", "-t1", "-c32", *(["-s", str(script)] if script else []), url]
    subprocess.run([*run[:1], "-d3s", *run[1:]], check=True, capture_output=True)
    text = subprocess.run([*run[:1], f"-d{seconds}s", "--latency", *run[1:]], check=True, capture_output=True)
    out = text.stdout.decode()
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)  # the latency distribution's lines
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return (
        f"{float(rate[1]) if rate else 0:8.0f} req/s, p50 {p50[1] if p50 else '?'}, p99 {p99[1] if p99 else '?'}, "
        f"non-2xx {errors[1] if errors else 0}"
    )


def index_ready(url: str, timeout: float = 600) -> None:
    """Wait until the service's worker has built its roll search index (roll/index.py), and say how long it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        text = httpx.get(f"{url}/metrics", timeout=10).text
        if re.search(r"^thidua_roll_index_ready\{[^}]*\} 1", text, re.M):
            size = re.search(r"^thidua_roll_index_bytes\{[^}]*\} (\S+)", text, re.M)
            print(
                f"the roll search index was ready {time.monotonic() - started:.1f} s after the service "
                f"(about {float(size[1]) / 2**20 if size else 0:.0f} MB)"
            )
            return
        time.sleep(0.2)
    raise RuntimeError("the roll search index was not built")


def rows_of(url: str) -> int:
    async def count() -> int:
        conn = await asyncpg.connect(url)
        try:
            return int(await conn.fetchval("SELECT count(*) FROM honorees WHERE status = 'granted'"))
        finally:
            await conn.close()

    return asyncio.run(count())


def peer(pg: devstack.LocalPostgres, rows: int, python: str, seconds: int, tmp: str) -> str:
    env = {"PGHOST_DIR": str(pg.datadir), "PATH": "/usr/bin:/bin"}
    env["PGPORT"] = str(pg.port)
    subprocess.run([python, str(PEER / "seed_peer.py"), str(rows)], check=True, env=env, capture_output=True)
    port = devstack.free_port()
    dsn = f"postgresql+asyncpg://postgres@127.0.0.1:{pg.port}/peer"
    with open(Path(tmp) / "peer.log", "ab") as log:
        proc = subprocess.Popen(
            [python, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port), "--workers",
             "1", "--loop", "uvloop", "--log-level", "warning", "peer_app:app"],
            cwd=PEER, env={**env, "PEER_DSN": dsn}, stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
    try:
        devstack.wait_for_port(port, 30, proc, "the peer")
        return wrk(f"http://127.0.0.1:{port}", seconds)
    finally:
        proc.terminate()
        proc.wait(20)


@contextlib.contextmanager
def events_serving(keep: str) -> Iterator[tuple[devstack.LocalPostgres, devstack.ServiceProcess, int, str]]:
    """The kept roll's PostgreSQL, a NATS server and one granian worker of the events service on it, ready:
    the server, the service, the roll's honourees and a scratch folder."""
    pg = devstack.LocalPostgres(Path(keep) / "pg", preferred_port=None)
    pg.start()
    with tempfile.TemporaryDirectory(prefix="thidua-bench-nats-") as tmp:
        nats = devstack.LocalNats(Path(tmp), preferred_port=None)
        nats.start()
        service = devstack.ServiceProcess(
            "events",
            devstack.free_port(),
            devstack.service_env(
                pg.url, nats.url, {}, THIDUA_DB_PREFIX="thidua_bench", LOG_LEVEL="WARNING", DB_POOL_MAX="32"
            ),
            log_path=Path(tmp) / "events.log",
        )
        try:
            rows = rows_of(pg.url.rsplit("/", 1)[0] + "/thidua_bench_events")
            service.start()
            service.wait_ready()
            index_ready(service.url)
            yield pg, service, rows, tmp
        finally:
            service.stop()
            nats.stop()
            pg.stop()


def main(keep: str, seconds: int, peer_python: str | None) -> None:
    with events_serving(keep) as (pg, service, rows, tmp):
        print(f"q= random names, {rows} honourees, wrk -t1 -c32 {seconds}s, one granian worker each")
        print(f"  the events service: {wrk(service.url, seconds)}")
        text = httpx.get(f"{service.url}/metrics", timeout=10).text
        pages = dict(re.findall(r'^thidua_roll_index_pages_total\{[^}]*rows="(\w+)"\} (\S+)', text, re.M))
        print(
            f"  pages found by the index: {float(pages.get('memory', 0)):.0f} with every row in memory, "
            f"{float(pages.get('query', 0)):.0f} with a query for their rows"
        )
        service.stop()
        if peer_python is not None:
            print(f"  the peer:           {peer(pg, rows, peer_python, seconds, tmp)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("keep", help="the directory tests.events.bench_roll kept its loaded roll in")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--peer", help="a Python with the peer's packages (tests/events/peer/README.md)")
    args = parser.parse_args()
    main(args.keep, args.seconds, args.peer)
