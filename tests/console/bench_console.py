"""The console's list of 50 nominations under 20 concurrent users: its p50 and p99, and its service calls.

    .venv/bin/python -m tests.console.bench_console [--seconds 20] [--users 20] [--workers 1]

Starts its own stack (as the tests do), makes a district with 50 units below
it, each nominated by the district's officer, and `--users` officer accounts
of that district, each signed in to the console with a session of its own.
Each user then loads `/nominations` (the 50, with their campaign and
category) again and again for `--seconds`, one request at a time, as a
person clicking would, only faster. It prints the pages served, their p50,
p90, p99 and worst latency, and the service calls each page made (the
console's `Server-Timing`; the target is under 3). Not a test: it is not
collected by pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from tests.support import ADMIN_PASSWORD, Api, Stack, start_stack
from thidua import devstack

from .helpers import CSRF

CALLS = re.compile(r'desc="(\d+) calls"')


async def _prepare(stack: Stack, users: int) -> tuple[list[tuple[str, str]], str]:
    from tests.awards.helpers import campaign, category, nomination_body, unit_here, units_under

    admin = await Api.login(stack, "admin", ADMIN_PASSWORD)
    try:
        province = await unit_here(admin, name="Tỉnh ủy Bình Thuận", kind="party_committee")
        district = await unit_here(
            admin, name="Huyện ủy Hàm Thuận Bắc", kind="party_committee", parent_id=province["id"]
        )
        units = await units_under(admin, district, 50)
        committee = await admin.as_new("committee")
        drive = await campaign(committee, province["id"])
        collective = await category(committee, drive["id"], quota=100)
        await committee.aclose()
        accounts = [await admin.account("officer", district["id"]) for _ in range(users)]
        officer = await Api.login(stack, *accounts[0])
        for unit in units:
            resp = await officer.awards.post("/nominations", json=nomination_body(collective["id"], unit_id=unit["id"]))
            assert resp.status_code == 201, resp.text
        await officer.aclose()
        return accounts, drive["id"]
    finally:
        await admin.aclose()


async def _user(
    base: str, username: str, password: str, deadline: float, latencies: list[float], calls: list[int]
) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        page = await client.get("/login")
        token = CSRF.search(page.text)
        assert token
        signed_in = await client.post(
            "/login", data={"_csrf_token": token.group(1), "username": username, "password": password}
        )
        assert signed_in.status_code == 303, signed_in.text
        while time.monotonic() < deadline:
            started = time.perf_counter()
            resp = await client.get("/nominations")
            latencies.append(time.perf_counter() - started)
            assert resp.status_code == 200 and resp.text.count('<a class="name" href="/nominations/') == 50
            found = CALLS.search(resp.headers.get("server-timing", ""))
            calls.append(int(found.group(1)) if found else -1)


def _quantile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


async def _run(stack: Stack, users: int, seconds: float) -> None:
    accounts, _ = await _prepare(stack, users)
    base = stack.url("console")
    warm: list[float] = []
    await _user(base, *accounts[0], time.monotonic() + 2, warm, [])  # connections and caches warm
    latencies: list[float] = []
    calls: list[int] = []
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    await asyncio.gather(*(_user(base, u, p, deadline, latencies, calls) for u, p in accounts))
    elapsed = time.monotonic() - started
    ordered = sorted(latencies)
    print(f"{len(ordered)} pages of 50 nominations in {elapsed:.1f} s by {users} users: {len(ordered) / elapsed:.0f}/s")
    p50, p90, p99 = (_quantile(ordered, q) * 1000 for q in (0.50, 0.90, 0.99))
    mean = statistics.fmean(ordered) * 1000
    print(f"latency ms: p50 {p50:.1f}  p90 {p90:.1f}  p99 {p99:.1f}  max {ordered[-1] * 1000:.1f}  mean {mean:.1f}")
    print(f"service calls per page: {sorted(set(calls))} (target: under 3)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1, help="granian workers of the console")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="thidua-bench-console-"))
    stack, started = start_stack(tmp)
    try:
        if args.workers > 1:
            old = stack.services["console"]
            old.stop()
            console = devstack.ServiceProcess(
                "console", old.port, stack.env, workers=args.workers, log_path=tmp / "console-bench.log"
            )
            console.start()
            console.wait_ready(120)
            stack.services["console"] = console
            started.append(console)
        asyncio.run(_run(stack, args.users, args.seconds))
    finally:
        for part in reversed(started):
            part.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
