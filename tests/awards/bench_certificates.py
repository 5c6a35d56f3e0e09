"""The certificates of the demo's 310 awards rendered in one request, timed.

    .venv/bin/python -m tests.awards.bench_certificates [--runs 3]

Starts its own stack (as the tests do), loads the Bình Thuận 2014 scenario through the APIs (its two
decisions grant 310 awards), then asks, as the admin, `GET /awards/certificates.pdf?year=2014` (one PDF,
a page each) `--runs` times, and each decision's `certificates.pdf` and `document.pdf`; prints the time
of each answer, its size and its page count (read back with pypdf). Not a test: pytest does not collect it.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from pypdf import PdfReader

from tests.support import ADMIN_PASSWORD, Api, Stack, start_stack
from thidua.demo import load_scenario


async def _timed(client: httpx.AsyncClient, path: str, **params: str) -> tuple[float, int, int]:
    started = time.perf_counter()
    resp = await client.get(path, params=params)
    elapsed = time.perf_counter() - started
    assert resp.status_code == 200, resp.text
    return elapsed, len(resp.content), len(PdfReader(io.BytesIO(resp.content)).pages)


async def bench(stack: Stack, runs: int) -> None:
    urls = {name: stack.url(name) for name in ("units", "awards", "events")}
    t = time.perf_counter()
    out = io.StringIO()
    await load_scenario(urls, admin_password=ADMIN_PASSWORD, out=out)
    print(f"demo loaded in {time.perf_counter() - t:.1f} s")
    admin = await Api.login(stack, "admin", ADMIN_PASSWORD)
    try:
        client = admin.awards
        client.timeout = httpx.Timeout(600)
        times = []
        for run in range(runs):
            elapsed, size, pages = await _timed(client, "/awards/certificates.pdf", year="2014")
            times.append(elapsed)
            print(
                f"run {run + 1}: GET /awards/certificates.pdf?year=2014: {pages} pages, "
                f"{size / 1024:.0f} KiB, {elapsed:.2f} s ({elapsed / pages * 1000:.1f} ms a page)"
            )
        print(
            f"310 certificates in one request: median {statistics.median(times):.2f} s, "
            f"best {min(times):.2f} s over {runs} runs"
        )
        decisions = (await client.get("/decisions", params={"limit": 50})).json()["items"]
        for d in decisions:
            elapsed, size, pages = await _timed(client, f"/decisions/{d['id']}/certificates.pdf")
            print(f"decision {d['number']}: certificates.pdf {pages} pages, {size / 1024:.0f} KiB, {elapsed:.2f} s")
            elapsed, size, pages = await _timed(client, f"/decisions/{d['id']}/document.pdf")
            print(f"decision {d['number']}: document.pdf {pages} pages, {size / 1024:.0f} KiB, {elapsed:.2f} s")
    finally:
        await admin.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-certificates-") as tmp:
        stack, started = start_stack(Path(tmp))  # outside the event loop: it runs one of its own
        try:
            asyncio.run(bench(stack, args.runs))
        finally:
            for part in reversed(started):
                part.stop()


if __name__ == "__main__":
    main()
